import type { MessagePort } from 'node:worker_threads';
import { runExact, type ExactTask } from './placement/exact/solve.js';
import { END, runSearch, type SearchTask } from './placement/search-task.js';

/** Piscina worker: runs one search, posting progress on the given port, or one exact solve. The wasm module is compiled once per thread. */
export default function searchWorker(msg: { task: SearchTask; port: MessagePort } | { exact: ExactTask }) {
  if ('exact' in msg) return runExact(msg.exact);
  const { task, port } = msg;
  try {
    return runSearch(task, (p) => port.postMessage(p));
  } finally {
    port.postMessage(END);
    port.close();
  }
}
