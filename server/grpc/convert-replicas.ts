import { own, unlessZero } from '../fields.js';
import { InputError } from '../input-error.js';
import { storedModelDir } from '../models/file-io.js';
import type { ReplicaPlan } from '../replicas/plan.js';
import type { PolicyName } from '../replicas/policies.js';
import { checkReplicaSimulation, planRequestOf, type ForecasterName, type ReplicaSimulationInput, type ReplicaSimulationSummary } from '../replicas/service.js';
import { sharedRequestOf, type SharedReplicaPlan, type SharedReplicaRequest } from '../replicas/shared.js';
import { replicaServiceOrDefault } from '../replicas/validate.js';
import type { SearchMethod, SearchOptions } from '../wasm/search.js';

type Msg = Record<string, any>;

const POLICY: Record<string, PolicyName> = {
  REPLICA_POLICY_UNSPECIFIED: 'planner', REPLICA_POLICY_REACTIVE: 'reactive', REPLICA_POLICY_MEMORY: 'memory', REPLICA_POLICY_HPA: 'hpa',
  REPLICA_POLICY_PREDICTIVE: 'predictive', REPLICA_POLICY_PLANNER: 'planner', REPLICA_POLICY_ORACLE: 'oracle',
};
const FORECASTER: Record<string, ForecasterName> = { LOAD_FORECASTER_UNSPECIFIED: 'seasonal', LOAD_FORECASTER_SEASONAL: 'seasonal', LOAD_FORECASTER_LSTM: 'lstm' };

/** A ReplicaService message's fields for validation, proto zeros meaning "take the default"; undefined when absent. */
export function serviceFields(m: Msg | null | undefined): Msg | undefined {
  if (!m) return undefined;
  return { ...m, serviceRatePerS: unlessZero(m.serviceRatePerS), minReplicas: unlessZero(m.minReplicas), windowMin: unlessZero(m.windowMin) };
}

/** A PlanReplicasRequest, checked. */
export function planInputOf(req: Msg) {
  return planRequestOf({ windowLoads: req.windowLoads, currentReplicas: req.currentReplicas, service: serviceFields(req.service) });
}

const SEARCH_METHOD: Record<string, SearchMethod> = {
  PLACEMENT_METHOD_UNSPECIFIED: 'auto', RG: 'rg', LS: 'ls', RG_LS: 'rg+ls', TS: 'ts', SA: 'sa', PR: 'pr', AUTO: 'auto',
};

/** A PlanSharedReplicasRequest, checked: the services and capacity, and the search options. */
export function sharedPlanInputOf(req: Msg): { request: SharedReplicaRequest; options: SearchOptions } {
  const request = sharedRequestOf({
    capacity: req.capacity,
    services: (req.services ?? []).map((s: Msg) => ({ ...s, service: serviceFields(s.service) })),
  });
  const method = own(SEARCH_METHOD, req.method);
  if (!method) throw new InputError('method', req.method, `must be one of ${Object.keys(SEARCH_METHOD).slice(1).join(', ')} (EXACT plans one service: PlanReplicas)`);
  const b = req.budget ?? {};
  const seconds = unlessZero(b.seconds) ?? 2;
  if (!(seconds > 0 && Number.isFinite(seconds))) throw new InputError('budget.seconds', seconds, 'must be > 0');
  const iterations = Number(b.iterations ?? 0);
  if (!Number.isInteger(iterations) || iterations < 0) throw new InputError('budget.iterations', b.iterations, 'must be a whole number >= 0 (0: unlimited)');
  const unimproved = b.unimprovedSeconds ?? 0;
  if (!(unimproved >= 0)) throw new InputError('budget.unimproved_seconds', unimproved, 'must be >= 0 (0: never)');
  return {
    request,
    options: {
      method, seconds, seed: Number(req.seed) || 1,
      ...(iterations > 0 ? { maxIterations: iterations } : {}),
      ...(unimproved > 0 ? { maxUnimprovedSeconds: unimproved } : {}),
      ...(b._targetCost === 'targetCost' ? { targetCost: b.targetCost } : {}),
    },
  };
}

/** A shared plan as a SharedReplicaPlan message. */
export function sharedPlanMessage(p: SharedReplicaPlan): Msg {
  return {
    services: p.services.map((s) => ({ service: s.name, replicas: s.replicas, cost: s.cost, replicaMinutes: s.replicaMinutes, scalingEvents: s.scalingEvents, shortWindows: s.shortWindows })),
    cost: p.cost, lowerBound: p.lowerBound, ownPlansCost: p.ownPlansCost, feasible: p.feasible, overCapacityWindows: p.overCapacity,
    iterations: p.search.iterations, elapsedS: p.search.elapsedMs / 1000, stopReason: p.search.stopReason,
  };
}

/** A plan as a ReplicaPlan message. */
export function replicaPlanMessage(p: ReplicaPlan): Msg {
  return { replicas: p.replicas, cost: p.cost, replicaMinutes: p.replicaMinutes, scalingEvents: p.scalingEvents, unmetWindows: p.unmet };
}

/** A SimulateReplicasRequest, checked; `model` names a folder under the server's models/. */
export function simulationInputOf(req: Msg): ReplicaSimulationInput {
  const policy = own(POLICY, req.policy);
  if (!policy) throw new InputError('policy', req.policy, `must be one of ${Object.keys(POLICY).slice(1).join(', ')}`);
  const forecaster = own(FORECASTER, req.forecaster);
  if (!forecaster) throw new InputError('forecaster', req.forecaster, `must be one of ${Object.keys(FORECASTER).slice(1).join(', ')}`);
  const loads: number[] = req.loads ?? [];
  if (loads.length === 0) throw new InputError('loads', [], 'must give the load of at least one minute');
  const input: ReplicaSimulationInput = {
    service: replicaServiceOrDefault(serviceFields(req.service)),
    loads,
    start: req.startMinute ?? 0,
    end: req.endMinute || loads.length,
    trainFrom: 0,
    firstWeekMinute: req.firstWeekMinute ?? 0,
    policy,
    forecaster,
    model: req.model ? storedModelDir('model', req.model, 'lstm-forecast') : undefined,
    seed: Number(req.seed) || 1,
  };
  checkReplicaSimulation(input);
  return input;
}

/** A replay's figures as a ReplicaSimulationResult message (infinite latencies for minutes that could not keep up). */
export function replicaResultMessage(r: ReplicaSimulationSummary, includeSeries: boolean): Msg {
  return {
    policy: r.policy, forecaster: r.forecaster, minutes: r.minutes, violationRate: r.violationRate,
    p95Ms: r.p95Ms ?? Infinity, p99Ms: r.p99Ms ?? Infinity, scalingEvents: r.scalingEvents, instanceMinutes: r.instanceMinutes,
    cost: r.cost, wallS: r.wallS,
    series: includeSeries ? r.series : [],
  };
}
