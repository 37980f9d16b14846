import { nearlyEqual, Problem } from "../../engines/problem";
import { Rng } from "../../rng";
import { SumTree } from "../../sum-tree";
import { EDGE, FAAS, FAAS_COMPONENT_RATE, FAAS_FIRST_PARTITION_RATE, PlacementData } from "./data";

const TIME_TOLERANCE: f64 = 1e-9;
/** infeasibility per change beyond the cap of a re-optimization */
const CAP_WEIGHT: f64 = 1e9;

const MOVE_RESOURCE: i32 = 0; // partition a -> candidate b
const MOVE_DEPLOYMENT: i32 = 1; // component a -> deployment b (resources completed greedily)
const MOVE_MERGE: i32 = 2; // every partition on edge/VM resource a -> edge/VM resource b (a closes; in a's layer: a type change)
const MOVE_COUNT: i32 = 3; // resource a: instances + b
const MOVE_ADOPT: i32 = 4; // component a takes the deployment and candidates it has in slot b
const MOVE_RESOURCE_SHRINK: i32 = 5; // partition a -> candidate b, and the resource it leaves one instance fewer
const MOVE_CLOSE: i32 = 6; // every partition on edge/VM resource a -> its cheapest other candidate (a closes)

const UNDO_DEPLOYMENT: i32 = 0;
const UNDO_CANDIDATE: i32 = 1;
const UNDO_COUNT: i32 = 2;

/**
 * SPACE4AI placement: one deployment per component, one candidate resource per partition,
 * instances per edge/VM resource. Evaluation is incremental: a move marks resources and components
 * dirty, and only those, the components with a partition on a dirty resource, the paths through
 * them and the successors of the dirty components are recomputed, each reached through an inverse
 * index; the totals are sum trees of per-resource, per-component and per-path terms. A move costs
 * what it touches, not the size of the system; re-optimization's migration price too, a sum tree of
 * per-component, per-resource and per-layer terms.
 */
export class PlacementProblem extends Problem {
  d: PlacementData;
  // Decision: deployment (global index) per component, candidate (global index) per partition, instances per resource.
  dep: StaticArray<i32>;
  cand: StaticArray<i32>;
  cnt: StaticArray<i32>;

  // Evaluation state.
  load: StaticArray<f64>;
  mem: StaticArray<f64>;
  use: StaticArray<i32>;
  util: StaticArray<f64>;
  resViol: StaticArray<f64>;
  partTime: StaticArray<f64>;
  compTime: StaticArray<f64>;
  compViol: StaticArray<f64>;
  pathTime: StaticArray<f64>;
  pathViol: StaticArray<f64>;
  offEdge: StaticArray<bool>;
  /** returns to the edge after leaving it, per component (counted in the infeasibility) */
  edgeViol: StaticArray<f64>;
  /** per resource: what it costs (rent, or its functions' charges) */
  resCostTerm: StaticArray<f64>;
  /** edge/VM resource types in use per layer, and the layers' excess over one, summed */
  layerTypes: StaticArray<i32>;
  layerExcess: i32 = 0;
  /** whether each edge/VM resource counted in layerTypes */
  typeCounted: StaticArray<bool>;
  /** active edge/VM partitions per layer, kept exact with use[] */
  layerUse: StaticArray<i32>;
  hosts: StaticArray<i32>;
  hostList: StaticArray<i32>;
  /** cost terms per resource; infeasibility terms per resource, then per component, then per path */
  costTree: SumTree;
  violTree: SumTree;
  totalCost: f64 = 0;
  totalViol: f64 = 0;
  /** re-optimization: the migration prices in totalCost, and the changes from the running decision */
  migrationCost: f64 = 0;
  changes: i32 = 0;
  /** re-optimization: price terms per component, then per resource, then per layer; changes per component, then per resource */
  migrationTree: SumTree;
  migrationChanges: StaticArray<i32>;
  /** re-optimization: whether each edge/VM resource runs instances, and how many such resources each layer has */
  runningCounted: StaticArray<bool>;
  layerRunning: StaticArray<i32>;

  // Incremental bookkeeping.
  dirtyRes: StaticArray<bool>;
  dirtyComp: StaticArray<bool>;
  dirtyResList: StaticArray<i32>;
  dirtyCompList: StaticArray<i32>;
  nDirtyRes: i32 = 0;
  nDirtyComp: i32 = 0;
  /** components whose times are recomputed (dirty, or with a partition on a dirty resource) */
  touched: StaticArray<bool>;
  touchedList: StaticArray<i32>;
  /** per entry of dirtyCompList: whether its offEdge changed in this refresh */
  offEdgeChanged: StaticArray<bool>;
  nTouched: i32 = 0;
  pathSeen: StaticArray<bool>;
  pathList: StaticArray<i32>;
  undoKind: StaticArray<i32>;
  undoIndex: StaticArray<i32>;
  undoOld: StaticArray<i32>;
  undoLen: i32 = 0;
  moves: StaticArray<i32>;
  moveCount: i32 = 0;

  // Full-recompute assertion mode: every move is checked against a fresh evaluation.
  assertMode: bool = false;
  assertFailures: i32 = 0;
  private assertTimes: StaticArray<f64>;

  // Solution slots: deployment, candidate and count arrays back to back, plus cost and infeasibility.
  slots: i32;
  slotData: StaticArray<i32>;
  slotScore: StaticArray<f64>;

  constructor(d: PlacementData, slots: i32) {
    super();
    this.d = d;
    this.dep = new StaticArray<i32>(d.C);
    this.cand = new StaticArray<i32>(d.P);
    this.cnt = new StaticArray<i32>(d.R);
    this.load = new StaticArray<f64>(d.R);
    this.mem = new StaticArray<f64>(d.R);
    this.use = new StaticArray<i32>(d.R);
    this.util = new StaticArray<f64>(d.R);
    this.resViol = new StaticArray<f64>(d.R);
    this.partTime = new StaticArray<f64>(d.P);
    this.compTime = new StaticArray<f64>(d.C);
    this.compViol = new StaticArray<f64>(d.C);
    this.pathTime = new StaticArray<f64>(d.G);
    this.pathViol = new StaticArray<f64>(d.G);
    this.offEdge = new StaticArray<bool>(d.C);
    this.edgeViol = new StaticArray<f64>(d.C);
    this.resCostTerm = new StaticArray<f64>(d.R);
    this.layerUse = new StaticArray<i32>(d.L);
    this.layerTypes = new StaticArray<i32>(d.L);
    this.typeCounted = new StaticArray<bool>(d.R);
    this.hosts = new StaticArray<i32>(d.R);
    this.hostList = new StaticArray<i32>(d.R);
    this.costTree = new SumTree(d.R);
    this.violTree = new SumTree(d.R + d.C + d.G);
    this.migrationTree = new SumTree(d.C + d.R + d.L);
    this.migrationChanges = new StaticArray<i32>(d.C + d.R);
    this.runningCounted = new StaticArray<bool>(d.R);
    this.layerRunning = new StaticArray<i32>(d.L);
    this.dirtyRes = new StaticArray<bool>(d.R);
    this.dirtyComp = new StaticArray<bool>(d.C);
    this.dirtyResList = new StaticArray<i32>(d.R);
    this.dirtyCompList = new StaticArray<i32>(d.C);
    this.touched = new StaticArray<bool>(d.C);
    this.touchedList = new StaticArray<i32>(d.C);
    this.offEdgeChanged = new StaticArray<bool>(d.C);
    this.pathSeen = new StaticArray<bool>(d.G);
    this.pathList = new StaticArray<i32>(d.G);
    const undoCap = d.P + d.C + 2 * d.R + 8;
    this.undoKind = new StaticArray<i32>(undoCap);
    this.undoIndex = new StaticArray<i32>(undoCap);
    this.undoOld = new StaticArray<i32>(undoCap);
    this.moves = new StaticArray<i32>(3 * (2 * d.candRes.length + d.D + d.R * d.R + 3 * d.R + 1));
    this.slots = slots;
    this.slotData = new StaticArray<i32>(slots * (d.C + d.P + d.R));
    this.slotScore = new StaticArray<f64>(2 * slots);
    this.assertTimes = new StaticArray<f64>(d.C);
    // Start from each component's first deployment and each partition's first candidate.
    for (let c = 0; c < d.C; c++) this.dep[c] = d.compDepStart[c];
    for (let p = 0; p < d.P; p++) this.cand[p] = d.partCandStart[p];
  }

  /** The 80 GeneralWorkflows files and the local scaling suite list at most 1,761 moves: their descents stay best-improvement. */
  bestImprovementLimit(): i32 { return 5000; }

  cost(): f64 { return this.totalCost; }
  infeasibility(): f64 { return this.totalViol; }

  /** Sets the current decision from the host's index decision (candidate per partition) and evaluates it. */
  setDecision(dep: StaticArray<i32>, cand: StaticArray<i32>, cnt: StaticArray<i32>): void {
    for (let c = 0; c < this.d.C; c++) this.dep[c] = dep[c];
    for (let p = 0; p < this.d.P; p++) this.cand[p] = cand[p];
    for (let r = 0; r < this.d.R; r++) this.cnt[r] = cnt[r];
    this.evaluateFull();
  }

  // ---------------------------------------------------------------- evaluation

  evaluateFull(): void {
    const d = this.d;
    this.clearDirty();
    for (let r = 0; r < d.R; r++) { this.use[r] = 0; this.typeCounted[r] = false; this.runningCounted[r] = false; this.markRes(r); }
    for (let l = 0; l < d.L; l++) { this.layerUse[l] = 0; this.layerTypes[l] = 0; this.layerRunning[l] = 0; }
    for (let i = 0; i < d.C + d.R; i++) this.migrationChanges[i] = 0;
    this.layerExcess = 0;
    this.changes = 0;
    for (let c = 0; c < d.C; c++) this.markComp(c);
    this.refreshLoads();
    this.refreshRest();
  }

  @inline private res(p: i32): i32 { return unchecked(this.d.candRes[this.cand[p]]); }

  /** Whether candidate k is the one its partition uses in its component's current deployment. */
  @inline private activeCandidate(k: i32): bool {
    const d = this.d;
    const p = unchecked(d.candPart[k]);
    return unchecked(this.cand[p]) == k && unchecked(this.dep[d.partComp[p]]) == unchecked(d.partDep[p]);
  }

  @inline private markRes(r: i32): void {
    if (unchecked(this.dirtyRes[r])) return;
    unchecked(this.dirtyRes[r] = true);
    unchecked(this.dirtyResList[this.nDirtyRes++] = r);
  }

  @inline private markComp(c: i32): void {
    if (unchecked(this.dirtyComp[c])) return;
    unchecked(this.dirtyComp[c] = true);
    unchecked(this.dirtyCompList[this.nDirtyComp++] = c);
  }

  private clearDirty(): void {
    for (let i = 0; i < this.nDirtyRes; i++) this.dirtyRes[this.dirtyResList[i]] = false;
    for (let i = 0; i < this.nDirtyComp; i++) this.dirtyComp[this.dirtyCompList[i]] = false;
    this.nDirtyRes = 0;
    this.nDirtyComp = 0;
  }

  @inline private touch(c: i32): void {
    if (unchecked(this.touched[c])) return;
    unchecked(this.touched[c] = true);
    unchecked(this.touchedList[this.nTouched++] = c);
  }

  /**
   * Resource sums (load, memory, partitions, function charges) of the dirty resources, from the
   * active partitions among their candidates; collects the components to recompute.
   */
  private refreshLoads(): void {
    const d = this.d;
    for (let i = 0; i < this.nTouched; i++) this.touched[this.touchedList[i]] = false;
    this.nTouched = 0;
    for (let i = 0; i < this.nDirtyComp; i++) this.touch(this.dirtyCompList[i]);
    for (let i = 0; i < this.nDirtyRes; i++) {
      const r = this.dirtyResList[i];
      const faas = d.resKind[r] == FAAS;
      if (!faas) this.layerUse[d.resLayer[r]] -= this.use[r];
      let use = 0;
      let mem: f64 = 0;
      let load: f64 = 0;
      let charge: f64 = 0;
      for (let j = d.resCandStart[r]; j < d.resCandStart[r + 1]; j++) {
        const k = unchecked(d.resCand[j]);
        if (!this.activeCandidate(k)) continue;
        const p = unchecked(d.candPart[k]);
        this.touch(unchecked(d.partComp[p]));
        use++;
        mem += unchecked(d.candMem[k]);
        if (!faas) {
          load += unchecked(d.candTime[k]) * unchecked(d.partRate[p]);
        } else if (d.faasRule != FAAS_FIRST_PARTITION_RATE || use == 1) {
          const rate = d.faasRule == FAAS_COMPONENT_RATE ? d.compRate[d.partComp[p]] : d.partRate[p];
          charge += d.resCost[r] * d.candWarm[k] * rate * d.time;
        }
      }
      this.use[r] = use;
      this.mem[r] = mem;
      this.load[r] = load;
      if (faas) this.resCostTerm[r] = charge;
      else this.layerUse[d.resLayer[r]] += use;
    }
  }

  /** Smallest instance count that keeps resource r below saturation, within its limit. */
  private minCount(r: i32): i32 {
    const n = <i32>Math.floor(this.load[r]) + 1;
    return min(max(n, 1), this.d.resNumber[r]);
  }

  /** Everything downstream of the resource sums: dirty resources, touched components and their paths, the totals. */
  private refreshRest(): void {
    const d = this.d;
    for (let i = 0; i < this.nDirtyRes; i++) this.refreshResource(this.dirtyResList[i]);
    let nPaths = 0;
    for (let i = 0; i < this.nTouched; i++) {
      const c = this.touchedList[i];
      this.refreshComponent(c);
      for (let j = d.compPathStart[c]; j < d.compPathStart[c + 1]; j++) {
        const g = d.compPath[j];
        if (this.pathSeen[g]) continue;
        this.pathSeen[g] = true;
        this.pathList[nPaths++] = g;
      }
    }
    for (let i = 0; i < nPaths; i++) {
      const g = this.pathList[i];
      this.pathSeen[g] = false;
      this.refreshPath(g);
    }
    // whether a component leaves the edge changes only with its own partitions; its successors' returns to the edge only with that
    for (let i = 0; i < this.nDirtyComp; i++) this.offEdgeChanged[i] = this.refreshOffEdge(this.dirtyCompList[i]);
    for (let i = 0; i < this.nDirtyComp; i++) {
      const c = this.dirtyCompList[i];
      this.refreshEdgeReturn(c);
      if (!this.offEdgeChanged[i]) continue;
      for (let j = d.nextStart[c]; j < d.nextStart[c + 1]; j++) this.refreshEdgeReturn(d.nextComp[j]);
    }
    this.refreshTotals();
  }

  private refreshResource(r: i32): void {
    const d = this.d;
    let v: f64 = 0;
    this.util[r] = 0;
    const faas = d.resKind[r] == FAAS;
    if (this.use[r] > 0) {
      if (faas) {
        if (this.mem[r] > d.resMem[r]) v += this.mem[r] / d.resMem[r] - 1;
      } else {
        const n = this.cnt[r];
        if (n < 1) v += <f64>(1 - n);
        else if (n > d.resNumber[r]) v += <f64>(n - d.resNumber[r]);
        const cap = d.memoryPerInstance ? d.resMem[r] : d.resMem[r] * <f64>n;
        if (this.mem[r] > cap) v += cap > 0 ? this.mem[r] / cap - 1 : 1;
        const u = n > 0 ? this.load[r] / <f64>n : Infinity;
        this.util[r] = u;
        if (u >= 1) v += isFinite(u) ? u : 1;
      }
    }
    this.resViol[r] = v;
    this.violTree.set(r, v);
    if (!faas) {
      const used = this.use[r] > 0;
      this.resCostTerm[r] = used ? <f64>this.cnt[r] * d.resCost[r] * d.time : 0;
      if (used != this.typeCounted[r]) {
        const l = d.resLayer[r];
        this.layerExcess -= max(0, this.layerTypes[l] - 1);
        this.layerTypes[l] += used ? 1 : -1;
        this.layerExcess += max(0, this.layerTypes[l] - 1);
        this.typeCounted[r] = used;
      }
    }
    this.costTree.set(r, this.resCostTerm[r]);
  }

  private delay(a: i32, b: i32, size: f64): f64 {
    if (a == b) return 0;
    const d = this.d;
    const l = d.resLayer[a] * d.L + d.resLayer[b];
    let best: f64 = Infinity;
    for (let i = d.linkStart[l]; i < d.linkStart[l + 1]; i++) {
      const t = d.linkAccess[i] + size / d.linkBw[i];
      if (t < best) best = t;
    }
    return best;
  }

  private refreshComponent(c: i32): void {
    const d = this.d;
    const dp = this.dep[c];
    const first = d.depPartStart[dp];
    let t: f64 = 0;
    for (let p = first; p < d.depPartStart[dp + 1]; p++) {
      const k = this.cand[p];
      const r = d.candRes[k];
      let own = d.candTime[k];
      if (d.resKind[r] != FAAS) {
        const u = this.util[r];
        own = u >= 1 ? Infinity : own / (1 - u);
      }
      this.partTime[p] = own;
      t += p == first ? own : d.partReach[p] * (own + this.delay(this.res(p - 1), r, d.partDataNext[p - 1]));
    }
    this.compTime[c] = t;
    const limit = d.compLimit[c];
    this.compViol[c] = t > limit * (1 + TIME_TOLERANCE) ? (isFinite(t) ? t / limit - 1 : 1) : 0;
    this.violTree.set(d.R + c, this.compViol[c] + this.edgeViol[c]);
  }

  /** Whether component c runs any partition off the edge; returns whether that changed. */
  private refreshOffEdge(c: i32): bool {
    const d = this.d;
    const dp = this.dep[c];
    let off = false;
    for (let p = d.depPartStart[dp]; p < d.depPartStart[dp + 1]; p++) if (d.resKind[this.res(p)] != EDGE) off = true;
    const changed = this.offEdge[c] != off;
    this.offEdge[c] = off;
    return changed;
  }

  /** Partitions of component c that run on the edge after the request left it (in c or before). */
  private refreshEdgeReturn(c: i32): void {
    const d = this.d;
    let left = false;
    for (let i = d.predStart[c]; i < d.predStart[c + 1]; i++) if (this.offEdge[d.predComp[i]]) left = true;
    const dp = this.dep[c];
    let v: f64 = 0;
    for (let p = d.depPartStart[dp]; p < d.depPartStart[dp + 1]; p++) {
      const onEdge = d.resKind[this.res(p)] == EDGE;
      if (onEdge && left) v += 1;
      if (!onEdge) left = true;
    }
    this.edgeViol[c] = v;
    this.violTree.set(d.R + c, this.compViol[c] + v);
  }

  /** Transfer time from component c to its successor n along a path. */
  private transfer(c: i32, n: i32): f64 {
    const d = this.d;
    const dp = this.dep[c];
    const start = d.depPartStart[dp];
    const last = d.depPartStart[dp + 1] - 1;
    const firstOfN = d.depPartStart[this.dep[n]];
    const target = this.res(firstOfN);
    let size: f64 = 0;
    for (let i = d.partSuccStart[last]; i < d.partSuccStart[last + 1]; i++) {
      if (d.succComp[i] == n) { size = d.succData[i]; break; }
    }
    let reach: f64 = 1;
    let t: f64 = 0;
    for (let p = start; p <= last; p++) {
      const moves = this.res(p) != target;
      if (p == last) {
        if (moves) t += reach * this.delay(this.res(p), target, size);
      } else {
        if (moves) t += reach * d.partEarly[p] * this.delay(this.res(p), target, size);
        if (moves || !d.pathReachQuirk) reach *= 1 - d.partEarly[p];
      }
    }
    return t;
  }

  private refreshPath(g: i32): void {
    const d = this.d;
    let t: f64 = 0;
    const end = d.pathStart[g + 1];
    for (let i = d.pathStart[g]; i < end; i++) {
      const c = d.pathComp[i];
      t += this.compTime[c];
      if (i + 1 < end) t += this.transfer(c, d.pathComp[i + 1]);
    }
    this.pathTime[g] = t;
    const limit = d.pathLimit[g];
    this.pathViol[g] = t > limit * (1 + TIME_TOLERANCE) ? (isFinite(t) ? t / limit - 1 : 1) : 0;
    this.violTree.set(d.R + d.C + g, this.pathViol[g]);
  }

  /** Cost and infeasibility from the sum trees. */
  private refreshTotals(): void {
    const d = this.d;
    let cost = this.costTree.total();
    let viol = this.violTree.total() + <f64>this.layerExcess;
    if (d.migrating) {
      this.refreshMigration();
      cost += this.migrationCost;
      // the cap is hard: each change beyond it outweighs any other infeasibility (the running decision, 0 changes, is always within)
      if (d.maxChanges >= 0 && this.changes > d.maxChanges) viol += CAP_WEIGHT * <f64>(this.changes - d.maxChanges);
    }
    this.totalCost = cost;
    this.totalViol = viol;
  }

  /**
   * The changes from the running decision and their price: a deployment changed, a partition of an
   * unchanged deployment moved, an edge/VM resource whose instance count changed (opened and closed
   * included); plus a price per layer whose resource type changed and per instance added or removed.
   * The host lists the same changes (server/placement/changes.ts). Refreshed for the touched
   * components (every component whose decision changed has a partition on a dirty resource), the
   * dirty resources and their layers.
   */
  private refreshMigration(): void {
    const d = this.d;
    for (let i = 0; i < this.nTouched; i++) this.refreshComponentMigration(this.touchedList[i]);
    for (let i = 0; i < this.nDirtyRes; i++) this.refreshResourceMigration(this.dirtyResList[i]);
    // a layer's term reads the running state of all its resources: after every dirty one is refreshed
    for (let i = 0; i < this.nDirtyRes; i++) {
      const r = this.dirtyResList[i];
      if (d.resKind[r] != FAAS) this.refreshLayerMigration(d.resLayer[r]);
    }
    this.migrationCost = this.migrationTree.total();
  }

  private refreshComponentMigration(c: i32): void {
    const d = this.d;
    const dp = this.dep[c];
    let changes = 0;
    let price: f64 = 0;
    if (dp != d.curDep[c]) {
      changes = 1;
      price = d.priceDeployment;
    } else {
      for (let p = d.depPartStart[dp]; p < d.depPartStart[dp + 1]; p++) if (this.res(p) != d.curRes[p]) changes++;
      price = <f64>changes * d.pricePartition;
    }
    this.setMigration(c, changes, price);
  }

  private refreshResourceMigration(r: i32): void {
    const d = this.d;
    if (d.resKind[r] == FAAS) return;
    const n = this.running(r);
    const was = d.curCnt[r];
    this.setMigration(d.C + r, n == was ? 0 : 1, <f64>abs(n - was) * d.priceInstance);
    const on = n > 0;
    if (on != this.runningCounted[r]) {
      this.layerRunning[d.resLayer[r]] += on ? 1 : -1;
      this.runningCounted[r] = on;
    }
  }

  /** A layer whose running type is gone pays once for each resource running there now. */
  private refreshLayerMigration(l: i32): void {
    const d = this.d;
    const t = d.curLayerType[l];
    const gone = t >= 0 && this.running(t) == 0;
    this.migrationTree.set(d.C + d.R + l, gone ? d.priceLayerType * <f64>this.layerRunning[l] : 0);
  }

  @inline private setMigration(i: i32, changes: i32, price: f64): void {
    this.changes += changes - this.migrationChanges[i];
    this.migrationChanges[i] = changes;
    this.migrationTree.set(i, price);
  }

  /** Instances edge/VM resource r runs (0 when no active partition uses it). */
  @inline private running(r: i32): i32 { return this.use[r] > 0 ? this.cnt[r] : 0; }

  /** How many seed decisions the host gave. */
  seedCount(): i32 {
    const w = this.d.C + this.d.P + this.d.R;
    return this.d.seeds.length / w;
  }

  /** Makes seed i the current decision and evaluates it. */
  loadSeed(i: i32): void {
    const d = this.d;
    let o = i * (d.C + d.P + d.R);
    for (let c = 0; c < d.C; c++) this.dep[c] = d.seeds[o++];
    for (let p = 0; p < d.P; p++) this.cand[p] = d.seeds[o++];
    for (let r = 0; r < d.R; r++) this.cnt[r] = d.seeds[o++];
    this.undoLen = 0;
    this.evaluateFull();
  }

  // ---------------------------------------------------------------- construction

  construct(rng: Rng): void {
    const d = this.d;
    for (let r = 0; r < d.R; r++) { this.use[r] = 0; this.cnt[r] = 0; }
    for (let l = 0; l < d.L; l++) this.layerUse[l] = 0;
    for (let c = 0; c < d.C; c++) {
      const nd = d.compDepStart[c + 1] - d.compDepStart[c];
      this.dep[c] = d.compDepStart[c] + rng.below(nd);
      let fromCloud = false;
      for (let i = d.predStart[c]; i < d.predStart[c + 1]; i++) if (this.offEdge[d.predComp[i]]) fromCloud = true;
      this.offEdge[c] = this.completeDeployment(c, fromCloud, rng);
    }
    this.clearDirty();
    for (let r = 0; r < d.R; r++) this.markRes(r);
    this.refreshLoads();
    for (let r = 0; r < d.R; r++) if (this.use[r] > 0 && d.resKind[r] != FAAS) this.cnt[r] = this.minCount(r);
    this.undoLen = 0;
    this.evaluateFull();
  }

  /**
   * Gives each partition of component c's current deployment a candidate that keeps one resource
   * type per layer and never returns to the edge. With an rng the choice is uniform among those;
   * without, the cheapest to add (already paid for first), then the fastest. Returns whether the
   * component ends off the edge. Uses and updates use[] and layerUse[] as a running tally.
   */
  private completeDeployment(c: i32, fromCloud: bool, rng: Rng | null): bool {
    const d = this.d;
    const dp = this.dep[c];
    let off = fromCloud;
    for (let p = d.depPartStart[dp]; p < d.depPartStart[dp + 1]; p++) {
      let chosen = rng ? this.randomCandidate(p, off, rng!) : this.cheapestCandidate(p, off, -1);
      if (chosen < 0) chosen = d.partCandStart[p] + (rng ? rng.below(d.partCandStart[p + 1] - d.partCandStart[p]) : 0);
      this.setCandidate(p, chosen);
      const r = d.candRes[chosen];
      this.use[r]++;
      if (d.resKind[r] != FAAS) this.layerUse[d.resLayer[r]]++;
      if (d.resKind[r] != EDGE) off = true;
    }
    return off;
  }

  /** A candidate of partition p drawn uniformly among those that keep the layer and edge rules (-1: none). */
  private randomCandidate(p: i32, offEdge: bool, rng: Rng): i32 {
    const d = this.d;
    let chosen = -1;
    let seen = 0;
    for (let k = d.partCandStart[p]; k < d.partCandStart[p + 1]; k++) {
      if (!this.allowed(k, offEdge)) continue;
      seen++;
      if (rng.below(seen) == 0) chosen = k;
    }
    return chosen;
  }

  /** The candidate of partition p cheapest to add (already paid for first), then fastest, off resource `avoid` (-1: none found). */
  private cheapestCandidate(p: i32, offEdge: bool, avoid: i32): i32 {
    const d = this.d;
    let chosen = -1;
    let bestCost: f64 = Infinity;
    let bestTime: f64 = Infinity;
    for (let k = d.partCandStart[p]; k < d.partCandStart[p + 1]; k++) {
      const r = d.candRes[k];
      if (r == avoid || !this.allowed(k, offEdge)) continue;
      const added = d.resKind[r] == FAAS
        ? d.resCost[r] * d.candWarm[k] * d.partRate[p] * d.time
        : (this.use[r] > 0 ? 0 : d.resCost[r] * d.time);
      const t = d.candTime[k];
      if (added < bestCost || (added == bestCost && t < bestTime)) { bestCost = added; bestTime = t; chosen = k; }
    }
    return chosen;
  }

  /** Whether candidate k keeps one resource type per layer (by the running tallies) and, off the edge, stays off it. */
  @inline private allowed(k: i32, offEdge: bool): bool {
    const d = this.d;
    const r = d.candRes[k];
    const kind = d.resKind[r];
    if (offEdge && kind == EDGE) return false;
    return kind == FAAS || this.layerUse[d.resLayer[r]] <= this.use[r];
  }

  private setCandidate(p: i32, k: i32): void {
    if (this.cand[p] == k) return;
    this.log(UNDO_CANDIDATE, p, this.cand[p]);
    this.cand[p] = k;
  }

  private setCount(r: i32, n: i32): void {
    if (this.cnt[r] == n) return;
    this.log(UNDO_COUNT, r, this.cnt[r]);
    this.cnt[r] = n;
  }

  private log(kind: i32, index: i32, old: i32): void {
    if (this.undoLen >= this.undoKind.length) return; // construction writes outside any move
    this.undoKind[this.undoLen] = kind;
    this.undoIndex[this.undoLen] = index;
    this.undoOld[this.undoLen] = old;
    this.undoLen++;
  }

  // ---------------------------------------------------------------- moves

  listMoves(): i32 {
    const d = this.d;
    let n = 0;
    for (let c = 0; c < d.C; c++) {
      const dp = this.dep[c];
      for (let p = d.depPartStart[dp]; p < d.depPartStart[dp + 1]; p++) {
        const from = this.res(p);
        for (let k = d.partCandStart[p]; k < d.partCandStart[p + 1]; k++) {
          const r = d.candRes[k];
          if (r == from) continue;
          if (d.resKind[r] != FAAS) {
            const l = d.resLayer[r];
            const freed = d.resKind[from] != FAAS && d.resLayer[from] == l ? 1 : 0;
            if (this.layerUse[l] - freed - this.use[r] > 0) continue;
          }
          n = this.addMove(n, MOVE_RESOURCE, p, k);
          // leaving a shared cluster may free an instance: alone neither step pays, together they can
          if (d.resKind[from] != FAAS && this.use[from] > 1 && this.cnt[from] > 1) n = this.addMove(n, MOVE_RESOURCE_SHRINK, p, k);
        }
      }
      for (let x = d.compDepStart[c]; x < d.compDepStart[c + 1]; x++) {
        if (x != dp) n = this.addMove(n, MOVE_DEPLOYMENT, c, x);
      }
    }
    for (let a = 0; a < d.R; a++) {
      if (this.use[a] == 0 || d.resKind[a] == FAAS) continue;
      const hostCount = this.countHosts(a);
      const la = d.resLayer[a];
      for (let i = 0; i < hostCount; i++) {
        const b = this.hostList[i];
        const full = this.hosts[b] == this.use[a];
        this.hosts[b] = 0;
        if (b == a || d.resKind[b] == FAAS || !full) continue;
        const lb = d.resLayer[b];
        if (this.layerUse[lb] - (la == lb ? this.use[a] : 0) - this.use[b] > 0) continue;
        n = this.addMove(n, MOVE_MERGE, a, b);
      }
      // closing pays only once the last partition leaves; one by one, each step is flat or uphill
      if (this.use[a] > 1) n = this.addMove(n, MOVE_CLOSE, a, 0);
      if (this.cnt[a] < d.resNumber[a]) n = this.addMove(n, MOVE_COUNT, a, 1);
      if (this.cnt[a] > 1) n = this.addMove(n, MOVE_COUNT, a, -1);
    }
    this.moveCount = n;
    return n;
  }

  @inline private addMove(n: i32, kind: i32, a: i32, b: i32): i32 {
    this.moves[3 * n] = kind;
    this.moves[3 * n + 1] = a;
    this.moves[3 * n + 2] = b;
    return n + 1;
  }

  /**
   * hosts[b] = how many active partitions on resource a could run on b, for the resources b listed
   * in hostList (ascending, as many as returned); the caller zeroes hosts[] back.
   */
  private countHosts(a: i32): i32 {
    const d = this.d;
    let n = 0;
    for (let j = d.resCandStart[a]; j < d.resCandStart[a + 1]; j++) {
      const k = d.resCand[j];
      if (!this.activeCandidate(k)) continue;
      const p = d.candPart[k];
      for (let q = d.partCandStart[p]; q < d.partCandStart[p + 1]; q++) {
        const b = d.candRes[q];
        if (this.hosts[b]++ == 0) this.hostList[n++] = b;
      }
    }
    // insertion sort: the merge moves keep the order of a scan over every resource
    for (let i = 1; i < n; i++) {
      const b = this.hostList[i];
      let j = i - 1;
      for (; j >= 0 && this.hostList[j] > b; j--) this.hostList[j + 1] = this.hostList[j];
      this.hostList[j + 1] = b;
    }
    return n;
  }

  private candidateOn(p: i32, r: i32): i32 {
    const d = this.d;
    for (let k = d.partCandStart[p]; k < d.partCandStart[p + 1]; k++) if (d.candRes[k] == r) return k;
    return -1;
  }

  attributeCount(): i32 {
    return this.d.P + this.d.C + 2 * this.d.R;
  }

  moveAttribute(m: i32): i32 {
    const d = this.d;
    const kind = this.moves[3 * m];
    const a = this.moves[3 * m + 1];
    if (kind == MOVE_RESOURCE || kind == MOVE_RESOURCE_SHRINK) return a;
    if (kind == MOVE_DEPLOYMENT || kind == MOVE_ADOPT) return d.P + a;
    if (kind == MOVE_MERGE || kind == MOVE_CLOSE) return d.P + d.C + a;
    return d.P + d.C + d.R + a;
  }

  listMovesToward(slot: i32): i32 {
    const d = this.d;
    const o = slot * (d.C + d.P + d.R);
    let n = 0;
    for (let c = 0; c < d.C; c++) {
      const dp = this.dep[c];
      if (dp != this.slotData[o + c]) {
        n = this.addMove(n, MOVE_ADOPT, c, slot);
        continue;
      }
      for (let p = d.depPartStart[dp]; p < d.depPartStart[dp + 1]; p++) {
        const k = this.slotData[o + d.C + p];
        if (this.cand[p] != k) n = this.addMove(n, MOVE_RESOURCE, p, k);
      }
    }
    for (let r = 0; r < d.R; r++) {
      const target = this.slotData[o + d.C + d.P + r];
      if (this.use[r] > 0 && target > 0 && this.cnt[r] != target) n = this.addMove(n, MOVE_COUNT, r, target - this.cnt[r]);
    }
    this.moveCount = n;
    return n;
  }

  applyMove(m: i32): void {
    const d = this.d;
    const kind = this.moves[3 * m];
    const a = this.moves[3 * m + 1];
    const b = this.moves[3 * m + 2];
    this.clearDirty();
    this.undoLen = 0;
    if (kind == MOVE_RESOURCE || kind == MOVE_RESOURCE_SHRINK) {
      const from = this.res(a);
      const to = d.candRes[b];
      this.setCandidate(a, b);
      this.markRes(from);
      this.markRes(to);
      this.markComp(d.partComp[a]);
      this.refreshLoads();
      this.fitCounts();
      if (kind == MOVE_RESOURCE_SHRINK) this.setCount(from, max(this.minCount(from), this.cnt[from] - 1));
    } else if (kind == MOVE_DEPLOYMENT) {
      this.moveDeployment(a, b);
    } else if (kind == MOVE_ADOPT) {
      this.adoptDeployment(a, b);
    } else if (kind == MOVE_CLOSE) {
      this.closeResource(a);
    } else if (kind == MOVE_MERGE) {
      for (let j = d.resCandStart[a]; j < d.resCandStart[a + 1]; j++) {
        const k = d.resCand[j];
        if (!this.activeCandidate(k)) continue;
        const p = d.candPart[k];
        this.setCandidate(p, this.candidateOn(p, b));
        this.markComp(d.partComp[p]);
      }
      this.markRes(a);
      this.markRes(b);
      this.refreshLoads();
      this.fitCounts();
    } else {
      this.setCount(a, this.cnt[a] + b);
      this.markRes(a);
      this.refreshLoads();
    }
    this.refreshRest();
    if (this.assertMode) this.checkIncremental();
  }

  private moveDeployment(c: i32, x: i32): void {
    const d = this.d;
    const old = this.dep[c];
    for (let p = d.depPartStart[old]; p < d.depPartStart[old + 1]; p++) {
      const r = this.res(p);
      this.markRes(r);
      this.use[r]--;
      if (d.resKind[r] != FAAS) this.layerUse[d.resLayer[r]]--;
    }
    this.log(UNDO_DEPLOYMENT, c, old);
    this.dep[c] = x;
    this.markComp(c);
    let fromCloud = false;
    for (let i = d.predStart[c]; i < d.predStart[c + 1]; i++) if (this.offEdge[d.predComp[i]]) fromCloud = true;
    this.completeDeployment(c, fromCloud, null);
    for (let p = d.depPartStart[x]; p < d.depPartStart[x + 1]; p++) this.markRes(this.res(p));
    this.refreshLoads();
    this.fitCounts();
  }

  /**
   * Moves every active partition off resource a, each to its cheapest other candidate that keeps
   * one resource type per layer.
   */
  private closeResource(a: i32): void {
    const d = this.d;
    this.layerUse[d.resLayer[a]] -= this.use[a];
    this.use[a] = 0;
    this.markRes(a);
    for (let j = d.resCandStart[a]; j < d.resCandStart[a + 1]; j++) {
      const k = d.resCand[j];
      if (!this.activeCandidate(k)) continue;
      const p = d.candPart[k];
      const chosen = this.cheapestCandidate(p, false, a);
      if (chosen < 0) { this.use[a]++; this.layerUse[d.resLayer[a]]++; continue; }
      this.setCandidate(p, chosen);
      const r = d.candRes[chosen];
      this.use[r]++;
      if (d.resKind[r] != FAAS) this.layerUse[d.resLayer[r]]++;
      this.markRes(r);
      this.markComp(d.partComp[p]);
    }
    this.refreshLoads();
    this.fitCounts();
  }

  /** Component c takes its deployment and candidates from a slot. */
  private adoptDeployment(c: i32, slot: i32): void {
    const d = this.d;
    const o = slot * (d.C + d.P + d.R);
    const old = this.dep[c];
    for (let p = d.depPartStart[old]; p < d.depPartStart[old + 1]; p++) this.markRes(this.res(p));
    this.log(UNDO_DEPLOYMENT, c, old);
    const x = this.slotData[o + c];
    this.dep[c] = x;
    this.markComp(c);
    for (let p = d.depPartStart[x]; p < d.depPartStart[x + 1]; p++) {
      this.setCandidate(p, this.slotData[o + d.C + p]);
      this.markRes(this.res(p));
    }
    this.refreshLoads();
    this.fitCounts();
  }

  /** Instances of the dirty edge/VM resources: 0 when unused, at least enough to stay below saturation. */
  private fitCounts(): void {
    const d = this.d;
    for (let i = 0; i < this.nDirtyRes; i++) {
      const r = this.dirtyResList[i];
      if (d.resKind[r] == FAAS) continue;
      if (this.use[r] == 0) this.setCount(r, 0);
      else this.setCount(r, max(this.cnt[r], this.minCount(r)));
    }
  }

  undoMove(): void {
    for (let i = this.undoLen - 1; i >= 0; i--) {
      const kind = this.undoKind[i];
      const index = this.undoIndex[i];
      const old = this.undoOld[i];
      if (kind == UNDO_DEPLOYMENT) this.dep[index] = old;
      else if (kind == UNDO_CANDIDATE) this.cand[index] = old;
      else this.cnt[index] = old;
    }
    this.undoLen = 0;
    this.refreshLoads();
    this.refreshRest();
    if (this.assertMode) this.checkIncremental();
  }

  /** Compares the incremental evaluation with a full one; counts disagreements. */
  private checkIncremental(): void {
    const cost = this.totalCost;
    const viol = this.totalViol;
    const d = this.d;
    const times = this.assertTimes;
    for (let c = 0; c < d.C; c++) times[c] = this.compTime[c];
    this.evaluateFull();
    let ok = nearlyEqual(cost, this.totalCost) && nearlyEqual(viol, this.totalViol);
    for (let c = 0; c < d.C; c++) ok = ok && nearlyEqual(times[c], this.compTime[c]);
    if (!ok) this.assertFailures++;
  }

  // ---------------------------------------------------------------- slots

  slotCount(): i32 { return this.slots; }

  saveSlot(slot: i32): void {
    const d = this.d;
    let o = slot * (d.C + d.P + d.R);
    for (let c = 0; c < d.C; c++) this.slotData[o++] = this.dep[c];
    for (let p = 0; p < d.P; p++) this.slotData[o++] = this.cand[p];
    for (let r = 0; r < d.R; r++) this.slotData[o++] = this.cnt[r];
    this.slotScore[2 * slot] = this.totalViol;
    this.slotScore[2 * slot + 1] = this.totalCost;
  }

  loadSlot(slot: i32): void {
    const d = this.d;
    let o = slot * (d.C + d.P + d.R);
    for (let c = 0; c < d.C; c++) this.dep[c] = this.slotData[o++];
    for (let p = 0; p < d.P; p++) this.cand[p] = this.slotData[o++];
    for (let r = 0; r < d.R; r++) this.cnt[r] = this.slotData[o++];
    this.undoLen = 0;
    this.evaluateFull();
  }

  slotInfeasibility(slot: i32): f64 { return this.slotScore[2 * slot]; }
  slotCost(slot: i32): f64 { return this.slotScore[2 * slot + 1]; }

  distance(a: i32, b: i32): i32 {
    const d = this.d;
    const w = d.C + d.P + d.R;
    const oa = a * w;
    const ob = b * w;
    let n = 0;
    for (let c = 0; c < d.C; c++) if (this.slotData[oa + c] != this.slotData[ob + c]) n++;
    for (let c = 0; c < d.C; c++) {
      const dp = this.slotData[oa + c];
      if (dp != this.slotData[ob + c]) continue;
      for (let p = d.depPartStart[dp]; p < d.depPartStart[dp + 1]; p++) {
        if (this.slotData[oa + d.C + p] != this.slotData[ob + d.C + p]) n++;
      }
    }
    for (let r = 0; r < d.R; r++) if (this.slotData[oa + d.C + d.P + r] != this.slotData[ob + d.C + d.P + r]) n++;
    return n;
  }
}
