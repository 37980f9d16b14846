// The module's exports: input areas, the placement problem, and the engines run on it.
import { Reader } from "./input";
import { SolveParams, solve, SLOT_ELITE } from "./engines/driver";
import { PlacementData } from "./problems/placement/data";
import { PlacementProblem } from "./problems/placement/placement";
import { Rng } from "./rng";

export { allocInputInts, allocInputFloats } from "./input";

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

/** Runs a search; returns the stop reason (see budget.ts). The best solution becomes the current one. */
export function placementSolve(method: i32, seed: f64, maxIterations: f64, maxMillis: f64, reportEveryMs: f64, greedyIterations: i32): i32 {
  const pb = problem();
  const params = new SolveParams();
  params.method = method;
  params.seed = <u64>seed;
  params.maxIterations = maxIterations;
  params.maxMillis = maxMillis;
  params.reportEveryMs = reportEveryMs;
  params.eliteSize = pb.slotCount() - SLOT_ELITE;
  params.greedyIterations = greedyIterations;
  const budget = solve(pb, params);
  lastIterations = budget.iterations;
  lastElapsed = budget.elapsed();
  return budget.reason;
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
