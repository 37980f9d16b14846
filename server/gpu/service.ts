import { InputError } from '../input-error.js';
import type { GpuInstance } from './model.js';
import { GPU_METHODS, gpuScheduler, type GpuMethod, type GpuSearchOptions, type GpuSearchTotals } from './schedulers.js';
import { simulate, type LogEntry, type Scheduler } from './simulate.js';

export interface GpuSimulationInput extends GpuSearchOptions {
  instance: GpuInstance;
  method: GpuMethod;
}

/** A whole replay's figures (what `copt schedule gpu` prints and SimulateGpuSchedule answers). */
export interface GpuSimulationSummary {
  instance: string;
  method: GpuMethod;
  seed: number;
  totalCost: number;
  vmCost: number;
  tardinessCost: number;
  totalTardinessS: number;
  jobs: number;
  lateJobs: number;
  makespanS: number;
  decisions: number;
  decisionMedianS: number;
  decisionMaxS: number;
  wallS: number;
  search: GpuSearchTotals;
  log: LogEntry[];
}

/** Checks the method and the per-decision budget; throws InputError naming the field. */
export function checkGpuOptions(input: Omit<GpuSimulationInput, 'instance'>): void {
  if (!GPU_METHODS.includes(input.method)) throw new InputError('method', input.method, `must be one of ${GPU_METHODS.join(', ')}`);
  if (!(Number.isSafeInteger(input.seed) && input.seed >= 0)) throw new InputError('seed', input.seed, 'must be a whole number >= 0');
  const whole = { constructions: input.constructions, iterations: input.iterations, eliteSize: input.eliteSize };
  for (const [k, v] of Object.entries(whole)) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new InputError(k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v, 'must be a whole number >= 1');
  }
  if (input.seconds !== undefined && !(input.seconds > 0 && Number.isFinite(input.seconds))) throw new InputError('seconds', input.seconds, 'must be > 0');
}

/** Replays an instance with a method; `onDecision` sees each decision's time and the cost so far. */
export function simulateGpu(input: GpuSimulationInput, onDecision?: (e: { decisions: number; timeS: number }) => void): GpuSimulationSummary {
  checkGpuOptions(input);
  const totals: GpuSearchTotals = { decisions: 0, movesEvaluated: 0, relinkPaths: 0, relinkImprovedBest: 0, relinkEnteredElite: 0 };
  const inner = gpuScheduler(input.method, input, totals);
  let decisions = 0;
  const scheduler: Scheduler = (s) => {
    const d = inner(s);
    onDecision?.({ decisions: ++decisions, timeS: s.time });
    return d;
  };
  const started = performance.now();
  const r = simulate(input.instance, scheduler);
  const sorted = [...r.decisionWallS].sort((a, b) => a - b);
  return {
    instance: input.instance.name, method: input.method, seed: input.seed,
    totalCost: r.totalCost, vmCost: r.vmCost, tardinessCost: r.tardinessCost, totalTardinessS: r.totalTardinessS,
    jobs: r.jobs, lateJobs: r.lateJobs, makespanS: r.makespanS, decisions: r.decisions,
    decisionMedianS: sorted.length ? sorted[sorted.length >> 1] : 0, decisionMaxS: sorted.length ? sorted[sorted.length - 1] : 0,
    wallS: (performance.now() - started) / 1000, search: totals, log: r.log,
  };
}
