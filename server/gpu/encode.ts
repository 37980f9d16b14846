import type { Snapshot } from './simulate.js';

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
 * Encodes a snapshot: the arrived, unfinished jobs with every configuration's remaining run time,
 * deadlines relative to now, and the expected wait of a job left waiting (none while a node is
 * free, else until the last running job ends).
 */
export function encodeDecision(s: Snapshot): EncodedDecision {
  const { instance } = s;
  const jobs = s.jobs.map((v) => v.job);
  const starts = [0];
  const configs: { vmType: number; gpus: number }[] = [];
  const times: number[] = [];
  for (const v of s.jobs) {
    for (const c of s.configs[v.job]) {
      configs.push({ vmType: c.vmType, gpus: c.gpus });
      times.push(v.remaining * c.seconds);
    }
    starts.push(configs.length);
  }
  // Measured on the suite: expecting the longest running job's end (not the first's, nor the mean)
  // keeps the searches from leaving jobs waiting that the greedy would run; under heavy load this
  // took the randomized greedy on n10-high-2 from 60% to 93% below EDF.
  let wait = 0;
  if (s.nodes.length >= instance.maxNodes) {
    for (const v of s.jobs) {
      if (!v.running) continue;
      const c = s.configs[v.job].find((x) => x.vmType === v.running!.vmType && x.gpus === v.running!.gpus)!;
      wait = Math.max(wait, v.remaining * c.seconds);
    }
  }
  const ints: number[] = [];
  const floats: number[] = [];
  const i32 = (xs: number[]) => { ints.push(xs.length, ...xs); };
  const f64 = (xs: number[]) => { floats.push(xs.length, ...xs); };
  i32([jobs.length, instance.vmTypes.length, instance.maxNodes, configs.length]);
  i32(instance.vmTypes.map((v) => v.gpus));
  i32(starts);
  i32(configs.map((c) => c.vmType));
  i32(configs.map((c) => c.gpus));
  f64(instance.vmTypes.map((v) => v.pricePerHour / 3600));
  f64(times);
  f64(jobs.map((j) => instance.jobs[j].deadline - s.time));
  f64(jobs.map((j) => instance.jobs[j].weight));
  f64([wait]);
  return { ints: Int32Array.from(ints), floats: Float64Array.from(floats), jobs, configs };
}
