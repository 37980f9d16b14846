import type { Forecaster } from './forecast.js';
import { ForecastMisses, shareAbove } from './forecast-misses.js';
import { latencyMs, replicasNeeded } from './latency.js';
import { sloLimitMs, type ReplicaService } from './model.js';
import { planForNeeds, planReplicas } from './plan.js';

/** Sets the replica count for minute `now`, seeing loads before it (the oracle's forecaster excepted). */
export interface ReplicaPolicy {
  name: string;
  /** the count before the first minute */
  initial(loads: number[], now: number): number;
  decide(loads: number[], now: number, replicas: number): number;
}

export const POLICIES = ['reactive', 'memory', 'hpa', 'predictive', 'planner', 'oracle'] as const;
export type PolicyName = (typeof POLICIES)[number];

/** How far ahead the planner looks, in minutes: longer plans changed little and cost the LSTM its closed-loop accuracy. */
const PLAN_AHEAD_MIN = 6 * 60;
/** Windows the priced planner sees pass before it trusts its model of the forecast's misses (until then it plans on the forecast itself). */
const MISSES_WARMUP = 10;
/** The memory policy scales down only once the load is this far below the load it last scaled for. */
const MEMORY_DOWN = 0.2;
/** The Kubernetes HPA's tolerance and downscale stabilization window. */
const HPA_TOLERANCE = 0.1;
const HPA_STABILIZATION_MIN = 5;

const maxOf = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), 0);
const capped = (s: ReplicaService, r: number) => Math.min(s.maxReplicas, Math.max(s.minReplicas, r));
const lastWindow = (s: ReplicaService, loads: number[], now: number) => loads.slice(Math.max(0, now - s.windowMin), now);
const boundary = (s: ReplicaService, now: number) => now % s.windowMin === 0;

/** A policy by name; the forecasting ones use `forecaster`, the planner a forecast quantile `q`. */
export function replicaPolicy(name: PolicyName, service: ReplicaService, forecaster: Forecaster, oracle: Forecaster, q = 0.95): ReplicaPolicy {
  const need = (load: number) => capped(service, replicasNeeded(service, load));
  const initial = (loads: number[], now: number) => need(maxOf(lastWindow(service, loads, now)) || loads[now]);
  switch (name) {
    case 'reactive':
      return { name, initial, decide: (loads, now, r) => (boundary(service, now) ? need(maxOf(lastWindow(service, loads, now))) : r) };
    case 'memory': {
      let reference = NaN;
      return {
        name, initial,
        decide: (loads, now, r) => {
          if (!boundary(service, now)) return r;
          const load = maxOf(lastWindow(service, loads, now));
          if (Number.isNaN(reference)) reference = load;
          const want = need(load);
          if (want > r || load < (1 - MEMORY_DOWN) * reference) {
            reference = load;
            return want;
          }
          return r;
        },
      };
    }
    case 'hpa': {
      const target = perReplicaTarget(service);
      const recommendations: number[] = [];
      return {
        name, initial,
        decide: (loads, now, r) => {
          const ratio = (now > 0 ? loads[now - 1] : loads[now]) / r / target;
          const desired = Math.abs(ratio - 1) <= HPA_TOLERANCE ? r : capped(service, Math.ceil(r * ratio));
          recommendations.push(desired);
          if (recommendations.length > HPA_STABILIZATION_MIN) recommendations.shift();
          // up at once; down only to the highest recommendation of the stabilization window
          return desired > r ? desired : Math.min(r, maxOf(recommendations));
        },
      };
    }
    case 'predictive':
      return { name, initial, decide: (loads, now, r) => (boundary(service, now) ? need(maxOf(forecaster.forecast(loads, now, service.windowMin))) : r) };
    case 'planner':
      return { name, initial, ...(service.violationCostPerMin ? pricedPlannerDecisions(service, forecaster, service.violationCostPerMin) : plannerDecisions(service, forecaster, q)) };
    case 'oracle':
      return { name, initial, ...plannerDecisions(service, oracle, 1) };
  }
}

/**
 * Receding-horizon planning: at each window, the exact plan for the next six hours of windows on the
 * forecast's window maxima scaled by the q-quantile of how far past windows' true maxima exceeded
 * their forecasts (learned online; 1 until ten windows are known); the first window is applied. A
 * change now lands on about the load of the last minute seen, so that is the load the disturbance is
 * checked at.
 */
function plannerDecisions(service: ReplicaService, forecaster: Forecaster, q: number): Pick<ReplicaPolicy, 'decide'> {
  const W = service.windowMin;
  // forecasts below two replicas' load count as that much: near-zero forecasts before a ramp would blow the ratios up
  const floor = 2 * perReplicaTarget(service);
  const ratios: number[] = [];
  const pending: { at: number; forecast: number }[] = [];
  return {
    decide: (loads, now, r) => {
      if (now % W !== 0) return r;
      while (pending.length > 0 && pending[0].at + W <= now) {
        const p = pending.shift()!;
        ratios.push(maxOf(loads.slice(p.at, p.at + W)) / Math.max(floor, p.forecast));
      }
      const windows = forecastPeaks(service, forecaster, loads, now);
      if (windows.length === 0) return r;
      pending.push({ at: now, forecast: windows[0] });
      const margin = q >= 1 || ratios.length < 10 ? 1 : quantile(ratios, q);
      const planned = windows.map((w) => w * margin);
      const atChange = now > 0 ? [Math.min(planned[0], loads[now - 1] * margin), ...planned.slice(1)] : planned;
      return planReplicas(service, planned, r, atChange).replicas[0];
    },
  };
}

/**
 * Receding-horizon planning with SLO misses priced (the service's violation cost per minute): at each
 * window, the plan for the next six hours that least costs replicas plus events plus the expected
 * minutes above the SLO's tolerance limit, the first window applied. The expected minutes come from
 * what loads followed forecasts like each window's in the past (ForecastMisses; the window about to
 * start is judged from the last load seen); a change pays, on top of its event cost, the chance that
 * the disturbance pushes its first minute past the limit. Unlike the quantile planner, it may leave a
 * short peak uncovered when covering it costs more than the misses.
 */
function pricedPlannerDecisions(service: ReplicaService, forecaster: Forecaster, price: number): Pick<ReplicaPolicy, 'decide'> {
  const W = service.windowMin;
  const limit = sloLimitMs(service);
  const carried = Array.from({ length: service.maxReplicas + 1 }, (_, r) => loadWithin(service, r, limit));
  const changeMiss = disturbedMisses(service, limit);
  const misses = new ForecastMisses();
  const pending: { at: number; forecast: number; last: number }[] = [];
  return {
    decide: (loads, now, r) => {
      if (now % W !== 0) return r;
      while (pending.length > 0 && pending[0].at + W <= now) {
        const p = pending.shift()!;
        misses.record(p.forecast, p.last, loads.slice(p.at, p.at + W));
      }
      const peaks = forecastPeaks(service, forecaster, loads, now);
      if (peaks.length === 0) return r;
      const last = now > 0 ? loads[now - 1] : peaks[0];
      pending.push({ at: now, forecast: peaks[0], last });
      if (misses.size < MISSES_WARMUP) return planReplicas(service, peaks, r, [Math.min(peaks[0], last), ...peaks.slice(1)]).replicas[0];
      const futures = peaks.map((f, t) => (t === 0 ? misses.next(f, last) : misses.around(f)));
      // a change meets its window's first minute: the last load for the window about to start, else a spread of the window's plausible loads
      const starts = futures.map((xs, t) => (t === 0 ? [last] : xs.filter((_, i) => i % W === 0)));
      const hold = (t: number, k: number) => price * W * shareAbove(futures[t], carried[k]);
      const move = (t: number, k: number) => (price * starts[t].reduce((a, l) => a + changeMiss(l, k), 0)) / starts[t].length;
      const least = peaks.map(() => service.minReplicas);
      return planForNeeds(service, { need: least, needMoving: least, unmet: [] }, r, { hold, move }).replicas[0];
    },
  };
}

/** The forecast's peak per window over the planning horizon. */
function forecastPeaks(service: ReplicaService, forecaster: Forecaster, loads: number[], now: number): number[] {
  const W = service.windowMin;
  const ahead = forecaster.forecast(loads, now, PLAN_AHEAD_MIN);
  return Array.from({ length: Math.floor(ahead.length / W) }, (_, k) => maxOf(ahead.slice(k * W, (k + 1) * W)));
}

/** The most load r replicas carry within `limitMs`. */
function loadWithin(service: ReplicaService, r: number, limitMs: number): number {
  if (r <= 0) return 0;
  let lo = 0;
  let hi = 1;
  while (latencyMs(service, hi, r) <= limitMs && hi < 1e12) hi *= 2;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (latencyMs(service, mid, r) <= limitMs) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Steps of the standard normal on which disturbedMisses tabulates loads. */
const Z_GRID = Array.from({ length: 17 }, (_, j) => -4 + j / 2);

/**
 * The chance that a scaling event's disturbance lifts the latency of r replicas at a load above the
 * limit. Tabulated once per count: the load at which the room left under the limit is the mean plus
 * z standard deviations, for z on a grid, interpolated between (the M/M/c latency costs a bisection
 * per call, too many for every change the planner weighs).
 */
function disturbedMisses(service: ReplicaService, limitMs: number): (load: number, r: number) => number {
  const { meanMs, sdMs } = service.disturbance;
  if (sdMs === 0) {
    const edge = Array.from({ length: service.maxReplicas + 1 }, (_, r) => loadWithin(service, r, limitMs - meanMs));
    return (load, r) => (load > edge[r] ? 1 : 0);
  }
  // loads[r][j]: the most load at which the room is at least mean + z_j sd; falls as j grows
  const loads = Array.from({ length: service.maxReplicas + 1 }, (_, r) => Z_GRID.map((z) => loadWithin(service, r, limitMs - meanMs - z * sdMs)));
  return (load, r) => {
    const at = loads[r];
    if (load <= at[at.length - 1]) return 1 - normalCdf(Z_GRID[Z_GRID.length - 1]);
    if (load > at[0]) return 1 - normalCdf(Z_GRID[0]);
    let j = 0;
    while (load <= at[j + 1]) j++;
    const z = Z_GRID[j] + ((at[j] - load) / Math.max(1e-12, at[j] - at[j + 1])) * (Z_GRID[j + 1] - Z_GRID[j]);
    return 1 - normalCdf(z);
  };
}

/** The standard normal distribution function (Abramowitz and Stegun 7.1.26 for erf, error below 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** The load one replica carries at the SLO bound (for the HPA's target metric). */
export function perReplicaTarget(service: ReplicaService): number {
  return loadWithin(service, 1, service.slo.boundMs);
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
