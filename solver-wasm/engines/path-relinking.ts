import { PR_BACKWARD, PR_FORWARD } from "./params";
import { better } from "./problem";
import { localSearch } from "./local-search";
import { Search, SLOT_PATH, SLOT_SCRATCH, STAT_MOVES_EVALUATED, STAT_RELINK_ENTERED_ELITE, STAT_RELINK_IMPROVED_BEST, STAT_RELINK_PATHS } from "./search";

/**
 * One round of path relinking over the elite set: between the best member and every other one,
 * walk forward (from the best toward the other), backward, or both (mixed), each step the best
 * move toward the guiding solution. The best intermediate point of a path is locally improved
 * and offered to the elite set. A pair already walked in an earlier round is skipped: the walk
 * would repeat step for step. Returns how many paths improved the best solution.
 */
export function relinkElite(s: Search): i32 {
  const elite = s.elite;
  const pb = s.pb;
  const best = elite.best();
  if (best < 0) return 0;
  let improved = 0;
  const direction = s.params.prDirection;
  const walked = s.relinkedUpTo;
  s.relinkedUpTo = elite.entries;
  const bestNew = elite.enteredAt[best - elite.first] > walked;
  for (let i = 0; i < elite.size && !s.budget.exhausted(); i++) {
    const other = elite.first + i;
    if (other == best || pb.distance(best, other) < 2) continue;
    if (!bestNew && elite.enteredAt[i] <= walked) continue;
    const forward = direction == PR_FORWARD || (direction != PR_BACKWARD && (i & 1) == 0);
    if (relink(s, forward ? best : other, forward ? other : best)) improved++;
  }
  return improved;
}

/** Walks from slot `from` toward slot `to`; true if the path's best point, improved, became the best solution. */
function relink(s: Search, from: i32, to: i32): bool {
  const pb = s.pb;
  const budget = s.budget;
  s.count(STAT_RELINK_PATHS);
  pb.loadSlot(from);
  const limit = 3 * pb.distance(from, to) + 10;
  let found = false;
  for (let step = 0; step < limit; step++) {
    const n = pb.listMovesToward(to);
    if (n == 0) break;
    let chosen = 0;
    let cv: f64 = Infinity;
    let cc: f64 = Infinity;
    for (let m = 0; m < n; m++) {
      pb.applyMove(m);
      const v = pb.infeasibility();
      const c = pb.cost();
      pb.undoMove();
      s.count(STAT_MOVES_EVALUATED);
      if (better(v, c, cv, cc)) { chosen = m; cv = v; cc = c; }
    }
    pb.applyMove(chosen);
    if (budget.tick()) break;
    pb.saveSlot(SLOT_SCRATCH);
    if (pb.distance(SLOT_SCRATCH, to) == 0) break; // the guiding solution itself is no new point
    if (!found || better(cv, cc, pb.slotInfeasibility(SLOT_PATH), pb.slotCost(SLOT_PATH))) {
      pb.saveSlot(SLOT_PATH);
      found = true;
    }
  }
  if (!found) return false;
  pb.loadSlot(SLOT_PATH);
  localSearch(s, false);
  if (s.elite.offer(SLOT_SCRATCH)) s.count(STAT_RELINK_ENTERED_ELITE);
  if (!s.keepBest()) return false;
  s.count(STAT_RELINK_IMPROVED_BEST);
  return true;
}
