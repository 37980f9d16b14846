import { GpuSolver } from '../wasm/gpu-solver.js';
import type { SearchMethod } from '../wasm/search.js';
import { baselineScheduler } from './baselines.js';
import { encodeDecision } from './encode.js';
import type { Decision, NodePlan, Scheduler, Snapshot } from './simulate.js';

export type GpuMethod = 'greedy' | 'rg' | 'pr' | 'ls' | 'ts' | 'sa' | 'edf' | 'fifo' | 'priority';
export const GPU_METHODS: GpuMethod[] = ['greedy', 'rg', 'pr', 'ls', 'ts', 'sa', 'edf', 'fifo', 'priority'];

export interface GpuSearchOptions {
  /** seed of the first decision; decision k uses seed + k */
  seed: number;
  /** randomized greedy constructions per decision (default 100, the reference's iterations) */
  constructions?: number;
  /** iterations per decision: constructions plus improving steps (default: constructions, plus 100 steps for pr, ls, ts, sa) */
  iterations?: number;
  /** wall-clock cap per decision (default 1 s) */
  seconds?: number;
  /** elite set size (default 8) */
  eliteSize?: number;
  /** how long a decision is expected to hold, in seconds (default: the mean gap between the decisions so far, an hour before the second) */
  horizonS?: number;
  /** polled by the searches: true ends a decision with its best so far */
  shouldStop?: () => boolean;
}

/** Improving steps per decision after the constructions, for pr, ls, ts and sa. */
const IMPROVING_STEPS = 100;

/** The horizon before a replay has shown how often it decides. */
export const DEFAULT_HORIZON_S = 3600;

/** Counters summed over a simulation's decisions. */
export interface GpuSearchTotals {
  decisions: number;
  movesEvaluated: number;
  relinkPaths: number;
  relinkImprovedBest: number;
  relinkEnteredElite: number;
}

const ENGINE: Record<Exclude<GpuMethod, 'edf' | 'fifo' | 'priority'>, SearchMethod> = {
  greedy: 'rg', rg: 'rg', pr: 'pr', ls: 'ls', ts: 'ts', sa: 'sa',
};

/**
 * A scheduler for the simulator: a baseline, or a wasm search per decision (greedy: the reference
 * greedy alone; rg: randomized greedy into an elite set; pr: the elite set, local search and path
 * relinking; ls, ts, sa: the engines from the greedy). `totals` collects the engines' counters.
 */
export function gpuScheduler(method: GpuMethod, opts: GpuSearchOptions, totals?: GpuSearchTotals): Scheduler {
  if (method === 'edf' || method === 'fifo' || method === 'priority') return baselineScheduler(method);
  let k = 0;
  let first = NaN;
  return (s: Snapshot): Decision => {
    if (k === 0) first = s.time;
    const horizon = opts.horizonS ?? (k >= 1 && s.time > first ? (s.time - first) / k : DEFAULT_HORIZON_S);
    const encoded = encodeDecision(s, horizon);
    const solver = new GpuSolver(encoded, opts.eliteSize ?? 8);
    const constructions = opts.constructions ?? 100;
    // The searches improve on the randomized greedy's whole budget, as the reference's relinking follows its randomized greedy.
    const iterations = opts.iterations ?? (method === 'rg' ? constructions : constructions + IMPROVING_STEPS);
    const r = solver.solve({
      method: ENGINE[method], seed: opts.seed + k++, seconds: opts.seconds ?? 1,
      maxIterations: method === 'greedy' ? 1 : iterations, greedyIterations: constructions,
    }, opts.shouldStop);
    if (r.infeasibility > 0) throw new Error(`the ${method} search answered a decision that overbooks nodes (excess ${r.infeasibility} GPUs)`);
    if (totals) {
      totals.decisions++;
      totals.movesEvaluated += r.stats.movesEvaluated;
      totals.relinkPaths += r.stats.relinkPaths;
      totals.relinkImprovedBest += r.stats.relinkImprovedBest;
      totals.relinkEnteredElite += r.stats.relinkEnteredElite;
    }
    const plans = new Map<number, NodePlan>();
    r.jobNode.forEach((node, i) => {
      if (node < 0) return;
      const c = encoded.configs[r.jobConf[i]];
      let plan = plans.get(node);
      if (!plan) plans.set(node, (plan = { vmType: c.vmType, jobs: [] }));
      plan.jobs.push({ job: encoded.jobs[i], gpus: c.gpus });
    });
    return [...plans.values()];
  };
}
