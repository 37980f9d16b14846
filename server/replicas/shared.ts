import { list, nonNegative, object, positive, within } from '../fields.js';
import { InputError } from '../input-error.js';
import { MAX_PLAN_CELLS } from '../limits.js';
import { stopCheck } from '../stop-flag.js';
import { ReplicaSolver } from '../wasm/replica-solver.js';
import type { SearchOptions, SearchOutcome } from '../wasm/search.js';
import type { ReplicaService } from './model.js';
import { planCells, planCounts, planForNeeds, windowNeeds, type WindowNeeds } from './plan.js';
import { replicaServiceOrDefault } from './validate.js';

/** One service of a shared cluster: its model, the loads to plan for, and what a replica takes of the cluster. */
export interface SharedService {
  service: ReplicaService;
  /** the load to hold the SLO at, per window (a forecast quantile) */
  windowLoads: number[];
  /** the load a scaling event in the window meets (default: the window's load) */
  changeLoads?: number[];
  /** the count running now; absent: the first window is free to choose */
  current?: number;
  /** capacity units one replica takes (e.g. cores) */
  capacityPerReplica: number;
}

/** Several services planned over the same windows, their replicas together within the cluster's capacity in every window. */
export interface SharedReplicaRequest {
  services: SharedService[];
  capacity: number;
}

/** A shared plan measured service by service: what it costs, and where it breaks the capacity or an SLO. */
export interface SharedPlanFigures {
  cost: number;
  services: {
    name: string;
    replicas: number[];
    cost: number;
    replicaMinutes: number;
    scalingEvents: number;
    /** windows with fewer replicas than the SLO needs there (or a scaling event the disturbance breaks it in) */
    shortWindows: number[];
  }[];
  /** windows whose replicas take more than the capacity */
  overCapacity: number[];
  feasible: boolean;
}

export interface SharedReplicaPlan extends SharedPlanFigures {
  /** no plan within capacity and the SLO needs costs less: the priced bound (lagrangianBound) */
  lowerBound: number;
  /** the services' own least costs added up, capacity ignored: the plain bound */
  ownPlansCost: number;
  search: SearchOutcome;
}

/** Reads a shared plan request; InputError names the first bad field. */
export function sharedRequestOf(raw: unknown): SharedReplicaRequest {
  const r = object(raw, 'request');
  const items = list(r.services, 'services');
  if (items.length === 0) throw new InputError('services', [], 'must list at least one service');
  if (items.length > 1000) throw new InputError('services', items.length, 'must be at most 1000 services');
  const services = items.map((raw, k): SharedService => {
    const at = `services[${k}]`;
    const o = object(raw, at);
    const service = within(`${at}.service`, () => replicaServiceOrDefault(o.service));
    const windowLoads = list(o.windowLoads, `${at}.window_loads`).map((v, i) => nonNegative(v, `${at}.window_loads[${i}]`));
    const changeItems = list(o.changeLoads, `${at}.change_loads`);
    const changeLoads = changeItems.map((v, i) => nonNegative(v, `${at}.change_loads[${i}]`));
    const current = (o.currentReplicas ?? 0) as number;
    if (!Number.isInteger(current) || current < 0 || current > service.maxReplicas) {
      throw new InputError(`${at}.current_replicas`, current, `must be a whole number in [0, max_replicas ${service.maxReplicas}] (0: none running)`);
    }
    const capacityPerReplica = o.capacityPerReplica === undefined || o.capacityPerReplica === 0 ? 1 : positive(o.capacityPerReplica, `${at}.capacity_per_replica`);
    return { service, windowLoads, ...(changeLoads.length > 0 ? { changeLoads } : {}), ...(current > 0 ? { current } : {}), capacityPerReplica };
  });
  const first = services[0];
  if (first.windowLoads.length === 0) throw new InputError('services[0].window_loads', [], 'must give the load of at least one window');
  if (first.windowLoads.length > 100_000) throw new InputError('services[0].window_loads', first.windowLoads.length, 'must be at most 100000 windows');
  services.forEach((s, k) => {
    if (s.windowLoads.length !== first.windowLoads.length) {
      throw new InputError(`services[${k}].window_loads`, `${s.windowLoads.length} windows`, `must have as many windows as services[0] (${first.windowLoads.length})`);
    }
    if (s.changeLoads && s.changeLoads.length !== s.windowLoads.length) {
      throw new InputError(`services[${k}].change_loads`, `${s.changeLoads.length} windows`, `must be empty or one per window (${s.windowLoads.length})`);
    }
    if (s.service.windowMin !== first.service.windowMin) {
      throw new InputError(`services[${k}].service.window_min`, s.service.windowMin, `must equal services[0]'s ${first.service.windowMin}: the services share the windows`);
    }
    // each service is planned alone too (its own plan, the bound's rounds): the single plan's limit holds for each
    const cells = planCells(s.service, s.windowLoads.length);
    if (cells > MAX_PLAN_CELLS) {
      throw new InputError(`services[${k}].window_loads`, `${s.windowLoads.length} windows`,
        `with max_replicas ${s.service.maxReplicas} its plan takes ${cells} cells (windows x (max_replicas + 1)), more than the ${MAX_PLAN_CELLS} a plan may take`);
    }
  });
  if (services.length * first.windowLoads.length > 2_000_000) {
    throw new InputError('services', `${services.length} services x ${first.windowLoads.length} windows`, 'must be at most 2000000 service-windows');
  }
  return { services, capacity: positive(r.capacity, 'capacity') };
}

/** Each service's SLO needs per window, with the first window's change need capped at max as the single-service planner does. */
function needsOf(s: SharedService): WindowNeeds {
  const needs = windowNeeds(s.service, s.windowLoads, s.changeLoads ?? s.windowLoads);
  if (s.current !== undefined) needs.needMoving[0] = Math.min(needs.needMoving[0], s.service.maxReplicas);
  return needs;
}

/** Measures a shared plan (replicas per service, then per window) from the services' models: an evaluator independent of the wasm search. */
export function evaluateSharedPlan(request: SharedReplicaRequest, replicas: number[][]): SharedPlanFigures {
  const T = request.services[0].windowLoads.length;
  const used = new Array<number>(T).fill(0);
  const services = request.services.map((s, k) => {
    const plan = replicas[k];
    const { need, needMoving } = needsOf(s);
    const shortWindows: number[] = [];
    plan.forEach((r, t) => {
      used[t] += r * s.capacityPerReplica;
      const before = t === 0 ? s.current : plan[t - 1];
      const changed = before !== undefined && before !== r;
      if (r < need[t] || (changed && r < needMoving[t])) shortWindows.push(t);
    });
    return { name: s.service.name, replicas: plan, ...planCounts(s.service, plan, s.current), shortWindows };
  });
  // a relative slack: capacity units are sums of floats
  const overCapacity = used.flatMap((u, t) => (u > request.capacity * (1 + 1e-12) ? [t] : []));
  return {
    cost: services.reduce((a, s) => a + s.cost, 0),
    services,
    overCapacity,
    feasible: overCapacity.length === 0 && services.every((s) => s.shortWindows.length === 0),
  };
}

/** The wasm input of a shared request, with each service's needs and own least-cost plan (the plain bound's parts, and the search's start). */
export function encodeShared(request: SharedReplicaRequest): { ints: Int32Array; floats: Float64Array; services: number; windows: number; needs: WindowNeeds[]; ownPlans: number[][]; lowerBound: number } {
  const S = request.services.length;
  const T = request.services[0].windowLoads.length;
  const needs = request.services.map(needsOf);
  const own = request.services.map((s, k) => planForNeeds(s.service, needs[k], s.current));
  const ints: number[] = [];
  const floats: number[] = [];
  const i32 = (xs: number[]) => { ints.push(xs.length, ...xs); };
  const f64 = (xs: number[]) => { floats.push(xs.length, ...xs); };
  const each = <T>(f: (s: SharedService, k: number) => T) => request.services.map(f);
  i32([S, T]);
  i32(each((s) => s.service.minReplicas));
  i32(each((s) => s.service.maxReplicas));
  i32(each((s) => s.current ?? -1));
  i32(needs.flatMap((n) => n.need));
  i32(needs.flatMap((n) => n.needMoving));
  i32(own.flatMap((p) => p.replicas));
  f64(each((s) => s.service.replicaCostPerMin * s.service.windowMin));
  f64(each((s) => s.service.scalingEventCost));
  f64(each((s) => s.capacityPerReplica));
  f64([request.capacity]);
  return {
    ints: Int32Array.from(ints), floats: Float64Array.from(floats), services: S, windows: T, needs,
    ownPlans: own.map((p) => p.replicas), lowerBound: own.reduce((a, p) => a + p.cost, 0),
  };
}

/**
 * Plans several services under a shared capacity with the wasm engines, starting from each
 * service's own exact plan; the result is measured by the independent evaluator and bounded below
 * by pricing the capacity.
 */
export function planSharedReplicas(request: SharedReplicaRequest, options: SearchOptions, shouldStop?: () => boolean, boundSeconds = Infinity): SharedReplicaPlan {
  const encoded = encodeShared(request);
  const solver = new ReplicaSolver(encoded, options.eliteSize);
  const found = solver.solve(options, shouldStop);
  const T = encoded.windows;
  const replicas = request.services.map((_, k) => Array.from(found.replicas.subarray(k * T, (k + 1) * T)));
  const search = { stats: found.stats, iterations: found.iterations, elapsedMs: found.elapsedMs, stopReason: found.stopReason };
  const figures = evaluateSharedPlan(request, replicas);
  const lowerBound = lagrangianBound(request, figures.feasible ? figures.cost : 1.01 * encoded.lowerBound, encoded.needs, 200, { seconds: boundSeconds, shouldStop });
  return { ...figures, lowerBound: Math.max(lowerBound, encoded.lowerBound), ownPlansCost: encoded.lowerBound, search };
}

/** A shared plan in a form that crosses to a worker thread, with a shared stop flag. */
export interface SharedReplicaTask {
  request: SharedReplicaRequest;
  options: SearchOptions;
  /** Int32 slot 0 != 0 stops the search, which answers its best so far, and the bound, which answers its best so far */
  stop: SharedArrayBuffer;
  /** the most time the lower bound may take after the search (absent: its rounds run out) */
  boundSeconds?: number;
}

/** Runs a shared plan on this thread. */
export function runSharedReplicaTask(task: SharedReplicaTask): SharedReplicaPlan {
  return planSharedReplicas(task.request, task.options, stopCheck(task.stop), task.boundSeconds);
}

/**
 * A lower bound on any plan within capacity, tighter than the own plans added up: capacity priced
 * per window (a Lagrangian relaxation, each service then planned alone by its exact program at those
 * prices), the prices moved by subgradient steps toward `upperBound` (a known plan's cost).
 * Every price vector gives a valid bound; the best one seen is returned, also when `limits` (a time
 * in seconds, a stop flag) end the rounds early. `needs`: the services' needs when worked out already.
 */
export function lagrangianBound(request: SharedReplicaRequest, upperBound: number, needs = request.services.map(needsOf), rounds = 200,
  limits: { seconds?: number; shouldStop?: () => boolean } = {}): number {
  const { services, capacity } = request;
  const T = services[0].windowLoads.length;
  const prices = new Array<number>(T).fill(0);
  const until = performance.now() + (limits.seconds ?? Infinity) * 1000;
  let best = -Infinity;
  let theta = 2;
  let stalled = 0;
  for (let round = 0; round < rounds; round++) {
    // round 0 prices nothing: its value is the own plans' bound, always kept
    if (round > 0 && (performance.now() >= until || limits.shouldStop?.())) break;
    const used = new Array<number>(T).fill(0);
    let value = -prices.reduce((a, p) => a + p * capacity, 0);
    for (const [k, s] of services.entries()) {
      const perReplica = prices.map((p) => p * s.capacityPerReplica);
      const plan = planForNeeds(s.service, needs[k], s.current, { hold: (t, r) => r * perReplica[t] });
      value += plan.cost + plan.replicas.reduce((a, r, t) => a + r * perReplica[t], 0);
      plan.replicas.forEach((r, t) => { used[t] += r * s.capacityPerReplica; });
    }
    if (best === -Infinity || value > best + 1e-9 * Math.abs(best)) { best = value; stalled = 0; } else if (++stalled >= 10) { theta /= 2; stalled = 0; }
    const step = used.map((u) => u - capacity);
    // a price only falls while it is positive: the subgradient projected onto prices >= 0
    const norm = step.reduce((a, g, t) => a + (prices[t] > 0 || g > 0 ? g * g : 0), 0);
    if (norm === 0 || theta < 1e-4) break;
    const size = (theta * Math.max(upperBound - value, 1e-6 * Math.abs(upperBound))) / norm;
    step.forEach((g, t) => { prices[t] = Math.max(0, prices[t] + size * g); });
  }
  return best;
}
