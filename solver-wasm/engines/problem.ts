import { Rng } from "../rng";

/** Relative tolerance under which two costs or infeasibilities count as equal. */
export const EPS: f64 = 1e-12;

/** Lexicographic order: less infeasibility first, then less cost. */
export function better(v1: f64, c1: f64, v2: f64, c2: f64): bool {
  if (v1 < v2 - EPS * (1 + v2)) return true;
  if (v1 > v2 + EPS * (1 + v2)) return false;
  return c1 < c2 - EPS * (1 + Math.abs(c2));
}

/** Equal within 1e-9 relative: what the full-recompute assertion mode accepts from an incremental evaluation. */
export function nearlyEqual(a: f64, b: f64): bool {
  if (a == b) return true;
  return Math.abs(a - b) <= 1e-9 * max(1.0, max(Math.abs(a), Math.abs(b)));
}

/**
 * What an engine needs from a problem. The problem owns one current solution with its evaluation,
 * a move list for it, and numbered slots to keep solutions in (elite set, best).
 */
export abstract class Problem {
  /** Replaces the current solution by a randomized greedy one and evaluates it fully. */
  abstract construct(rng: Rng): void;
  /** Re-evaluates the current solution from scratch. */
  abstract evaluateFull(): void;
  abstract cost(): f64;
  abstract infeasibility(): f64;

  /** Lists the moves of the current solution; returns how many there are. */
  abstract listMoves(): i32;
  /** Applies listed move m with an incremental evaluation (undoable once). */
  abstract applyMove(m: i32): void;
  /** Reverts the last applied move. */
  abstract undoMove(): void;
  /** Number of move attributes (what a tabu list forbids touching again). */
  abstract attributeCount(): i32;
  /** The attribute of listed move m: the decision variable it changes. */
  abstract moveAttribute(m: i32): i32;
  /** Lists moves that each set one variable of the current solution to its value in a slot; returns how many. */
  abstract listMovesToward(slot: i32): i32;

  abstract slotCount(): i32;
  abstract saveSlot(slot: i32): void;
  abstract loadSlot(slot: i32): void;
  abstract slotCost(slot: i32): f64;
  abstract slotInfeasibility(slot: i32): f64;
  /** How many decision variables differ between two slots. */
  abstract distance(a: i32, b: i32): i32;

  /**
   * Neighbourhoods of more moves than this are descended by first improvement, each scan going on
   * from where the last step's move was: a best-improvement step over them costs more than the
   * steps it saves.
   */
  bestImprovementLimit(): i32 { return i32.MAX_VALUE; }

  /** How many decisions the host gave to start from (a running decision when re-optimizing). */
  seedCount(): i32 { return 0; }
  /** Makes seed i the current solution and evaluates it fully. */
  loadSeed(i: i32): void {}
}
