import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSpace4aiSolution } from '../adapters/space4ai/solution.js';
import { parseSpace4aiSystem } from '../adapters/space4ai/system.js';
import { policyBreaches } from '../bench/policy-rules.js';
import { applyChanges } from '../server/placement/changes.js';
import type { PlacementDecision, PlacementSystem } from '../server/placement/model.js';
import { reoptimizePlacement, ZERO_PRICES, type ReoptimizeInput } from '../server/placement/reoptimize.js';
import { evaluateDecision, type PlacementProgress } from '../server/placement/service.js';
import { inThreadRunner } from '../server/pool.js';
import { DATA, referenceDirs } from './helpers/instances.js';
import { lcg } from './helpers/lcg.js';

const PROFILE = 'space4ai-r';

function reference(dir: string): { system: PlacementSystem; current: PlacementDecision } {
  return {
    system: parseSpace4aiSystem(readFileSync(join(dir, 'system_description.json'), 'utf8')),
    current: parseSpace4aiSolution(readFileSync(join(dir, 'best_sol_1.8.json'), 'utf8')),
  };
}

/** A random decision: any deployment, any compatible resource per partition, any count within 1..number. */
function randomDecision(system: PlacementSystem, next: (n: number) => number): PlacementDecision {
  const used = new Set<string>();
  const components = system.components.map((c) => {
    const d = c.deployments[next(c.deployments.length)];
    return {
      component: c.name, deployment: d.name,
      partitions: d.partitions.map((p) => {
        const resource = p.candidates[next(p.candidates.length)].resource;
        used.add(resource);
        return { partition: p.name, resource };
      }),
    };
  });
  const counts = system.resources.filter((r) => used.has(r.name) && r.kind !== 'FAAS').map((r) => ({ resource: r.name, count: 1 + next(r.number) }));
  return { components, counts };
}

/** A decision as a comparable value: assignments by component and the counts of the edge/VM resources in use. */
function normalized(system: PlacementSystem, d: PlacementDecision) {
  const faas = new Set(system.resources.filter((r) => r.kind === 'FAAS').map((r) => r.name));
  const used = new Set(d.components.flatMap((a) => a.partitions.map((p) => p.resource)));
  return {
    components: [...d.components].sort((a, b) => a.component.localeCompare(b.component)),
    counts: d.counts.filter((c) => used.has(c.resource) && !faas.has(c.resource)).sort((a, b) => a.resource.localeCompare(b.resource)),
  };
}

const dirs = referenceDirs();
const pick = (set: string, size: number, ins: number) => dirs.find((d) => d.endsWith(join(set, `${size}Components`, `Ins${ins}`)))!;

describe('re-optimization from a running decision', () => {
  it('keeps every policy rule, lists changes that lead exactly to the answer, and never answers worse than a feasible current', async () => {
    const next = lcg(20261201);
    let checked = 0;
    let feasibleCurrents = 0;
    for (const [set, size, ins] of [['Light', 5, 3], ['Strict', 7, 2], ['Light', 10, 5], ['Strict', 15, 8]] as const) {
      const { system, current: shipped } = reference(pick(set, size, ins));
      for (let k = 0; k < 6; k++) {
        const current = k < 3 ? shipped : randomDecision(system, next);
        const lambda = 0.3 + next(1000) / 400;
        const policy = k % 2 === 0 ? 'space4ai-r' as const : 'priced' as const;
        const pinned = policy === 'priced' ? system.components.filter(() => next(4) === 0).map((c) => c.name) : [];
        const maxChanges = policy === 'priced' && k % 3 === 0 ? 1 + next(4) : undefined;
        const prices = policy === 'priced' ? { deployment: next(3), partition: next(3) / 2, layerType: next(2), instance: next(3) / 4 } : ZERO_PRICES;
        const input: ReoptimizeInput = { system, current, lambda, profile: PROFILE, method: 'auto', seconds: 0.05, seed: k, policy, prices, maxChanges, pinned };
        const r = await reoptimizePlacement(input, inThreadRunner);
        const why = `${set}/${size}/${ins} #${k} ${policy} lambda ${lambda}`;
        expect(policyBreaches(system, current, r.solution.decision, { policy, pinned, maxChanges }), why).toEqual([]);
        expect(normalized(system, applyChanges(current, r.changes)), why).toEqual(normalized(system, r.solution.decision));
        const check = evaluateDecision(system, PROFILE, r.solution.decision, lambda).evaluation;
        expect(check.totalCost, why).toBeCloseTo(r.costAfter, 9);
        expect(r.verdict, why).toBe(r.changes.length === 0 ? 'KEEP' : r.changes.every((c) => c.kind.startsWith('INSTANCES')) ? 'RESIZE' : 'MIGRATE');
        if (r.current.feasible) {
          feasibleCurrents++;
          expect(r.solution.evaluation.feasible, why).toBe(true);
          expect(r.costAfter + r.migrationCost, why).toBeLessThanOrEqual(r.costBefore * (1 + 1e-9));
        }
        checked++;
      }
    }
    expect(checked).toBe(24);
    expect(feasibleCurrents).toBeGreaterThan(4);
  });

  it('prices changes in the search as the host lists them: the final progress cost is running cost plus migration cost', async () => {
    const { system, current } = reference(pick('Light', 10, 1));
    const prices = { deployment: 0.7, partition: 0.3, layerType: 1.1, instance: 0.45 };
    let last: PlacementProgress | undefined;
    const r = await reoptimizePlacement({ system, current, lambda: 0.9, profile: PROFILE, method: 'auto', seconds: 0.2, seed: 3, policy: 'priced', prices, pinned: [] },
      inThreadRunner, { onProgress: (p) => { last = p; } });
    expect(r.changes.length).toBeGreaterThan(0);
    expect(r.migrationCost).toBeGreaterThan(0);
    expect(last!.bestCost).toBeCloseTo(r.costAfter + r.migrationCost, 9);
  });

  it('answers KEEP when every change costs more than it saves, and RESIZE when only instances are cheap to change', async () => {
    const { system, current } = reference(pick('Strict', 10, 4));
    const base = { system, current, profile: PROFILE, method: 'auto' as const, seconds: 0.2, seed: 1, policy: 'priced' as const, pinned: [] };
    const keep = await reoptimizePlacement({ ...base, lambda: 1.8, prices: { deployment: 1e6, partition: 1e6, layerType: 1e6, instance: 1e6 } }, inThreadRunner);
    expect(keep.verdict).toBe('KEEP');
    expect(keep.changes).toEqual([]);
    expect(keep.costAfter).toBe(keep.costBefore);
    const max = current.counts.reduce((n, c) => n + c.count, 0);
    const resize = await reoptimizePlacement({ ...base, lambda: 0.5, prices: { deployment: 1e6, partition: 1e6, layerType: 1e6, instance: 0 },
      current: { ...current, counts: current.counts.map((c) => ({ ...c, count: c.count + 1 })) } }, inThreadRunner);
    expect(resize.verdict).toBe('RESIZE');
    expect(resize.changes.every((c) => c.kind === 'INSTANCES_REMOVED')).toBe(true);
    expect(resize.solution.decision.counts.reduce((n, c) => n + c.count, 0)).toBeLessThanOrEqual(max);
  });

  it('is as deterministic as solving: the same seed and iteration budget give the same answer', async () => {
    const { system, current } = reference(pick('Light', 15, 6));
    const input: ReoptimizeInput = { system, current, lambda: 2.16, profile: PROFILE, method: 'rg+ls', seconds: 30, iterations: 300, seed: 9, policy: 'priced', prices: ZERO_PRICES, pinned: [] };
    const a = await reoptimizePlacement(input, inThreadRunner);
    const b = await reoptimizePlacement(input, inThreadRunner);
    expect(b.solution.decision).toEqual(a.solution.decision);
    expect(b.changes).toEqual(a.changes);
  });

  it("auto's short tabu bursts rank feasibility first: a 10-component case reaches SPACE4AI-R's answer within 1,500 iterations (an oscillating burst needs 3,000)", async () => {
    const { system, current } = reference(pick('Light', 10, 7));
    const lambda = 2.16;
    const text = readFileSync(join(DATA, 'runtime-reference', 'solutions', `Light-10Components-Ins7-lambda${lambda}.json`), 'utf8');
    const yardstick = evaluateDecision(system, PROFILE, parseSpace4aiSolution(text), lambda).evaluation;
    expect(yardstick.feasible).toBe(true);
    const r = await reoptimizePlacement({ system, current, lambda, profile: PROFILE, method: 'auto', seconds: 30, iterations: 1500, seed: 1, policy: 'space4ai-r', prices: ZERO_PRICES, pinned: [] }, inThreadRunner);
    const after = evaluateDecision(system, PROFILE, r.solution.decision, lambda).evaluation;
    expect(after.feasible).toBe(true);
    expect(after.totalCost).toBeLessThanOrEqual(yardstick.totalCost * (1 + 1e-9));
  });

  it('starts from a runtime answer whose FaaS partition sits at component level', async () => {
    const { system } = reference(pick('Light', 5, 2));
    const current = parseSpace4aiSolution(readFileSync(join(DATA, 'runtime-output', 'Light-5Components-Ins2-lambda0.99.json'), 'utf8'));
    const r = await reoptimizePlacement({ system, current, lambda: 0.99, profile: PROFILE, method: 'auto', seconds: 0.1, seed: 1, policy: 'space4ai-r', prices: ZERO_PRICES, pinned: [] }, inThreadRunner);
    expect(r.current.feasible).toBe(true);
    expect(r.costAfter).toBeLessThanOrEqual(r.costBefore * (1 + 1e-9));
  });

  it('names the bad part of a request', async () => {
    const { system, current } = reference(pick('Light', 5, 1));
    const base: ReoptimizeInput = { system, current, lambda: 1, profile: PROFILE, method: 'auto', seconds: 0.05, seed: 1, policy: 'priced', prices: ZERO_PRICES, pinned: [] };
    const refused = (extra: Partial<ReoptimizeInput>) => reoptimizePlacement({ ...base, ...extra }, inThreadRunner).then(() => undefined, (e: Error & { path?: string }) => e.path);
    const first = current.components[0];
    expect(await refused({ current: { ...current, components: [{ ...first, component: 'nope' }, ...current.components.slice(1)] } })).toBe('current.components[0].component');
    expect(await refused({ current: { ...current, components: [{ ...first, deployment: 'nope' }, ...current.components.slice(1)] } })).toBe(`current.components.${first.component}.deployment`);
    const badResource = { ...first, partitions: [{ ...first.partitions[0], resource: 'nope' }, ...first.partitions.slice(1)] };
    expect(await refused({ current: { ...current, components: [badResource, ...current.components.slice(1)] } })).toBe(`current.components.${first.component}.partitions.${first.partitions[0].partition}.resource`);
    const faas = system.resources.find((r) => r.kind === 'FAAS' && !system.components[0].deployments.flatMap((d) => d.partitions).some((p) => p.candidates.some((c) => c.resource === r.name)));
    if (faas) {
      const incompatible = { ...first, partitions: [{ ...first.partitions[0], resource: faas.name }, ...first.partitions.slice(1)] };
      expect(await refused({ current: { ...current, components: [incompatible, ...current.components.slice(1)] } })).toBe(`current.components.${first.component}.partitions.${first.partitions[0].partition}.resource`);
    }
    expect(await refused({ lambda: 0 })).toBe('lambda');
    expect(await refused({ lambda: -1 })).toBe('lambda');
    expect(await refused({ pinned: ['c1', 'zz'] })).toBe('pinned[1]');
    expect(await refused({ maxChanges: -1 })).toBe('max_changes');
    expect(await refused({ prices: { ...ZERO_PRICES, layerType: -2 } })).toBe('prices.layer_type');
    expect(await refused({ method: 'exact' })).toBe('method');
  });
});
