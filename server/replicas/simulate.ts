import { random } from '../../instances/random.js';
import { latencyMs } from './latency.js';
import { sloLimitMs, type ReplicaService } from './model.js';
import type { ReplicaPolicy } from './policies.js';
import { StoppedError } from '../stopped-error.js';

export interface ReplicaMinute {
  minute: number;
  load: number;
  replicas: number;
  latencyMs: number;
  violated: boolean;
}

export interface ReplicaSimulation {
  policy: string;
  minutes: number;
  /** share of minutes whose percentile latency is above bound x (1 + tolerance) */
  violationRate: number;
  /** percentiles over the minutes of the minute's SLO-percentile latency; null when above them a minute could not keep up */
  p95Ms: number | null;
  p99Ms: number | null;
  scalingEvents: number;
  instanceMinutes: number;
  /** instance-minutes x cost per minute + events x event cost + violating minutes x violation cost */
  cost: number;
  series: ReplicaMinute[];
}

/** Lets a caller follow a replay and stop it between minutes. */
export interface SimulationHooks {
  shouldStop?: () => boolean;
  onMinute?: (minute: number) => void;
}

/**
 * Replays minutes [start, end) of a load series under a policy: the policy sets the replicas at each
 * minute from what it may see; latency follows the service's model at the load per replica; in a
 * minute where the count changed, the requests moved (a share |change| / larger count) pay an extra
 * latency drawn from the disturbance's normal distribution, which lifts the percentile in full once
 * that share exceeds the tail above the percentile, and in proportion below it.
 */
export function simulateReplicas(service: ReplicaService, loads: number[], policy: ReplicaPolicy, start: number, end: number, seed = 1, hooks: SimulationHooks = {}): ReplicaSimulation {
  const rng = random(seed);
  const tail = 1 - service.slo.percentile / 100;
  const limit = sloLimitMs(service);
  let replicas = policy.initial(loads, start);
  let events = 0;
  const series: ReplicaMinute[] = [];
  for (let m = start; m < end; m++) {
    if (hooks.shouldStop?.()) throw new StoppedError(`stopped after ${m - start} of ${end - start} minutes`);
    hooks.onMinute?.(m);
    const next = policy.decide(loads, m, replicas);
    let extra = 0;
    if (next !== replicas) {
      events++;
      const moved = Math.abs(next - replicas) / Math.max(next, replicas);
      extra = Math.max(0, service.disturbance.meanMs + service.disturbance.sdMs * normal(rng.next)) * Math.min(1, moved / tail);
      replicas = next;
    }
    const latency = latencyMs(service, loads[m], replicas) + extra;
    series.push({ minute: m, load: loads[m], replicas, latencyMs: latency, violated: latency > limit });
  }
  const sorted = series.map((s) => s.latencyMs).sort((a, b) => a - b);
  const pct = (q: number) => {
    const v = sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
    return Number.isFinite(v) ? v : null;
  };
  const instanceMinutes = series.reduce((a, s) => a + s.replicas, 0);
  const violations = series.filter((s) => s.violated).length;
  return {
    policy: policy.name, minutes: series.length,
    violationRate: violations / series.length,
    p95Ms: pct(0.95), p99Ms: pct(0.99), scalingEvents: events, instanceMinutes,
    cost: instanceMinutes * service.replicaCostPerMin + events * service.scalingEventCost + violations * (service.violationCostPerMin ?? 0),
    series,
  };
}

/** A standard normal draw (Box-Muller). */
function normal(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}
