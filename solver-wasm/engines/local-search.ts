import { better } from "./problem";
import { Search, STAT_MOVES_EVALUATED } from "./search";

/**
 * Descent from the current solution: best-improvement scans the whole neighbourhood each step,
 * first-improvement takes the first better move. Returns true at a local optimum, false if the
 * budget ran out first.
 */
export function localSearch(s: Search, firstImprovement: bool): bool {
  const pb = s.pb;
  const budget = s.budget;
  while (true) {
    const n = pb.listMoves();
    let chosen = -1;
    let bestViol = pb.infeasibility();
    let bestCost = pb.cost();
    for (let m = 0; m < n; m++) {
      pb.applyMove(m);
      const v = pb.infeasibility();
      const c = pb.cost();
      pb.undoMove();
      s.count(STAT_MOVES_EVALUATED);
      if (better(v, c, bestViol, bestCost)) {
        chosen = m;
        bestViol = v;
        bestCost = c;
        if (firstImprovement) break;
      }
      if (budget.exhausted()) return false;
    }
    if (chosen < 0) return true;
    pb.applyMove(chosen);
    if (budget.tick()) return false;
  }
}
