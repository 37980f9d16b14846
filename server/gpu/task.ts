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

/** Runs a replay on this thread, reporting progress at most every `everyMs`. */
export function runGpuSimulation(task: GpuSimulationTask, onProgress: (p: GpuProgress) => void, everyMs = 200): GpuSimulationSummary {
  const started = performance.now();
  let last = -Infinity;
  return simulateGpu(task.input, {
    shouldStop: stopCheck(task.stop),
    onDecision: ({ decisions, timeS }) => {
      const now = performance.now();
      if (now - last < everyMs) return;
      last = now;
      onProgress({ decisions, timeS, elapsedS: (now - started) / 1000 });
    },
  });
}

/** Runs one decision on this thread. */
export function runGpuDecision(task: GpuDecisionTask): GpuDecisionResult {
  return decideGpu(task.snapshot, { ...task.options, shouldStop: stopCheck(task.stop) });
}
