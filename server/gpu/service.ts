import { whole } from '../fields.js';
import { InputError } from '../input-error.js';
import { MAX_ELITE } from '../limits.js';
import { GpuSolver } from '../wasm/gpu-solver.js';
import { encodeDecision } from './encode.js';
import type { GpuInstance } from './model.js';
import { DEFAULT_HORIZON_S, GPU_METHODS, gpuScheduler, type GpuMethod, type GpuSearchOptions, type GpuSearchTotals } from './schedulers.js';
import { matchNodes, simulate, type NodePlan, type Scheduler, type SimulationResult, type Snapshot } from './simulate.js';
import { StoppedError } from '../stopped-error.js';

export interface GpuSimulationInput extends GpuSearchOptions {
  instance: GpuInstance;
  method: GpuMethod;
}

/** A whole replay's figures (what `copt schedule gpu` prints and SimulateGpuSchedule answers). */
export interface GpuSimulationSummary extends Omit<SimulationResult, 'decisionWallS'> {
  instance: string;
  method: GpuMethod;
  seed: number;
  decisionMedianS: number;
  decisionMaxS: number;
  wallS: number;
  search: GpuSearchTotals;
}

/** Checks the method and the per-decision budget; throws InputError naming the field. */
export function checkGpuOptions(input: Omit<GpuSimulationInput, 'instance'>): void {
  if (!GPU_METHODS.includes(input.method)) throw new InputError('method', input.method, `must be one of ${GPU_METHODS.join(', ')}`);
  if (!(Number.isSafeInteger(input.seed) && input.seed >= 0)) throw new InputError('seed', input.seed, 'must be a whole number >= 0');
  const counts: [string, number | undefined, number][] = [
    ['budget.constructions', input.constructions, 1e9], ['budget.iterations', input.iterations, 1e9], ['budget.elite_size', input.eliteSize, MAX_ELITE],
  ];
  for (const [field, v, most] of counts) if (v !== undefined) whole(v, field, 1, most);
  if (input.seconds !== undefined && !(input.seconds > 0 && Number.isFinite(input.seconds))) throw new InputError('budget.seconds', input.seconds, 'must be > 0');
  if (input.horizonS !== undefined && !(input.horizonS > 0 && Number.isFinite(input.horizonS))) throw new InputError('budget.horizon_s', input.horizonS, 'must be > 0');
}

/**
 * Replays an instance with a method; `onDecision` sees each decision's simulated time; `shouldStop`
 * is polled before each decision and ends the replay with a StoppedError.
 */
export function simulateGpu(
  input: GpuSimulationInput,
  hooks: { onDecision?: (e: { decisions: number; timeS: number }) => void; shouldStop?: () => boolean } = {},
): GpuSimulationSummary {
  checkGpuOptions(input);
  const { onDecision, shouldStop } = hooks;
  const totals: GpuSearchTotals = { decisions: 0, movesEvaluated: 0, relinkPaths: 0, relinkImprovedBest: 0, relinkEnteredElite: 0 };
  const inner = gpuScheduler(input.method, { ...input, shouldStop }, totals);
  let decisions = 0;
  const scheduler: Scheduler = (s) => {
    if (shouldStop?.()) throw new StoppedError(`stopped after ${decisions} decisions`);
    const d = inner(s);
    onDecision?.({ decisions: ++decisions, timeS: s.time });
    return d;
  };
  const started = performance.now();
  const r = simulate(input.instance, scheduler);
  const { decisionWallS, ...figures } = r;
  const sorted = [...decisionWallS].sort((a, b) => a - b);
  return {
    ...figures, instance: input.instance.name, method: input.method, seed: input.seed,
    decisionMedianS: sorted.length ? sorted[sorted.length >> 1] : 0, decisionMaxS: sorted.length ? sorted[sorted.length - 1] : 0,
    wallS: (performance.now() - started) / 1000, search: totals,
  };
}

/** One decision with the plans mapped onto the open nodes, and its score by the proxy. */
export interface GpuDecisionResult {
  plans: (NodePlan & { node: number })[];
  waiting: number[];
  closed: number[];
  proxyCost: number;
}

/** Decides one snapshot with a method; new nodes get ids above the open ones. */
export function decideGpu(snapshot: Snapshot, options: Omit<GpuSimulationInput, 'instance'>): GpuDecisionResult {
  checkGpuOptions(options);
  const decision = gpuScheduler(options.method, options)(snapshot).filter((p) => p.jobs.length > 0);
  const open = new Map(snapshot.nodes.map((n) => [n.id, n.vmType]));
  const running = new Map(snapshot.jobs.filter((v) => v.running).map((v) => [v.job, v.running!.node]));
  const kept = matchNodes(decision, open, (job) => running.get(job));
  let next = Math.max(-1, ...snapshot.nodes.map((n) => n.id)) + 1;
  const plans = decision.map((p, k) => ({ ...p, node: kept[k] >= 0 ? kept[k] : next++ }));
  const placed = new Set(decision.flatMap((p) => p.jobs.map((j) => j.job)));
  // the proxy of whatever the method decided, by the wasm evaluation
  const encoded = encodeDecision(snapshot, options.horizonS ?? DEFAULT_HORIZON_S);
  const jobNode = new Int32Array(encoded.jobs.length).fill(-1);
  const jobConf = new Int32Array(encoded.jobs.length).fill(-1);
  const index = new Map(encoded.jobs.map((j, i) => [j, i]));
  let start = 0;
  const firstConf = encoded.jobs.map((j) => { const s = start; start += snapshot.configs[j].length; return s; });
  plans.forEach((p, k) => {
    for (const { job, gpus } of p.jobs) {
      const i = index.get(job)!;
      jobNode[i] = k;
      jobConf[i] = firstConf[i] + snapshot.configs[job].findIndex((c) => c.vmType === p.vmType && c.gpus === gpus);
    }
  });
  const proxyCost = new GpuSolver(encoded).evaluate({ jobNode, jobConf }).cost;
  return {
    plans,
    waiting: snapshot.jobs.map((v) => v.job).filter((j) => !placed.has(j)),
    closed: snapshot.nodes.map((n) => n.id).filter((id) => !kept.includes(id)),
    proxyCost,
  };
}
