import { better } from "./problem";
import { Search, STAT_MOVES_EVALUATED, STAT_TABU_ASPIRATIONS } from "./search";

const WEIGHT_STEP: f64 = 1.2;
const WEIGHT_RANGE: f64 = 1000;

/**
 * Tabu search from the current solution for at most `steps` moves: each step takes the non-tabu
 * move of least penalized cost (cost + weight x infeasibility), even if it is worse; a tabu move
 * that beats the best solution goes before any other (aspiration). The attribute it changed stays
 * tabu for `tenure` steps. The weight rises while the walk is infeasible and falls while it is
 * feasible (strategic oscillation): the walk crosses infeasible ground between basins that a
 * feasible-first rule keeps it out of, such as freeing a node by moving work off it in several
 * steps. Without `oscillate`, steps rank feasibility first, then cost: a short burst from a good
 * solution stays on feasible ground, where it finds the nearby improvements sooner. Large
 * neighbourhoods are sampled (a candidate list). Stops early after `patience` steps without a new
 * best. Returns the steps made.
 */
export function tabuSearch(s: Search, steps: i32, patience: i32, oscillate: bool = true): i32 {
  const pb = s.pb;
  const budget = s.budget;
  const attrs = pb.attributeCount();
  const tabuUntil = s.tabuUntil;
  for (let a = 0; a < attrs; a++) tabuUntil[a] = 0;
  const tenure = s.params.tabuTenure > 0 ? s.params.tabuTenure : min(20, max(5, attrs / 8));
  const sample = s.params.candidateList > 0 ? s.params.candidateList : 200;
  // one unit of infeasibility starts at the price of the whole solution; each step moves it by WEIGHT_STEP
  const start = pb.cost();
  const w0: f64 = isFinite(start) ? 1 + Math.abs(start) : 1;
  let weight = w0;
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
    let chosenScore: f64 = Infinity;
    let aspired = false;
    for (let i = 0; i < tries; i++) {
      const m = sampled ? s.rng.below(n) : i;
      pb.applyMove(m);
      const v = pb.infeasibility();
      const c = pb.cost();
      pb.undoMove();
      s.count(STAT_MOVES_EVALUATED);
      const tabu = tabuUntil[pb.moveAttribute(m)] > step;
      const score = c + weight * v;
      const aspiration = tabu && s.beatsBest(v, c);
      const ahead = oscillate ? score < chosenScore : better(v, c, chosenViol, chosenCost);
      if ((!tabu || aspiration) && (chosen < 0 || (aspiration && !aspired) || (aspiration == aspired && ahead))) {
        chosen = m;
        chosenViol = v;
        chosenCost = c;
        chosenScore = score;
        aspired = aspiration;
      }
      if (budget.exhausted()) return step;
    }
    if (chosen < 0) break; // everything is tabu and nothing aspires
    tabuUntil[pb.moveAttribute(chosen)] = step + 1 + tenure;
    pb.applyMove(chosen);
    weight = chosenViol > 0 ? min(w0 * WEIGHT_RANGE, weight * WEIGHT_STEP) : max(w0 / WEIGHT_RANGE, weight / WEIGHT_STEP);
    if (aspired) s.count(STAT_TABU_ASPIRATIONS);
    step++;
    sinceBest = s.keepBest() ? 0 : sinceBest + 1;
    if (budget.tick()) break;
  }
  return step;
}
