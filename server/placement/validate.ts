import { InputError } from '../input-error.js';
import { list, nonNegative, num, object, positive, str, unique, whole } from '../fields.js';
import { MAX_INSTANCES, MAX_RESOURCES } from '../limits.js';
import { topologicalOrder } from './dag.js';
import type {
  Candidate, Component, DagEdge, Deployment, GlobalConstraint, NetworkDomain, Partition,
  PlacementSystem, Resource, ResourceKind,
} from './model.js';

/** Checks every field of a placement system; throws InputError naming the first bad field. */
export function validateSystem(raw: unknown): PlacementSystem {
  const s = object(raw, 'system');
  const system: PlacementSystem = {
    lambda: positive(s.lambda, 'lambda'),
    time: positive(s.time, 'time'),
    resources: list(s.resources, 'resources').map((r, i) => resource(r, `resources[${i}]`)),
    components: [],
    edges: [],
    networkDomains: [],
    globalConstraints: [],
  };
  if (system.resources.length > MAX_RESOURCES) throw new InputError('resources', `${system.resources.length} resources`, `must be at most ${MAX_RESOURCES}`);
  unique(system.resources.map((r) => r.name), 'resources', 'name');
  const byName = new Map(system.resources.map((r) => [r.name, r]));
  const layerKind = new Map<string, ResourceKind>();
  for (const r of system.resources) {
    const kind = layerKind.get(r.layer);
    if (kind !== undefined && kind !== r.kind) {
      throw new InputError(`resources.${r.name}.layer`, r.layer, `layer already holds ${kind} resources; a layer has one kind`);
    }
    layerKind.set(r.layer, r.kind);
  }
  const components = list(s.components, 'components');
  if (components.length === 0) throw new InputError('components', [], 'must list at least one component');
  system.components = components.map((c, i) => component(c, i, byName));
  unique(system.components.map((c) => c.name), 'components', 'name');
  const compNames = new Set(system.components.map((c) => c.name));
  for (const c of system.components) checkSuccessors(c, compNames);

  system.edges = list(s.edges, 'edges').map((e, i) => edge(e, `edges[${i}]`, compNames));
  checkDag(system);
  system.networkDomains = list(s.networkDomains, 'network_domains').map((d, i) => domain(d, i, layerKind));
  checkNetwork(system, s.networkDomains);
  system.globalConstraints = list(s.globalConstraints, 'global_constraints').map((g, i) => globalConstraint(g, i, system));
  return system;
}

function probability(v: unknown, path: string, upper: 'open' | 'closed'): number {
  const x = num(v ?? 0, path);
  if (x < 0 || (upper === 'open' ? x >= 1 : x > 1)) {
    throw new InputError(path, v, upper === 'open' ? 'must be in [0, 1)' : 'must be in [0, 1]');
  }
  return x;
}

const KINDS: ResourceKind[] = ['EDGE', 'VM', 'FAAS'];

function resource(raw: unknown, at: string): Resource {
  const r = object(raw, at);
  const name = str(r.name, `${at}.name`);
  const path = `resources.${name}`;
  const kind = r.kind as ResourceKind;
  if (!KINDS.includes(kind)) throw new InputError(`${path}.kind`, r.kind, 'must be EDGE, VM or FAAS');
  const res: Resource = {
    name,
    kind,
    layer: str(r.layer, `${path}.layer`),
    cost: nonNegative(r.cost, `${path}.cost`),
    memory: positive(r.memory, `${path}.memory`),
    number: 1,
    idleTimeBeforeKill: 0,
    description: typeof r.description === 'string' ? r.description : '',
  };
  if (kind === 'FAAS') {
    res.idleTimeBeforeKill = positive(r.idleTimeBeforeKill, `${path}.idle_time_before_kill`);
  } else {
    res.number = whole(r.number, `${path}.number`, 1, MAX_INSTANCES);
  }
  return res;
}

function component(raw: unknown, i: number, resources: Map<string, Resource>): Component {
  const c = object(raw, `components[${i}]`);
  const name = str(c.name, `components[${i}].name`);
  const path = `components.${name}`;
  const deployments = list(c.deployments, `${path}.deployments`);
  if (deployments.length === 0) throw new InputError(`${path}.deployments`, [], 'must list at least one deployment');
  const comp: Component = {
    name,
    deployments: deployments.map((d, j) => deployment(d, `${path}.deployments`, j, resources)),
  };
  if (c.localResTime !== undefined && c.localResTime !== null) {
    comp.localResTime = positive(c.localResTime, `${path}.local_res_time`);
  }
  unique(comp.deployments.map((d) => d.name), `${path}.deployments`, 'name');
  unique(comp.deployments.flatMap((d) => d.partitions.map((p) => p.name)), `${path}.partitions`, 'name');
  return comp;
}

function deployment(raw: unknown, at: string, j: number, resources: Map<string, Resource>): Deployment {
  const d = object(raw, `${at}[${j}]`);
  const name = str(d.name, `${at}[${j}].name`);
  const path = `${at}.${name}`;
  const parts = list(d.partitions, `${path}.partitions`);
  if (parts.length === 0) throw new InputError(`${path}.partitions`, [], 'must list at least one partition');
  const partitions = parts.map((p, k) => partition(p, `${path}.partitions`, k, resources));
  for (let k = 0; k + 1 < partitions.length; k++) {
    const p = partitions[k];
    const following = partitions[k + 1].name;
    if (p.next.length !== 1 || p.next[0] !== following) {
      throw new InputError(`${path}.partitions.${p.name}.next`, p.next, `must be ["${following}"]: partitions are listed in chain order`);
    }
  }
  return { name, partitions };
}

function partition(raw: unknown, at: string, k: number, resources: Map<string, Resource>): Partition {
  const p = object(raw, `${at}[${k}]`);
  const name = str(p.name, `${at}[${k}].name`);
  const path = `${at}.${name}`;
  const next = list(p.next, `${path}.next`).map((n, i) => str(n, `${path}.next[${i}]`));
  const dataSize = list(p.dataSize, `${path}.data_size`).map((v, i) => nonNegative(v, `${path}.data_size[${i}]`));
  if (dataSize.length < next.length) {
    throw new InputError(`${path}.data_size`, dataSize, `must give one size for each of the ${next.length} entries of next`);
  }
  const cands = list(p.candidates, `${path}.candidates`);
  if (cands.length === 0) throw new InputError(`${path}.candidates`, [], 'must list at least one compatible resource');
  const candidates = cands.map((c, i) => candidate(c, `${path}.candidates[${i}]`, resources));
  unique(candidates.map((c) => c.resource), `${path}.candidates`, 'resource');
  return {
    name,
    next,
    dataSize,
    earlyExitProbability: probability(p.earlyExitProbability, `${path}.early_exit_probability`, 'open'),
    candidates,
  };
}

function candidate(raw: unknown, path: string, resources: Map<string, Resource>): Candidate {
  const c = object(raw, path);
  const name = str(c.resource, `${path}.resource`);
  const res = resources.get(name);
  if (!res) throw new InputError(`${path}.resource`, name, 'names no resource in resources');
  const out: Candidate = { resource: name, memory: nonNegative(c.memory ?? 0, `${path}.memory`) };
  if (res.kind === 'FAAS') {
    const f = c.faas === undefined || c.faas === null ? undefined : object(c.faas, `${path}.faas`);
    if (!f) throw new InputError(`${path}.faas`, c.faas, `must be given: ${name} is a FaaS function (warm and cold service times)`);
    const warm = positive(f.warm, `${path}.faas.warm`);
    const cold = positive(f.cold, `${path}.faas.cold`);
    out.faas = { warm, cold };
  } else {
    const q = c.queueing === undefined || c.queueing === null ? undefined : object(c.queueing, `${path}.queueing`);
    if (!q) throw new InputError(`${path}.queueing`, c.queueing, `must be given: ${name} is a ${res.kind} resource (queueing demand)`);
    out.queueing = { demand: positive(q.demand, `${path}.queueing.demand`) };
  }
  return out;
}

function checkSuccessors(c: Component, compNames: Set<string>): void {
  for (const d of c.deployments) {
    const last = d.partitions[d.partitions.length - 1];
    last.next.forEach((n, i) => {
      if (!compNames.has(n)) {
        throw new InputError(`components.${c.name}.deployments.${d.name}.partitions.${last.name}.next[${i}]`, n, 'names no component');
      }
    });
  }
}

function edge(raw: unknown, at: string, compNames: Set<string>): DagEdge {
  const e = object(raw, at);
  const from = str(e.from, `${at}.from`);
  const to = str(e.to, `${at}.to`);
  if (!compNames.has(from)) throw new InputError(`${at}.from`, from, 'names no component');
  if (!compNames.has(to)) throw new InputError(`${at}.to`, to, 'names no component');
  if (to === from) throw new InputError(`${at}.to`, to, 'a component cannot follow itself');
  return { from, to, probability: probability(e.probability, `${at}.probability`, 'closed') };
}

/** Every computational layer must be in a network domain: data leaving an unlisted one would take forever, and every placement through it would read as merely infeasible. */
function checkNetwork(system: PlacementSystem, given: unknown): void {
  const layers = [...new Set(system.resources.map((r) => r.layer))];
  if (system.networkDomains.length === 0) {
    if (layers.length > 1) throw new InputError('network_domains', given, `must list the network domains joining the ${layers.length} computational layers (${layers.join(', ')})`);
    return;
  }
  const listed = new Set(system.networkDomains.flatMap((n) => n.layers));
  const lone = system.resources.find((r) => !listed.has(r.layer));
  if (lone !== undefined) throw new InputError(`resources.${lone.name}.layer`, lone.layer, 'is in no network domain: add it to the layers of a network domain');
}

function checkDag(system: PlacementSystem): void {
  const out = new Map<string, number>();
  for (const e of system.edges) out.set(e.from, (out.get(e.from) ?? 0) + e.probability);
  for (const [from, total] of out) {
    if (total > 1 + 1e-9) throw new InputError(`edges.${from}.probability`, total, 'outgoing transition probabilities must sum to <= 1');
  }
  const names = system.components.map((c) => c.name);
  const order = new Set(topologicalOrder(names, system.edges));
  if (order.size < names.length) throwCycle(system.edges, names.filter((n) => !order.has(n)));
}

/** Names an edge closing a cycle among the components the topological order left out, and the components on the cycle. */
function throwCycle(edges: DagEdge[], left: string[]): never {
  // Each component left out waits on another left out: walking back along such edges must come round to one already passed.
  const stuck = new Set(left);
  const passed: string[] = [];
  const via: number[] = [];
  let at = left[0];
  while (!passed.includes(at)) {
    passed.push(at);
    const i = edges.findIndex((e) => e.to === at && stuck.has(e.from));
    via.push(i);
    at = edges[i].from;
  }
  const j = passed.indexOf(at);
  const cycle = [at, ...passed.slice(j + 1).reverse(), at];
  throw new InputError(`edges[${via[j]}].to`, at, `closes the cycle ${cycle.join(' -> ')}: the graph must be acyclic, so drop one of these transitions`);
}

function domain(raw: unknown, i: number, layerKind: Map<string, ResourceKind>): NetworkDomain {
  const d = object(raw, `network_domains[${i}]`);
  const name = str(d.name, `network_domains[${i}].name`);
  const path = `network_domains.${name}`;
  const layers = list(d.layers, `${path}.layers`).map((l, k) => {
    const layer = str(l, `${path}.layers[${k}]`);
    if (!layerKind.has(layer)) throw new InputError(`${path}.layers[${k}]`, layer, 'names no layer of any resource');
    return layer;
  });
  return {
    name,
    layers,
    accessDelay: nonNegative(d.accessDelay, `${path}.access_delay`),
    bandwidth: positive(d.bandwidth, `${path}.bandwidth`),
  };
}

function globalConstraint(raw: unknown, i: number, system: PlacementSystem): GlobalConstraint {
  const g = object(raw, `global_constraints[${i}]`);
  const name = str(g.name, `global_constraints[${i}].name`);
  const path = `global_constraints.${name}`;
  const names = new Set(system.components.map((c) => c.name));
  const components = list(g.components, `${path}.components`).map((c, k) => {
    const n = str(c, `${path}.components[${k}]`);
    if (!names.has(n)) throw new InputError(`${path}.components[${k}]`, n, 'names no component');
    return n;
  });
  if (components.length === 0) throw new InputError(`${path}.components`, [], 'must list at least one component');
  return { name, components, globalResTime: positive(g.globalResTime, `${path}.global_res_time`) };
}
