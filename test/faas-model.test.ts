import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { faasSteadyState } from '../server/placement/faas-model.js';
import { DATA } from './helpers/instances.js';

function csv(file: string): Record<string, string>[] {
  const [head, ...rows] = readFileSync(join(DATA, file), 'utf8').trim().split(/\r?\n/);
  const cols = head.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [cols[i], v])));
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('FaaS steady-state model', () => {
  it('reproduces the reference package on hand-picked inputs (relative 1e-4)', () => {
    const rows = csv('faas-model-reference.csv');
    expect(rows.length).toBeGreaterThan(10);
    for (const r of rows) {
      const out = faasSteadyState({
        arrivalRate: +r.arrival_rate, warmServiceTime: +r.warm_service_time,
        coldServiceTime: +r.cold_service_time, idleTimeBeforeKill: +r.idle_time_before_kill,
      });
      expect(rel(out.avgResponseTime, +r.avg_resp_time)).toBeLessThan(1e-4);
      expect(rel(out.coldStartProbability, +r.cold_prob)).toBeLessThan(1e-4);
      expect(rel(out.avgWarmInstances, +r.avg_server_count)).toBeLessThan(1e-4);
    }
  });

  it('reproduces every FaaS entry of the 80 instances (relative 1e-4)', () => {
    const rows = csv('faas-model-instances.csv');
    expect(rows.length).toBe(3240);
    for (const r of rows) {
      const out = faasSteadyState({
        arrivalRate: +r.part_lambda, warmServiceTime: +r.demandWarm,
        coldServiceTime: +r.demandCold, idleTimeBeforeKill: +r.idle_time_before_kill,
      });
      expect(rel(out.avgResponseTime, +r.avg_resp_time)).toBeLessThan(1e-4);
    }
  });

  it('matches the worked examples of FAAS_MODEL.md', () => {
    const a = faasSteadyState({ arrivalRate: 0.1, warmServiceTime: 2, coldServiceTime: 3, idleTimeBeforeKill: 600 });
    expect(a.avgResponseTime).toBeCloseTo(2.00744, 5);
    expect(a.coldStartProbability).toBeCloseTo(0.00744, 5);
    expect(a.avgWarmInstances).toBeCloseTo(2.606, 3);
    const b = faasSteadyState({ arrivalRate: 0.001, warmServiceTime: 1, coldServiceTime: 2, idleTimeBeforeKill: 600 });
    expect(b.avgResponseTime).toBeCloseTo(1.58895, 5);
  });
});
