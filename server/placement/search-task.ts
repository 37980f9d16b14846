import type { EncodedPlacement } from './encode.js';
import { PlacementSolver, type Progress, type SearchResult } from '../wasm/placement-solver.js';
import type { SearchOptions } from '../wasm/search.js';
import { stopCheck } from '../stop-flag.js';

/** What a search needs, in a form that crosses to a worker thread: typed arrays and a shared stop flag. */
export interface SearchTask {
  encoded: EncodedPlacement;
  options: SearchOptions;
  /** Int32 slot 0 != 0 asks the search to stop and return its best so far */
  stop: SharedArrayBuffer;
}

/** Runs a search on this thread. */
export function runSearch(task: SearchTask, onProgress: (p: Progress) => void): SearchResult {
  const solver = new PlacementSolver(task.encoded, task.options.eliteSize ?? 8);
  return solver.solve(task.options, { shouldStop: stopCheck(task.stop), onProgress });
}
