import type { ReplicaService } from './model.js';

/** The SLO percentile of latency, in ms, with `replicas` sharing `load` (Infinity when they cannot keep up). */
export function latencyMs(service: ReplicaService, load: number, replicas: number): number {
  if (replicas <= 0) return load > 0 ? Infinity : 0;
  if (service.latencyTable) return interpolate(service.latencyTable, load / replicas);
  return mmcPercentileMs(load / 60, service.serviceRatePerS!, replicas, service.slo.percentile / 100);
}

/** The fewest replicas within [min, max] whose latency meets `boundMs`; max + 1 when even max does not. */
export function replicasNeeded(service: ReplicaService, load: number, boundMs = service.slo.boundMs): number {
  let lo = service.minReplicas;
  let hi = service.maxReplicas + 1;
  // latency falls as replicas grow: bisect for the first that meets the bound
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (meetsBound(service, load, mid, boundMs)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Whether `replicas` sharing `load` keep the SLO percentile within `boundMs`. For an M/M/c queue the
 * percentile is within the bound exactly when the time's tail at the bound is within 1 - q: one
 * evaluation of the tail instead of a bisection for the percentile (a plan asks this for every
 * window, and over the counts).
 */
export function meetsBound(service: ReplicaService, load: number, replicas: number, boundMs: number): boolean {
  if (service.latencyTable || replicas <= 0) return latencyMs(service, load, replicas) <= boundMs;
  const lambda = load / 60;
  const mu = service.serviceRatePerS!;
  const q = service.slo.percentile / 100;
  if (lambda >= replicas * mu) return false;
  if (lambda <= 0) return (-Math.log(1 - q) / mu) * 1000 <= boundMs;
  return mmcTail(lambda, mu, replicas, boundMs / 1000) <= 1 - q;
}

function interpolate(points: { loadPerReplica: number; latencyMs: number }[], x: number): number {
  const n = points.length;
  if (n === 1) return points[0].latencyMs;
  let k = 1;
  while (k < n - 1 && points[k].loadPerReplica < x) k++;
  const a = points[k - 1];
  const b = points[k];
  if (x <= a.loadPerReplica) return a.latencyMs;
  return a.latencyMs + ((x - a.loadPerReplica) / (b.loadPerReplica - a.loadPerReplica)) * (b.latencyMs - a.latencyMs);
}

/**
 * The q-quantile of the time in an M/M/c system: service Exp(mu), wait 0 with probability 1 - C
 * (Erlang C) else Exp(c mu - lambda); the tail of their sum is closed-form, the quantile found by bisection.
 */
export function mmcPercentileMs(lambda: number, mu: number, c: number, q: number): number {
  if (lambda >= c * mu) return Infinity;
  if (lambda <= 0) return (-Math.log(1 - q) / mu) * 1000;
  const C = erlangC(lambda / mu, c);
  const tail = (t: number) => mmcTailWith(C, lambda, mu, c, t);
  let lo = 0;
  let hi = 1 / mu;
  while (tail(hi) > 1 - q) hi *= 2;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (tail(mid) > 1 - q) lo = mid;
    else hi = mid;
  }
  return hi * 1000;
}

/** P(time in an M/M/c system > t), stable (lambda < c mu). */
function mmcTail(lambda: number, mu: number, c: number, t: number): number {
  return mmcTailWith(erlangC(lambda / mu, c), lambda, mu, c, t);
}

/** The tail at t given the Erlang C probability of waiting: service Exp(mu) alone, or after a wait Exp(c mu - lambda). */
function mmcTailWith(C: number, lambda: number, mu: number, c: number, t: number): number {
  const theta = c * mu - lambda;
  const service = Math.exp(-mu * t);
  const both = Math.abs(theta - mu) < 1e-12 * mu ? (1 + mu * t) * Math.exp(-mu * t) : (theta * Math.exp(-mu * t) - mu * Math.exp(-theta * t)) / (theta - mu);
  return (1 - C) * service + C * both;
}

/** Probability of waiting in M/M/c with offered load a = lambda / mu (stable: a < c). */
export function erlangC(a: number, c: number): number {
  // Erlang B by its recurrence, then C from B: no factorials, no overflow
  let b = 1;
  for (let k = 1; k <= c; k++) b = (a * b) / (k + a * b);
  const rho = a / c;
  return b / (1 - rho + rho * b);
}
