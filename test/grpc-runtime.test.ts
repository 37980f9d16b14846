import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { parseSpace4aiSolution } from '../adapters/space4ai/solution.js';
import { parseSpace4aiSystem } from '../adapters/space4ai/system.js';
import { policyBreaches } from '../bench/policy-rules.js';
import { applyChanges, type PlacementChange } from '../server/placement/changes.js';
import { evaluateDecision } from '../server/placement/service.js';
import { failure, liveServer } from './helpers/grpc-calls.js';
import { referenceDirs } from './helpers/instances.js';

type Msg = Record<string, any>;

const dir = referenceDirs().find((d) => d.endsWith(join('Light', '15Components', 'Ins2')))!;
const json = readFileSync(join(dir, 'system_description.json'), 'utf8');
const currentJson = readFileSync(join(dir, 'best_sol_1.8.json'), 'utf8');
const system = parseSpace4aiSystem(json);
const current = parseSpace4aiSolution(currentJson);

const live = liveServer();

const request = (extra: Msg = {}): Msg => ({
  space4aiJson: json, currentSpace4aiJson: currentJson, lambda: 2.16, compat: 'COMPAT_SPACE4AI_R', budget: { seconds: 0.2 }, seed: 3, ...extra,
});

describe('runtime re-optimization over gRPC', () => {
  it('ReoptimizePlacement answers a feasible solution within the space4ai-r rules, with changes that lead to it', async () => {
    const res = await live.unary('ReoptimizePlacement', request({ policy: 'SPACE4AI_R' }));
    expect(res.solution.evaluation.feasible).toBe(true);
    const check = evaluateDecision(system, 'space4ai-r', res.solution.decision, 2.16).evaluation;
    expect(check.feasible).toBe(true);
    expect(check.totalCost).toBeCloseTo(res.costAfter, 9);
    expect(res.costAfter).toBeLessThanOrEqual(res.costBefore);
    expect(['KEEP', 'RESIZE', 'MIGRATE']).toContain(res.verdict);
    expect(policyBreaches(system, current, res.solution.decision, { policy: 'space4ai-r', pinned: [] })).toEqual([]);
    const applied = applyChanges(current, res.changes as PlacementChange[]);
    expect(evaluateDecision(system, 'space4ai-r', applied, 2.16).evaluation.totalCost).toBeCloseTo(res.costAfter, 9);
    expect(JSON.parse(res.solution.space4aiSolutionJson).Lambda).toBe(2.16);
  });

  it('ReoptimizePlacementStream sends progress, then the answer; pins and the cap hold', async () => {
    const pinned = ['c1', 'c6'];
    const { progress, result, error } = await live.stream('ReoptimizePlacementStream', request({
      budget: { seconds: 0.3 }, policy: 'PRICED', prices: { deployment: 0.2, instance: 0.05 }, maxChanges: 4, pinned,
    }));
    expect(error).toBeUndefined();
    expect(progress.length).toBeGreaterThan(0);
    expect(result!.changes.length).toBeLessThanOrEqual(4);
    expect(policyBreaches(system, current, result!.solution.decision, { policy: 'priced', pinned, maxChanges: 4 })).toEqual([]);
    expect(result!.costAfter + result!.migrationCost).toBeLessThanOrEqual(result!.costBefore * (1 + 1e-9));
  });

  it('MaxSustainableLoad answers a load the evaluator finds feasible, and infeasible just above', async () => {
    for (const atMaxCounts of [false, true]) {
      const res = await live.unary('MaxSustainableLoad', { space4aiJson: json, space4aiSolutionJson: currentJson, lambda: 1.8, compat: 'COMPAT_SPACE4AI_R', atMaxCounts });
      const counts = atMaxCounts ? current.counts.map((c) => ({ ...c, count: system.resources.find((r) => r.name === c.resource)!.number })) : current.counts;
      const decision = { ...current, counts };
      expect(res.maxLambda).toBeGreaterThan(1.8);
      expect(evaluateDecision(system, 'space4ai-r', decision, res.maxLambda).evaluation.feasible).toBe(true);
      expect(evaluateDecision(system, 'space4ai-r', decision, res.maxLambda * 1.002).evaluation.feasible).toBe(false);
      expect(res.binding.subject).not.toBe('');
      expect(res.slacks.length).toBeGreaterThan(0);
    }
  });

  it('bad input is INVALID_ARGUMENT naming the field', async () => {
    const field = async (req: Msg, method = 'ReoptimizePlacement') => {
      const err = await failure(live.unary(method, req));
      expect(err.code, err.details).toBe(grpc.status.INVALID_ARGUMENT);
      return err.metadata.get('field')[0];
    };
    const native = { components: current.components, counts: current.counts };
    const first = native.components[0];
    expect(await field(request({ lambda: 0 }))).toBe('lambda');
    expect(await field(request({ lambda: -2 }))).toBe('lambda');
    expect(await field(request({ currentSpace4aiJson: undefined, current: { ...native, components: [{ ...first, component: 'zz' }, ...native.components.slice(1)] } }))).toBe('current.components[0].component');
    expect(await field(request({ currentSpace4aiJson: undefined, current: { ...native, components: [{ ...first, deployment: 'zz' }, ...native.components.slice(1)] } }))).toBe(`current.components.${first.component}.deployment`);
    expect(await field(request({ currentSpace4aiJson: undefined, current: { ...native, counts: [{ resource: 'zz', count: 1 }] } }))).toBe('current.counts[0].resource');
    expect(await field(request({ currentSpace4aiJson: undefined }))).toBe('current_source');
    expect(await field(request({ pinned: ['zz'] }))).toBe('pinned[0]');
    expect(await field(request({ method: 'EXACT' }))).toBe('method');
    expect(await field(request({ prices: { partition: -1 } }))).toBe('prices.partition');
    expect(await field({ space4aiJson: json, space4aiSolutionJson: currentJson, tolerance: 0.9 }, 'MaxSustainableLoad')).toBe('tolerance');
    expect(await field({ space4aiJson: json, decision: { ...native, counts: [{ resource: 'zz', count: 1 }] } }, 'MaxSustainableLoad')).toBe('decision.counts[0].resource');
  });
});
