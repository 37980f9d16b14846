import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSpace4aiSystem } from '../adapters/space4ai/system.js';
import { resolveDecision, type IndexDecision } from '../server/placement/decision.js';
import { evaluatePlacement } from '../server/placement/evaluate.js';
import { enumeratePlacement } from '../server/placement/exact/enumerate.js';
import { loadGlpk } from '../server/placement/exact/glpk.js';
import { milpCoverageGap, solveMilp } from '../server/placement/exact/milp.js';
import { indexProblem, type IndexedProblem } from '../server/placement/problem.js';
import { NoSolutionError, solvePlacement } from '../server/placement/service.js';
import { inThreadRunner } from '../server/pool.js';
import { DATA, loadProblem } from './helpers/instances.js';
import { tinySystem } from './helpers/tiny-system.js';

const SMALL = join(import.meta.dirname, '..', 'instances', 'placement', 'small');
const optima: { instance: string; linear: boolean; optimum: number; decision: Parameters<typeof resolveDecision>[1] }[] =
  JSON.parse(readFileSync(join(SMALL, 'optima.json'), 'utf8')).instances;
const small = (file: string) => indexProblem(parseSpace4aiSystem(readFileSync(join(SMALL, file), 'utf8')), 'copt');
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

/** Every decision, without any pruning, each scored by the evaluator: the slowest possible truth. */
function bruteForce(pb: IndexedProblem): number {
  let best = Infinity;
  const d: IndexDecision = { deployment: [], resource: new Array(pb.partitions.length).fill(-1), count: new Array(pb.resources.length).fill(0) };
  const counts = (k: number, used: number[]) => {
    if (k === used.length) {
      const e = evaluatePlacement(pb, d);
      if (e.feasible) best = Math.min(best, e.totalCost);
      return;
    }
    for (let n = 1; n <= pb.resources[used[k]].number; n++) {
      d.count[used[k]] = n;
      counts(k + 1, used);
    }
  };
  const place = (active: number[], i: number) => {
    if (i === active.length) {
      counts(0, [...new Set(active.map((p) => d.resource[p]))].filter((r) => pb.resources[r].kind !== 'FAAS'));
      return;
    }
    for (const c of pb.partitions[active[i]].candidates) {
      d.resource[active[i]] = c.resource;
      place(active, i + 1);
    }
  };
  const deployments = (ci: number) => {
    if (ci === pb.components.length) {
      place(pb.components.flatMap((c, k) => c.deployments[d.deployment[k]].partitions), 0);
      return;
    }
    for (let di = 0; di < pb.components[ci].deployments.length; di++) {
      d.deployment[ci] = di;
      deployments(ci + 1);
    }
  };
  deployments(0);
  return best;
}

describe('exact placement', () => {
  it('enumeration equals brute force on the tiny system under every profile', () => {
    let feasible = 0;
    for (const profile of ['copt', 'space4ai-d', 'space4ai-r'] as const) {
      for (const lambda of [0.5, 1, 2]) {
        const pb = indexProblem(tinySystem(), profile, lambda);
        const truth = bruteForce(pb);
        const r = enumeratePlacement(pb, { seconds: 30 });
        expect(r.proven).toBe(true);
        if (Number.isFinite(truth)) expect(close(r.cost, truth), `${profile} lambda ${lambda}: ${r.cost} vs ${truth}`).toBe(true);
        else expect(r.decision).toBeNull();
        if (Number.isFinite(truth)) feasible++;
      }
    }
    expect(feasible).toBeGreaterThan(3);
  });

  it('enumeration equals brute force on the 3-component small instances', () => {
    for (const o of optima.filter((x) => x.instance.includes('-3c-'))) {
      const pb = small(o.instance);
      expect(close(bruteForce(pb), o.optimum), o.instance).toBe(true);
    }
  });

  it('re-proves every stored optimum of the small suite, whose decision evaluates at that cost', () => {
    expect(optima.length).toBe(24);
    for (const o of optima) {
      const pb = small(o.instance);
      const r = enumeratePlacement(pb, { seconds: 30 });
      expect(r.proven, o.instance).toBe(true);
      expect(close(r.cost, o.optimum), `${o.instance}: ${r.cost} vs ${o.optimum}`).toBe(true);
      const e = evaluatePlacement(pb, resolveDecision(pb, o.decision));
      expect(e.feasible).toBe(true);
      expect(close(e.totalCost, o.optimum)).toBe(true);
    }
  });

  it('the MILP covers exactly the linear instances and agrees with enumeration on each', async () => {
    const glpk = await loadGlpk();
    expect(glpk, 'glpk.js (optional dependency) is installed').not.toBeNull();
    for (const o of optima) {
      const pb = small(o.instance);
      expect(milpCoverageGap(pb) === null, o.instance).toBe(o.linear);
      if (!o.linear) continue;
      const r = solveMilp(pb, glpk!, { seconds: 30 });
      expect(r.proven).toBe(true);
      expect(close(r.cost, o.optimum), `${o.instance}: MILP ${r.cost} vs ${o.optimum}`).toBe(true);
    }
    expect(() => solveMilp(small(optima.find((o) => !o.linear)!.instance), glpk!, { seconds: 1 })).toThrow(/does not cover/);
  });

  it('the heuristics never beat a proven optimum', async () => {
    for (const o of optima) {
      for (const method of ['auto', 'ts', 'sa'] as const) {
        const r = await solvePlacement({ system: small(o.instance).system, profile: 'copt', method, seconds: 10, iterations: 300, seed: 3 }, inThreadRunner);
        if (r.evaluation.feasible) expect(r.evaluation.totalCost, `${o.instance} ${method}`).toBeGreaterThanOrEqual(o.optimum * (1 - 1e-9));
      }
    }
  });

  it('proves infeasibility, and says so through the service', async () => {
    const system = tinySystem();
    system.components[0].localResTime = 0.01;
    const pb = indexProblem(system, 'copt');
    const r = enumeratePlacement(pb, { seconds: 10 });
    expect(r).toMatchObject({ decision: null, proven: true });
    await expect(solvePlacement({ system, profile: 'copt', method: 'exact', seconds: 5, seed: 1 }, inThreadRunner))
      .rejects.toThrow(new NoSolutionError('no feasible placement exists (proven by enumeration)'));
  });

  it('stops on time with its incumbent, not proven', () => {
    const pb = loadProblem(join(DATA, 'instances', 'Light', '15-components', 'system_description1.json'), 'space4ai-d', 1.8);
    const t0 = performance.now();
    const r = enumeratePlacement(pb, { seconds: 0.3 });
    const took = (performance.now() - t0) / 1000;
    expect(r.proven).toBe(false);
    expect(took).toBeLessThan(0.3 + 0.05);
    let stops = 0;
    const s = enumeratePlacement(pb, { seconds: 60, shouldStop: () => ++stops > 3 });
    expect(s.proven).toBe(false);
  });

  it('method exact through the service: MILP on linear instances, warm-started enumeration otherwise', async () => {
    for (const o of [optima.find((x) => x.linear)!, optima.find((x) => !x.linear)!]) {
      const r = await solvePlacement({ system: small(o.instance).system, profile: 'copt', method: 'exact', seconds: 20, seed: 1 }, inThreadRunner);
      expect(r.stats).toMatchObject({ method: 'exact', stopReason: 'optimal', exact: { solver: o.linear ? 'milp' : 'enumeration', provenOptimal: true } });
      expect(r.evaluation.feasible).toBe(true);
      expect(close(r.evaluation.totalCost, o.optimum)).toBe(true);
    }
  });
});
