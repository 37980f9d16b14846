// The module's exports: input areas, the placement problem, and the engines run on it.
import { Reader } from "./input";
import { solve } from "./engines/driver";
import { PARAM_COUNT, SolveParams } from "./engines/params";
import { SLOT_ELITE, STAT_COUNT } from "./engines/search";
import { PlacementData } from "./problems/placement/data";
import { PlacementProblem } from "./problems/placement/placement";
import { Rng } from "./rng";

export { allocInputInts, allocInputFloats } from "./input";

const params = new StaticArray<f64>(PARAM_COUNT);
const stats = new StaticArray<f64>(STAT_COUNT);
let placement: PlacementProblem | null = null;
let lastIterations: f64 = 0;
let lastElapsed: f64 = 0;

function problem(): PlacementProblem {
  if (!placement) throw new Error("no placement instance loaded");
  return placement!;
}

/** Builds the placement problem from the input areas; false if their layout is not the expected one. */
export function placementLoad(eliteSize: i32): bool {
  const reader = new Reader();
  const data = new PlacementData(reader);
  if (!reader.done()) return false;
  placement = new PlacementProblem(data, SLOT_ELITE + max(1, eliteSize));
  return true;
}

/** Address of the solve parameters (engines/params.ts indexes them); the host writes them before placementSolve. */
export function paramsPtr(): usize { return changetype<usize>(params); }

/** Address of the last solve's counters (engines/search.ts indexes them). */
export function statsPtr(): usize { return changetype<usize>(stats); }

/** Runs a search; returns the stop reason (see budget.ts). The best solution becomes the current one. */
export function placementSolve(): i32 {
  const search = solve(problem(), SolveParams.read(params));
  for (let i = 0; i < STAT_COUNT; i++) stats[i] = search.stats[i];
  lastIterations = search.budget.iterations;
  lastElapsed = search.budget.elapsed();
  return search.budget.reason;
}

export function placementIterations(): f64 { return lastIterations; }
export function placementElapsedMs(): f64 { return lastElapsed; }

/** Addresses of the current decision: deployment per component, candidate per partition, count per resource. */
export function placementDeploymentPtr(): usize { return changetype<usize>(problem().dep); }
export function placementCandidatePtr(): usize { return changetype<usize>(problem().cand); }
export function placementCountPtr(): usize { return changetype<usize>(problem().cnt); }
export function placementComponentTimesPtr(): usize { return changetype<usize>(problem().compTime); }
export function placementPathTimesPtr(): usize { return changetype<usize>(problem().pathTime); }

/** Re-evaluates the current decision from scratch (after the host wrote it). */
export function placementEvaluate(): void { problem().evaluateFull(); }
export function placementCost(): f64 { return problem().cost(); }
export function placementInfeasibility(): f64 { return problem().infeasibility(); }

/** Random greedy construction into the current decision. */
export function placementConstruct(seed: f64): void { problem().construct(new Rng(<u64>seed)); }
export function placementListMoves(): i32 { return problem().listMoves(); }
export function placementApplyMove(m: i32): void { problem().applyMove(m); }
export function placementUndoMove(): void { problem().undoMove(); }

/** Full-recompute assertion mode: every move's incremental evaluation is checked against a full one. */
export function placementSetAssertMode(on: bool): void { problem().assertMode = on; problem().assertFailures = 0; }
export function placementAssertFailures(): i32 { return problem().assertFailures; }

/** Address of the best solution so far (slot 0: deployments, then candidates, then counts), readable during progress. */
export function placementBestPtr(): usize { return changetype<usize>(problem().slotData); }
