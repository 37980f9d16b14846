import { nearlyEqual, Problem } from "../../engines/problem";
import { Rng } from "../../rng";
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
 * dirty and only their times and the paths through them are recomputed.
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
  charged: StaticArray<bool>;
  /** edge/VM resource types in use per layer */
  layerTypes: StaticArray<i32>;
  /** active edge/VM partitions per layer: a running tally while moves are listed or built */
  layerUse: StaticArray<i32>;
  hosts: StaticArray<i32>;
  totalCost: f64 = 0;
  totalViol: f64 = 0;
  /** re-optimization: the migration prices in totalCost, and the changes from the running decision */
  migrationCost: f64 = 0;
  changes: i32 = 0;

  // Incremental bookkeeping.
  dirtyRes: StaticArray<bool>;
  dirtyComp: StaticArray<bool>;
  recomputed: StaticArray<bool>;
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
    this.charged = new StaticArray<bool>(d.R);
    this.layerUse = new StaticArray<i32>(d.L);
    this.layerTypes = new StaticArray<i32>(d.L);
    this.hosts = new StaticArray<i32>(d.R);
    this.dirtyRes = new StaticArray<bool>(d.R);
    this.dirtyComp = new StaticArray<bool>(d.C);
    this.recomputed = new StaticArray<bool>(d.C);
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
    for (let r = 0; r < this.d.R; r++) this.dirtyRes[r] = true;
    for (let c = 0; c < this.d.C; c++) this.dirtyComp[c] = true;
    this.refreshLoads();
    this.refreshRest();
  }

  @inline private res(p: i32): i32 { return unchecked(this.d.candRes[this.cand[p]]); }

  /** Resource sums (load, memory, partitions) of the dirty resources, from the active partitions. */
  private refreshLoads(): void {
    const d = this.d;
    for (let r = 0; r < d.R; r++) {
      if (!this.dirtyRes[r]) continue;
      this.load[r] = 0; this.mem[r] = 0; this.use[r] = 0;
    }
    for (let c = 0; c < d.C; c++) {
      const dp = this.dep[c];
      for (let p = d.depPartStart[dp]; p < d.depPartStart[dp + 1]; p++) {
        const k = this.cand[p];
        const r = d.candRes[k];
        if (!this.dirtyRes[r]) continue;
        this.use[r]++;
        this.mem[r] += d.candMem[k];
        if (d.resKind[r] != FAAS) this.load[r] += d.candTime[k] * d.partRate[p];
      }
    }
  }

  /** Smallest instance count that keeps resource r below saturation, within its limit. */
  private minCount(r: i32): i32 {
    const n = <i32>Math.floor(this.load[r]) + 1;
    return min(max(n, 1), this.d.resNumber[r]);
  }

  /** Everything downstream of the resource sums, for dirty resources and the components they touch. */
  private refreshRest(): void {
    const d = this.d;
    for (let r = 0; r < d.R; r++) {
      if (this.dirtyRes[r]) this.refreshResource(r);
    }
    for (let c = 0; c < d.C; c++) {
      let touched = this.dirtyComp[c];
      const dp = this.dep[c];
      for (let p = d.depPartStart[dp]; !touched && p < d.depPartStart[dp + 1]; p++) touched = this.dirtyRes[this.res(p)];
      this.recomputed[c] = touched;
      if (touched) this.refreshComponent(c);
    }
    for (let g = 0; g < d.G; g++) {
      let touched = false;
      for (let i = d.pathStart[g]; !touched && i < d.pathStart[g + 1]; i++) touched = this.recomputed[d.pathComp[i]];
      if (touched) this.refreshPath(g);
    }
    this.refreshTotals();
  }

  private refreshResource(r: i32): void {
    const d = this.d;
    let v: f64 = 0;
    this.util[r] = 0;
    if (this.use[r] > 0) {
      if (d.resKind[r] == FAAS) {
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
  }

  /** Cost, and the cheap whole-solution constraints (edge return, one type per layer), recomputed outright. */
  private refreshTotals(): void {
    const d = this.d;
    let viol: f64 = 0;
    let cost: f64 = 0;
    for (let l = 0; l < d.L; l++) this.layerTypes[l] = 0;
    for (let r = 0; r < d.R; r++) {
      viol += this.resViol[r];
      this.charged[r] = false;
      if (this.use[r] > 0 && d.resKind[r] != FAAS) {
        cost += <f64>this.cnt[r] * d.resCost[r] * d.time;
        this.layerTypes[d.resLayer[r]]++;
      }
    }
    for (let l = 0; l < d.L; l++) if (this.layerTypes[l] > 1) viol += <f64>(this.layerTypes[l] - 1);
    for (let c = 0; c < d.C; c++) viol += this.compViol[c];
    for (let g = 0; g < d.G; g++) viol += this.pathViol[g];
    for (let c = 0; c < d.C; c++) {
      const dp = this.dep[c];
      let off = false;
      for (let p = d.depPartStart[dp]; p < d.depPartStart[dp + 1]; p++) {
        const k = this.cand[p];
        const r = d.candRes[k];
        if (d.resKind[r] != EDGE) off = true;
        if (d.resKind[r] != FAAS) continue;
        if (d.faasRule == FAAS_FIRST_PARTITION_RATE && this.charged[r]) continue;
        this.charged[r] = true;
        const rate = d.faasRule == FAAS_COMPONENT_RATE ? d.compRate[c] : d.partRate[p];
        cost += d.resCost[r] * d.candWarm[k] * rate * d.time;
      }
      this.offEdge[c] = off;
    }
    for (let c = 0; c < d.C; c++) {
      let fromCloud = false;
      for (let i = d.predStart[c]; i < d.predStart[c + 1]; i++) if (this.offEdge[d.predComp[i]]) fromCloud = true;
      const dp = this.dep[c];
      let left = false;
      for (let p = d.depPartStart[dp]; p < d.depPartStart[dp + 1]; p++) {
        const onEdge = d.resKind[this.res(p)] == EDGE;
        if (onEdge && (left || fromCloud)) viol += 1;
        if (!onEdge) left = true;
      }
    }
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
   * The host lists the same changes (server/placement/changes.ts).
   */
  private refreshMigration(): void {
    const d = this.d;
    let changes = 0;
    let price: f64 = 0;
    for (let c = 0; c < d.C; c++) {
      const dp = this.dep[c];
      if (dp != d.curDep[c]) {
        changes++;
        price += d.priceDeployment;
        continue;
      }
      for (let p = d.depPartStart[dp]; p < d.depPartStart[dp + 1]; p++) {
        if (this.res(p) == d.curRes[p]) continue;
        changes++;
        price += d.pricePartition;
      }
    }
    for (let r = 0; r < d.R; r++) {
      if (d.resKind[r] == FAAS) continue;
      const n = this.running(r);
      const t = d.curLayerType[d.resLayer[r]];
      // a layer changed type: its running type is gone and this one runs there
      if (n > 0 && t >= 0 && this.running(t) == 0) price += d.priceLayerType;
      const was = d.curCnt[r];
      if (n == was) continue;
      changes++;
      price += <f64>abs(n - was) * d.priceInstance;
    }
    this.changes = changes;
    this.migrationCost = price;
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
    for (let r = 0; r < d.R; r++) this.dirtyRes[r] = true;
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
    this.tallyUse(-1);
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
      this.countHosts(a);
      const la = d.resLayer[a];
      for (let b = 0; b < d.R; b++) {
        if (b == a || d.resKind[b] == FAAS || this.hosts[b] != this.use[a]) continue;
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

  /** hosts[b] = how many active partitions on resource a could run on b. */
  private countHosts(a: i32): void {
    const d = this.d;
    for (let r = 0; r < d.R; r++) this.hosts[r] = 0;
    for (let c = 0; c < d.C; c++) {
      const dp = this.dep[c];
      for (let p = d.depPartStart[dp]; p < d.depPartStart[dp + 1]; p++) {
        if (this.res(p) != a) continue;
        for (let k = d.partCandStart[p]; k < d.partCandStart[p + 1]; k++) this.hosts[d.candRes[k]]++;
      }
    }
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
    for (let r = 0; r < d.R; r++) this.dirtyRes[r] = false;
    for (let c = 0; c < d.C; c++) this.dirtyComp[c] = false;
    this.undoLen = 0;
    if (kind == MOVE_RESOURCE || kind == MOVE_RESOURCE_SHRINK) {
      const from = this.res(a);
      const to = d.candRes[b];
      this.setCandidate(a, b);
      this.dirtyRes[from] = true;
      this.dirtyRes[to] = true;
      this.dirtyComp[d.partComp[a]] = true;
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
      for (let c = 0; c < d.C; c++) {
        const dp = this.dep[c];
        for (let p = d.depPartStart[dp]; p < d.depPartStart[dp + 1]; p++) {
          if (this.res(p) != a) continue;
          this.setCandidate(p, this.candidateOn(p, b));
          this.dirtyComp[c] = true;
        }
      }
      this.dirtyRes[a] = true;
      this.dirtyRes[b] = true;
      this.refreshLoads();
      this.fitCounts();
    } else {
      this.setCount(a, this.cnt[a] + b);
      this.dirtyRes[a] = true;
    }
    this.refreshRest();
    if (this.assertMode) this.checkIncremental();
  }

  private moveDeployment(c: i32, x: i32): void {
    const d = this.d;
    const old = this.dep[c];
    for (let p = d.depPartStart[old]; p < d.depPartStart[old + 1]; p++) this.dirtyRes[this.res(p)] = true;
    this.log(UNDO_DEPLOYMENT, c, old);
    this.dep[c] = x;
    this.dirtyComp[c] = true;
    this.tallyUse(c);
    let fromCloud = false;
    for (let i = d.predStart[c]; i < d.predStart[c + 1]; i++) if (this.offEdge[d.predComp[i]]) fromCloud = true;
    this.completeDeployment(c, fromCloud, null);
    for (let p = d.depPartStart[x]; p < d.depPartStart[x + 1]; p++) this.dirtyRes[this.res(p)] = true;
    this.refreshLoads();
    this.fitCounts();
  }

  /**
   * Moves every active partition off resource a, each to its cheapest other candidate that keeps
   * one resource type per layer.
   */
  private closeResource(a: i32): void {
    const d = this.d;
    this.tallyUse(-1);
    this.layerUse[d.resLayer[a]] -= this.use[a];
    this.use[a] = 0;
    this.dirtyRes[a] = true;
    for (let c = 0; c < d.C; c++) {
      const dp = this.dep[c];
      for (let p = d.depPartStart[dp]; p < d.depPartStart[dp + 1]; p++) {
        if (this.res(p) != a) continue;
        const chosen = this.cheapestCandidate(p, false, a);
        if (chosen < 0) { this.use[a]++; this.layerUse[d.resLayer[a]]++; continue; }
        this.setCandidate(p, chosen);
        const r = d.candRes[chosen];
        this.use[r]++;
        if (d.resKind[r] != FAAS) this.layerUse[d.resLayer[r]]++;
        this.dirtyRes[r] = true;
        this.dirtyComp[c] = true;
      }
    }
    this.refreshLoads();
    this.fitCounts();
  }

  /** Component c takes its deployment and candidates from a slot. */
  private adoptDeployment(c: i32, slot: i32): void {
    const d = this.d;
    const o = slot * (d.C + d.P + d.R);
    const old = this.dep[c];
    for (let p = d.depPartStart[old]; p < d.depPartStart[old + 1]; p++) this.dirtyRes[this.res(p)] = true;
    this.log(UNDO_DEPLOYMENT, c, old);
    const x = this.slotData[o + c];
    this.dep[c] = x;
    this.dirtyComp[c] = true;
    for (let p = d.depPartStart[x]; p < d.depPartStart[x + 1]; p++) {
      this.setCandidate(p, this.slotData[o + d.C + p]);
      this.dirtyRes[this.res(p)] = true;
    }
    this.refreshLoads();
    this.fitCounts();
  }

  /** Exact use[] and layerUse[] of the active partitions, leaving out component skip (-1: none). */
  private tallyUse(skip: i32): void {
    const d = this.d;
    for (let r = 0; r < d.R; r++) this.use[r] = 0;
    for (let l = 0; l < d.L; l++) this.layerUse[l] = 0;
    for (let c = 0; c < d.C; c++) {
      if (c == skip) continue;
      const dp = this.dep[c];
      for (let p = d.depPartStart[dp]; p < d.depPartStart[dp + 1]; p++) {
        const r = this.res(p);
        this.use[r]++;
        if (d.resKind[r] != FAAS) this.layerUse[d.resLayer[r]]++;
      }
    }
  }

  /** Instances of the dirty edge/VM resources: 0 when unused, at least enough to stay below saturation. */
  private fitCounts(): void {
    const d = this.d;
    for (let r = 0; r < d.R; r++) {
      if (!this.dirtyRes[r] || d.resKind[r] == FAAS) continue;
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
