import { Budget } from "../budget";
import { Rng } from "../rng";
import { Elite } from "./elite";
import { SolveParams } from "./params";
import { better, Problem } from "./problem";

/** Slot layout every problem provides: the best solution, a scratch slot, the best point of a path, then the elite set. */
export const SLOT_BEST: i32 = 0;
export const SLOT_SCRATCH: i32 = 1;
export const SLOT_PATH: i32 = 2;
export const SLOT_ELITE: i32 = 3;

export const PHASE_CONSTRUCT: i32 = 1;
export const PHASE_LOCAL_SEARCH: i32 = 2;
export const PHASE_RESTART: i32 = 3;
export const PHASE_DONE: i32 = 4;
export const PHASE_TABU: i32 = 5;
export const PHASE_ANNEALING: i32 = 6;
export const PHASE_RELINKING: i32 = 7;

// Counters the host reads after a solve.
export const STAT_MOVES_EVALUATED: i32 = 0;
export const STAT_RESTARTS: i32 = 1;
export const STAT_RELINK_PATHS: i32 = 2;
export const STAT_RELINK_IMPROVED_BEST: i32 = 3;
export const STAT_RELINK_ENTERED_ELITE: i32 = 4;
export const STAT_TABU_ASPIRATIONS: i32 = 5;
export const STAT_SA_ACCEPTED_WORSE: i32 = 6;
export const STAT_SA_REHEATS: i32 = 7;
export const STAT_COUNT: i32 = 8;

/** What every engine shares during one solve: the problem, budget, rng, elite set, best slot and counters. */
export class Search {
  readonly budget: Budget;
  readonly rng: Rng;
  readonly elite: Elite;
  readonly stats: StaticArray<f64> = new StaticArray<f64>(STAT_COUNT);
  /** tabu search's list (the step until which each attribute is tabu), allocated once: the runtime never frees */
  readonly tabuUntil: StaticArray<i32>;
  /** the elite entries path relinking has walked pairs among (members entered later make new pairs) */
  relinkedUpTo: i32 = 0;

  constructor(public pb: Problem, public params: SolveParams) {
    const budget = new Budget(params.maxIterations, params.maxMillis, params.reportEveryMs, params.heartbeatMs);
    this.budget = budget;
    this.rng = new Rng(params.seed);
    this.elite = new Elite(pb, SLOT_ELITE, max(1, pb.slotCount() - SLOT_ELITE));
    this.tabuUntil = new StaticArray<i32>(pb.attributeCount());
    budget.maxUnimprovedMs = params.maxUnimprovedMs;
    budget.targetCost = params.targetCost;
  }

  /** Makes the current solution the best one, unconditionally (the first solution of a solve). */
  startBest(): void {
    this.pb.saveSlot(SLOT_BEST);
    this.budget.improved(this.pb.cost(), this.pb.infeasibility());
  }

  /** Saves the current solution as the best if it beats it; returns whether it did. */
  keepBest(): bool {
    const pb = this.pb;
    if (!better(pb.infeasibility(), pb.cost(), pb.slotInfeasibility(SLOT_BEST), pb.slotCost(SLOT_BEST))) return false;
    pb.saveSlot(SLOT_BEST);
    this.budget.improved(pb.cost(), pb.infeasibility());
    return true;
  }

  /** True when the current solution beats the best. */
  beatsBest(v: f64, c: f64): bool {
    return better(v, c, this.pb.slotInfeasibility(SLOT_BEST), this.pb.slotCost(SLOT_BEST));
  }

  count(stat: i32): void {
    this.stats[stat] += 1;
  }

  /** Loads the best solution and applies 2 to kickMoves random moves to it. */
  kick(): void {
    const pb = this.pb;
    const k = 2 + this.rng.below(this.params.kickMoves - 1);
    pb.loadSlot(SLOT_BEST);
    for (let i = 0; i < k; i++) {
      const n = pb.listMoves();
      if (n == 0) return;
      pb.applyMove(this.rng.below(n));
    }
  }
}
