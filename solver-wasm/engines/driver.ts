import { STOP_CONVERGED, STOP_NONE } from "../budget";
import { simulatedAnnealing } from "./annealing";
import { bestDescendedConstruction, localSearch } from "./local-search";
import {
  METHOD_AUTO, METHOD_LS, METHOD_PR, METHOD_RG, METHOD_RG_LS, METHOD_SA, METHOD_TS, SolveParams,
} from "./params";
import { relinkElite } from "./path-relinking";
import { Problem } from "./problem";
import {
  PHASE_ANNEALING, PHASE_CONSTRUCT, PHASE_DONE, PHASE_LOCAL_SEARCH, PHASE_RELINKING, PHASE_RESTART, PHASE_TABU,
  Search, SLOT_BEST, SLOT_SCRATCH, STAT_RESTARTS,
} from "./search";
import { tabuSearch } from "./tabu";

/**
 * Runs one solve with the chosen method. Every method starts with random greedy constructions
 * into the elite set, after the host's seeds; the best solution ends current and in SLOT_BEST.
 */
export function solve(pb: Problem, params: SolveParams): Search {
  const s = new Search(pb, params);
  const budget = s.budget;
  budget.phase = PHASE_CONSTRUCT;
  pb.construct(s.rng);
  s.elite.offer(SLOT_SCRATCH);
  s.startBest();
  const seeds = pb.seedCount();
  for (let i = 0; i < seeds; i++) {
    pb.loadSeed(i);
    s.elite.offer(SLOT_SCRATCH);
    s.keepBest();
  }
  const method = params.method;
  if (method == METHOD_LS) {
    budget.phase = PHASE_LOCAL_SEARCH;
    if (seeds > 0) pb.loadSlot(SLOT_BEST);
    if (localSearch(s, false)) budget.reason = STOP_CONVERGED;
    s.keepBest();
  } else if (method == METHOD_RG) {
    greedy(s, i32.MAX_VALUE);
  } else {
    greedy(s, params.greedyIterations);
    if (method == METHOD_RG_LS) {
      improveElite(s);
      while (budget.reason == STOP_NONE) restart(s);
    } else if (method == METHOD_TS) {
      tabuWalks(s);
    } else if (method == METHOD_SA) {
      pb.loadSlot(SLOT_BEST);
      budget.phase = PHASE_ANNEALING;
      simulatedAnnealing(s);
    } else if (method == METHOD_PR) {
      improveElite(s);
      while (budget.reason == STOP_NONE) {
        budget.phase = PHASE_RELINKING;
        relinkElite(s);
        restart(s); // new material for the elite set between rounds
      }
    } else if (method == METHOD_AUTO) {
      auto(s);
    }
  }
  pb.loadSlot(SLOT_BEST);
  budget.finish(PHASE_DONE);
  return s;
}

/** Random greedy constructions into the elite set. */
function greedy(s: Search, count: i32): void {
  let built = 1;
  while (!s.budget.tick() && built < count) {
    s.pb.construct(s.rng);
    s.elite.offer(SLOT_SCRATCH);
    s.keepBest();
    built++;
  }
}

/** Tabu search from the best construction to the end of the budget, with fresh starts between walks. */
function tabuWalks(s: Search): void {
  const pb = s.pb;
  const budget = s.budget;
  pb.loadSlot(SLOT_BEST);
  const patience = max(100, 2 * pb.attributeCount());
  while (budget.reason == STOP_NONE) {
    budget.phase = PHASE_TABU;
    if (tabuSearch(s, i32.MAX_VALUE, patience) == 0) {
      // no step was possible: without moves the search is over; else the stall still counts
      if (pb.listMoves() == 0) budget.reason = STOP_CONVERGED;
      else if (budget.tick()) break;
    }
    // past the best-improvement limit a step samples a few percent of the moves and can pass over
    // an improving one: a descent over them all settles the best
    pb.loadSlot(SLOT_BEST);
    if (pastLimit(pb)) {
      budget.phase = PHASE_LOCAL_SEARCH;
      localSearch(s, false);
      s.keepBest();
    }
    // kicks alone cannot leave a basin the walks keep returning to: fresh starts between them
    tabuRestart(s);
  }
}

/** Whether the current solution lists more moves than the problem's best-improvement limit (not listed when there is none). */
function pastLimit(pb: Problem): bool {
  const limit = pb.bestImprovementLimit();
  return limit < i32.MAX_VALUE && pb.listMoves() > limit;
}

/**
 * Local search from every elite member, each result offered back. With `stopPastLimit`, returns
 * true, and stops, as soon as a local optimum is past the best-improvement limit.
 */
function improveElite(s: Search, stopPastLimit: bool = false): bool {
  const pb = s.pb;
  s.budget.phase = PHASE_LOCAL_SEARCH;
  const n = s.elite.size;
  for (let i = 0; i < n && s.budget.reason == STOP_NONE; i++) {
    pb.loadSlot(s.elite.first + i);
    localSearch(s, false);
    s.elite.offer(SLOT_SCRATCH);
    s.keepBest();
    if (stopPastLimit && pastLimit(pb)) return true;
  }
  return false;
}

/** One restart of iterated local search: a fresh construction or a kick of the best, alternately, then descent. */
function restart(s: Search): void {
  if (s.budget.tick()) return;
  s.budget.phase = PHASE_RESTART;
  const restarts = <i32>s.stats[STAT_RESTARTS];
  s.count(STAT_RESTARTS);
  if (restarts % 2 == 0) s.pb.construct(s.rng);
  else s.kick();
  localSearch(s, false);
  s.elite.offer(SLOT_SCRATCH);
  s.keepBest();
}

/**
 * Tabu search's next start: a kick of the best and the best of a batch of descended constructions,
 * in turn; past the best-improvement limit kicks only, since the batch costs tens of seconds there
 * (100 descents of 18,600 moves on 100 components) and lands in a construction's basin, which the
 * oscillating walks leave by themselves.
 */
function tabuRestart(s: Search): void {
  const restarts = <i32>s.stats[STAT_RESTARTS];
  s.count(STAT_RESTARTS);
  if (restarts % 2 == 0 || pastLimit(s.pb)) s.kick();
  else bestDescendedConstruction(s);
}

/**
 * The combined default: random greedy and local search on the elite set, then iterated local
 * search, with a round of path relinking every 4 restarts and a feasible-first tabu burst from
 * the best every 8 (the burst is longer on larger neighbourhoods). Past the problem's
 * best-improvement limit a descent costs seconds where tabu search's sampled steps go further:
 * auto is tabu search once a construction or a local optimum lists more moves (constructions
 * occupy every layer, so local optima, which free layers, can list several times more).
 */
function auto(s: Search): void {
  const pb = s.pb;
  if (pastLimit(pb) || improveElite(s, true)) {
    tabuWalks(s);
    return;
  }
  const burst = min(400, max(50, pb.attributeCount()));
  let round = 0;
  while (s.budget.reason == STOP_NONE) {
    restart(s);
    round++;
    if (round % 4 == 0) {
      s.budget.phase = PHASE_RELINKING;
      relinkElite(s);
    }
    if (round % 8 == 0 && s.budget.reason == STOP_NONE) {
      s.budget.phase = PHASE_TABU;
      pb.loadSlot(SLOT_BEST);
      tabuSearch(s, burst, burst, false);
      s.elite.offer(SLOT_SCRATCH);
    }
  }
}
