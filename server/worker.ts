import type { MessagePort } from 'node:worker_threads';
import { runGpuDecision, runGpuSimulation, type GpuDecisionTask, type GpuSimulationTask } from './gpu/task.js';
import { runExact, type ExactTask } from './placement/exact/solve.js';
import { END, runSearch, type SearchTask } from './placement/search-task.js';
import { runReplicaSimulation, type ReplicaSimulationTask } from './replicas/service.js';
import { runSharedReplicaTask, type SharedReplicaTask } from './replicas/shared.js';

type WorkerMessage =
  | { task: SearchTask; port: MessagePort }
  | { exact: ExactTask }
  | { gpuSimulation: GpuSimulationTask; port: MessagePort }
  | { gpuDecision: GpuDecisionTask }
  | { sharedReplicas: SharedReplicaTask }
  | { replicaSimulation: ReplicaSimulationTask; port: MessagePort };

/**
 * Piscina worker: one placement search, GPU replay or replica replay (progress on the given port,
 * then END), one exact solve, one GPU decision, or one shared-capacity replica plan. The wasm
 * module is compiled once per thread.
 */
export default function searchWorker(msg: WorkerMessage) {
  if ('exact' in msg) return runExact(msg.exact);
  if ('gpuDecision' in msg) return runGpuDecision(msg.gpuDecision);
  if ('sharedReplicas' in msg) return runSharedReplicaTask(msg.sharedReplicas);
  const port = msg.port;
  if ('replicaSimulation' in msg) {
    const done = () => {
      port.postMessage(END);
      port.close();
    };
    // the LSTM trains asynchronously: END only once the replay has settled
    return runReplicaSimulation(msg.replicaSimulation, (p) => port.postMessage(p)).finally(done);
  }
  try {
    if ('gpuSimulation' in msg) return runGpuSimulation(msg.gpuSimulation, (p) => port.postMessage(p));
    return runSearch(msg.task, (p) => port.postMessage(p));
  } finally {
    port.postMessage(END);
    port.close();
  }
}
