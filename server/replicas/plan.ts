import { StoppedError } from '../stopped-error.js';
import { replicasNeeded } from './latency.js';
import { sloLimitMs, type ReplicaService } from './model.js';

export interface ReplicaPlan {
  /** replicas per window */
  replicas: number[];
  /** replica cost plus scaling-event cost */
  cost: number;
  replicaMinutes: number;
  scalingEvents: number;
  /** windows where even the most replicas miss the bound (planned at the most) */
  unmet: number[];
}

/**
 * The least-cost replica counts for windows whose loads are given (a forecast quantile): each window
 * has at least the replicas that meet the SLO bound at its load; cost = replicas x cost per minute x
 * window length, plus the event cost whenever the count changes (from `current` before the first
 * window, when given). A window that starts with a change must hold the SLO's tolerance limit in its
 * first minute (at `changeLoads`, the window's load unless given) with the disturbance on top (its
 * mean plus two standard deviations). An exact dynamic program over (window, replicas) in
 * O(windows x replicas). `extra` costs, when given, join the cost the program minimizes (a shared
 * cluster's capacity prices, expected SLO misses); the plan's reported cost is still its replica and
 * event cost. `shouldStop`, polled every 64 windows, ends the program with a StoppedError.
 */
export function planReplicas(service: ReplicaService, loads: number[], current?: number, changeLoads = loads, extra?: ExtraCosts, shouldStop?: () => boolean): ReplicaPlan {
  return planForNeeds(service, windowNeeds(service, loads, changeLoads), current, extra, shouldStop);
}

/** The cells of planReplicas's table (windows x counts from 0 to max): its time and memory (2 bytes a cell) grow with them. */
export function planCells(service: ReplicaService, windows: number): number {
  return windows * (service.maxReplicas + 1);
}

/** The dynamic program of planReplicas on needs worked out already (planning again at other prices skips the latency model). */
export function planForNeeds(service: ReplicaService, needs: WindowNeeds, current?: number, extra: ExtraCosts = {}, shouldStop?: () => boolean): ReplicaPlan {
  const R = service.maxReplicas;
  const perWindow = service.replicaCostPerMin * service.windowMin;
  const { need, needMoving, unmet } = needs;
  const T = need.length;
  if (T === 0) return { replicas: [], cost: 0, replicaMinutes: 0, scalingEvents: 0, unmet };
  const W = R + 1;
  // prev / cost: least cost of windows 0..t-1 / 0..t ending at r; from[t * W + r]: the count before
  // (max_replicas is at most 10000, so a count fits 16 bits; only reachable cells are read back)
  let prev = new Float64Array(W);
  let cost = new Float64Array(W);
  const from = new Uint16Array(T * W);
  for (let t = 0; t < T; t++) {
    if ((t & 63) === 0 && shouldStop?.()) throw new StoppedError(`the plan was stopped at window ${t} of ${T}`);
    cost.fill(Infinity);
    let bestPrev = Infinity;
    let argPrev = -1;
    if (t > 0) {
      for (let r = 0; r <= R; r++) if (prev[r] < bestPrev) { bestPrev = prev[r]; argPrev = r; }
    }
    for (let r = need[t]; r <= R; r++) {
      const own = r * perWindow + (extra.hold ? extra.hold(t, r) : 0);
      const event = service.scalingEventCost + (extra.move ? extra.move(t, r) : 0);
      if (t === 0) {
        const moving = current !== undefined && r !== current;
        if (moving && r < Math.min(R, needMoving[t])) continue;
        cost[r] = own + (moving ? event : 0);
      } else {
        const stay = prev[r];
        const move = r >= needMoving[t] ? bestPrev + event : Infinity;
        // ties keep the count: fewer events for the same cost
        if (stay <= move) { cost[r] = stay; from[t * W + r] = r; } else { cost[r] = move; from[t * W + r] = argPrev; }
        cost[r] += own;
      }
    }
    [prev, cost] = [cost, prev];
  }
  let r = 0;
  for (let k = 1; k <= R; k++) if (prev[k] < prev[r]) r = k;
  const replicas = new Array<number>(T);
  for (let t = T - 1; t >= 0; t--) {
    replicas[t] = r;
    r = from[t * W + r];
  }
  return { replicas, ...planCounts(service, replicas, current), unmet };
}

/** Costs on top of replicas and events: `hold` in window t with r replicas (a shared cluster's capacity price, expected SLO misses), `move` when a change to r lands in window t. */
export interface ExtraCosts {
  hold?: (t: number, r: number) => number;
  move?: (t: number, r: number) => number;
}

/** Per window: the replicas the SLO needs (capped at max), those it needs when a change lands there (max + 1: none may), and the windows even max misses. */
export interface WindowNeeds {
  need: number[];
  needMoving: number[];
  unmet: number[];
}

/** The needs of each window at its load (and at the load a change meets). */
export function windowNeeds(service: ReplicaService, loads: number[], changeLoads = loads): WindowNeeds {
  const R = service.maxReplicas;
  const unmet: number[] = [];
  const need = loads.map((load, t) => {
    const r = replicasNeeded(service, load);
    if (r > R) unmet.push(t);
    return Math.min(r, R);
  });
  const shaken = sloLimitMs(service) - service.disturbance.meanMs - 2 * service.disturbance.sdMs;
  // above R: no change may land in that window (the first window excepted: it must start somewhere)
  const needMoving = changeLoads.map((load, t) => Math.max(need[t], shaken > 0 ? replicasNeeded(service, load, shaken) : R + 1));
  return { need, needMoving, unmet };
}

/** Replica-minutes and scaling events of a sequence of per-window counts, and what they cost. */
export function planCounts(service: ReplicaService, replicas: number[], current?: number): { replicaMinutes: number; scalingEvents: number; cost: number } {
  let events = 0;
  replicas.forEach((r, t) => {
    const before = t === 0 ? current : replicas[t - 1];
    if (before !== undefined && before !== r) events++;
  });
  const replicaMinutes = replicas.reduce((a, r) => a + r, 0) * service.windowMin;
  return { replicaMinutes, scalingEvents: events, cost: replicaMinutes * service.replicaCostPerMin + events * service.scalingEventCost };
}
