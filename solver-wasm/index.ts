// The module's exports: input areas, the problems (placement, GPU scheduling, shared-capacity replicas), and the engines run on the loaded one.
import { Reader } from "./input";
import { solve } from "./engines/driver";
import { PARAM_COUNT, SolveParams } from "./engines/params";
import { Problem } from "./engines/problem";
import { SLOT_ELITE, STAT_COUNT } from "./engines/search";
import { GpuData } from "./problems/gpu/data";
import { GpuProblem } from "./problems/gpu/gpu";
import { PlacementData } from "./problems/placement/data";
import { PlacementProblem } from "./problems/placement/placement";
import { SharedReplicaData } from "./problems/replicas/data";
import { SharedReplicaProblem } from "./problems/replicas/shared";
import { Rng } from "./rng";

export { allocInputInts, allocInputFloats } from "./input";

const params = new StaticArray<f64>(PARAM_COUNT);
const stats = new StaticArray<f64>(STAT_COUNT);
let placement: PlacementProblem | null = null;
let gpu: GpuProblem | null = null;
let shared: SharedReplicaProblem | null = null;
/** The problem the engines run on: the one loaded last. */
let loaded: Problem | null = null;
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
  loaded = placement;
  return true;
}

/** Builds a GPU scheduling decision from the input areas; false if their layout is not the expected one. */
export function gpuLoad(eliteSize: i32): bool {
  const reader = new Reader();
  const data = new GpuData(reader);
  if (!reader.done()) return false;
  gpu = new GpuProblem(data, SLOT_ELITE + max(1, eliteSize));
  loaded = gpu;
  return true;
}

/** Builds a shared-capacity replica plan from the input areas; false if their layout is not the expected one. */
export function replicasLoad(eliteSize: i32): bool {
  const reader = new Reader();
  const data = new SharedReplicaData(reader);
  if (!reader.done()) return false;
  shared = new SharedReplicaProblem(data, SLOT_ELITE + max(1, eliteSize));
  loaded = shared;
  return true;
}

function replicasProblem(): SharedReplicaProblem {
  if (!shared) throw new Error("no replica plan loaded");
  return shared!;
}

function gpuProblem(): GpuProblem {
  if (!gpu) throw new Error("no GPU decision loaded");
  return gpu!;
}

/** Address of the solve parameters (engines/params.ts indexes them); the host writes them before placementSolve. */
export function paramsPtr(): usize { return changetype<usize>(params); }

/** Address of the last solve's counters (engines/search.ts indexes them). */
export function statsPtr(): usize { return changetype<usize>(stats); }

/** Runs a search on the problem loaded last; returns the stop reason (see budget.ts). The best solution becomes the current one. */
export function searchSolve(): i32 {
  if (!loaded) throw new Error("no problem loaded");
  const search = solve(loaded!, SolveParams.read(params));
  for (let i = 0; i < STAT_COUNT; i++) stats[i] = search.stats[i];
  lastIterations = search.budget.iterations;
  lastElapsed = search.budget.elapsed();
  return search.budget.reason;
}

export function searchIterations(): f64 { return lastIterations; }
export function searchElapsedMs(): f64 { return lastElapsed; }

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

/** Addresses of the current GPU decision: node per job (-1: waits), configuration per job (global index, -1: waits). */
export function gpuJobNodePtr(): usize { return changetype<usize>(gpuProblem().jobNode); }
export function gpuJobConfPtr(): usize { return changetype<usize>(gpuProblem().jobConf); }
export function gpuCost(): f64 { return gpuProblem().cost(); }
export function gpuInfeasibility(): f64 { return gpuProblem().infeasibility(); }
/** Re-evaluates the current GPU decision from scratch (after the host wrote it). */
export function gpuEvaluate(): void { const p = gpuProblem(); p.loadFromCurrent(); }
export function gpuListMoves(): i32 { return gpuProblem().listMoves(); }
export function gpuApplyMove(m: i32): void { gpuProblem().applyMove(m); }
export function gpuUndoMove(): void { gpuProblem().undoMove(); }
export function gpuConstruct(seed: f64): void { gpuProblem().construct(new Rng(<u64>seed)); }
export function gpuSetAssertMode(on: bool): void { gpuProblem().assertMode = on; gpuProblem().assertFailures = 0; }
export function gpuAssertFailures(): i32 { return gpuProblem().assertFailures; }
/** Address of the best GPU decision so far (slot 0: nodes, then configurations), readable during progress. */
export function gpuBestPtr(): usize { return changetype<usize>(gpuProblem().slotData); }

/** Address of the current replica plan: count per service and window (s * windows + t). */
export function replicasPlanPtr(): usize { return changetype<usize>(replicasProblem().r); }
export function replicasCost(): f64 { return replicasProblem().cost(); }
export function replicasInfeasibility(): f64 { return replicasProblem().infeasibility(); }
/** Re-evaluates the current replica plan from scratch (after the host wrote it). */
export function replicasEvaluate(): void { replicasProblem().evaluateFull(); }
export function replicasListMoves(): i32 { return replicasProblem().listMoves(); }
export function replicasApplyMove(m: i32): void { replicasProblem().applyMove(m); }
export function replicasUndoMove(): void { replicasProblem().undoMove(); }
export function replicasConstruct(seed: f64): void { replicasProblem().construct(new Rng(<u64>seed)); }
export function replicasSetAssertMode(on: bool): void { replicasProblem().assertMode = on; replicasProblem().assertFailures = 0; }
export function replicasAssertFailures(): i32 { return replicasProblem().assertFailures; }
/** Address of the best replica plan so far (slot 0), readable during progress. */
export function replicasBestPtr(): usize { return changetype<usize>(replicasProblem().slotData); }
