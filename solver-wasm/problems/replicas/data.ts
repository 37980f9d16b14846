import { Reader } from "../../input";

/**
 * Replica counts of several services sharing a cluster, in flat arrays in the order
 * server/replicas/shared.ts writes them. Per service and window (index s * T + t): the fewest
 * replicas that hold the SLO at the forecast load, the fewest that hold it through a scaling event
 * landing in that window (max + 1: no event may land there), and the service's own least-cost plan.
 */
export class SharedReplicaData {
  S: i32; T: i32;
  minReplicas: StaticArray<i32>;
  maxReplicas: StaticArray<i32>;
  /** the count running before the first window; -1: none (the first window is free) */
  current: StaticArray<i32>;
  need: StaticArray<i32>;
  needMoving: StaticArray<i32>;
  ownPlan: StaticArray<i32>;
  /** replica cost of one window, per service */
  windowCost: StaticArray<f64>;
  eventCost: StaticArray<f64>;
  /** capacity units one replica takes, per service */
  size: StaticArray<f64>;
  capacity: f64;

  constructor(r: Reader) {
    const sizes = r.ints();
    this.S = sizes[0]; this.T = sizes[1];
    this.minReplicas = r.ints();
    this.maxReplicas = r.ints();
    this.current = r.ints();
    this.need = r.ints();
    this.needMoving = r.ints();
    this.ownPlan = r.ints();
    this.windowCost = r.floats();
    this.eventCost = r.floats();
    this.size = r.floats();
    this.capacity = r.floats()[0];
  }
}
