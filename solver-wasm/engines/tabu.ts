import { better } from "./problem";
import { Search, STAT_MOVES_EVALUATED, STAT_TABU_ASPIRATIONS } from "./search";

/**
 * Tabu search from the current solution for at most `steps` moves: each step takes the best
 * non-tabu move (or a tabu one that beats the best solution: aspiration), even if it is worse;
 * the attribute it changed stays tabu for `tenure` steps. Large neighbourhoods are sampled (a
 * candidate list). Stops early after `patience` steps without a new best. Returns the steps made.
 */
export function tabuSearch(s: Search, steps: i32, patience: i32): i32 {
  const pb = s.pb;
  const budget = s.budget;
  const attrs = pb.attributeCount();
  const tabuUntil = s.tabuUntil;
  for (let a = 0; a < attrs; a++) tabuUntil[a] = 0;
  const tenure = s.params.tabuTenure > 0 ? s.params.tabuTenure : min(20, max(5, attrs / 8));
  const sample = s.params.candidateList > 0 ? s.params.candidateList : 200;
  let sinceBest = 0;
  let step = 0;
  while (step < steps && sinceBest < patience) {
    const n = pb.listMoves();
    if (n == 0) break;
    const sampled = n > sample;
    const tries = sampled ? sample : n;
    let chosen = -1;
    let chosenViol: f64 = Infinity;
    let chosenCost: f64 = Infinity;
    let aspired = false;
    for (let i = 0; i < tries; i++) {
      const m = sampled ? s.rng.below(n) : i;
      pb.applyMove(m);
      const v = pb.infeasibility();
      const c = pb.cost();
      pb.undoMove();
      s.count(STAT_MOVES_EVALUATED);
      const tabu = tabuUntil[pb.moveAttribute(m)] > step;
      const aspiration = tabu && s.beatsBest(v, c);
      if ((!tabu || aspiration) && (chosen < 0 || better(v, c, chosenViol, chosenCost))) {
        chosen = m;
        chosenViol = v;
        chosenCost = c;
        aspired = aspiration;
      }
      if (budget.exhausted()) return step;
    }
    if (chosen < 0) break; // everything is tabu and nothing aspires
    tabuUntil[pb.moveAttribute(chosen)] = step + 1 + tenure;
    pb.applyMove(chosen);
    if (aspired) s.count(STAT_TABU_ASPIRATIONS);
    step++;
    sinceBest = s.keepBest() ? 0 : sinceBest + 1;
    if (budget.tick()) break;
  }
  return step;
}
