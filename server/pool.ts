import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { projectRoot } from './paths.js';
import { runGpuDecision, runGpuSimulation, type GpuDecisionTask, type GpuProgress, type GpuSimulationTask } from './gpu/task.js';
import type { GpuDecisionResult, GpuSimulationSummary } from './gpu/service.js';
import type { ExactResult } from './placement/exact/result.js';
import { runExact, type ExactTask } from './placement/exact/solve.js';
import { END, runSearch, type SearchTask } from './placement/search-task.js';
import { runReplicaSimulation, type ReplicaProgress, type ReplicaSimulationSummary, type ReplicaSimulationTask } from './replicas/service.js';
import { runSharedReplicaTask, type SharedReplicaPlan, type SharedReplicaTask } from './replicas/shared.js';
import type { Progress, SearchResult } from './wasm/placement-solver.js';

/** Runs searches somewhere: on worker threads (the server) or on this thread (the CLI). */
export interface SearchRunner {
  run(task: SearchTask, onProgress: (p: Progress) => void): Promise<SearchResult>;
  runExact(task: ExactTask): Promise<ExactResult>;
  simulateGpu(task: GpuSimulationTask, onProgress: (p: GpuProgress) => void): Promise<GpuSimulationSummary>;
  decideGpu(task: GpuDecisionTask): Promise<GpuDecisionResult>;
  simulateReplicas(task: ReplicaSimulationTask, onProgress: (p: ReplicaProgress) => void): Promise<ReplicaSimulationSummary>;
  planSharedReplicas(task: SharedReplicaTask): Promise<SharedReplicaPlan>;
  close(): Promise<void>;
}

/** A piscina pool of search workers; stopping is cooperative (the task's stop flag), never an abort. */
export class WorkerPool implements SearchRunner {
  private readonly pool: Piscina;

  constructor(threads = Math.max(1, availableParallelism())) {
    this.pool = new Piscina({
      filename: join(projectRoot(), 'dist', 'server', 'worker.js'),
      minThreads: 1,
      maxThreads: threads,
      idleTimeout: 60_000,
    });
  }

  run(task: SearchTask, onProgress: (p: Progress) => void): Promise<SearchResult> {
    return this.withProgress((port) => ({ task, port }), onProgress);
  }

  simulateGpu(task: GpuSimulationTask, onProgress: (p: GpuProgress) => void): Promise<GpuSimulationSummary> {
    return this.withProgress((port) => ({ gpuSimulation: task, port }), onProgress);
  }

  decideGpu(task: GpuDecisionTask): Promise<GpuDecisionResult> {
    return this.pool.run({ gpuDecision: task });
  }

  simulateReplicas(task: ReplicaSimulationTask, onProgress: (p: ReplicaProgress) => void): Promise<ReplicaSimulationSummary> {
    return this.withProgress((port) => ({ replicaSimulation: task, port }), onProgress);
  }

  planSharedReplicas(task: SharedReplicaTask): Promise<SharedReplicaPlan> {
    return this.pool.run({ sharedReplicas: task });
  }

  /**
   * Runs a task that reports progress on a port. The result comes back on piscina's channel; the
   * worker's last message on the port marks the end, so every progress event arrives before the result.
   */
  private async withProgress<P, R>(message: (port: MessagePort) => object, onProgress: (p: P) => void): Promise<R> {
    const { port1, port2 } = new MessageChannel();
    let drain: () => void = () => {};
    const drained = new Promise<void>((resolve) => { drain = resolve; });
    port1.on('message', (m: P | typeof END) => (m === END ? drain() : onProgress(m as P)));
    try {
      const result = await this.pool.run(message(port2), { transferList: [port2] });
      await drained;
      return result;
    } finally {
      port1.close();
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
  planSharedReplicas: async (task) => runSharedReplicaTask(task),
  close: async () => {},
};
