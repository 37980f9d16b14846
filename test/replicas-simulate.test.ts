import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ORACLE, seasonalNaive } from '../server/replicas/forecast.js';
import { STREAMING_STORE, type ReplicaService } from '../server/replicas/model.js';
import { replicaPolicy, type ReplicaPolicy } from '../server/replicas/policies.js';
import { simulateReplicas } from '../server/replicas/simulate.js';
import { parseTrace, weekMinute } from '../server/replicas/trace.js';
import { validateReplicaService } from '../server/replicas/validate.js';

const ROOT = join(import.meta.dirname, '..');
const store: ReplicaService = { ...STREAMING_STORE, windowMin: 5, disturbance: { meanMs: 8, sdMs: 0 } };
/** A policy that follows a script: the count for each minute. */
const scripted = (counts: (now: number) => number): ReplicaPolicy => ({ name: 'script', initial: () => counts(0), decide: (_, now) => counts(now) });

describe('replica simulator, by hand', () => {
  it('counts minutes, instance-minutes, events and violations; the disturbance lands in the event minute only', () => {
    const loads = [20, 20, 20, 20, 20, 20];
    // 2 replicas (10 per replica: 21 ms, inside 22) then 4 from minute 3 (5 per replica: 9.75 ms)
    const r = simulateReplicas(store, loads, scripted((m) => (m < 3 ? 2 : 4)), 0, 6);
    expect(r.series.map((s) => s.replicas)).toEqual([2, 2, 2, 4, 4, 4]);
    expect(r.scalingEvents).toBe(1);
    expect(r.instanceMinutes).toBe(18);
    expect(r.cost).toBeCloseTo(18 * store.replicaCostPerMin + store.scalingEventCost, 12);
    // half the load moves (2 of 4), more than the 5% tail: the whole 8 ms lands on minute 3
    expect(r.series.map((s) => s.latencyMs)).toEqual([21, 21, 21, 9.75 + 8, 9.75, 9.75]);
    expect(r.violationRate).toBe(0);
    // at 1 replica the load is 20 per replica: past the table, extrapolated, and a violation
    const one = simulateReplicas(store, loads, scripted(() => 1), 0, 6);
    expect(one.violationRate).toBe(1);
    expect(one.scalingEvents).toBe(0);
  });

  it('an M/M/c service that cannot keep up has infinite latency; tail figures say so with null', () => {
    const mmc = validateReplicaService({ slo: { percentile: 95, boundMs: 500 }, serviceRatePerS: 10, replicaCostPerMin: 1, maxReplicas: 3 });
    const r = simulateReplicas(mmc, [60, 2400], scripted(() => 3), 0, 2); // 1/s and 40/s against 30/s
    expect(r.series[0].latencyMs).toBeGreaterThan(-Math.log(0.05) * 100); // at least the service time's p95
    expect(Number.isFinite(r.series[0].latencyMs)).toBe(true);
    expect(r.series[1].latencyMs).toBe(Infinity);
    expect(r.p99Ms).toBeNull();
    expect(r.violationRate).toBe(0.5);
  });

  it('the HPA rule: scale up at once by the ratio, not inside 10%, down only after the 5-minute stabilization', () => {
    const hpa = replicaPolicy('hpa', { ...store, windowMin: 1 }, seasonalNaive(), ORACLE);
    // target 9.67 streams per replica (20 ms): 38 streams on 4 replicas is on target; each minute sees the one before
    const loads = [38, 38, 41, 76, 76, 20, 20, 20, 20, 20, 20, 20];
    const seen: number[] = [];
    let r = 4;
    for (let m = 1; m < loads.length; m++) seen.push((r = hpa.decide(loads, m, r)));
    // 41 is within 10%; 76 asks ceil(4 x 1.97) = 8; 20 asks 3, granted once the five latest recommendations do
    expect(seen).toEqual([4, 4, 4, 8, 8, 8, 8, 8, 8, 3, 3]);
  });

  it('the oracle planner holds the SLO on the surgery trace; the planner never changes inside a window', () => {
    const trace = parseTrace('surgery', readFileSync(join(ROOT, 'instances', 'traces', 'surgery', 'streams_per_minute.csv'), 'utf8'));
    const week = 7 * 1440;
    const oracle = simulateReplicas(STREAMING_STORE, trace.loads, replicaPolicy('oracle', STREAMING_STORE, seasonalNaive(), ORACLE), week, 2 * week);
    expect(oracle.violationRate).toBe(0);
    const planner = simulateReplicas(STREAMING_STORE, trace.loads, replicaPolicy('planner', STREAMING_STORE, seasonalNaive(), ORACLE), week, 2 * week);
    planner.series.forEach((s, i) => { if (i > 0 && s.minute % STREAMING_STORE.windowMin !== 0) expect(s.replicas).toBe(planner.series[i - 1].replicas); });
    // the bundled store prices its misses: the priced planner pays less in all than the quantile planner on the same forecast
    const price = STREAMING_STORE.violationCostPerMin!;
    const misses = (r: typeof planner) => Math.round(r.violationRate * r.minutes);
    expect(planner.cost).toBeCloseTo(planner.instanceMinutes * STREAMING_STORE.replicaCostPerMin + planner.scalingEvents * STREAMING_STORE.scalingEventCost + misses(planner) * price, 9);
    const hard: ReplicaService = { ...STREAMING_STORE, violationCostPerMin: undefined };
    const quantile = simulateReplicas(hard, trace.loads, replicaPolicy('planner', hard, seasonalNaive(), ORACLE), week, 2 * week);
    expect(planner.cost).toBeLessThan(quantile.cost + misses(quantile) * price);
    expect(planner.scalingEvents).toBeLessThan(quantile.scalingEvents);
  });

  it('copt simulate replicas prints the figures; bad input names the flag or the line', () => {
    const cli = (...args: string[]) => spawnSync('node', [join(ROOT, 'bin', 'copt.js'), 'simulate', 'replicas', ...args], { encoding: 'utf8' });
    const ok = cli('--trace', join(ROOT, 'instances', 'traces', 'surgery', 'streams_per_minute.csv'), '--policy', 'memory', '--eval-days', '2');
    expect(ok.status).toBe(0);
    const out = JSON.parse(ok.stdout);
    for (const k of ['violation_rate', 'p95_ms', 'p99_ms', 'scaling_events', 'instance_minutes']) expect(out).toHaveProperty(k);
    expect(out.minutes).toBe(2 * 1440);
    const bad = cli('--trace', join(ROOT, 'instances', 'traces', 'surgery', 'streams_per_minute.csv'), '--policy', 'magic');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--policy');
    const noDate = cli('--trace', join(ROOT, 'instances', 'traces', 'surgery', 'streams_per_minute.csv'), '--policy', 'memory', '--trace-start', 'Monday');
    expect(noDate.status).toBe(2);
    expect(noDate.stderr).toContain('--trace-start Monday must be a time written YYYY-MM-DD HH:MM');
    expect(() => parseTrace('t.csv', 'time,load\n0,3\n1,x')).toThrow('t.csv line 3: load "x" must be a number >= 0');
    expect(() => parseTrace('t.csv', 'time,load\n0,3', undefined, 'rate')).toThrow('--load-col rate names no column (columns: time, load)');
    // where the LSTM's weekends fall: the first time of the trace when it is a date
    expect(parseTrace('t.csv', 'period,load\n1998-04-30 21:30:00,2\n1998-04-30 21:31:00,3').firstWeekMinute).toBe(3 * 1440 + 21 * 60 + 30); // a Thursday
    expect(parseTrace('t.csv', 'minute,load\n0,2').firstWeekMinute).toBeUndefined();
    // every row's time is checked: of the first row's kind, in order
    expect(() => parseTrace('t.csv', 'period,load\n2026-01-05 00:00,2\nnot-a-date,3')).toThrow('t.csv line 3: time "not-a-date" must be a date written YYYY-MM-DD HH:MM, as on the first row');
    expect(() => parseTrace('t.csv', 'period,load\n2026-01-05 00:01,2\n2026-01-05 00:00,3')).toThrow('t.csv line 3: time "2026-01-05 00:00" is not after the row before\'s: rows must be in time order, one per minute');
    expect(() => parseTrace('t.csv', 'minute,load\n0,2\n2,3\n1,4')).toThrow('t.csv line 4: time "1" is not after the row before\'s');
    expect(() => parseTrace('t.csv', 'minute,load\n0,2\nlater,3')).toThrow('t.csv line 3: time "later" must be a minute number');
    expect(parseTrace('t.csv', 'period,load\n2026-01-05 00:00,2\n2026-01-05 00:03,3\n2026-01-05 00:04,3').gaps).toEqual({ count: 1, longestMin: 3 });
    expect(weekMinute('2026-01-05T00:00')).toBe(0); // a Monday
    expect(weekMinute('1995-07-01 00:00')).toBe(5 * 1440); // a Saturday
    expect(weekMinute('2026-02-30 08:00')).toBeUndefined();
    expect(() => validateReplicaService({ ...STREAMING_STORE, maxReplicas: 0 })).toThrow('max_replicas = 0: must be a whole number >= 1');
    expect(() => validateReplicaService({ ...STREAMING_STORE, serviceRatePerS: 3 })).toThrow('service_rate_per_s = 3: give either a latency table or a service rate');
  });
});
