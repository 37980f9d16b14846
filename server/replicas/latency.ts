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
    if (latencyMs(service, load, mid) <= boundMs) hi = mid;
    else lo = mid + 1;
  }
  return lo;
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
  const theta = c * mu - lambda;
  const tail = (t: number) => {
    const service = Math.exp(-mu * t);
    const both = Math.abs(theta - mu) < 1e-12 * mu ? (1 + mu * t) * Math.exp(-mu * t) : (theta * Math.exp(-mu * t) - mu * Math.exp(-theta * t)) / (theta - mu);
    return (1 - C) * service + C * both;
  };
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

/** Probability of waiting in M/M/c with offered load a = lambda / mu (stable: a < c). */
export function erlangC(a: number, c: number): number {
  // Erlang B by its recurrence, then C from B: no factorials, no overflow
  let b = 1;
  for (let k = 1; k <= c; k++) b = (a * b) / (k + a * b);
  const rho = a / c;
  return b / (1 - rho + rho * b);
}
