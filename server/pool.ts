import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { projectRoot } from './paths.js';
import { runGpuDecision, runGpuSimulation, type GpuDecisionTask, type GpuProgress, type GpuSimulationTask } from './gpu/task.js';
import type { GpuDecisionResult, GpuSimulationSummary } from './gpu/service.js';
import type { ExactResult } from './placement/exact/result.js';
import { runExact, type ExactTask } from './placement/exact/solve.js';
import { runSearch, type SearchTask } from './placement/search-task.js';
import type { ReplicaPlan } from './replicas/plan.js';
import { runReplicaPlan, runReplicaSimulation, type ReplicaPlanTask, type ReplicaProgress, type ReplicaSimulationSummary, type ReplicaSimulationTask } from './replicas/service.js';
import { runSharedReplicaTask, type SharedReplicaPlan, type SharedReplicaTask } from './replicas/shared.js';
import type { Progress, SearchResult } from './wasm/placement-solver.js';
import { isProgressMessage } from './worker-progress.js';

/** Runs searches somewhere: on worker threads (the server) or on this thread (the CLI). */
export interface SearchRunner {
  run(task: SearchTask, onProgress: (p: Progress) => void): Promise<SearchResult>;
  runExact(task: ExactTask): Promise<ExactResult>;
  simulateGpu(task: GpuSimulationTask, onProgress: (p: GpuProgress) => void): Promise<GpuSimulationSummary>;
  decideGpu(task: GpuDecisionTask): Promise<GpuDecisionResult>;
  simulateReplicas(task: ReplicaSimulationTask, onProgress: (p: ReplicaProgress) => void): Promise<ReplicaSimulationSummary>;
  planReplicas(task: ReplicaPlanTask): Promise<ReplicaPlan>;
  planSharedReplicas(task: SharedReplicaTask): Promise<SharedReplicaPlan>;
  close(): Promise<void>;
}

/** A piscina pool of search workers; stopping is cooperative (the task's stop flag), never an abort. */
export class WorkerPool implements SearchRunner {
  private readonly pool: Piscina;
  /** the tasks whose progress is awaited, by number: where their events go, and what their end releases */
  private readonly watched = new Map<number, { onProgress: (p: unknown) => void; ended: () => void }>();
  private nextTask = 0;

  /** `threads` workers, started now and kept (a thread's start loads the solver and TensorFlow.js modules). */
  constructor(threads = Math.max(1, availableParallelism())) {
    this.pool = new Piscina({
      filename: join(projectRoot(), 'dist', 'server', 'worker.js'),
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Infinity,
    });
    this.pool.on('message', (m: unknown) => {
      if (!isProgressMessage(m)) return;
      const watcher = this.watched.get(m.coptTask);
      if (m.end) watcher?.ended();
      else watcher?.onProgress(m.event);
    });
  }

  run(task: SearchTask, onProgress: (p: Progress) => void): Promise<SearchResult> {
    return this.withProgress((coptTask) => ({ task, coptTask }), onProgress);
  }

  simulateGpu(task: GpuSimulationTask, onProgress: (p: GpuProgress) => void): Promise<GpuSimulationSummary> {
    return this.withProgress((coptTask) => ({ gpuSimulation: task, coptTask }), onProgress);
  }

  decideGpu(task: GpuDecisionTask): Promise<GpuDecisionResult> {
    return this.pool.run({ gpuDecision: task });
  }

  simulateReplicas(task: ReplicaSimulationTask, onProgress: (p: ReplicaProgress) => void): Promise<ReplicaSimulationSummary> {
    return this.withProgress((coptTask) => ({ replicaSimulation: task, coptTask }), onProgress);
  }

  planReplicas(task: ReplicaPlanTask): Promise<ReplicaPlan> {
    return this.pool.run({ replicaPlan: task });
  }

  planSharedReplicas(task: SharedReplicaTask): Promise<SharedReplicaPlan> {
    return this.pool.run({ sharedReplicas: task });
  }

  /**
   * Runs a task that reports progress under its number. The result comes back on piscina's channel
   * and the events on the worker's parentPort; the worker's end message comes after its last event,
   * so every event arrives before the result is handed on.
   */
  private async withProgress<P, R>(message: (coptTask: number) => object, onProgress: (p: P) => void): Promise<R> {
    const id = this.nextTask++;
    let ended: () => void = () => {};
    const drained = new Promise<void>((resolve) => { ended = resolve; });
    this.watched.set(id, { onProgress: onProgress as (p: unknown) => void, ended });
    try {
      const result = await this.pool.run(message(id));
      await drained;
      return result;
    } finally {
      this.watched.delete(id);
    }
  }

  runExact(task: ExactTask): Promise<ExactResult> {
    return this.pool.run({ exact: task });
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

/** Runs each search on the calling thread (progress callbacks arrive synchronously). */
export const inThreadRunner: SearchRunner = {
  run: async (task, onProgress) => runSearch(task, onProgress),
  runExact,
  simulateGpu: async (task, onProgress) => runGpuSimulation(task, onProgress),
  decideGpu: async (task) => runGpuDecision(task),
  simulateReplicas: runReplicaSimulation,
  planReplicas: async (task) => runReplicaPlan(task),
  planSharedReplicas: async (task) => runSharedReplicaTask(task),
  close: async () => {},
};
