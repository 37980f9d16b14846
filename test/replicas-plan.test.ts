import { describe, expect, it } from 'vitest';
import { erlangC, latencyMs, mmcPercentileMs, replicasNeeded } from '../server/replicas/latency.js';
import { STREAMING_STORE, type ReplicaService } from '../server/replicas/model.js';
import { ForecastMisses, shareAbove } from '../server/replicas/forecast-misses.js';
import { planCounts, planReplicas, type ExtraCosts } from '../server/replicas/plan.js';

describe('replica latency models', () => {
  it('M/M/c: Erlang C and the sojourn-time percentile agree with closed forms', () => {
    expect(erlangC(2, 3)).toBeCloseTo(4 / 9, 12); // a = 2, c = 3: (8/6 x 3) / (1 + 2 + 2 + 4) = 4/9
    // M/M/1: the time in system is Exp(mu - lambda)
    expect(mmcPercentileMs(8, 10, 1, 0.95)).toBeCloseTo((-Math.log(0.05) / 2) * 1000, 6);
    // no load: only the service time
    expect(mmcPercentileMs(0, 10, 4, 0.99)).toBeCloseTo((-Math.log(0.01) / 10) * 1000, 6);
    expect(mmcPercentileMs(40, 10, 4, 0.95)).toBe(Infinity);
    // more servers never hurt
    for (let c = 5; c < 12; c++) expect(mmcPercentileMs(40, 10, c + 1, 0.95)).toBeLessThanOrEqual(mmcPercentileMs(40, 10, c, 0.95));
  });

  it('table: interpolated per replica; replicasNeeded is the fewest that meet the bound', () => {
    expect(latencyMs(STREAMING_STORE, 30, 3)).toBeCloseTo(21, 12); // 10 per replica
    expect(latencyMs(STREAMING_STORE, 27, 3)).toBeCloseTo(18, 12); // 9: between 15 and 21
    expect(latencyMs(STREAMING_STORE, 32, 2)).toBeCloseTo(44 + 7 * 2, 12); // 16: past the table, extrapolated
    const need = replicasNeeded(STREAMING_STORE, 57);
    expect(latencyMs(STREAMING_STORE, 57, need)).toBeLessThanOrEqual(20);
    expect(latencyMs(STREAMING_STORE, 57, need - 1)).toBeGreaterThan(20);
  });
});

describe('forecast misses (what loads followed forecasts like this one)', () => {
  const misses = new ForecastMisses(2);
  misses.record(0, 0, [0, 0, 1]);
  misses.record(10, 8, [9, 12, 11]);
  misses.record(30, 25, [28, 33, 30]);
  misses.record(32, 31, [31, 30, 35]);

  it('around a forecast: the closest forecasts\' windows, moved by the difference, sorted', () => {
    // forecasts 30 and 32 are closest to 31: their loads +1 and -1
    expect(misses.around(31)).toEqual([29, 29, 30, 31, 34, 34]);
    expect(misses.around(1)).toEqual([0, 1, 1, 2, 2, 3]);
  });

  it('the window about to start: closest last load and rise, moved by the last load\'s difference; loads stay >= 0', () => {
    // last 26 rising to 30: the window seen from 25 rising by 5 first, then the one from 31 rising by 1
    expect(misses.next(30, 26)).toEqual([25, 26, 29, 30, 31, 34]);
    expect(misses.next(0, 0)).toEqual([0, 0, 1, 1, 3, 4]);
    expect(shareAbove(misses.next(30, 26), 30)).toBeCloseTo(2 / 6, 12);
    expect(shareAbove([], 1)).toBe(0);
  });
});

describe('replica planner (dynamic program)', () => {
  const service = (over: Partial<ReplicaService>): ReplicaService => ({ ...STREAMING_STORE, maxReplicas: 5, windowMin: 10, disturbance: { meanMs: 0, sdMs: 0 }, ...over });

  /** What `extra` charges a sequence of counts: hold in every window, move where the count changes. */
  const extraOf = (extra: ExtraCosts, seq: number[], current?: number) =>
    seq.reduce((a, r, t) => a + (extra.hold?.(t, r) ?? 0) + (r !== (t === 0 ? current ?? r : seq[t - 1]) ? extra.move?.(t, r) ?? 0 : 0), 0);

  /** Every sequence of counts, feasible ones priced: the bound held, and after a change the tolerance with the disturbance (mean + 2 sd) on top at the change's load. */
  function bruteForce(s: ReplicaService, loads: number[], current?: number, changeLoads = loads, extra: ExtraCosts = {}): number {
    const shaken = s.slo.boundMs * (1 + s.slo.tolerancePct / 100) - s.disturbance.meanMs - 2 * s.disturbance.sdMs;
    let best = Infinity;
    const R = s.maxReplicas;
    const seq = new Array<number>(loads.length).fill(0);
    const walk = (t: number) => {
      if (t === loads.length) {
        const { replicaMinutes, scalingEvents } = planCounts(s, seq, current);
        best = Math.min(best, replicaMinutes * s.replicaCostPerMin + scalingEvents * s.scalingEventCost + extraOf(extra, seq, current));
        return;
      }
      const before = t === 0 ? current : seq[t - 1];
      for (let r = s.minReplicas; r <= s.maxReplicas; r++) {
        if (latencyMs(s, loads[t], r) > s.slo.boundMs) continue;
        // a change may land only where the most replicas absorb the disturbance, or in the first window at the most
        if (before !== undefined && before !== r && latencyMs(s, changeLoads[t], r) > shaken && !(t === 0 && r === R)) continue;
        seq[t] = r;
        walk(t + 1);
      }
    };
    walk(0);
    return best;
  }

  it('equals brute force on random small cases, with and without a current count, a disturbance, lower loads at the change', () => {
    let x = 7;
    const rand = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let k = 0; k < 300; k++) {
      const s = service({ scalingEventCost: [0, 0.05, 0.3, 2][k % 4], minReplicas: 1 + (k % 2), disturbance: k % 5 < 2 ? { meanMs: 0, sdMs: 0 } : { meanMs: 4, sdMs: 1 } });
      // loads the most replicas hold even after a change, so that every case has a plan to compare
      const loads = Array.from({ length: 1 + Math.floor(rand() * 5) }, () => rand() * 30);
      const current = k % 3 === 0 ? undefined : 1 + Math.floor(rand() * 5);
      // half the cases change at a lower load than the window's peak (the planner's last minute seen)
      const changeLoads = k % 2 === 0 ? loads : loads.map((l) => l * rand());
      const plan = planReplicas(s, loads, current, changeLoads);
      const want = bruteForce(s, loads, current, changeLoads);
      expect(plan.cost, `case ${k}: loads ${loads.map((l) => l.toFixed(1))}`).toBeCloseTo(want, 9);
      const { replicaMinutes, scalingEvents } = planCounts(s, plan.replicas, current);
      expect(plan.cost).toBeCloseTo(replicaMinutes * s.replicaCostPerMin + scalingEvents * s.scalingEventCost, 9);
      plan.replicas.forEach((r, t) => expect(latencyMs(s, loads[t], r)).toBeLessThanOrEqual(s.slo.boundMs));
    }
    // a change lands where it can be afforded: the count rises a window before the peak
    const shaky = service({ scalingEventCost: 0.01, disturbance: { meanMs: 8, sdMs: 3 } });
    const rising = planReplicas(shaky, [5, 5, 30], 1);
    expect(rising.replicas[2]).toBe(rising.replicas[1]);
  });

  it('with costs per window and count and per change (priced misses) it still equals brute force', () => {
    let x = 11;
    const rand = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let k = 0; k < 200; k++) {
      const s = service({ scalingEventCost: [0, 0.05, 0.3][k % 3] });
      const T = 1 + Math.floor(rand() * 5);
      const table = Array.from({ length: 2 * T * 6 }, () => rand() * 0.5);
      const extra: ExtraCosts = { hold: (t, r) => table[t * 6 + r], move: (t, r) => table[(T + t) * 6 + r] };
      const current = k % 3 === 0 ? undefined : 1 + Math.floor(rand() * 5);
      const plan = planReplicas(s, new Array<number>(T).fill(0), current, undefined, extra);
      expect(plan.cost + extraOf(extra, plan.replicas, current), `case ${k}`).toBeCloseTo(bruteForce(s, new Array<number>(T).fill(0), current, undefined, extra), 9);
    }
  });

  it('a costly event holds the count through a dip; a free one follows the load; too much load is reported', () => {
    const loads = [40, 10, 40];
    expect(planReplicas(service({ scalingEventCost: 10 }), loads).replicas).toEqual([5, 5, 5]);
    expect(planReplicas(service({ scalingEventCost: 0 }), loads).replicas).toEqual([5, 2, 5]);
    const over = planReplicas(service({}), [10, 90]);
    expect(over.unmet).toEqual([1]);
    expect(over.replicas[1]).toBe(5);
  });
});
