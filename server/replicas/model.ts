/** Replica counts per time window: the native service description, shaped like the copt.v1 proto messages (camelCase). */

/** A measured point: the SLO percentile of latency when each replica carries this load. */
export interface LatencyPoint {
  loadPerReplica: number;
  latencyMs: number;
}

export interface ReplicaService {
  name: string;
  /** latency percentile against load per replica, interpolated linearly (extrapolated past the last point) */
  latencyTable?: LatencyPoint[];
  /** instead of a table: an M/M/c queue, each replica serving this many requests per second, the load in requests per minute */
  serviceRatePerS?: number;
  slo: {
    /** e.g. 95 for p95 */
    percentile: number;
    boundMs: number;
    /** a minute violates the SLO when its latency is above bound x (1 + tolerance / 100) */
    tolerancePct: number;
  };
  replicaCostPerMin: number;
  scalingEventCost: number;
  minReplicas: number;
  maxReplicas: number;
  /** minutes between scaling decisions */
  windowMin: number;
  /** extra latency of the requests a scaling event moves between replicas, normally distributed */
  disturbance: { meanMs: number; sdMs: number };
  /**
   * What a minute above the SLO's tolerance limit costs. Given, the planner weighs the minutes it
   * expects to miss against replicas and events; absent, it holds the SLO on a forecast quantile.
   */
  violationCostPerMin?: number;
}

/** The latency above which a minute violates the SLO: the bound plus its tolerance. */
export function sloLimitMs(service: ReplicaService): number {
  return service.slo.boundMs * (1 + service.slo.tolerancePct / 100);
}

/**
 * The streaming store of the surgery-room scenario: load = concurrent video streams, p95 latency
 * below 20 ms with a 10% tolerance. The latency table is illustrative (a store that saturates past
 * about ten streams per replica), not a measurement; so is the disturbance of a scaling event (3 ms
 * mean, 1 ms sd: with 8 ms, more than the 2-ms tolerance band, a change could hold the SLO only on
 * about three times the replicas). A minute out of the SLO costs as much as ten replica-minutes.
 */
export const STREAMING_STORE: ReplicaService = {
  name: 'streaming-store',
  latencyTable: [
    { loadPerReplica: 0, latencyMs: 5 }, { loadPerReplica: 2, latencyMs: 6.5 }, { loadPerReplica: 4, latencyMs: 8.5 },
    { loadPerReplica: 6, latencyMs: 11 }, { loadPerReplica: 8, latencyMs: 15 }, { loadPerReplica: 10, latencyMs: 21 },
    { loadPerReplica: 12, latencyMs: 30 }, { loadPerReplica: 14, latencyMs: 44 },
  ],
  slo: { percentile: 95, boundMs: 20, tolerancePct: 10 },
  replicaCostPerMin: 0.01,
  scalingEventCost: 0.5,
  minReplicas: 1,
  maxReplicas: 40,
  windowMin: 15,
  disturbance: { meanMs: 3, sdMs: 1 },
  violationCostPerMin: 0.1,
};
