import type { MessagePort } from 'node:worker_threads';
import { END, runSearch, type SearchTask } from './placement/search-task.js';

/** Piscina worker: runs one search, posting progress on the given port. The wasm module is compiled once per thread. */
export default function searchWorker({ task, port }: { task: SearchTask; port: MessagePort }) {
  try {
    return runSearch(task, (p) => port.postMessage(p));
  } finally {
    port.postMessage(END);
    port.close();
  }
}
