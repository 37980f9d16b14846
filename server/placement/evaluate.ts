import type { IndexDecision } from './decision.js';
import { TIME_TOLERANCE } from './model.js';
import type { IndexedProblem } from './problem.js';

export type ViolationKind =
  | 'memory' | 'utilization' | 'local_response_time' | 'global_response_time'
  | 'edge_after_cloud' | 'layer_types' | 'instances';

export interface Violation {
  kind: ViolationKind;
  subject: string;
  value: number;
  limit: number;
  message: string;
}

export interface PlacementEvaluation {
  feasible: boolean;
  totalCost: number;
  /** how far outside the constraints (0 when feasible); the search minimizes it before cost */
  infeasibility: number;
  components: { component: string; responseTime: number; limit: number; partitions: { partition: string; resource: string; responseTime: number }[] }[];
  paths: { path: string; responseTime: number; limit: number }[];
  resources: { resource: string; count: number; utilization: number; memoryUsed: number; cost: number }[];
  violations: Violation[];
}

/**
 * The reference evaluator in plain TypeScript: a straight reading of PLACEMENT_MODEL.md, written
 * apart from the wasm one so that each checks the other.
 */
export function evaluatePlacement(problem: IndexedProblem, d: IndexDecision): PlacementEvaluation {
  const { partitions: parts, resources: res, semantics } = problem;
  const active: number[] = [];
  for (const [ci, comp] of problem.components.entries()) active.push(...comp.deployments[d.deployment[ci]].partitions);
  const cand = (p: number) => parts[p].candidates.find((c) => c.resource === d.resource[p])!;

  const load = new Array<number>(res.length).fill(0);
  const memory = new Array<number>(res.length).fill(0);
  const used = new Set<number>();
  for (const p of active) {
    const r = d.resource[p];
    used.add(r);
    memory[r] += cand(p).memory;
    if (res[r].kind !== 'FAAS') load[r] += cand(p).time * parts[p].rate;
  }
  const violations: Violation[] = [];
  let infeasibility = 0;
  const violate = (kind: ViolationKind, subject: string, value: number, limit: number, amount: number, message: string) => {
    violations.push({ kind, subject, value, limit, message });
    infeasibility += amount;
  };

  const utilization = new Array<number>(res.length).fill(0);
  let totalCost = 0;
  const resourceCost = new Array<number>(res.length).fill(0);
  const layerTypes = new Map<number, number[]>();
  for (const r of [...used].sort((a, b) => a - b)) {
    const rr = res[r];
    if (rr.kind === 'FAAS') {
      if (memory[r] > rr.memory) violate('memory', rr.name, memory[r], rr.memory, memory[r] / rr.memory - 1, `${rr.name} needs ${memory[r]} memory, has ${rr.memory}`);
      continue;
    }
    const n = d.count[r];
    if (n < 1 || n > rr.number) {
      const ok = Math.min(Math.max(n, 1), rr.number);
      violate('instances', rr.name, n, rr.number, Math.abs(n - ok), `${rr.name} runs ${n} instances; allowed 1..${rr.number}`);
    }
    const cap = semantics.memoryPerInstance ? rr.memory : rr.memory * n;
    if (memory[r] > cap) violate('memory', rr.name, memory[r], cap, cap > 0 ? memory[r] / cap - 1 : 1, `${rr.name} needs ${memory[r]} memory, has ${cap}`);
    utilization[r] = n > 0 ? load[r] / n : Infinity;
    if (utilization[r] >= 1) violate('utilization', rr.name, utilization[r], 1, Number.isFinite(utilization[r]) ? utilization[r] : 1, `${rr.name} is saturated: utilization ${utilization[r]} with ${n} instances`);
    resourceCost[r] = n * rr.cost * problem.time;
    totalCost += resourceCost[r];
    layerTypes.set(rr.layer, [...(layerTypes.get(rr.layer) ?? []), r]);
  }
  for (const [layer, types] of layerTypes) {
    if (types.length > 1) {
      violate('layer_types', problem.layers[layer], types.length, 1, types.length - 1,
        `layer ${problem.layers[layer]} uses ${types.map((r) => res[r].name).join(', ')}; at most one resource type per layer`);
    }
  }
  const charged = new Set<number>();
  for (const p of active) {
    const r = d.resource[p];
    if (res[r].kind !== 'FAAS') continue;
    const rate = semantics.faasCost === 'component-rate' ? problem.components[parts[p].component].rate : parts[p].rate;
    if (semantics.faasCost === 'first-partition-rate' && charged.has(r)) continue;
    charged.add(r);
    const c = res[r].cost * cand(p).warm * rate * problem.time;
    resourceCost[r] += c;
    totalCost += c;
  }

  const times: TimeContext = { problem, d, utilization };
  const compTime: number[] = [];
  const components = problem.components.map((comp, ci) => {
    const t = componentTime(times, ci);
    compTime.push(t);
    if (t > comp.localLimit * (1 + TIME_TOLERANCE)) {
      violate('local_response_time', comp.name, t, comp.localLimit, Number.isFinite(t) ? t / comp.localLimit - 1 : 1,
        `component ${comp.name} responds in ${t} s, limit ${comp.localLimit} s`);
    }
    const partitions = comp.deployments[d.deployment[ci]].partitions.map((p) =>
      ({ partition: parts[p].name, resource: res[d.resource[p]].name, responseTime: partitionTime(times, p) }));
    return { component: comp.name, responseTime: t, limit: comp.localLimit, partitions };
  });

  const paths = problem.paths.map((path) => {
    const t = pathTime(times, compTime, path);
    if (t > path.limit * (1 + TIME_TOLERANCE)) {
      violate('global_response_time', path.name, t, path.limit, Number.isFinite(t) ? t / path.limit - 1 : 1,
        `path ${path.name} (${path.components.map((c) => problem.components[c].name).join(' -> ')}) responds in ${t} s, limit ${path.limit} s`);
    }
    return { path: path.name, responseTime: t, limit: path.limit };
  });

  // No return to the edge: once a request has left the edge it stays in the cloud.
  const offEdge = problem.components.map((comp, ci) =>
    comp.deployments[d.deployment[ci]].partitions.some((p) => res[d.resource[p]].kind !== 'EDGE'));
  for (const [ci, comp] of problem.components.entries()) {
    const fromCloud = problem.edges.find((e) => e.to === ci && offEdge[e.from]);
    let left = false;
    for (const p of comp.deployments[d.deployment[ci]].partitions) {
      const onEdge = res[d.resource[p]].kind === 'EDGE';
      if (onEdge && (left || fromCloud)) {
        const why = left ? `an earlier partition of ${comp.name} runs off the edge` : `predecessor ${problem.components[fromCloud!.from].name} runs off the edge`;
        violate('edge_after_cloud', `${comp.name}.${parts[p].name}`, 1, 0, 1, `${comp.name}.${parts[p].name} runs on edge ${res[d.resource[p]].name} but ${why}`);
      }
      if (!onEdge) left = true;
    }
  }

  return {
    feasible: violations.length === 0,
    totalCost,
    infeasibility,
    components,
    paths,
    resources: [...used].sort((a, b) => a - b).map((r) => ({
      resource: res[r].name,
      count: res[r].kind === 'FAAS' ? 0 : d.count[r],
      utilization: utilization[r],
      memoryUsed: memory[r],
      cost: resourceCost[r],
    })),
    violations,
  };
}

/** What response times depend on besides the problem: the decision and each edge/VM resource's utilization. */
export interface TimeContext {
  problem: IndexedProblem;
  d: IndexDecision;
  utilization: number[];
}

const candidateOf = (x: TimeContext, p: number) => x.problem.partitions[p].candidates.find((c) => c.resource === x.d.resource[p])!;

/** A partition's response time on its resource: the FaaS time, or D / (1 - U) on an edge/VM cluster. */
export function partitionTime(x: TimeContext, p: number): number {
  const r = x.d.resource[p];
  const time = candidateOf(x, p).time;
  if (x.problem.resources[r].kind === 'FAAS') return time;
  return x.utilization[r] >= 1 ? Infinity : time / (1 - x.utilization[r]);
}

/** Network delay of `size` data from partition p's resource to q's: none on the same resource, else the best domain. */
function delay(x: TimeContext, p: number, q: number, size: number): number {
  const { problem, d } = x;
  const a = d.resource[p];
  const b = d.resource[q];
  if (a === b) return 0;
  let best = Infinity;
  for (const l of problem.links[problem.resources[a].layer * problem.layers.length + problem.resources[b].layer]) {
    best = Math.min(best, l.accessDelay + size / l.bandwidth);
  }
  return best;
}

/** A component's response time: its chain of partitions, each weighted by the probability of reaching it. */
export function componentTime(x: TimeContext, ci: number): number {
  const parts = x.problem.partitions;
  const chain = x.problem.components[ci].deployments[x.d.deployment[ci]].partitions;
  let t = 0;
  chain.forEach((p, i) => {
    const own = partitionTime(x, p);
    t += i === 0 ? own : parts[p].reach * (own + delay(x, chain[i - 1], p, parts[chain[i - 1]].dataToNext));
  });
  return t;
}

/** A path's response time: its components' times and the transfers between consecutive ones. */
export function pathTime(x: TimeContext, compTime: number[], path: { components: number[] }): number {
  let t = 0;
  path.components.forEach((c, k) => {
    t += compTime[c];
    if (k + 1 < path.components.length) t += transfer(x, c, path.components[k + 1]);
  });
  return t;
}

/** Expected transfer time from component c to its successor n: early exits leave from their own partition. */
function transfer(x: TimeContext, c: number, n: number): number {
  const { problem, d } = x;
  const parts = problem.partitions;
  const chain = problem.components[c].deployments[d.deployment[c]].partitions;
  const first = problem.components[n].deployments[d.deployment[n]].partitions[0];
  const size = parts[chain[chain.length - 1]].dataToComponent.get(n) ?? 0;
  let reach = 1;
  let t = 0;
  chain.forEach((p, i) => {
    const moves = d.resource[p] !== d.resource[first];
    if (i === chain.length - 1) {
      if (moves) t += reach * delay(x, p, first, size);
      return;
    }
    if (moves) t += reach * parts[p].earlyExit * delay(x, p, first, size);
    if (moves || !problem.semantics.pathReachQuirk) reach *= 1 - parts[p].earlyExit;
  });
  return t;
}
