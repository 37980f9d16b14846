import { parentPort } from 'node:worker_threads';
import { runGpuDecision, runGpuSimulation, type GpuDecisionTask, type GpuSimulationTask } from './gpu/task.js';
import { runExact, type ExactTask } from './placement/exact/solve.js';
import { runSearch, type SearchTask } from './placement/search-task.js';
import { runReplicaPlan, runReplicaSimulation, type ReplicaPlanTask, type ReplicaSimulationTask } from './replicas/service.js';
import { runSharedReplicaTask, type SharedReplicaTask } from './replicas/shared.js';
import type { ProgressMessage } from './worker-progress.js';

type WorkerMessage =
  | { task: SearchTask; coptTask: number }
  | { exact: ExactTask }
  | { gpuSimulation: GpuSimulationTask; coptTask: number }
  | { gpuDecision: GpuDecisionTask }
  | { sharedReplicas: SharedReplicaTask }
  | { replicaPlan: ReplicaPlanTask }
  | { replicaSimulation: ReplicaSimulationTask; coptTask: number };

/**
 * Piscina worker: one placement search, GPU replay or replica replay (progress under the task's
 * number on parentPort, then its end), one exact solve, one GPU decision, one replica plan, or one
 * shared-capacity replica plan. The wasm module is compiled once per thread.
 */
export default function searchWorker(msg: WorkerMessage) {
  if ('exact' in msg) return runExact(msg.exact);
  if ('gpuDecision' in msg) return runGpuDecision(msg.gpuDecision);
  if ('sharedReplicas' in msg) return runSharedReplicaTask(msg.sharedReplicas);
  if ('replicaPlan' in msg) return runReplicaPlan(msg.replicaPlan);
  const coptTask = msg.coptTask;
  const post = (m: ProgressMessage) => parentPort!.postMessage(m);
  const report = (event: unknown) => post({ coptTask, event });
  const end = () => post({ coptTask, end: true });
  // the LSTM trains asynchronously: the end only once the replay has settled
  if ('replicaSimulation' in msg) return runReplicaSimulation(msg.replicaSimulation, report).finally(end);
  try {
    if ('gpuSimulation' in msg) return runGpuSimulation(msg.gpuSimulation, report);
    return runSearch(msg.task, report);
  } finally {
    end();
  }
}
