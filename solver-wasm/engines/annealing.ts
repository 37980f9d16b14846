import { bestDescendedConstruction, localSearch } from "./local-search";
import { COOLING_LINEAR } from "./params";
import { Search, SLOT_BEST, STAT_MOVES_EVALUATED, STAT_SA_ACCEPTED_WORSE, STAT_SA_REHEATS } from "./search";

/**
 * Simulated annealing from the current solution, first polished by local search, until the budget
 * ends. Energy is cost plus a penalty times infeasibility (ten times the start cost: a 10% excess
 * over a limit weighs as much as the whole cost, so the walk may cross infeasible ground but does
 * not stay there). The start temperature, when not given, accepts the median uphill move of a
 * sample with probability 1/2. Cooling is geometric (x alpha per level of n moves) or linear in
 * elapsed time; after `reheatAfter` levels without a new best the search restarts, in turn, from
 * the best solution, from an elite member and from the best of a batch of descended constructions
 * (which may enter the elite set: a walk that keeps returning to one basin cannot leave it),
 * polishes the start by local search, and goes on at twice the temperature where it last found a
 * new best (at most half the start temperature).
 */
export function simulatedAnnealing(s: Search): void {
  const pb = s.pb;
  const budget = s.budget;
  const rng = s.rng;
  const penalty = 10 * max(1.0, Math.abs(pb.cost()));
  localSearch(s, false);
  s.keepBest();
  let n = pb.listMoves();
  if (n == 0) return;
  const t0 = s.params.saStartTemperature > 0 ? s.params.saStartTemperature : startTemperature(s, penalty, n);
  let t = t0;
  let tBest = t0;
  let energy = pb.cost() + penalty * pb.infeasibility();
  let levelsSinceBest = 0;
  let atLevel = 0;
  let levelImproved = false;
  while (!budget.tick()) {
    const m = rng.below(n);
    pb.applyMove(m);
    s.count(STAT_MOVES_EVALUATED);
    const e = pb.cost() + penalty * pb.infeasibility();
    const delta = e - energy;
    if (delta <= 0 || rng.nextFloat() < Math.exp(-delta / t)) {
      if (delta > 0) s.count(STAT_SA_ACCEPTED_WORSE);
      energy = e;
      if (s.keepBest()) {
        levelImproved = true;
        tBest = t;
      }
      n = pb.listMoves();
      if (n == 0) return;
    } else {
      pb.undoMove();
    }
    if (++atLevel < n) continue;
    atLevel = 0;
    levelsSinceBest = levelImproved ? 0 : levelsSinceBest + 1;
    levelImproved = false;
    if (s.params.saCooling == COOLING_LINEAR) {
      t = max(t0 * 1e-4, t0 * (1 - budget.elapsed() / budget.maxMillis));
    } else {
      t *= s.params.saAlpha;
    }
    if (levelsSinceBest >= s.params.saReheatAfter) {
      s.count(STAT_SA_REHEATS);
      levelsSinceBest = 0;
      t = min(t0 / 2, 2 * tBest);
      const turn = <i32>s.stats[STAT_SA_REHEATS] % 3;
      if (turn == 0) bestDescendedConstruction(s);
      else {
        pb.loadSlot(turn == 1 ? SLOT_BEST : s.elite.first + rng.below(s.elite.size));
        localSearch(s, false);
        s.keepBest();
      }
      energy = pb.cost() + penalty * pb.infeasibility();
      n = pb.listMoves();
      if (n == 0) return;
    }
  }
}

/** A temperature at which the median uphill energy change of sampled moves is accepted half the time. */
function startTemperature(s: Search, penalty: f64, n: i32): f64 {
  const pb = s.pb;
  const e0 = pb.cost() + penalty * pb.infeasibility();
  const samples = min(100, n * 2);
  const ups = new StaticArray<f64>(samples);
  let k = 0;
  for (let i = 0; i < samples; i++) {
    pb.applyMove(s.rng.below(n));
    const d = pb.cost() + penalty * pb.infeasibility() - e0;
    pb.undoMove();
    s.count(STAT_MOVES_EVALUATED);
    if (d > 0) ups[k++] = d;
  }
  if (k == 0) return max(1e-6, 0.01 * Math.abs(pb.cost()));
  // the median, so that a few moves into deep infeasibility do not set the scale
  const sorted = StaticArray.slice<f64>(ups, 0, k).sort();
  return sorted[k / 2] / Math.LN2;
}
