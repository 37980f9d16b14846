import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countsInUse, listChanges, migrationCost } from '../server/placement/changes.js';
import type { IndexDecision } from '../server/placement/decision.js';
import { decodeDecision, encodeDecision, encodePlacement } from '../server/placement/encode.js';
import { evaluatePlacement } from '../server/placement/evaluate.js';
import type { Profile } from '../server/placement/model.js';
import type { IndexedProblem } from '../server/placement/problem.js';
import { PlacementSolver } from '../server/wasm/placement-solver.js';
import { SEARCH_METHODS } from '../server/wasm/search.js';
import { DATA, instanceFiles, loadProblem } from './helpers/instances.js';
import { lcg } from './helpers/lcg.js';

function randomDecision(pb: IndexedProblem, rand: (n: number) => number): IndexDecision {
  return {
    deployment: pb.components.map((c) => rand(c.deployments.length)),
    resource: pb.partitions.map((p) => p.candidates[rand(p.candidates.length)].resource),
    count: pb.resources.map((r) => (rand(4) === 0 ? rand(r.number + 2) : 1 + rand(r.number))),
  };
}

function close(a: number, b: number, tol = 1e-9): boolean {
  if (a === b) return true;
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
}

const files = instanceFiles();
const sample = files.filter((_, i) => i % 8 === 0);

const cases = (['copt', 'space4ai-d', 'space4ai-r'] as Profile[]).flatMap((p) => (['release', 'checked'] as const).map((b) => [p, b] as const));

describe('wasm placement evaluator', () => {
  it.each(cases)('equals the TypeScript evaluator on random solutions (%s, %s build)', (profile, build) => {
    const rand = lcg(42);
    let checked = 0;
    let feasible = 0;
    for (const f of sample) {
      const pb = loadProblem(f, profile, 1.8);
      const solver = new PlacementSolver(encodePlacement(pb), 8, build);
      for (let i = 0; i < 40; i++) {
        const d = randomDecision(pb, rand);
        const ts = evaluatePlacement(pb, d);
        const wasm = solver.evaluate(encodeDecision(pb, d));
        expect(close(wasm.cost, ts.totalCost), `${f} cost ${wasm.cost} vs ${ts.totalCost}`).toBe(true);
        expect(close(wasm.infeasibility, ts.infeasibility), `${f} infeasibility ${wasm.infeasibility} vs ${ts.infeasibility}`).toBe(true);
        ts.components.forEach((c, k) => expect(close(wasm.componentTimes[k], c.responseTime)).toBe(true));
        ts.paths.forEach((p, k) => expect(close(wasm.pathTimes[k], p.responseTime)).toBe(true));
        checked++;
        if (ts.feasible) feasible++;
      }
    }
    expect(checked).toBe(sample.length * 40);
    expect(feasible).toBeLessThan(checked); // the sample exercises violations too
  });

  it.each(['release', 'checked'] as const)('keeps incremental evaluation equal to full recomputation over random move sequences (%s build)', (build) => {
    const rand = lcg(7);
    for (const f of sample) {
      for (const profile of ['copt', 'space4ai-r'] as Profile[]) {
        const pb = loadProblem(f, profile, 1.8);
        const solver = new PlacementSolver(encodePlacement(pb), 8, build);
        const m = solver.moves;
        m.setAssertMode(true);
        m.construct(rand(1000));
        let applied = 0;
        for (let step = 0; step < 60; step++) {
          const n = m.list();
          expect(n).toBeGreaterThan(0);
          for (let k = 0; k < 5; k++) {
            m.apply(rand(n));
            m.undo();
          }
          m.apply(rand(n));
          applied++;
          // the state after the move must also evaluate the same way in TypeScript
          const d = solver.decision();
          const ts = evaluatePlacement(pb, decodeDecision(pb, d.dep, d.cand, d.cnt));
          expect(close(m.cost(), ts.totalCost)).toBe(true);
          expect(close(m.infeasibility(), ts.infeasibility)).toBe(true);
        }
        expect(applied).toBe(60);
        expect(m.assertFailures()).toBe(0);
      }
    }
  });
});

describe('wasm placement search', () => {
  const file = files.find((f) => f.includes('Light/10-components/system_description3.json'))!;

  it('is deterministic for a seed and an iteration budget', () => {
    const pb = loadProblem(file, 'space4ai-d', 1.8);
    const run = (seed: number) => new PlacementSolver(encodePlacement(pb)).solve({ method: 'rg+ls', seed, seconds: 60, maxIterations: 3000 });
    const a = run(5);
    const b = run(5);
    expect(a.stopReason).toBe('iterations');
    expect([...a.dep, ...a.cand, ...a.cnt]).toEqual([...b.dep, ...b.cand, ...b.cnt]);
    expect(a.cost).toBe(b.cost);
  });

  it.each(SEARCH_METHODS)('%s returns what the TypeScript evaluator agrees with, never worse than its start', (method) => {
    const pb = loadProblem(file, 'space4ai-d', 1.8);
    const events: { cost: number; infeasibility: number }[] = [];
    const r = new PlacementSolver(encodePlacement(pb)).solve({ method, seed: 3, seconds: 60, maxIterations: 2000, reportEveryMs: 0 }, { onProgress: (p) => events.push(p) });
    const ev = evaluatePlacement(pb, decodeDecision(pb, r.dep, r.cand, r.cnt));
    expect(close(r.cost, ev.totalCost)).toBe(true);
    expect(close(r.infeasibility, ev.infeasibility)).toBe(true);
    expect(events.length).toBeGreaterThan(0);
    const first = events[0];
    expect(r.infeasibility < first.infeasibility || (r.infeasibility === first.infeasibility && r.cost <= first.cost)).toBe(true);
    if (method !== 'rg') expect(ev.feasible).toBe(true);
  });

  it('tabu search leaves a basin that kicks of the best cannot (descended constructions between stalls)', () => {
    // Strict/10Components/Ins5: 19.471955 proven optimal by enumeration (81 s); with kicks alone, seed 2 stayed at 25.8634;
    // restarting from one construction instead of the best of a batch, seeds 3 and 5 did (at 5000 steps; with the
    // closing and shrinking moves, whose larger neighbourhood changes the walks, seed 2 needs more than 5000)
    const pb = loadProblem(join(DATA, 'reference-solutions', 'Strict', '10Components', 'Ins5', 'system_description.json'), 'space4ai-d', 1.8);
    for (const seed of [1, 2, 3, 5]) {
      const r = new PlacementSolver(encodePlacement(pb)).solve({ method: 'ts', seed, seconds: 60, maxIterations: 10000 });
      expect(r.infeasibility).toBe(0);
      expect(r.cost).toBeCloseTo(19.471955, 5);
    }
  });

  it('searches in the bounds-checked build without an out-of-range access, to the same result', () => {
    const pb = loadProblem(file, 'copt', 1.8);
    const opts = { method: 'rg+ls' as const, seed: 11, seconds: 60, maxIterations: 2500 };
    const checked = new PlacementSolver(encodePlacement(pb), 8, 'checked').solve(opts);
    const release = new PlacementSolver(encodePlacement(pb), 8, 'release').solve(opts);
    expect([...checked.dep, ...checked.cand, ...checked.cnt]).toEqual([...release.dep, ...release.cand, ...release.cnt]);
  });

  it.each(SEARCH_METHODS)('%s is deterministic for a seed under an iteration budget', (method) => {
    const pb = loadProblem(file, 'copt', 1.8);
    const run = () => new PlacementSolver(encodePlacement(pb)).solve({ method, seed: 9, seconds: 60, maxIterations: 1500 });
    const a = run();
    const b = run();
    expect([...a.dep, ...a.cand, ...a.cnt]).toEqual([...b.dep, ...b.cand, ...b.cnt]);
    expect(a.stats).toEqual(b.stats);
  });

  it.each(SEARCH_METHODS.filter((m) => m !== 'ls'))('%s honours the time budget and the stop flag within 50 ms', (method) => {
    const pb = loadProblem(files.find((f) => f.includes('Strict/15-components/system_description2.json'))!, 'copt', 1.8);
    const timed = new PlacementSolver(encodePlacement(pb)).solve({ method, seed: 1, seconds: 0.3 });
    expect(timed.stopReason).toBe('time');
    expect(timed.elapsedMs).toBeLessThan(300 + 50);
    let askedAt = 0;
    const t0 = performance.now();
    const stopped = new PlacementSolver(encodePlacement(pb)).solve({ method, seed: 1, seconds: 30 }, {
      shouldStop: () => {
        if (!askedAt && performance.now() - t0 > 200) askedAt = performance.now();
        return askedAt > 0;
      },
    });
    expect(stopped.stopReason).toBe('stopped');
    expect(performance.now() - askedAt).toBeLessThan(50);
  });

  it('stops after a time without improvement, or once a target cost is reached', () => {
    const pb = loadProblem(file, 'copt', 1.8);
    const quiet = new PlacementSolver(encodePlacement(pb)).solve({ method: 'auto', seed: 1, seconds: 30, maxUnimprovedSeconds: 0.2 });
    expect(quiet.stopReason).toBe('unimproved');
    expect(quiet.elapsedMs).toBeLessThan(30_000);
    const target = quiet.cost * 1.05;
    const reached = new PlacementSolver(encodePlacement(pb)).solve({ method: 'auto', seed: 1, seconds: 30, targetCost: target });
    expect(reached.stopReason).toBe('target');
    expect(reached.infeasibility).toBe(0);
    expect(reached.cost).toBeLessThanOrEqual(target);
  });

  it('stops when the host asks, keeping the best so far', () => {
    const pb = loadProblem(file, 'space4ai-d', 1.8);
    const t0 = performance.now();
    let calls = 0;
    const r = new PlacementSolver(encodePlacement(pb)).solve({ method: 'rg+ls', seed: 1, seconds: 30 }, { shouldStop: () => ++calls > 50 });
    expect(r.stopReason).toBe('stopped');
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(Number.isFinite(r.cost)).toBe(true);
  });
});

describe('wasm placement with a running decision (re-optimization)', () => {
  const prices = { deployment: 0.8, partition: 0.35, layerType: 1.3, instance: 0.2 };
  const running = (pb: IndexedProblem, d: IndexDecision): IndexDecision => ({ ...d, count: countsInUse(pb, d) });

  it.each(['release', 'checked'] as const)('prices changes as the host lists them, the cap as hard infeasibility, incrementally as in full (%s build)', (build) => {
    const rand = lcg(11);
    for (const f of sample) {
      const pb = loadProblem(f, 'space4ai-r', 1.8);
      const start = running(pb, randomDecision(pb, rand));
      const cap = 2 + rand(3);
      const warm = { running: start, prices, maxChanges: cap, seeds: [start] };
      const solver = new PlacementSolver(encodePlacement(pb, warm), 8, build);
      for (let i = 0; i < 20; i++) {
        const d = running(pb, randomDecision(pb, rand));
        const ts = evaluatePlacement(pb, d);
        const wasm = solver.evaluate(encodeDecision(pb, d));
        const excess = Math.max(0, listChanges(pb, start, d).length - cap);
        expect(close(wasm.cost, ts.totalCost + migrationCost(pb, start, d, prices)), f).toBe(true);
        expect(close(wasm.infeasibility, ts.infeasibility + 1e9 * excess), f).toBe(true);
      }
      const m = solver.moves;
      m.setAssertMode(true);
      m.construct(rand(1000));
      for (let step = 0; step < 30; step++) {
        const n = m.list();
        m.apply(rand(n));
        if (step % 3 === 0) m.undo();
      }
      expect(m.assertFailures()).toBe(0);
    }
  });

  it.each(SEARCH_METHODS)('%s seeded with the running decision answers no worse than it', (method) => {
    const file = files.find((f) => f.includes('Strict/15-components/system_description5.json'))!;
    const pb = loadProblem(file, 'space4ai-r', 1.8);
    const solved = new PlacementSolver(encodePlacement(pb)).solve({ method: 'auto', seed: 1, seconds: 60, maxIterations: 3000 });
    const start = running(pb, decodeDecision(pb, solved.dep, solved.cand, solved.cnt));
    const seeded = new PlacementSolver(encodePlacement(pb, { running: start, prices, seeds: [start] }));
    const r = seeded.solve({ method, seed: 2, seconds: 60, maxIterations: 200 });
    expect(r.infeasibility).toBeLessThanOrEqual(solved.infeasibility);
    expect(r.cost).toBeLessThanOrEqual(solved.cost * (1 + 1e-12));
  });
});
