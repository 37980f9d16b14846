import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSpace4aiSolution } from '../adapters/space4ai/solution.js';
import { parseSpace4aiSystem } from '../adapters/space4ai/system.js';
import { maxSustainableLoad, type MaxLoad } from '../server/placement/max-load.js';
import type { PlacementDecision, PlacementSystem } from '../server/placement/model.js';
import { evaluateDecision } from '../server/placement/service.js';
import { DATA, referenceDirs } from './helpers/instances.js';

const PROFILE = 'space4ai-r';
const TOL = 1e-3;

/** The decision with each edge/VM resource in use at its most instances. */
function atMax(system: PlacementSystem, d: PlacementDecision): PlacementDecision {
  return { ...d, counts: d.counts.map((c) => ({ ...c, count: system.resources.find((r) => r.name === c.resource)!.number })) };
}

/** A bisection of our own on the evaluator alone: doubling from lambda until infeasible, then halving the bracket. */
function bisect(system: PlacementSystem, d: PlacementDecision, lambda: number): number {
  const ok = (l: number) => evaluateDecision(system, PROFILE, d, l).evaluation.feasible;
  let lo = lambda;
  let hi = lambda;
  while (ok(hi)) { lo = hi; hi *= 2; }
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (ok(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

describe('maximum sustainable load', () => {
  const cases = referenceDirs().map((dir) => [dir.slice(DATA.length + 1), dir] as const);
  const methods = new Map<string, number>();

  it.each(cases)('%s: feasible at the answer, infeasible at (1 + 2 tol) times it, as a bisection of our own finds, both readings', (_, dir) => {
    const system = parseSpace4aiSystem(readFileSync(join(dir, 'system_description.json'), 'utf8'));
    const decision = parseSpace4aiSolution(readFileSync(join(dir, 'best_sol_1.8.json'), 'utf8'));
    for (const atMaxCounts of [false, true]) {
      const m: MaxLoad = maxSustainableLoad({ system, profile: PROFILE, decision, lambda: 1.8, atMaxCounts, tolerance: TOL });
      methods.set(m.method, (methods.get(m.method) ?? 0) + 1);
      const evaluated = atMaxCounts ? atMax(system, decision) : decision;
      expect(m.feasibleAtLambda).toBe(true);
      expect(m.unbounded).toBe(false);
      expect(m.maxLambda).toBeGreaterThanOrEqual(1.8);
      expect(evaluateDecision(system, PROFILE, evaluated, m.maxLambda).evaluation.feasible).toBe(true);
      const above = evaluateDecision(system, PROFILE, evaluated, m.maxLambda * (1 + 2 * TOL)).evaluation;
      expect(above.feasible).toBe(false);
      expect(above.violations.map((v) => `${v.kind} ${v.subject}`)).toContain(`${m.binding!.kind} ${m.binding!.subject}`);
      const ours = bisect(system, evaluated, 1.8);
      expect(Math.abs(m.maxLambda - ours) / ours).toBeLessThanOrEqual(TOL);
      expect(m.slacks.every((s) => s.slack >= 0)).toBe(true);
    }
  });

  it('answers directly where no FaaS time enters a constraint, by bisection elsewhere', () => {
    expect(methods.get('direct')).toBeGreaterThan(0);
    expect(methods.get('bisection')).toBeGreaterThan(0);
  });

  it('a decision infeasible at its load gets the largest load below it; one no load cures gets 0 and the reason', () => {
    const dir = referenceDirs().find((d) => d.endsWith(join('Light', '7Components', 'Ins1')))!;
    const system = parseSpace4aiSystem(readFileSync(join(dir, 'system_description.json'), 'utf8'));
    const decision = parseSpace4aiSolution(readFileSync(join(dir, 'best_sol_1.8.json'), 'utf8'));
    const m = maxSustainableLoad({ system, profile: PROFILE, decision, lambda: 1.8, atMaxCounts: false, tolerance: TOL });
    const high = maxSustainableLoad({ system, profile: PROFILE, decision, lambda: m.maxLambda * 3, atMaxCounts: false, tolerance: TOL });
    expect(high.feasibleAtLambda).toBe(false);
    expect(Math.abs(high.maxLambda - m.maxLambda) / m.maxLambda).toBeLessThanOrEqual(2 * TOL);
    const zero = { ...decision, counts: decision.counts.map((c, k) => (k === 0 ? { ...c, count: 0 } : c)) };
    const none = maxSustainableLoad({ system, profile: PROFILE, decision: zero, lambda: 1.8, atMaxCounts: false, tolerance: TOL });
    expect(none.maxLambda).toBe(0);
    expect(none.method).toBe('infeasible_at_any_load');
    expect(none.binding!.kind).toBe('instances');
  });

  it('refuses a bad tolerance or load, naming it', () => {
    const dir = referenceDirs()[0];
    const system = parseSpace4aiSystem(readFileSync(join(dir, 'system_description.json'), 'utf8'));
    const decision = parseSpace4aiSolution(readFileSync(join(dir, 'best_sol_1.8.json'), 'utf8'));
    const path = (f: () => unknown) => { try { f(); return undefined; } catch (e) { return (e as { path?: string }).path; } };
    expect(path(() => maxSustainableLoad({ system, profile: PROFILE, decision, atMaxCounts: false, tolerance: 0.9 }))).toBe('tolerance');
    expect(path(() => maxSustainableLoad({ system, profile: PROFILE, decision, lambda: -1, atMaxCounts: false, tolerance: TOL }))).toBe('lambda');
    expect(path(() => maxSustainableLoad({ system, profile: PROFILE, decision: { ...decision, counts: [{ resource: 'nope', count: 1 }] }, atMaxCounts: false, tolerance: TOL }))).toBe('decision.counts[0].resource');
  });
});
