import { inSolutionFile } from '../../adapters/space4ai/solution.js';
import { InputError } from '../input-error.js';
import { countsInUse } from './changes.js';
import { resolveDecision, type IndexDecision } from './decision.js';
import { evaluatePlacement, type PlacementEvaluation, type ViolationKind } from './evaluate.js';
import type { PlacementDecision, PlacementSystem, Profile } from './model.js';
import { indexProblem, type IndexedProblem } from './problem.js';

export const DEFAULT_TOLERANCE = 1e-3;

/** The constraints that depend on the load, with their value at one load. */
export type LoadConstraintKind = 'utilization' | 'local_response_time' | 'global_response_time';

export interface ConstraintSlack {
  kind: LoadConstraintKind | ViolationKind;
  subject: string;
  value: number;
  limit: number;
  /** (limit - value) / limit: how far from binding, negative when violated */
  slack: number;
}

export interface MaxLoadInput {
  system: PlacementSystem;
  profile: Profile;
  decision: PlacementDecision;
  /** the load now (absent: the system's) */
  lambda?: number;
  /** every edge/VM resource in use at its most instances (the reference's reading) instead of the given counts */
  atMaxCounts: boolean;
  /** relative tolerance of the answer */
  tolerance: number;
}

/** How the answer was found: solved on the model's form, by bisection, or none exists. */
export type MaxLoadMethod = 'direct' | 'bisection' | 'infeasible_at_any_load';

export interface MaxLoad {
  /** the largest load found feasible (0 when none is) */
  maxLambda: number;
  /** feasible at every load tried up to 2^50 times the given one (FaaS only) */
  unbounded: boolean;
  lambda: number;
  feasibleAtLambda: boolean;
  method: MaxLoadMethod;
  /** the constraint that breaks first above maxLambda */
  binding?: ConstraintSlack;
  /** every load-dependent constraint at the given load */
  slacks: ConstraintSlack[];
  /** instances each edge/VM resource in use was evaluated with */
  counts: { resource: string; count: number }[];
  evaluations: number;
}

/** The load-dependent constraints of an evaluation with their relative slack. */
function loadSlacks(ev: PlacementEvaluation): ConstraintSlack[] {
  const slack = (kind: LoadConstraintKind, subject: string, value: number, limit: number): ConstraintSlack =>
    ({ kind, subject, value, limit, slack: Number.isFinite(value) ? (limit - value) / limit : -Infinity });
  return [
    ...ev.resources.filter((r) => r.count > 0).map((r) => slack('utilization', r.resource, r.utilization, 1)),
    ...ev.components.filter((c) => Number.isFinite(c.limit)).map((c) => slack('local_response_time', c.component, c.responseTime, c.limit)),
    ...ev.paths.map((p) => slack('global_response_time', p.path, p.responseTime, p.limit)),
  ];
}

const LOAD_KINDS = new Set<string>(['utilization', 'local_response_time', 'global_response_time']);

/**
 * The largest arrival rate at which a decision stays feasible, to a relative tolerance.
 *
 * Direct where the model allows it: utilization grows linearly with the load, and an edge/VM
 * response time is K + sum of b / (1 - a lambda) (a queue's demand over its free share, plus fixed
 * transfers), increasing in the load; each constraint's crossing is solved on that form and the
 * answer is the first one, checked by the evaluator. A FaaS time follows the serverless model, which
 * need not grow with the load: where one enters a constraint the answer is a bisection between a
 * feasible and an infeasible load, bracketed by the direct bound of the other constraints.
 */
export function maxSustainableLoad(input: MaxLoadInput): MaxLoad {
  const lambda = input.lambda ?? input.system.lambda;
  if (!(Number.isFinite(lambda) && lambda > 0)) throw new InputError('lambda', lambda, 'must be a finite number > 0');
  const tol = input.tolerance;
  if (!(Number.isFinite(tol) && tol >= 1e-9 && tol <= 0.5)) throw new InputError('tolerance', tol, 'must be in [1e-9, 0.5]');
  const at = (l: number): IndexedProblem => indexProblem(input.system, input.profile, l);
  const pb0 = at(lambda);
  const d = inSolutionFile(input.decision, () => resolveDecision(pb0, input.decision));
  d.count = countsInUse(pb0, d).map((n, r) => (n > 0 && input.atMaxCounts ? pb0.resources[r].number : n));
  let evaluations = 0;
  const evaluate = (l: number): PlacementEvaluation => { evaluations++; return evaluatePlacement(l === lambda ? pb0 : at(l), d); };
  const ev0 = evaluate(lambda);
  const counts = pb0.resources.flatMap((r, i) => (d.count[i] > 0 ? [{ resource: r.name, count: d.count[i] }] : []));
  const answer = (maxLambda: number, method: MaxLoadMethod, binding?: ConstraintSlack, unbounded = false): MaxLoad => ({
    maxLambda, unbounded, lambda, feasibleAtLambda: ev0.feasible, method, binding, slacks: loadSlacks(ev0), counts, evaluations,
  });

  const fixed = ev0.violations.find((v) => !LOAD_KINDS.has(v.kind));
  if (fixed) return answer(0, 'infeasible_at_any_load', { kind: fixed.kind, subject: fixed.subject, value: fixed.value, limit: fixed.limit, slack: -Infinity });

  const bound = directBound(pb0, d, ev0, lambda);
  if (ev0.feasible && bound.exact) {
    // the crossing solved on the form, stepped down if the evaluator's rounding puts it just outside
    for (const back of [0, 1e-12, 1e-9, 1e-6, tol / 2]) {
      const l = bound.lambda * (1 - back);
      if (!Number.isFinite(l)) return answer(lambda, 'direct', undefined, true);
      if (evaluate(l).feasible) return answer(l, 'direct', bound.binding);
    }
  }

  let lo = 0;
  let hi = Infinity;
  if (ev0.feasible) {
    lo = lambda;
    hi = bound.lambda * (1 + tol / 4);
    for (let k = 1; !Number.isFinite(hi) && k <= 50; k++) {
      const l = lambda * 2 ** k;
      if (evaluate(l).feasible) lo = l;
      else hi = l;
    }
    if (!Number.isFinite(hi)) return answer(lo, 'bisection', undefined, true);
  } else {
    hi = lambda;
    for (let k = 1; lo === 0 && k <= 60; k++) {
      const l = lambda / 2 ** k;
      if (evaluate(l).feasible) lo = l;
      else hi = l;
    }
    if (lo === 0) return answer(0, 'bisection', firstBroken(evaluate(hi)));
  }
  while (hi > lo * (1 + tol)) {
    const mid = (lo + hi) / 2;
    if (evaluate(mid).feasible) lo = mid;
    else hi = mid;
  }
  return answer(lo, 'bisection', firstBroken(evaluate(hi)));
}

/** A response time as a function of the load l: constant + sum of b / (1 - a l). */
interface TimeForm { constant: number; terms: { b: number; a: number }[] }

const formAt = (f: TimeForm, l: number) => f.terms.reduce((t, { b, a }) => t + b / (1 - a * l), f.constant);

/**
 * The first load at which a constraint without FaaS breaks, and which one (the utilization bound
 * included); `exact` when no constraint holds a FaaS time, so that this is the answer itself.
 */
function directBound(pb: IndexedProblem, d: IndexDecision, ev: PlacementEvaluation, lambda: number): { lambda: number; binding?: ConstraintSlack; exact: boolean } {
  const util = new Map(ev.resources.map((r) => [r.resource, r.utilization]));
  let exact = true;
  let first = Infinity;
  let binding: ConstraintSlack | undefined;
  const consider = (l: number, kind: LoadConstraintKind, subject: string, limit: number) => {
    if (l < first) { first = l; binding = { kind, subject, value: limit, limit, slack: 0 }; }
  };
  for (const r of ev.resources) {
    if (r.count > 0 && r.utilization > 0) consider((lambda / r.utilization) * (1 - 1e-12), 'utilization', r.resource, 1);
  }
  const forms = pb.components.map((comp, ci): TimeForm | undefined => {
    const evc = ev.components[ci];
    const terms: TimeForm['terms'] = [];
    let queued = 0;
    for (const [k, p] of comp.deployments[d.deployment[ci]].partitions.entries()) {
      const part = pb.partitions[p];
      const res = pb.resources[d.resource[p]];
      if (res.kind === 'FAAS') return undefined;
      const u = util.get(res.name)!;
      const b = (k === 0 ? 1 : part.reach) * part.candidates.find((c) => c.resource === d.resource[p])!.time;
      terms.push({ b, a: u / lambda });
      queued += b / (1 - u);
    }
    return { constant: evc.responseTime - queued, terms };
  });
  pb.components.forEach((comp, ci) => {
    if (!Number.isFinite(comp.localLimit)) return;
    const f = forms[ci];
    if (f) consider(crossing(f, comp.localLimit, lambda), 'local_response_time', comp.name, comp.localLimit);
    else exact = false;
  });
  pb.paths.forEach((path, g) => {
    const parts = path.components.map((c) => forms[c]);
    if (parts.some((f) => f === undefined)) { exact = false; return; }
    const own = path.components.reduce((t, c) => t + ev.components[c].responseTime, 0);
    const f: TimeForm = { constant: ev.paths[g].responseTime - own + parts.reduce((t, x) => t + x!.constant, 0), terms: parts.flatMap((x) => x!.terms) };
    consider(crossing(f, path.limit, lambda), 'global_response_time', path.name, path.limit);
  });
  return { lambda: first, binding, exact };
}

/** The load from `from` up at which an increasing time form reaches `limit` (Infinity if it never does), to double precision. */
function crossing(f: TimeForm, limit: number, from: number): number {
  const steepest = Math.max(0, ...f.terms.map((t) => t.a));
  if (steepest === 0) return formAt(f, from) <= limit ? Infinity : from;
  let lo = from;
  let hi = 1 / steepest;
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (formAt(f, mid) <= limit) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The most exceeded load-dependent constraint of an infeasible evaluation. */
function firstBroken(ev: PlacementEvaluation): ConstraintSlack | undefined {
  return loadSlacks(ev).sort((a, b) => a.slack - b.slack)[0];
}

