import type { Snapshot } from './simulate.js';
import { configPoint, costHull, finishCost } from './value.js';

/** A decision's input in the flat layout solver-wasm/problems/gpu/data.ts reads, and how to map back. */
export interface EncodedDecision {
  ints: Int32Array;
  floats: Float64Array;
  /** instance job index of each encoded job */
  jobs: number[];
  /** VM type and GPU count of each encoded configuration (global index) */
  configs: { vmType: number; gpus: number }[];
}

/**
 * Encodes a snapshot: the arrived, unfinished jobs with every configuration's remaining run time
 * and deadline slack (what the reference greedy reads), and what the search scores a decision by:
 * for each configuration, the cost of running in it until the next decision (expected `horizonS`
 * away) plus the least cost to finish from there (value.ts); for a waiting job, that least cost
 * after the horizon; and per node, its idle GPUs' price over the horizon.
 */
export function encodeDecision(s: Snapshot, horizonS: number): EncodedDecision {
  const { instance } = s;
  const jobs = s.jobs.map((v) => v.job);
  const starts = [0];
  const configs: { vmType: number; gpus: number }[] = [];
  const times: number[] = [];
  const runCosts: number[] = [];
  const waitCosts: number[] = [];
  // With every node taken, a job left waiting may wait longer than one decision: until the last
  // running job ends (measured on the suite: without this, searches leave jobs waiting under heavy load).
  let wait = horizonS;
  if (s.nodes.length >= instance.maxNodes) {
    for (const v of s.jobs) {
      if (!v.running) continue;
      const c = s.configs[v.job].find((x) => x.vmType === v.running!.vmType && x.gpus === v.running!.gpus)!;
      wait = Math.max(wait, v.remaining * c.seconds);
    }
  }
  for (const v of s.jobs) {
    const job = instance.jobs[v.job];
    const slack = job.deadline - s.time;
    const points = s.configs[v.job].map((c) => configPoint(instance, c));
    const hull = costHull(points);
    s.configs[v.job].forEach((c, k) => {
      configs.push({ vmType: c.vmType, gpus: c.gpus });
      times.push(v.remaining * c.seconds);
      const run = Math.min(horizonS, v.remaining * c.seconds);
      const left = v.remaining - run / c.seconds;
      const now = (run / c.seconds) * points[k].cost;
      // planning to finish a horizon early: the next decision may come later than expected
      runCosts.push(now + (left > 1e-12 ? finishCost(hull, left, slack - run - horizonS, job.weight) : job.weight * Math.max(0, run - slack)));
    });
    waitCosts.push(finishCost(hull, v.remaining, slack - wait - horizonS, job.weight));
    starts.push(configs.length);
  }
  const ints: number[] = [];
  const floats: number[] = [];
  const i32 = (xs: number[]) => { ints.push(xs.length, ...xs); };
  const f64 = (xs: number[]) => { floats.push(xs.length, ...xs); };
  // a decision opens a node only for a job, so more nodes than jobs never bind (and would only take memory)
  i32([jobs.length, instance.vmTypes.length, Math.min(instance.maxNodes, Math.max(1, jobs.length)), configs.length]);
  i32(instance.vmTypes.map((v) => v.gpus));
  i32(starts);
  i32(configs.map((c) => c.vmType));
  i32(configs.map((c) => c.gpus));
  f64(instance.vmTypes.map((v) => v.pricePerHour / 3600));
  f64(times);
  f64(jobs.map((j) => instance.jobs[j].deadline - s.time));
  f64(runCosts);
  f64(waitCosts);
  f64([horizonS]);
  return { ints: Int32Array.from(ints), floats: Float64Array.from(floats), jobs, configs };
}
