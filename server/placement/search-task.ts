import type { EncodedPlacement } from './encode.js';
import { PlacementSolver, type Progress, type SearchResult } from '../wasm/placement-solver.js';
import type { SearchOptions } from '../wasm/search.js';

/** What a search needs, in a form that crosses to a worker thread: typed arrays and a shared stop flag. */
export interface SearchTask {
  encoded: EncodedPlacement;
  options: SearchOptions;
  /** Int32 slot 0 != 0 asks the search to stop and return its best so far */
  stop: SharedArrayBuffer;
}

/** A worker's last message on a progress port. */
export const END = 'end';

/** A fresh shared stop flag for a SearchTask. */
export function newStopFlag(): SharedArrayBuffer {
  return new SharedArrayBuffer(4);
}

/** Sets a stop flag: the search ends at its next check and returns the best so far. */
export function requestStop(flag: SharedArrayBuffer): void {
  Atomics.store(new Int32Array(flag), 0, 1);
}

/** Runs a search on this thread. */
export function runSearch(task: SearchTask, onProgress: (p: Progress) => void): SearchResult {
  const flag = new Int32Array(task.stop);
  const solver = new PlacementSolver(task.encoded, task.options.eliteSize ?? 8);
  return solver.solve(task.options, { shouldStop: () => Atomics.load(flag, 0) !== 0, onProgress });
}
