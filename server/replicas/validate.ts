import { list, nonNegative, object, positive, str } from '../fields.js';
import { InputError } from '../input-error.js';
import { STREAMING_STORE, type ReplicaService } from './model.js';

/** Checks every field of a replica service; throws InputError naming the first bad field (proto field names). */
export function validateReplicaService(raw: unknown): ReplicaService {
  const s = object(raw, 'service');
  const whole = (v: unknown, path: string, least: number) => {
    if (!Number.isInteger(v) || (v as number) < least) throw new InputError(path, v, `must be a whole number >= ${least}`);
    return v as number;
  };
  const table = list(s.latencyTable, 'latency_table').map((p, i) => {
    const o = object(p, `latency_table[${i}]`);
    return { loadPerReplica: nonNegative(o.loadPerReplica, `latency_table[${i}].load_per_replica`), latencyMs: positive(o.latencyMs, `latency_table[${i}].latency_ms`) };
  });
  table.forEach((p, i) => {
    if (i > 0 && !(p.loadPerReplica > table[i - 1].loadPerReplica)) throw new InputError(`latency_table[${i}].load_per_replica`, p.loadPerReplica, 'must grow along the table');
    if (i > 0 && p.latencyMs < table[i - 1].latencyMs) throw new InputError(`latency_table[${i}].latency_ms`, p.latencyMs, 'must not fall as the load grows');
  });
  const hasRate = s.serviceRatePerS !== undefined && s.serviceRatePerS !== 0;
  if (table.length > 0 === hasRate) throw new InputError(table.length > 0 ? 'service_rate_per_s' : 'latency_table', hasRate ? s.serviceRatePerS : [], 'give either a latency table or a service rate');
  const slo = object(s.slo, 'slo');
  const percentile = positive(slo.percentile, 'slo.percentile');
  if (!(percentile < 100)) throw new InputError('slo.percentile', percentile, 'must be in (0, 100)');
  const minReplicas = whole(s.minReplicas ?? 1, 'min_replicas', 1);
  const maxReplicas = whole(s.maxReplicas, 'max_replicas', 1);
  if (maxReplicas < minReplicas) throw new InputError('max_replicas', maxReplicas, `must be >= min_replicas ${minReplicas}`);
  if (maxReplicas > 10000) throw new InputError('max_replicas', maxReplicas, 'must be <= 10000');
  const d = object(s.disturbance ?? { meanMs: 0, sdMs: 0 }, 'disturbance');
  const violationCost = nonNegative(s.violationCostPerMin ?? 0, 'violation_cost_per_min');
  return {
    name: s.name === undefined ? '' : str(s.name, 'name'),
    ...(table.length > 0 ? { latencyTable: table } : { serviceRatePerS: positive(s.serviceRatePerS, 'service_rate_per_s') }),
    slo: { percentile, boundMs: positive(slo.boundMs, 'slo.bound_ms'), tolerancePct: nonNegative(slo.tolerancePct ?? 0, 'slo.tolerance_pct') },
    replicaCostPerMin: nonNegative(s.replicaCostPerMin, 'replica_cost_per_min'),
    scalingEventCost: nonNegative(s.scalingEventCost ?? 0, 'scaling_event_cost'),
    minReplicas, maxReplicas,
    windowMin: whole(s.windowMin ?? 15, 'window_min', 1),
    disturbance: { meanMs: nonNegative(d.meanMs ?? 0, 'disturbance.mean_ms'), sdMs: nonNegative(d.sdMs ?? 0, 'disturbance.sd_ms') },
    ...(violationCost > 0 ? { violationCostPerMin: violationCost } : {}),
  };
}

/** The service a request gives, checked; absent, the bundled streaming store. */
export function replicaServiceOrDefault(raw: unknown): ReplicaService {
  return raw === undefined || raw === null ? STREAMING_STORE : validateReplicaService(raw);
}
