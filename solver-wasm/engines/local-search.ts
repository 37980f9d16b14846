import { better } from "./problem";
import { Search, SLOT_PATH, SLOT_SCRATCH, STAT_MOVES_EVALUATED } from "./search";

/**
 * Descent from the current solution: best-improvement scans the whole neighbourhood each step,
 * first-improvement takes the first better move (also the rule on neighbourhoods larger than the
 * problem's best-improvement limit, scanned round from the last step's move). Returns true at a
 * local optimum, false if the budget ran out first.
 */
export function localSearch(s: Search, firstImprovement: bool): bool {
  const pb = s.pb;
  const budget = s.budget;
  const limit = pb.bestImprovementLimit();
  let from = 0;
  while (true) {
    const n = pb.listMoves();
    const large = n > limit;
    const first = firstImprovement || large;
    const start = large ? from % max(1, n) : 0;
    let chosen = -1;
    let bestViol = pb.infeasibility();
    let bestCost = pb.cost();
    for (let i = 0; i < n; i++) {
      const m = start + i < n ? start + i : start + i - n;
      pb.applyMove(m);
      const v = pb.infeasibility();
      const c = pb.cost();
      pb.undoMove();
      s.count(STAT_MOVES_EVALUATED);
      if (better(v, c, bestViol, bestCost)) {
        chosen = m;
        bestViol = v;
        bestCost = c;
        if (first) break;
      }
      if (budget.exhausted()) return false;
    }
    if (chosen < 0) return true;
    pb.applyMove(chosen);
    from = chosen + 1;
    if (budget.tick()) return false;
  }
}

/** Constructions descended per fresh start of tabu search and annealing: a walk from one construction spends itself in that construction's basin. */
const START_BATCH: i32 = 100;

/** Leaves current the best of a batch of constructions, each descended, offered to the elite set and kept if best (holds the batch's best in the path slot: not for use inside path relinking). */
export function bestDescendedConstruction(s: Search): void {
  const pb = s.pb;
  let found = false;
  for (let i = 0; i < START_BATCH && !s.budget.tick(); i++) {
    pb.construct(s.rng);
    localSearch(s, false);
    s.elite.offer(SLOT_SCRATCH);
    s.keepBest();
    if (!found || better(pb.infeasibility(), pb.cost(), pb.slotInfeasibility(SLOT_PATH), pb.slotCost(SLOT_PATH))) {
      pb.saveSlot(SLOT_PATH);
      found = true;
    }
  }
  if (found) pb.loadSlot(SLOT_PATH);
}
