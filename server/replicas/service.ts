import { list, nonNegative, object } from '../fields.js';
import { InputError } from '../input-error.js';
import { MAX_PLAN_CELLS } from '../limits.js';
import { stopCheck } from '../stop-flag.js';
import { LstmForecaster } from '../models/lstm-forecast.js';
import { ORACLE, seasonalNaive, type Forecaster } from './forecast.js';
import type { ReplicaService } from './model.js';
import { planCells, planReplicas, type ReplicaPlan } from './plan.js';
import { POLICIES, replicaPolicy, type PolicyName } from './policies.js';
import { simulateReplicas, type ReplicaSimulation } from './simulate.js';
import { replicaServiceOrDefault } from './validate.js';

export const FORECASTERS = ['seasonal', 'lstm'] as const;
export type ForecasterName = (typeof FORECASTERS)[number];

/** A replay of a load trace, in a form that crosses to a worker thread. */
export interface ReplicaSimulationInput {
  service: ReplicaService;
  loads: number[];
  /** the minutes before `start` are history: the LSTM trains on [trainFrom, start), the seasonal forecast reads them */
  start: number;
  end: number;
  trainFrom: number;
  /** the minute of the week at loads[0] (0: Monday 00:00): where the LSTM's weekends fall */
  firstWeekMinute: number;
  policy: PolicyName;
  forecaster: ForecasterName;
  /** folder of a stored LSTM forecaster; absent: train one */
  model?: string;
  /** folder to store the trained LSTM in */
  saveModel?: string;
  seed: number;
}

export interface ReplicaProgress {
  phase: 'training' | 'replaying';
  minutesDone: number;
  minutes: number;
  elapsedS: number;
  /** training: the epochs finished so far, and how many it runs */
  epochsDone?: number;
  epochs?: number;
}

export interface ReplicaSimulationSummary extends ReplicaSimulation {
  /** the forecaster the policy read (oracle for the oracle) */
  forecaster: string;
  wallS: number;
}

/** Reads a plan request (`service` absent: the bundled streaming store); InputError names the first bad field. */
export function planRequestOf(raw: unknown): { service: ReplicaService; windowLoads: number[]; current?: number } {
  const r = object(raw, 'request');
  const service = replicaServiceOrDefault(r.service);
  const windowLoads = list(r.windowLoads, 'window_loads').map((v, i) => nonNegative(v, `window_loads[${i}]`));
  if (windowLoads.length === 0) throw new InputError('window_loads', [], 'must give the load of at least one window');
  const cells = planCells(service, windowLoads.length);
  if (cells > MAX_PLAN_CELLS) {
    throw new InputError('window_loads', `${windowLoads.length} windows`,
      `with max_replicas ${service.maxReplicas} the plan takes ${cells} cells (windows x (max_replicas + 1)), more than the ${MAX_PLAN_CELLS} a plan may take: give fewer windows or a lower max_replicas`);
  }
  const current = (r.currentReplicas ?? 0) as number;
  if (!Number.isInteger(current) || current < 0) throw new InputError('current_replicas', current, 'must be a whole number >= 0 (0: none running)');
  if (current > service.maxReplicas) throw new InputError('current_replicas', current, `must be at most max_replicas ${service.maxReplicas}`);
  return { service, windowLoads, current: current === 0 ? undefined : current };
}

/** Checks a replay's fields beyond the service (which is validated already). */
export function checkReplicaSimulation(input: ReplicaSimulationInput): void {
  input.loads.forEach((v, i) => nonNegative(v, `loads[${i}]`));
  const whole = (v: number, field: string, least: number, most: number, rule: string) => {
    if (!Number.isInteger(v) || v < least || v > most) throw new InputError(field, v, rule);
  };
  whole(input.start, 'start_minute', 0, input.loads.length - 1, `must be a minute of the trace (0 to ${input.loads.length - 1})`);
  whole(input.end, 'end_minute', input.start + 1, input.loads.length, `must be after start_minute ${input.start} and at most the trace's ${input.loads.length} minutes`);
  whole(input.firstWeekMinute, 'first_week_minute', 0, 7 * 1440 - 1, 'must be the minute of the week at the first load, 0 (Monday 00:00) to 10079');
  if (!POLICIES.includes(input.policy)) throw new InputError('policy', input.policy, `must be one of ${POLICIES.join(', ')}`);
  if (input.forecaster === 'lstm' && !input.model && input.start - input.trainFrom < 2 * 1440) {
    throw new InputError('start_minute', input.start, 'leaves less than two days of history to train the LSTM on: start later or name a stored model');
  }
}

/** Replays a trace under a policy (training or loading the LSTM first when it forecasts); progress at most every `everyMs`. */
export async function simulateReplicaTrace(input: ReplicaSimulationInput, hooks: { shouldStop?: () => boolean; onProgress?: (p: ReplicaProgress) => void } = {}, everyMs = 200): Promise<ReplicaSimulationSummary> {
  const started = performance.now();
  const minutes = input.end - input.start;
  const elapsedS = () => (performance.now() - started) / 1000;
  let forecaster: Forecaster = seasonalNaive();
  const forecasts = input.policy === 'predictive' || input.policy === 'planner';
  if (forecasts && input.forecaster === 'lstm') {
    hooks.onProgress?.({ phase: 'training', minutesDone: 0, minutes, elapsedS: elapsedS() });
    let lastBeat = performance.now();
    const onBatch = (epochsDone: number, epochs: number) => {
      const now = performance.now();
      if (now - lastBeat < everyMs) return;
      lastBeat = now;
      hooks.onProgress?.({ phase: 'training', minutesDone: 0, minutes, elapsedS: elapsedS(), epochsDone, epochs });
    };
    const lstm = input.model
      ? await LstmForecaster.load(input.model)
      : await LstmForecaster.train(input.loads, input.start, { seed: input.seed, firstWeekMinute: input.firstWeekMinute, shouldStop: hooks.shouldStop, onBatch }, input.trainFrom);
    if (input.saveModel) await lstm.save(input.saveModel);
    forecaster = lstm.forecaster(input.firstWeekMinute);
    // the forecasts run on plain weights: the worker keeps no tensors from one replay to the next
    lstm.dispose();
  }
  let last = -Infinity;
  const result = simulateReplicas(input.service, input.loads, replicaPolicy(input.policy, input.service, forecaster, ORACLE), input.start, input.end, input.seed, {
    shouldStop: hooks.shouldStop,
    onMinute: (m) => {
      const now = performance.now();
      if (!hooks.onProgress || now - last < everyMs) return;
      last = now;
      hooks.onProgress({ phase: 'replaying', minutesDone: m - input.start, minutes, elapsedS: elapsedS() });
    },
  });
  const name = input.policy === 'oracle' ? 'oracle' : forecasts ? input.forecaster : 'none';
  return { ...result, forecaster: name, wallS: elapsedS() };
}

/** A replay with a shared stop flag, as the worker threads run it. */
export interface ReplicaSimulationTask {
  input: ReplicaSimulationInput;
  /** Int32 slot 0 != 0 stops the replay before its next minute */
  stop: SharedArrayBuffer;
}

/** Runs a replay task on this thread. */
export function runReplicaSimulation(task: ReplicaSimulationTask, onProgress: (p: ReplicaProgress) => void): Promise<ReplicaSimulationSummary> {
  return simulateReplicaTrace(task.input, { shouldStop: stopCheck(task.stop), onProgress });
}

/** A single-service plan in a form that crosses to a worker thread, with a shared stop flag. */
export interface ReplicaPlanTask {
  service: ReplicaService;
  windowLoads: number[];
  current?: number;
  /** Int32 slot 0 != 0 ends the plan with a StoppedError */
  stop: SharedArrayBuffer;
}

/** Runs a single-service plan on this thread. */
export function runReplicaPlan(task: ReplicaPlanTask): ReplicaPlan {
  return planReplicas(task.service, task.windowLoads, task.current, undefined, undefined, stopCheck(task.stop));
}
