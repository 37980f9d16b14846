import { describe, expect, it } from 'vitest';
import { resolveDecision } from '../server/placement/decision.js';
import { evaluatePlacement } from '../server/placement/evaluate.js';
import { faasSteadyState } from '../server/placement/faas-model.js';
import { indexProblem } from '../server/placement/problem.js';
import { validateSystem } from '../server/placement/validate.js';
import { tinyDecision, tinySystem } from './helpers/tiny-system.js';

const warmF1 = faasSteadyState({ arrivalRate: 1, warmServiceTime: 1, coldServiceTime: 2, idleTimeBeforeKill: 600 }).avgResponseTime;

function evaluate(change?: (s: ReturnType<typeof tinySystem>, d: ReturnType<typeof tinyDecision>) => void, profile: 'copt' | 'space4ai-d' | 'space4ai-r' = 'copt') {
  const system = tinySystem();
  const decision = tinyDecision();
  change?.(system, decision);
  const pb = indexProblem(validateSystem(system), profile);
  return evaluatePlacement(pb, resolveDecision(pb, decision));
}

describe('placement evaluation by hand', () => {
  it('computes queueing, network, FaaS and path times and the cost', () => {
    const ev = evaluate();
    // E1: U = 0.2 -> 0.2 / 0.8; V1: U = 0.3 x 0.5 (after early exit) -> 0.3 / 0.85.
    const h1 = 0.25;
    const h2 = 0.3 / 0.85;
    const net = (size: number) => 0.01 + (size * 8) / 100;
    const c1 = h1 + 0.5 * (h2 + net(10));
    expect(ev.components[0].responseTime).toBeCloseTo(c1, 12);
    expect(ev.components[0].partitions.map((p) => p.responseTime)).toEqual([h1, h2].map((x) => expect.closeTo(x, 12)));
    expect(ev.components[1].responseTime).toBeCloseTo(warmF1, 12);
    // Transfer c1 -> c2 (5 units): the early exit at h1 (0.5) and the rest from h2 (0.5), both off F1.
    expect(ev.paths[0].responseTime).toBeCloseTo(c1 + warmF1 + 0.5 * net(5) + 0.5 * net(5), 12);
    // 1 x E1 (2) + 1 x V1 (1) + F1: 0.5 x warm 1 x rate 1.
    expect(ev.totalCost).toBeCloseTo(3.5, 12);
    expect(ev.feasible).toBe(true);
    expect(ev.infeasibility).toBe(0);
  });

  it('charges FaaS per profile: partition rate, component rate', () => {
    const early = (s: ReturnType<typeof tinySystem>) => {
      // c2 gets a second partition on F1 behind an early exit of 0.5.
      const part = s.components[1].deployments[0].partitions;
      part[0].next = ['h4'];
      part[0].earlyExitProbability = 0.5;
      part.push({ name: 'h4', next: [], dataSize: [1], earlyExitProbability: 0, candidates: [{ resource: 'F1', memory: 1, faas: { warm: 1, cold: 2 } }] });
    };
    const onF1 = (d: ReturnType<typeof tinyDecision>) => d.components[1].partitions.push({ partition: 'h4', resource: 'F1' });
    expect(evaluate((s, d) => { early(s); onF1(d); }, 'copt').totalCost).toBeCloseTo(3 + 0.5 * 1 + 0.5 * 0.5, 12);
    expect(evaluate((s, d) => { early(s); onF1(d); }, 'space4ai-d').totalCost).toBeCloseTo(3 + 0.5 + 0.5, 12);
    expect(evaluate((s, d) => { early(s); onF1(d); }, 'space4ai-r').totalCost).toBeCloseTo(3 + 0.5, 12);
  });

  it('reports a local limit that is exceeded', () => {
    const ev = evaluate((s) => { s.components[0].localResTime = 0.5; });
    expect(ev.feasible).toBe(false);
    expect(ev.violations).toEqual([expect.objectContaining({ kind: 'local_response_time', subject: 'c1', limit: 0.5 })]);
    expect(ev.infeasibility).toBeCloseTo(ev.components[0].responseTime / 0.5 - 1, 12);
  });

  it('reports saturation, a return to the edge and two types in one layer', () => {
    const ev = evaluate((_, d) => {
      d.components[1].partitions[0].resource = 'E2';
      d.counts.push({ resource: 'E2', count: 1 });
      d.components[0].partitions[1].resource = 'V1';
    });
    expect(ev.violations.map((v) => v.kind).sort()).toEqual(['edge_after_cloud', 'layer_types']);
    const sat = evaluate((_, d) => { d.components[0].partitions[1].resource = 'E1'; });
    // E1 now carries 0.2 + 0.6 x 0.5 = 0.5 with one instance: fine; with a tighter demand it saturates.
    expect(sat.feasible).toBe(true);
    const over = evaluate((s, d) => {
      s.components[0].deployments[0].partitions[1].candidates[1].queueing!.demand = 2;
      d.components[0].partitions[1].resource = 'E1';
    });
    expect(over.violations.map((v) => v.kind)).toContain('utilization');
    expect(over.components[0].responseTime).toBe(Infinity);
  });

  it('counts instance counts outside 1..number', () => {
    const ev = evaluate((_, d) => { d.counts[0].count = 3; });
    expect(ev.violations).toEqual([expect.objectContaining({ kind: 'instances', subject: 'E1', value: 3, limit: 2 })]);
  });
});
