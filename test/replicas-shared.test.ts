import { describe, expect, it } from 'vitest';
import { InputError } from '../server/input-error.js';
import { latencyMs } from '../server/replicas/latency.js';
import { STREAMING_STORE, type ReplicaService } from '../server/replicas/model.js';
import { planReplicas } from '../server/replicas/plan.js';
import { encodeShared, evaluateSharedPlan, lagrangianBound, planSharedReplicas, sharedRequestOf, type SharedReplicaRequest } from '../server/replicas/shared.js';
import { ReplicaSolver } from '../server/wasm/replica-solver.js';
import { lcg } from './helpers/lcg.js';

const small = (over: Partial<ReplicaService>): ReplicaService => ({ ...STREAMING_STORE, maxReplicas: 4, windowMin: 10, disturbance: { meanMs: 2, sdMs: 0.5 }, ...over });

/** A request of two or three small services with random loads, their capacity somewhere between their own peaks and their sum. */
function randomRequest(rand: (n: number) => number, windows: number): SharedReplicaRequest {
  const S = 2 + rand(2);
  const services = Array.from({ length: S }, (_, k) => ({
    service: small({ name: `s${k}`, maxReplicas: 3, replicaCostPerMin: 0.01 * (1 + rand(3)), scalingEventCost: [0.05, 0.5, 2][rand(3)] }),
    windowLoads: Array.from({ length: windows }, () => rand(26)),
    capacityPerReplica: [1, 2, 0.5][rand(3)],
    ...(rand(2) === 0 ? { current: 1 + rand(3) } : {}),
  }));
  const peak = services.reduce((a, s) => a + 3 * s.capacityPerReplica, 0);
  return { services, capacity: peak * (0.6 + 0.4 * rand(1000) / 1000) };
}

/**
 * Every combination of counts, checked straight from the latency model: within capacity, each
 * window at its bound, and a window that starts with a change at the tolerance limit with the
 * disturbance (mean + 2 sd) on top. Returns the least cost, Infinity when nothing is feasible.
 */
function bruteForce(req: SharedReplicaRequest): number {
  const T = req.services[0].windowLoads.length;
  const ok = (s: SharedReplicaRequest['services'][number], t: number, r: number, before: number | undefined) => {
    const { slo, disturbance } = s.service;
    if (latencyMs(s.service, s.windowLoads[t], r) > slo.boundMs) return false;
    if (before === undefined || before === r) return true;
    const limit = slo.boundMs * (1 + slo.tolerancePct / 100) - disturbance.meanMs - 2 * disturbance.sdMs;
    // the first window must start somewhere: at most replicas, a change is allowed whatever the disturbance
    return latencyMs(s.service, s.windowLoads[t], r) <= limit || (t === 0 && r === s.service.maxReplicas);
  };
  const plans = req.services.map((s) => {
    const out: { seq: number[]; cost: number }[] = [];
    const seq: number[] = [];
    const walk = (t: number, cost: number) => {
      if (t === T) { out.push({ seq: [...seq], cost }); return; }
      for (let r = s.service.minReplicas; r <= s.service.maxReplicas; r++) {
        const before = t === 0 ? s.current : seq[t - 1];
        if (!ok(s, t, r, before)) continue;
        seq.push(r);
        const event = before !== undefined && before !== r ? s.service.scalingEventCost : 0;
        walk(t + 1, cost + r * s.service.replicaCostPerMin * s.service.windowMin + event);
        seq.pop();
      }
    };
    walk(0, 0);
    return out;
  });
  let best = Infinity;
  const used = new Array<number>(T).fill(0);
  const combine = (k: number, cost: number) => {
    if (cost >= best) return;
    if (k === plans.length) { best = cost; return; }
    for (const p of plans[k]) {
      p.seq.forEach((r, t) => { used[t] += r * req.services[k].capacityPerReplica; });
      if (used.every((u) => u <= req.capacity * (1 + 1e-12))) combine(k + 1, cost + p.cost);
      p.seq.forEach((r, t) => { used[t] -= r * req.services[k].capacityPerReplica; });
    }
  };
  combine(0, 0);
  return best;
}

describe('shared-capacity replica planning (wasm engines)', () => {
  it('finds the brute-force optimum on small random cases, its figures recomputed by the independent evaluator; the priced bound lies below it', () => {
    const rand = lcg(11);
    let feasibleCases = 0;
    let bindingCases = 0;
    let tighter = 0;
    for (let c = 0; c < 60; c++) {
      const req = randomRequest(rand, 4);
      const optimum = bruteForce(req);
      const plan = planSharedReplicas(req, { method: 'auto', seed: c + 1, seconds: 5, maxIterations: 3000 });
      const again = evaluateSharedPlan(req, plan.services.map((s) => s.replicas));
      expect(again.cost).toBeCloseTo(plan.cost, 9);
      if (optimum === Infinity) {
        expect(plan.feasible, `case ${c}: nothing is feasible`).toBe(false);
        continue;
      }
      feasibleCases++;
      expect(plan.feasible, `case ${c}`).toBe(true);
      expect(plan.cost, `case ${c}`).toBeCloseTo(optimum, 9);
      expect(plan.cost).toBeGreaterThanOrEqual(plan.lowerBound - 1e-9);
      if (optimum > plan.ownPlansCost + 1e-9) bindingCases++;
      // the priced bound lies between the plain one and the optimum
      const priced = lagrangianBound(req, optimum);
      expect(priced).toBeLessThanOrEqual(optimum + 1e-9);
      expect(priced).toBeGreaterThanOrEqual(plan.ownPlansCost - 1e-9);
      if (priced > plan.ownPlansCost + 1e-9) tighter++;
    }
    expect(tighter).toBeGreaterThan(0);
    // enough cases where a plan exists, and where the capacity costs something
    expect(feasibleCases).toBeGreaterThan(25);
    expect(bindingCases).toBeGreaterThan(8);
  });

  it('with room for every service, each keeps its own exact plan and the cost is the lower bound', () => {
    const rand = lcg(5);
    const services = [0, 1, 2].map((k) => ({
      service: { ...STREAMING_STORE, name: `s${k}` },
      windowLoads: Array.from({ length: 96 }, (_, t) => 60 + 50 * Math.sin((t + 9 * k) / 8) + rand(20)),
      capacityPerReplica: 1,
    }));
    const req = { services, capacity: 1000 };
    for (const method of ['rg+ls', 'ts', 'sa', 'pr', 'auto'] as const) {
      const plan = planSharedReplicas(req, { method, seed: 1, seconds: 0.3 });
      expect(plan.feasible).toBe(true);
      expect(plan.cost).toBeCloseTo(plan.ownPlansCost, 9);
      expect(plan.lowerBound).toBeCloseTo(plan.ownPlansCost, 9);
      plan.services.forEach((s, k) => expect(s.cost).toBeCloseTo(planReplicas(services[k].service, services[k].windowLoads).cost, 9));
    }
  });

  it('under a tight capacity, the plan stays within it, above the priced bound, which lies above the plain one', () => {
    // own plans peak at 54 units together, SLO needs at 51
    const services = [0, 1, 2].map((k) => ({
      service: { ...STREAMING_STORE, name: `s${k}` },
      windowLoads: Array.from({ length: 96 }, (_, t) => 60 + 50 * Math.sin((t + 30 * k) / 8)),
      capacityPerReplica: 1 + k,
    }));
    const req = { services, capacity: 52 };
    const plan = planSharedReplicas(req, { method: 'auto', seed: 1, seconds: 1 });
    expect(plan.overCapacity).toEqual([]);
    expect(plan.feasible).toBe(true);
    expect(plan.lowerBound).toBeGreaterThan(plan.ownPlansCost);
    expect(plan.cost).toBeGreaterThanOrEqual(plan.lowerBound - 1e-9);
    expect(plan.cost / plan.lowerBound).toBeLessThan(1.01);
  });

  it('when the capacity cannot hold every SLO, the capacity holds and the short windows are named', () => {
    const service = small({ name: 'a', maxReplicas: 4 });
    const req = { services: [{ service, windowLoads: [5, 35, 35, 5], capacityPerReplica: 1 }, { service: { ...service, name: 'b' }, windowLoads: [5, 35, 5, 5], capacityPerReplica: 1 }], capacity: 6 };
    const plan = planSharedReplicas(req, { method: 'auto', seed: 1, seconds: 0.2 });
    expect(plan.overCapacity).toEqual([]);
    expect(plan.feasible).toBe(false);
    expect(plan.services.flatMap((s) => s.shortWindows)).toContain(1);
  });

  it('incremental evaluation equals a full one after every move (checked build, assertion mode)', () => {
    const rand = lcg(3);
    for (let c = 0; c < 5; c++) {
      const req = randomRequest(rand, 30);
      const solver = new ReplicaSolver(encodeShared(req), 4, 'checked');
      const m = solver.moves;
      m.setAssertMode(true);
      m.construct(c + 2);
      for (let step = 0; step < 300; step++) {
        const n = m.list();
        expect(n).toBeGreaterThan(0);
        const k = rand(n);
        m.apply(k);
        if (rand(3) === 0) m.undo();
      }
      expect(m.assertFailures()).toBe(0);
      const plan = solver.plan();
      const T = req.services[0].windowLoads.length;
      const figures = evaluateSharedPlan(req, req.services.map((_, k) => Array.from(plan.subarray(k * T, (k + 1) * T))));
      expect(solver.evaluate(plan).cost).toBeCloseTo(figures.cost, 9);
    }
  });

  it('bad requests name the field and the value', () => {
    const good = { services: [{ windowLoads: [10, 20] }, { windowLoads: [5, 5] }], capacity: 8 };
    const bad = (patch: (r: any) => void): InputError => {
      const r = structuredClone(good) as any;
      patch(r);
      try { sharedRequestOf(r); } catch (e) { return e as InputError; }
      throw new Error('accepted');
    };
    expect(sharedRequestOf(good).services[0].service).toBe(STREAMING_STORE);
    expect(bad((r) => { r.capacity = 0; }).path).toBe('capacity');
    expect(bad((r) => { r.services = []; }).path).toBe('services');
    expect(bad((r) => { r.services[1].windowLoads = [1]; }).path).toBe('services[1].window_loads');
    expect(bad((r) => { r.services[1].windowLoads[1] = -3; }).path).toBe('services[1].window_loads[1]');
    expect(bad((r) => { r.services[0].capacityPerReplica = -1; }).path).toBe('services[0].capacity_per_replica');
    expect(bad((r) => { r.services[0].currentReplicas = 99; }).path).toBe('services[0].current_replicas');
    expect(bad((r) => { r.services[1].changeLoads = [1, 2, 3]; }).path).toBe('services[1].change_loads');
    const nested = bad((r) => { r.services[1].service = { ...STREAMING_STORE, slo: { percentile: 95, boundMs: -1 } }; });
    expect(nested.path).toBe('services[1].service.slo.bound_ms');
    expect(nested.message).toContain('-1');
    expect(bad((r) => { r.services[1].service = { ...STREAMING_STORE, windowMin: 5 }; }).path).toBe('services[1].service.window_min');
  });
});
