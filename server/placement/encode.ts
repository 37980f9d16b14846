import type { IndexDecision } from './decision.js';
import type { FaasCostRule } from './model.js';
import type { IndexedProblem } from './problem.js';

/** Flat input for the wasm placement problem: length-prefixed lists in the order solver-wasm/problems/placement/data.ts reads. */
export interface EncodedPlacement {
  ints: Int32Array;
  floats: Float64Array;
  /** components, partitions, resources, global constraints */
  sizes: { C: number; P: number; R: number; G: number };
}

const KIND = { EDGE: 0, VM: 1, FAAS: 2 } as const;
const FAAS_RULE: Record<FaasCostRule, number> = { 'component-rate': 0, 'first-partition-rate': 1, 'partition-rate': 2 };

/** Prices of the changes from a running decision, in the cost unit over the system's Time. */
export interface MigrationPrices {
  /** per component whose deployment changes */
  deployment: number;
  /** per partition of an unchanged deployment that moves to another resource */
  partition: number;
  /** per computational layer whose edge/VM resource type changes */
  layerType: number;
  /** per instance added or removed */
  instance: number;
}

/** What a re-optimization adds to a solve: the running decision, its prices and cap, and the seeds. */
export interface WarmStart {
  running: IndexDecision;
  prices: MigrationPrices;
  /** most changes allowed (absent: no cap) */
  maxChanges?: number;
  /** decisions the search starts from, best first */
  seeds: IndexDecision[];
}

/** Encodes an indexed problem (and a warm start) into the two typed arrays the wasm module reads once. */
export function encodePlacement(pb: IndexedProblem, warm?: WarmStart): EncodedPlacement {
  const ints: number[] = [];
  const floats: number[] = [];
  const i32 = (xs: number[]) => { ints.push(xs.length, ...xs); };
  const f64 = (xs: number[]) => { floats.push(xs.length, ...xs); };

  const deployments = pb.components.flatMap((c) => c.deployments);
  const parts = pb.partitions;
  const cands = parts.flatMap((p) => p.candidates);
  const succ = parts.map((p) => [...p.dataToComponent]);
  const links = pb.links;

  i32([pb.components.length, parts.length, pb.resources.length, pb.layers.length, deployments.length]);
  i32(starts(pb.components.map((c) => c.deployments.length)));
  i32(starts(deployments.map((d) => d.partitions.length)));
  i32(parts.map((p) => p.component));
  i32(starts(parts.map((p) => p.candidates.length)));
  i32(cands.map((c) => c.resource));
  i32(starts(succ.map((s) => s.length)));
  i32(succ.flatMap((s) => s.map(([c]) => c)));
  i32(pb.resources.map((r) => KIND[r.kind]));
  i32(pb.resources.map((r) => r.layer));
  i32(pb.resources.map((r) => r.number));
  i32(starts(links.map((l) => l.length)));
  i32(pb.edges.map((e) => e.from));
  i32(pb.edges.map((e) => e.to));
  i32(starts(pb.paths.map((p) => p.components.length)));
  i32(pb.paths.flatMap((p) => p.components));
  i32([pb.semantics.memoryPerInstance ? 1 : 0, FAAS_RULE[pb.semantics.faasCost], pb.semantics.pathReachQuirk ? 1 : 0]);

  f64([pb.time]);
  f64(pb.components.map((c) => c.rate));
  f64(pb.components.map((c) => c.localLimit));
  f64(parts.map((p) => p.rate));
  f64(parts.map((p) => p.earlyExit));
  f64(parts.map((p) => p.reach));
  f64(parts.map((p) => p.dataToNext));
  f64(cands.map((c) => c.memory));
  f64(cands.map((c) => c.time));
  f64(cands.map((c) => c.warm));
  f64(succ.flatMap((s) => s.map(([, size]) => size)));
  f64(pb.resources.map((r) => r.cost));
  f64(pb.resources.map((r) => r.memory));
  f64(links.flatMap((l) => l.map((x) => x.accessDelay)));
  f64(links.flatMap((l) => l.map((x) => x.bandwidth)));
  f64(pb.paths.map((p) => p.limit));
  if (warm) {
    const { running, prices } = warm;
    i32([...encodeDecision(pb, running).dep, ...running.resource, ...running.count, warm.maxChanges ?? -1]);
    f64([prices.deployment, prices.partition, prices.layerType, prices.instance]);
    i32(warm.seeds.flatMap((d) => { const e = encodeDecision(pb, d); return [...e.dep, ...e.cand, ...e.cnt]; }));
  } else {
    i32([]); f64([]); i32([]);
  }
  return {
    ints: Int32Array.from(ints),
    floats: Float64Array.from(floats),
    sizes: { C: pb.components.length, P: parts.length, R: pb.resources.length, G: pb.paths.length },
  };
}

/** The wasm decision (global deployment and candidate indices) as an index decision. */
export function decodeDecision(pb: IndexedProblem, dep: Int32Array, cand: Int32Array, cnt: Int32Array): IndexDecision {
  const firstDep = starts(pb.components.map((c) => c.deployments.length));
  const firstCand = starts(pb.partitions.map((p) => p.candidates.length));
  return {
    deployment: Array.from(dep, (d, c) => d - firstDep[c]),
    resource: Array.from(cand, (k, p) => pb.partitions[p].candidates[k - firstCand[p]].resource),
    count: Array.from(cnt),
  };
}

/** The inverse of decodeDecision; a partition outside the chosen deployments keeps its first candidate. */
export function encodeDecision(pb: IndexedProblem, d: IndexDecision): { dep: Int32Array; cand: Int32Array; cnt: Int32Array } {
  const firstDep = starts(pb.components.map((c) => c.deployments.length));
  const firstCand = starts(pb.partitions.map((p) => p.candidates.length));
  return {
    dep: Int32Array.from(d.deployment, (x, c) => firstDep[c] + x),
    cand: Int32Array.from(pb.partitions, (p, i) => firstCand[i] + Math.max(0, p.candidates.findIndex((c) => c.resource === d.resource[i]))),
    cnt: Int32Array.from(d.count),
  };
}

function starts(sizes: number[]): number[] {
  const out = [0];
  for (const n of sizes) out.push(out[out.length - 1] + n);
  return out;
}
