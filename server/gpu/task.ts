import type { GpuSimulationInput, GpuSimulationSummary } from './service.js';
import { decideGpu, simulateGpu, type GpuDecisionResult } from './service.js';
import type { Snapshot } from './simulate.js';
import { stopCheck } from '../stop-flag.js';

/** A replay in a form that crosses to a worker thread, with a shared stop flag. */
export interface GpuSimulationTask {
  input: GpuSimulationInput;
  /** Int32 slot 0 != 0 stops the replay before its next decision */
  stop: SharedArrayBuffer;
}

/** One decision in a form that crosses to a worker thread. */
export interface GpuDecisionTask {
  snapshot: Snapshot;
  options: Omit<GpuSimulationInput, 'instance'>;
  stop: SharedArrayBuffer;
}

export interface GpuProgress {
  decisions: number;
  timeS: number;
  elapsedS: number;
}

/**
 * Runs a replay on this thread, reporting progress at most every `everyMs` after a decision, and at
 * least every `heartbeatMs` while a decision's search runs (from its stop checks).
 */
export function runGpuSimulation(task: GpuSimulationTask, onProgress: (p: GpuProgress) => void, everyMs = 200, heartbeatMs = 1000): GpuSimulationSummary {
  const started = performance.now();
  const stopped = stopCheck(task.stop);
  let last = -Infinity;
  let latest = { decisions: 0, timeS: 0 };
  const report = (now: number) => {
    last = now;
    onProgress({ ...latest, elapsedS: (now - started) / 1000 });
  };
  return simulateGpu(task.input, {
    shouldStop: () => {
      const now = performance.now();
      if (now - last >= heartbeatMs) report(now);
      return stopped();
    },
    onDecision: (e) => {
      latest = e;
      const now = performance.now();
      if (now - last >= everyMs) report(now);
    },
  });
}

/** Runs one decision on this thread. */
export function runGpuDecision(task: GpuDecisionTask): GpuDecisionResult {
  return decideGpu(task.snapshot, { ...task.options, shouldStop: stopCheck(task.stop) });
}
