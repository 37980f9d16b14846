import { decodeDecision } from '../encode.js';
import type { IndexedProblem } from '../problem.js';
import { runSearch, type SearchTask } from '../search-task.js';
import { stopCheck } from '../../stop-flag.js';
import { enumeratePlacement } from './enumerate.js';
import { loadGlpk } from './glpk.js';
import { milpCoverageGap, solveMilp } from './milp.js';
import type { ExactResult } from './result.js';

/** What an exact solve needs, in a form that crosses to a worker thread. */
export interface ExactTask {
  problem: IndexedProblem;
  seconds: number;
  /** Int32 slot 0 != 0 ends the search with its incumbent */
  stop: SharedArrayBuffer;
  /** a heuristic search whose answer becomes the enumeration's incumbent (the MILP needs none) */
  warmStart?: SearchTask;
}

/** Solves to proven optimality: the MILP where it covers the instance and glpk.js is installed, else enumeration. */
export async function runExact(task: ExactTask): Promise<ExactResult> {
  const opts = { seconds: task.seconds, shouldStop: stopCheck(task.stop) };
  const glpk = milpCoverageGap(task.problem) === null ? await loadGlpk() : null;
  if (glpk) return solveMilp(task.problem, glpk, opts);
  if (!task.warmStart) return enumeratePlacement(task.problem, opts);
  const started = performance.now();
  const warm = runSearch(task.warmStart, () => {});
  const incumbent = decodeDecision(task.problem, warm.dep, warm.cand, warm.cnt);
  const seconds = Math.max(0, task.seconds - (performance.now() - started) / 1000);
  const result = enumeratePlacement(task.problem, { ...opts, seconds, incumbent });
  return { ...result, elapsedS: (performance.now() - started) / 1000 };
}
