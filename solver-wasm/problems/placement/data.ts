import { Reader } from "../../input";

export const EDGE: i32 = 0;
export const VM: i32 = 1;
export const FAAS: i32 = 2;

export const FAAS_COMPONENT_RATE: i32 = 0;
export const FAAS_FIRST_PARTITION_RATE: i32 = 1;
export const FAAS_PARTITION_RATE: i32 = 2;

/** Items grouped by key (keys in [0, n)), in their order: group g is items[start[g] .. start[g + 1]]; without values the items are the indices. */
class Groups {
  start: StaticArray<i32>;
  items: StaticArray<i32>;

  constructor(n: i32, keys: StaticArray<i32>, values: StaticArray<i32> | null) {
    const m = keys.length;
    const start = new StaticArray<i32>(n + 1);
    for (let i = 0; i < m; i++) start[keys[i] + 1]++;
    for (let g = 0; g < n; g++) start[g + 1] += start[g];
    const items = new StaticArray<i32>(m);
    const at = new StaticArray<i32>(n);
    for (let i = 0; i < m; i++) {
      const g = keys[i];
      items[start[g] + at[g]++] = values ? values[i] : i;
    }
    this.start = start;
    this.items = items;
  }
}

/**
 * A placement instance in flat arrays, in the order server/placement/encode.ts writes them.
 * Components are in topological order; a deployment's partitions are contiguous, in chain order.
 */
export class PlacementData {
  C: i32; P: i32; R: i32; L: i32; D: i32;
  G: i32 = 0;
  E: i32 = 0;
  compDepStart: StaticArray<i32>;
  depPartStart: StaticArray<i32>;
  partComp: StaticArray<i32>;
  partCandStart: StaticArray<i32>;
  candRes: StaticArray<i32>;
  partSuccStart: StaticArray<i32>;
  succComp: StaticArray<i32>;
  resKind: StaticArray<i32>;
  resLayer: StaticArray<i32>;
  resNumber: StaticArray<i32>;
  linkStart: StaticArray<i32>;
  edgeFrom: StaticArray<i32>;
  edgeTo: StaticArray<i32>;
  pathStart: StaticArray<i32>;
  pathComp: StaticArray<i32>;
  memoryPerInstance: bool;
  faasRule: i32;
  pathReachQuirk: bool;

  time: f64;
  compRate: StaticArray<f64>;
  compLimit: StaticArray<f64>;
  partRate: StaticArray<f64>;
  partEarly: StaticArray<f64>;
  partReach: StaticArray<f64>;
  partDataNext: StaticArray<f64>;
  candMem: StaticArray<f64>;
  candTime: StaticArray<f64>;
  candWarm: StaticArray<f64>;
  succData: StaticArray<f64>;
  resCost: StaticArray<f64>;
  resMem: StaticArray<f64>;
  linkAccess: StaticArray<f64>;
  linkBw: StaticArray<f64>;
  pathLimit: StaticArray<f64>;

  // Re-optimization (empty lists on a plain solve): the running decision, the migration prices and
  // the cap on changes, and decisions to seed the search with.
  /** whether a running decision is given */
  migrating: bool = false;
  /** global deployment per component, resource per partition (-1 outside the deployment), instances per resource */
  curDep: StaticArray<i32> = new StaticArray<i32>(0);
  curRes: StaticArray<i32> = new StaticArray<i32>(0);
  curCnt: StaticArray<i32> = new StaticArray<i32>(0);
  /** the edge/VM resource type in use per layer, -1 where none */
  curLayerType: StaticArray<i32> = new StaticArray<i32>(0);
  /** most changes allowed; -1: no cap */
  maxChanges: i32 = -1;
  priceDeployment: f64 = 0;
  pricePartition: f64 = 0;
  priceLayerType: f64 = 0;
  priceInstance: f64 = 0;
  /** seed decisions back to back, each C deployments, P candidates and R counts (global indices) */
  seeds: StaticArray<i32> = new StaticArray<i32>(0);

  // Derived here: the deployment of each partition, predecessors of each component.
  partDep: StaticArray<i32> = new StaticArray<i32>(0);
  predStart: StaticArray<i32> = new StaticArray<i32>(0);
  predComp: StaticArray<i32> = new StaticArray<i32>(0);
  // Derived inverse indexes, so a move reaches only what it touches.
  /** partition of each candidate */
  candPart: StaticArray<i32> = new StaticArray<i32>(0);
  /** candidates on each resource (resCand[resCandStart[r] .. resCandStart[r + 1]]), in candidate order */
  resCandStart: StaticArray<i32> = new StaticArray<i32>(0);
  resCand: StaticArray<i32> = new StaticArray<i32>(0);
  /** successor components of each component */
  nextStart: StaticArray<i32> = new StaticArray<i32>(0);
  nextComp: StaticArray<i32> = new StaticArray<i32>(0);
  /** paths through each component */
  compPathStart: StaticArray<i32> = new StaticArray<i32>(0);
  compPath: StaticArray<i32> = new StaticArray<i32>(0);

  constructor(r: Reader) {
    const sizes = r.ints();
    this.C = sizes[0]; this.P = sizes[1]; this.R = sizes[2]; this.L = sizes[3]; this.D = sizes[4];
    this.compDepStart = r.ints();
    this.depPartStart = r.ints();
    this.partComp = r.ints();
    this.partCandStart = r.ints();
    this.candRes = r.ints();
    this.partSuccStart = r.ints();
    this.succComp = r.ints();
    this.resKind = r.ints();
    this.resLayer = r.ints();
    this.resNumber = r.ints();
    this.linkStart = r.ints();
    this.edgeFrom = r.ints();
    this.edgeTo = r.ints();
    this.pathStart = r.ints();
    this.pathComp = r.ints();
    const flags = r.ints();
    this.memoryPerInstance = flags[0] != 0;
    this.faasRule = flags[1];
    this.pathReachQuirk = flags[2] != 0;

    this.time = r.floats()[0];
    this.compRate = r.floats();
    this.compLimit = r.floats();
    this.partRate = r.floats();
    this.partEarly = r.floats();
    this.partReach = r.floats();
    this.partDataNext = r.floats();
    this.candMem = r.floats();
    this.candTime = r.floats();
    this.candWarm = r.floats();
    this.succData = r.floats();
    this.resCost = r.floats();
    this.resMem = r.floats();
    this.linkAccess = r.floats();
    this.linkBw = r.floats();
    this.pathLimit = r.floats();
    this.G = this.pathLimit.length;
    this.E = this.edgeFrom.length;
    const running = r.ints();
    const prices = r.floats();
    this.seeds = r.ints();
    if (running.length > 0) this.readRunning(running, prices);

    this.partDep = new StaticArray<i32>(this.P);
    for (let d = 0; d < this.D; d++) {
      for (let p = this.depPartStart[d]; p < this.depPartStart[d + 1]; p++) this.partDep[p] = d;
    }
    const preds = new Groups(this.C, this.edgeTo, this.edgeFrom);
    this.predStart = preds.start;
    this.predComp = preds.items;
    this.buildInverseIndexes();
  }

  private buildInverseIndexes(): void {
    const K = this.candRes.length;
    this.candPart = new StaticArray<i32>(K);
    for (let p = 0; p < this.P; p++) {
      for (let k = this.partCandStart[p]; k < this.partCandStart[p + 1]; k++) this.candPart[k] = p;
    }
    const byRes = new Groups(this.R, this.candRes, null);
    this.resCandStart = byRes.start;
    this.resCand = byRes.items;
    const nexts = new Groups(this.C, this.edgeFrom, this.edgeTo);
    this.nextStart = nexts.start;
    this.nextComp = nexts.items;
    const atComp = new StaticArray<i32>(this.C);
    // a component listed twice on a path is one entry: mark the path as seen per component
    const lastPath = new StaticArray<i32>(this.C);
    for (let c = 0; c < this.C; c++) lastPath[c] = -1;
    this.compPathStart = new StaticArray<i32>(this.C + 1);
    for (let g = 0; g < this.G; g++) {
      for (let i = this.pathStart[g]; i < this.pathStart[g + 1]; i++) {
        const c = this.pathComp[i];
        if (lastPath[c] == g) continue;
        lastPath[c] = g;
        this.compPathStart[c + 1]++;
      }
    }
    for (let c = 0; c < this.C; c++) { this.compPathStart[c + 1] += this.compPathStart[c]; lastPath[c] = -1; }
    this.compPath = new StaticArray<i32>(this.compPathStart[this.C]);
    for (let g = 0; g < this.G; g++) {
      for (let i = this.pathStart[g]; i < this.pathStart[g + 1]; i++) {
        const c = this.pathComp[i];
        if (lastPath[c] == g) continue;
        lastPath[c] = g;
        this.compPath[this.compPathStart[c] + atComp[c]++] = g;
      }
    }
  }

  /** The running decision ([deployments, resources, counts, cap]) and the prices [deployment, partition, layer type, instance]. */
  private readRunning(running: StaticArray<i32>, prices: StaticArray<f64>): void {
    this.migrating = true;
    this.curDep = new StaticArray<i32>(this.C);
    this.curRes = new StaticArray<i32>(this.P);
    this.curCnt = new StaticArray<i32>(this.R);
    let i = 0;
    for (let c = 0; c < this.C; c++) this.curDep[c] = running[i++];
    for (let p = 0; p < this.P; p++) this.curRes[p] = running[i++];
    for (let x = 0; x < this.R; x++) this.curCnt[x] = running[i++];
    this.maxChanges = running[i];
    this.priceDeployment = prices[0];
    this.pricePartition = prices[1];
    this.priceLayerType = prices[2];
    this.priceInstance = prices[3];
    this.curLayerType = new StaticArray<i32>(this.L);
    for (let l = 0; l < this.L; l++) this.curLayerType[l] = -1;
    for (let x = 0; x < this.R; x++) if (this.curCnt[x] > 0 && this.resKind[x] != FAAS) this.curLayerType[this.resLayer[x]] = x;
  }
}
