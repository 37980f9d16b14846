import { topologicalOrder } from './dag.js';
import { faasSteadyState } from './faas-model.js';
import type { PlacementSystem, Profile, ResourceKind, Semantics } from './model.js';
import { PROFILES } from './model.js';

/** A compatible resource of a partition with its performance resolved into numbers. */
export interface IndexedCandidate {
  resource: number;
  memory: number;
  /** queueing demand D (edge/VM) or the FaaS mean response time at the partition's rate */
  time: number;
  /** FaaS warm service time, which FaaS cost is charged on; 0 for edge/VM */
  warm: number;
}

export interface IndexedPartition {
  name: string;
  component: number;
  deployment: number;
  /** position in the deployment's chain */
  position: number;
  rate: number;
  earlyExit: number;
  /** probability that a request of the component reaches this partition */
  reach: number;
  /** data sent to the following partition of the chain */
  dataToNext: number;
  /** data sent to each successor component (last partition only) */
  dataToComponent: Map<number, number>;
  candidates: IndexedCandidate[];
}

export interface IndexedComponent {
  name: string;
  rate: number;
  localLimit: number;
  /** partitions (global indices) of each deployment, in chain order */
  deployments: { name: string; partitions: number[] }[];
}

export interface IndexedResource {
  name: string;
  kind: ResourceKind;
  layer: number;
  cost: number;
  memory: number;
  number: number;
  idleTimeBeforeKill: number;
  description: string;
}

/** The placement problem in index form: components in topological order, arrival rates resolved. */
export interface IndexedProblem {
  system: PlacementSystem;
  profile: Profile;
  semantics: Semantics;
  lambda: number;
  time: number;
  components: IndexedComponent[];
  partitions: IndexedPartition[];
  resources: IndexedResource[];
  layers: string[];
  /** per ordered layer pair (l1 * layers + l2): the domains joining them */
  links: { accessDelay: number; bandwidth: number }[][];
  /** DAG edges with positive probability */
  edges: { from: number; to: number; probability: number }[];
  paths: { name: string; components: number[]; limit: number }[];
}

/** Indexes a validated system under a profile and arrival rate; FaaS times come from the serverless model. */
export function indexProblem(system: PlacementSystem, profile: Profile, lambda = system.lambda): IndexedProblem {
  const semantics = PROFILES[profile];
  const order = topologicalOrder(system.components.map((c) => c.name), system.edges);
  const compIndex = new Map(order.map((name, i) => [name, i]));
  const byName = new Map(system.components.map((c) => [c.name, c]));
  const rates = new Array<number>(order.length).fill(0);
  // Requests enter at every source at rate lambda: some shipped DAGs have two sources, and the
  // reference tools' response times on them are those of lambda at each.
  const entered = new Set(system.edges.map((e) => e.to));
  order.forEach((name, i) => { if (!entered.has(name)) rates[i] = lambda; });
  for (const name of order) {
    const i = compIndex.get(name)!;
    for (const e of system.edges) if (e.from === name) rates[compIndex.get(e.to)!] += e.probability * rates[i];
  }
  const layers = [...new Set(system.resources.map((r) => r.layer))];
  const resources: IndexedResource[] = system.resources.map((r) => ({
    name: r.name, kind: r.kind, layer: layers.indexOf(r.layer), cost: r.cost, memory: r.memory,
    number: r.number, idleTimeBeforeKill: r.idleTimeBeforeKill, description: r.description,
  }));
  const resIndex = new Map(resources.map((r, i) => [r.name, i]));

  const partitions: IndexedPartition[] = [];
  let deploymentCount = 0;
  const components: IndexedComponent[] = order.map((name, ci) => {
    const c = byName.get(name)!;
    return {
      name,
      rate: rates[ci],
      localLimit: c.localResTime ?? Infinity,
      deployments: c.deployments.map((d) => {
        const dep = deploymentCount++;
        let reach = 1;
        let rate = rates[ci];
        return {
          name: d.name,
          partitions: d.partitions.map((p, position) => {
            const last = position === d.partitions.length - 1;
            const dataToComponent = new Map<number, number>();
            if (last) p.next.forEach((n, k) => dataToComponent.set(compIndex.get(n)!, p.dataSize[k]));
            const part: IndexedPartition = {
              name: p.name, component: ci, deployment: dep, position, rate, reach,
              earlyExit: p.earlyExitProbability,
              dataToNext: last ? 0 : p.dataSize[0],
              dataToComponent,
              candidates: p.candidates.map((cand) => {
                const resource = resIndex.get(cand.resource)!;
                const r = resources[resource];
                if (cand.faas) {
                  const t = faasSteadyState({
                    arrivalRate: rate, warmServiceTime: cand.faas.warm, coldServiceTime: cand.faas.cold,
                    idleTimeBeforeKill: r.idleTimeBeforeKill,
                  }).avgResponseTime;
                  return { resource, memory: cand.memory, time: t, warm: cand.faas.warm };
                }
                return { resource, memory: cand.memory, time: cand.queueing!.demand, warm: 0 };
              }),
            };
            reach *= 1 - p.earlyExitProbability;
            rate *= 1 - p.earlyExitProbability;
            partitions.push(part);
            return partitions.length - 1;
          }),
        };
      }),
    };
  });

  const factor = semantics.dataInBits ? 8 : 1;
  const links: IndexedProblem['links'] = [];
  for (let a = 0; a < layers.length; a++) {
    for (let b = 0; b < layers.length; b++) {
      links.push(system.networkDomains
        .filter((d) => d.layers.includes(layers[a]) && d.layers.includes(layers[b]))
        .map((d) => ({ accessDelay: d.accessDelay, bandwidth: d.bandwidth / factor })));
    }
  }
  return {
    system, profile, semantics, lambda, time: system.time, components, partitions, resources, layers, links,
    edges: system.edges.filter((e) => e.probability > 0)
      .map((e) => ({ from: compIndex.get(e.from)!, to: compIndex.get(e.to)!, probability: e.probability })),
    paths: system.globalConstraints.map((g) => ({
      name: g.name, components: g.components.map((n) => compIndex.get(n)!), limit: g.globalResTime,
    })),
  };
}
