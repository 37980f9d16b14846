import { own, renamingPaths } from '../../server/fields.js';
import { InputError } from '../../server/input-error.js';
import { parseJsonText } from '../../server/json-text.js';
import type { Candidate, Component, Deployment, Partition, PlacementSystem, Resource, ResourceKind } from '../../server/placement/model.js';
import { validateSystem } from '../../server/placement/validate.js';

type Obj = Record<string, unknown>;

const QUEUEING_MODELS = new Set(['QTedge', 'QTcloud', 'QT']);
const FAAS_MODELS = new Set(['PACSLTK', 'PACSLTKSTATIC']);
const SECTIONS: [string, ResourceKind][] = [['EdgeResources', 'EDGE'], ['CloudResources', 'VM'], ['FaaSResources', 'FAAS']];

/** What a conversion reads besides the components themselves. */
interface Context {
  compat: Obj;
  perf: Obj;
  kinds: Map<string, ResourceKind>;
  /** where each part is written; absent on the first reading, which records nothing (see parseSpace4aiSystem) */
  paths?: FilePaths;
}

/** Reads a SPACE4AI system-description JSON text into a validated native placement system; every error names the file's own path. */
export function parseSpace4aiSystem(text: string): PlacementSystem {
  const d = object(parseJsonText(text, 'system description'), '(system description)');
  const native = space4aiToNative(d, undefined);
  let system: PlacementSystem;
  try {
    system = validateSystem(native);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    // read again, recording where each part is written, only now that an error needs the file's path
    // (recording every time tripled the cost of reading a valid file)
    const paths = new FilePaths();
    space4aiToNative(d, paths);
    // the value the file gave for the network (absent, or an empty object), not the empty list it became
    throw new InputError(paths.of(e.path), e.path === 'network_domains' ? d.NetworkTechnology : e.value, e.rule);
  }
  checkKeys(d, system);
  return system;
}

/** File paths by the native paths validateSystem names fields with, so that its errors can name the user's file instead. */
export class FilePaths {
  private readonly byNative = new Map<string, string>();

  /** Records that a native path is written `file` in the file; fields under it that are not recorded keep their names. */
  set(native: string, file: string): void {
    this.byNative.set(native, file);
  }

  /** The file's path for a native one: its longest recorded prefix translated, the rest as it is. */
  of(path: string): string {
    for (let end = path.length; end > 0; end--) {
      if (end < path.length && path[end] !== '.' && path[end] !== '[') continue;
      const file = this.byNative.get(path.slice(0, end));
      if (file !== undefined) return file + path.slice(end);
    }
    return path;
  }

  /** Runs `read`; an InputError it throws comes out at the file's path, with the same value and rule. */
  translating<T>(read: () => T): T {
    return renamingPaths((path) => this.of(path), read);
  }
}

/** A file path one key further down: `.key`, or `["key"]` for a key that is empty or would read as several steps. */
export function key(base: string, k: string): string {
  return /^[^.[\]\s"]+$/.test(k) ? `${base}.${k}` : `${base}[${JSON.stringify(k)}]`;
}

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function object(v: unknown, path: string): Obj {
  if (!isObject(v)) throw new InputError(path, v, 'must be an object');
  return v;
}

/** The entries of a section (absent: none), each an object: a value of another type would otherwise be dropped unseen. */
function entries(v: unknown, path: string): [string, Obj][] {
  if (v === undefined) return [];
  return Object.entries(object(v, path)).map(([k, e]) => [k, object(e, key(path, k))]);
}

/** The native system a SPACE4AI description stands for, unchecked (validateSystem checks it), recording where each part is written. */
function space4aiToNative(d: Obj, paths: FilePaths | undefined): unknown {
  paths?.set('lambda', 'Lambda');
  paths?.set('time', 'Time');
  const resources = readResources(d, paths);
  const x: Context = {
    compat: object(d.CompatibilityMatrix ?? {}, 'CompatibilityMatrix'),
    perf: object(d.Performance ?? {}, 'Performance'),
    kinds: new Map(resources.map((r) => [r.name, r.kind])),
    paths,
  };
  const local = object(d.LocalConstraints ?? {}, 'LocalConstraints');
  paths?.set('components', 'Components');
  const components = entries(d.Components, 'Components').map(([c, deps], i) => component(c, i, deps, local, x));
  return {
    lambda: d.Lambda,
    time: d.Time ?? 1,
    components,
    edges: readEdges(d, paths),
    resources,
    networkDomains: readDomains(d, paths),
    globalConstraints: readGlobalConstraints(d, paths),
  };
}

function readResources(d: Obj, paths: FilePaths | undefined): Resource[] {
  paths?.set('resources', '(EdgeResources, CloudResources and FaaSResources)');
  const resources: Resource[] = [];
  const where = new Map<string, string>();
  for (const [section, kind] of SECTIONS) {
    for (const [layer, rs] of entries(d[section], section)) {
      const layerPath = key(section, layer);
      // A layer's entries that are not objects are its own attributes (a FaaS layer's transition_cost), not resources.
      for (const [name, r] of Object.entries(rs).filter((e): e is [string, Obj] => isObject(e[1]))) {
        const path = key(layerPath, name);
        // validateSystem names resources by name alone, so a repeated name would leave its errors ambiguous: refuse it here.
        const first = where.get(name);
        if (first !== undefined) throw new InputError(path, name, `is the name of ${first} too: resource names must be unique across EdgeResources, CloudResources and FaaSResources`);
        where.set(name, path);
        paths?.set(`resources[${resources.length}].name`, path);
        paths?.set(`resources.${name}`, path);
        paths?.set(`resources.${name}.layer`, layerPath);
        resources.push({
          name, kind, layer,
          cost: r.cost as number,
          memory: r.memory as number,
          number: (r.number ?? 1) as number,
          idleTimeBeforeKill: r.idle_time_before_kill as number,
          description: typeof r.description === 'string' ? r.description : '',
        });
      }
    }
  }
  return resources;
}

function component(c: string, i: number, deps: Obj, local: Obj, x: Context): Component {
  const path = key('Components', c);
  x.paths?.set(`components[${i}].name`, path);
  x.paths?.set(`components.${c}`, path);
  x.paths?.set(`components.${c}.deployments`, path);
  x.paths?.set(`components.${c}.local_res_time`, `${key('LocalConstraints', c)}.local_res_time`);
  return {
    name: c,
    deployments: entries(deps, path).map(([s, parts], j) => deployment(c, s, j, parts, x)),
    ...localLimit(local, c),
  };
}

function localLimit(local: Obj, c: string): { localResTime?: number } {
  if (own(local, c) === undefined) return {};
  const path = key('LocalConstraints', c);
  const limit = object(own(local, c), path).local_res_time;
  // validateSystem reads an absent limit as none; an entry without one is a mistake (a misspelt field), not a wish for no limit.
  if (limit === undefined || limit === null) {
    throw new InputError(`${path}.local_res_time`, limit, `must give the response-time limit of ${c} in seconds (or drop the entry for no limit)`);
  }
  return { localResTime: limit as number };
}

function deployment(c: string, s: string, j: number, parts: Obj, x: Context): Deployment {
  const path = key(key('Components', c), s);
  const native = `components.${c}.deployments.${s}`;
  x.paths?.set(`components.${c}.deployments[${j}].name`, path);
  x.paths?.set(native, path);
  x.paths?.set(`${native}.partitions`, path);
  return {
    name: s,
    partitions: chain(path, new Map(entries(parts, path))).map(([h, p], k) => partition(c, h, p, k, path, native, x)),
  };
}

/** The partitions in chain order, following next from the one partition no other names. */
function chain(path: string, byName: Map<string, Obj>): [string, Obj][] {
  if (byName.size === 0) return []; // validateSystem says a deployment needs a partition
  const named = new Set<string>();
  for (const p of byName.values()) for (const n of (Array.isArray(p.next) ? p.next : [])) named.add(n as string);
  const heads = [...byName.keys()].filter((h) => !named.has(h));
  if (heads.length !== 1) throw new InputError(path, [...byName.keys()], 'partitions must form one chain (exactly one partition that no other names in next)');
  const order: string[] = [];
  for (let h: string | undefined = heads[0]; h !== undefined && byName.has(h); ) {
    if (order.includes(h)) {
      const last = order[order.length - 1];
      throw new InputError(`${key(path, last)}.next`, byName.get(last)!.next, `leads back to ${h}: partitions must form one chain, without cycles`);
    }
    order.push(h);
    const next: unknown = byName.get(h)!.next;
    h = Array.isArray(next) && byName.has(next[0] as string) ? (next[0] as string) : undefined;
  }
  if (order.length !== byName.size) throw new InputError(path, [...byName.keys()], `partitions must form one chain; reached only ${order.join(' -> ')}`);
  return order.map((h) => [h, byName.get(h)!]);
}

function partition(c: string, h: string, p: Obj, k: number, deploymentPath: string, deploymentNative: string, x: Context): Partition {
  const path = key(deploymentPath, h);
  const native = `${deploymentNative}.partitions.${h}`;
  x.paths?.set(`${deploymentNative}.partitions[${k}].name`, path);
  x.paths?.set(native, path);
  // A name repeated in another deployment: validateSystem names it under the component; the later one is the repeat.
  x.paths?.set(`components.${c}.partitions.${h}.name`, path);
  x.paths?.set(`${native}.candidates`, key(key('CompatibilityMatrix', c), h));
  return {
    name: h,
    next: p.next as string[],
    dataSize: (p.data_size ?? []) as number[],
    earlyExitProbability: (p.early_exit_probability ?? 0) as number,
    candidates: candidates(c, h, `${native}.candidates`, x),
  };
}

function candidates(c: string, h: string, native: string, x: Context): Candidate[] {
  const path = key(key('CompatibilityMatrix', c), h);
  const list = own(x.compat, c) === undefined ? undefined : own(object(own(x.compat, c), key('CompatibilityMatrix', c)), h);
  if (!Array.isArray(list)) throw new InputError(path, list, `must list the resources partition ${h} of ${c} may run on`);
  return list.map((entry, i) => {
    const at = `${path}[${i}]`;
    const e = object(entry, at);
    const r = e.resource;
    const kind = typeof r === 'string' ? x.kinds.get(r) : undefined;
    if (kind === undefined) throw new InputError(`${at}.resource`, r, 'must name a resource of EdgeResources, CloudResources or FaaSResources');
    const perfPath = key(key(key('Performance', c), h), r as string);
    x.paths?.set(`${native}[${i}]`, at);
    x.paths?.set(`${native}.${r}.resource`, `${at}.resource`); // a repeat: the later entry
    x.paths?.set(`${native}[${i}].queueing.demand`, `${perfPath}.demand`);
    x.paths?.set(`${native}[${i}].faas.warm`, `${perfPath}.demandWarm`);
    x.paths?.set(`${native}[${i}].faas.cold`, `${perfPath}.demandCold`);
    return { resource: r as string, memory: e.memory as number, ...demand(c, h, r as string, kind, x.perf) };
  });
}

/** The performance model of partition h of c on resource r: a queueing demand on an edge node or VM, warm and cold times on FaaS. */
function demand(c: string, h: string, r: string, kind: ResourceKind, perf: Obj): Pick<Candidate, 'queueing' | 'faas'> {
  const path = key(key(key('Performance', c), h), r);
  const byResource = object(own(object(own(perf, c) ?? {}, key('Performance', c)), h) ?? {}, key(key('Performance', c), h));
  if (own(byResource, r) === undefined) throw new InputError(path, undefined, `must give the performance model of partition ${h} of ${c} on ${r}`);
  const p = object(own(byResource, r), path);
  const model = p.model as string;
  const faas = kind === 'FAAS';
  if ((faas ? FAAS_MODELS : QUEUEING_MODELS).has(model)) {
    return faas ? { faas: { warm: p.demandWarm as number, cold: p.demandCold as number } } : { queueing: { demand: p.demand as number } };
  }
  if (typeof p.regressor_file === 'string') {
    // The rule names the file too: a long value is shortened in the message.
    const file = p.regressor_file.split(/[/\\]/).pop();
    throw new InputError(`${path}.regressor_file`, p.regressor_file,
      `component ${c}, partition ${h}, resource ${r}: performance model ${model} needs a pickled Python regressor (${file}), which cannot be loaded here; give a demand (model QTedge/QTcloud) or warm/cold times (PACSLTK) instead`);
  }
  throw new InputError(`${path}.model`, p.model, faas
    ? `${r} is a FaaS function: must be PACSLTK or PACSLTKSTATIC, with demandWarm and demandCold`
    : `${r} is ${kind === 'EDGE' ? 'an edge node' : 'a VM type'}: must be QTedge, QTcloud or QT, with demand`);
}

/**
 * Keys of the sections by component (and partition) must name ones in Components: any other would be ignored unseen
 * (validateSystem sees only the edges of a DirectedAcyclicGraph entry, and none of an entry with an empty next).
 */
function checkKeys(d: Obj, system: PlacementSystem): void {
  const parts = new Map(system.components.map((c) => [c.name, new Set(c.deployments.flatMap((s) => s.partitions.map((p) => p.name)))]));
  for (const section of ['CompatibilityMatrix', 'Performance', 'LocalConstraints', 'DirectedAcyclicGraph']) {
    for (const [c, entry] of Object.entries((d[section] ?? {}) as Obj)) {
      const path = key(section, c);
      const own = parts.get(c);
      if (own === undefined) throw new InputError(path, c, 'names no component in Components');
      if (section === 'LocalConstraints' || section === 'DirectedAcyclicGraph') continue;
      for (const h of Object.keys(object(entry, path))) {
        if (!own.has(h)) throw new InputError(key(path, h), h, `names no partition of ${c} in ${key('Components', c)}`);
      }
    }
  }
}

function readEdges(d: Obj, paths: FilePaths | undefined): unknown[] {
  const edges: unknown[] = [];
  for (const [from, e] of entries(d.DirectedAcyclicGraph, 'DirectedAcyclicGraph')) {
    const path = key('DirectedAcyclicGraph', from);
    const next = e.next ?? [];
    const probs = e.transition_probability ?? [];
    if (!Array.isArray(next)) throw new InputError(`${path}.next`, next, 'must be a list of components');
    if (!Array.isArray(probs) || probs.length !== next.length) {
      throw new InputError(`${path}.transition_probability`, probs, `must give one probability for each of the ${next.length} entries of next`);
    }
    paths?.set(`edges.${from}.probability`, `${path}.transition_probability`);
    next.forEach((to, k) => {
      paths?.set(`edges[${edges.length}].from`, path);
      paths?.set(`edges[${edges.length}].to`, `${path}.next[${k}]`);
      paths?.set(`edges[${edges.length}].probability`, `${path}.transition_probability[${k}]`);
      edges.push({ from, to, probability: probs[k] });
    });
  }
  return edges;
}

function readDomains(d: Obj, paths: FilePaths | undefined): unknown[] {
  paths?.set('network_domains', 'NetworkTechnology');
  return entries(d.NetworkTechnology, 'NetworkTechnology').map(([name, n], i) => {
    const path = key('NetworkTechnology', name);
    paths?.set(`network_domains[${i}].name`, path);
    paths?.set(`network_domains.${name}`, path);
    paths?.set(`network_domains.${name}.layers`, `${path}.computationallayers`);
    paths?.set(`network_domains.${name}.access_delay`, `${path}.AccessDelay`);
    paths?.set(`network_domains.${name}.bandwidth`, `${path}.Bandwidth`);
    return { name, layers: n.computationallayers, accessDelay: n.AccessDelay, bandwidth: n.Bandwidth };
  });
}

function readGlobalConstraints(d: Obj, paths: FilePaths | undefined): unknown[] {
  return entries(d.GlobalConstraints, 'GlobalConstraints').map(([name, g], i) => {
    const path = key('GlobalConstraints', name);
    paths?.set(`global_constraints[${i}].name`, path);
    paths?.set(`global_constraints.${name}`, path);
    return { name, components: g.components, globalResTime: g.global_res_time };
  });
}
