import { Budget, STOP_CONVERGED, STOP_NONE } from "../budget";
import { Rng } from "../rng";
import { Elite } from "./elite";
import { localSearch } from "./local-search";
import { better, Problem } from "./problem";

export const METHOD_RG: i32 = 1;
export const METHOD_LS: i32 = 2;
export const METHOD_RG_LS: i32 = 3;

export const PHASE_CONSTRUCT: i32 = 1;
export const PHASE_LOCAL_SEARCH: i32 = 2;
export const PHASE_RESTART: i32 = 3;
export const PHASE_DONE: i32 = 4;

/** Slot layout every problem provides: the best solution, a scratch slot, then the elite set. */
export const SLOT_BEST: i32 = 0;
export const SLOT_SCRATCH: i32 = 1;
export const SLOT_ELITE: i32 = 2;

/** Parameters of one solve; the host sets them before calling solve. */
export class SolveParams {
  method: i32 = METHOD_RG_LS;
  seed: u64 = 1;
  maxIterations: f64 = Infinity;
  maxMillis: f64 = 2000;
  reportEveryMs: f64 = 100;
  eliteSize: i32 = 8;
  /** constructions in the random-greedy phase before local search starts */
  greedyIterations: i32 = 1000;
  /** most random moves in a kick of the best solution */
  kickMoves: i32 = 6;
}

/**
 * Random greedy into an elite set, local search from every elite member, then restarts
 * (construct + local search) while budget remains. The best solution ends current and in SLOT_BEST.
 */
export function solve(pb: Problem, params: SolveParams): Budget {
  const budget = new Budget(params.maxIterations, params.maxMillis, params.reportEveryMs);
  const rng = new Rng(params.seed);
  const elite = new Elite(pb, SLOT_ELITE, max(1, min(params.eliteSize, pb.slotCount() - SLOT_ELITE)));
  budget.phase = PHASE_CONSTRUCT;
  pb.construct(rng);
  pb.saveSlot(SLOT_BEST);
  budget.improved(pb.cost(), pb.infeasibility());

  if (params.method == METHOD_LS) {
    budget.phase = PHASE_LOCAL_SEARCH;
    if (localSearch(pb, budget, false)) budget.reason = STOP_CONVERGED;
    keepBest(pb, budget);
  } else {
    const greedyOnly = params.method == METHOD_RG;
    let built = 0;
    do {
      if (built > 0) pb.construct(rng);
      elite.offer(SLOT_SCRATCH);
      keepBest(pb, budget);
      built++;
    } while (!budget.tick() && (greedyOnly || built < params.greedyIterations));

    if (!greedyOnly) {
      budget.phase = PHASE_LOCAL_SEARCH;
      for (let i = 0; i < elite.size && budget.reason == STOP_NONE; i++) {
        pb.loadSlot(elite.first + i);
        localSearch(pb, budget, false);
        keepBest(pb, budget);
      }
      // Restarts alternate a fresh construction with a kick of the best (iterated local search).
      budget.phase = PHASE_RESTART;
      let restart = 0;
      while (budget.reason == STOP_NONE && !budget.tick()) {
        if (restart++ % 2 == 0) pb.construct(rng);
        else perturb(pb, rng, 2 + rng.below(params.kickMoves - 1));
        localSearch(pb, budget, false);
        keepBest(pb, budget);
      }
    }
  }
  pb.loadSlot(SLOT_BEST);
  budget.finish(PHASE_DONE);
  return budget;
}

/** Saves the current solution as the best if it beats it. */
function keepBest(pb: Problem, budget: Budget): void {
  if (!better(pb.infeasibility(), pb.cost(), pb.slotInfeasibility(SLOT_BEST), pb.slotCost(SLOT_BEST))) return;
  pb.saveSlot(SLOT_BEST);
  budget.improved(pb.cost(), pb.infeasibility());
}

/** Loads the best solution and applies k random moves to it. */
function perturb(pb: Problem, rng: Rng, k: i32): void {
  pb.loadSlot(SLOT_BEST);
  for (let i = 0; i < k; i++) {
    const n = pb.listMoves();
    if (n == 0) return;
    pb.applyMove(rng.below(n));
  }
}
