import type { IndexDecision } from '../decision.js';
import { evaluatePlacement } from '../evaluate.js';
import type { IndexedProblem } from '../problem.js';

export type ExactMethod = 'enumeration' | 'milp';

export interface ExactOptions {
  seconds: number;
  /** polled between branches: true ends the search with the incumbent, not proven optimal */
  shouldStop?: () => boolean;
  /** a known decision to start from: the search then proves it optimal or finds a better one */
  incumbent?: IndexDecision;
}

export interface ExactResult {
  method: ExactMethod;
  /** the best feasible decision found; null when none was found */
  decision: IndexDecision | null;
  cost: number;
  /** the search finished: the decision is optimal, or (when null) no feasible placement exists */
  proven: boolean;
  /** branches visited (enumeration) or MILPs solved (milp) */
  nodes: number;
  elapsedS: number;
}

/** Re-evaluates an exact method's answer with the TypeScript evaluator: it must be feasible at the cost the method computed. */
export function confirmOptimum(pb: IndexedProblem, method: ExactMethod, decision: IndexDecision | null, proven: boolean, nodes: number, elapsedS: number): ExactResult {
  if (!decision) return { method, decision, cost: Infinity, proven, nodes, elapsedS };
  const e = evaluatePlacement(pb, decision);
  if (!e.feasible) throw new Error(`${method}: its solution is infeasible (${e.violations.map((v) => v.message).join('; ')})`);
  return { method, decision, cost: e.totalCost, proven, nodes, elapsedS };
}
