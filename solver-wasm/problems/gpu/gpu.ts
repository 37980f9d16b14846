import { nearlyEqual, Problem } from "../../engines/problem";
import { Rng } from "../../rng";
import { MoveList } from "../move-list";
import { GpuData } from "./data";

const MOVE_ASSIGN: i32 = 0; // job a -> configuration b on node c
const MOVE_WAIT: i32 = 1; // job a waits
const MOVE_RETYPE: i32 = 2; // node a -> VM type b, every job keeping its GPU count
const MOVE_SQUEEZE: i32 = 3; // job a -> configuration b on node c, whose widest job gives up the GPUs missing

const UNDO_PLACE: i32 = 0;
const UNDO_RETYPE: i32 = 1;

/** Chance that the randomized greedy swaps two neighbours in the pressure order. */
const SWAP_CHANCE: f64 = 0.3;
/** The randomized greedy picks its first configuration among this many of the cheapest on-time ones. */
const FIRST_CHOICES: i32 = 3;
/** Chance that the randomized greedy takes a random fitting node instead of the best fit. */
const RANDOM_NODE_CHANCE: f64 = 0.3;

/**
 * One GPU scheduling decision: for every job waiting or running at the decision time, a node and a
 * configuration, or waiting. A node's VM type is that of the configurations of its jobs; it is open
 * while it runs a job. Cost: each job what its configuration (or waiting) costs it, as the host
 * worked out (running until the next decision, then finishing at least cost, tardiness included),
 * plus each node's idle GPUs at their share of the VM price until the next decision.
 * Infeasibility: GPUs used beyond a node's VM. Evaluation is incremental: a move touches at most two jobs
 * and at most two nodes.
 */
export class GpuProblem extends Problem {
  d: GpuData;
  jobNode: StaticArray<i32>;
  jobConf: StaticArray<i32>;
  nodeType: StaticArray<i32>;
  nodeUsed: StaticArray<i32>;
  nodeCount: StaticArray<i32>;
  nodeCost: StaticArray<f64>;
  nodeExcess: StaticArray<f64>;
  nodeHead: StaticArray<i32>;
  /** each node's widest job, as of the last listing */
  nodeWide: StaticArray<i32>;
  /** per VM type v and GPU count g (index v * squeezeStride + g): the full node of type v where squeezing in g GPUs costs least, as of the last listing */
  squeezeNode: StaticArray<i32>;
  squeezeDelta: StaticArray<f64>;
  /** one more than the most GPUs any VM type has */
  squeezeStride: i32 = 1;
  jobNext: StaticArray<i32>;
  jobPrev: StaticArray<i32>;
  costSum: f64 = 0;
  excessSum: f64 = 0;
  constructions: i32 = 0;

  undoKind: StaticArray<i32>;
  undoA: StaticArray<i32>;
  undoB: StaticArray<i32>;
  undoC: StaticArray<i32>;
  undoLen: i32 = 0;
  logging: bool = false;
  moves: MoveList;
  order: StaticArray<i32>;

  assertMode: bool = false;
  assertFailures: i32 = 0;

  slots: i32;
  slotData: StaticArray<i32>;
  slotScore: StaticArray<f64>;

  constructor(d: GpuData, slots: i32) {
    super();
    this.d = d;
    this.jobNode = new StaticArray<i32>(d.J);
    this.jobConf = new StaticArray<i32>(d.J);
    this.nodeType = new StaticArray<i32>(d.N);
    this.nodeUsed = new StaticArray<i32>(d.N);
    this.nodeCount = new StaticArray<i32>(d.N);
    this.nodeCost = new StaticArray<f64>(d.N);
    this.nodeExcess = new StaticArray<f64>(d.N);
    this.nodeHead = new StaticArray<i32>(d.N);
    this.nodeWide = new StaticArray<i32>(d.N);
    // a local: AssemblyScript reads no field before every one is assigned
    let stride = 1;
    for (let v = 0; v < d.V; v++) stride = max(stride, d.vmGpus[v] + 1);
    this.squeezeNode = new StaticArray<i32>(d.V * stride);
    this.squeezeDelta = new StaticArray<f64>(d.V * stride);
    this.jobNext = new StaticArray<i32>(d.J);
    this.jobPrev = new StaticArray<i32>(d.J);
    const undoCap = 2 * d.J + 8;
    this.undoKind = new StaticArray<i32>(undoCap);
    this.undoA = new StaticArray<i32>(undoCap);
    this.undoB = new StaticArray<i32>(undoCap);
    this.undoC = new StaticArray<i32>(undoCap);
    this.moves = new MoveList(d.J + d.N + 16);
    this.order = new StaticArray<i32>(d.J);
    this.slots = slots;
    this.slotData = new StaticArray<i32>(slots * 2 * d.J);
    this.slotScore = new StaticArray<f64>(2 * slots);
    this.squeezeStride = stride;
    this.clear();
    this.evaluateFull();
  }

  cost(): f64 { return this.costSum; }
  infeasibility(): f64 { return this.excessSum; }

  /** Every job waiting, every node empty. */
  private clear(): void {
    const d = this.d;
    for (let j = 0; j < d.J; j++) { this.jobNode[j] = -1; this.jobConf[j] = -1; }
    this.rebuildNodes();
  }

  /** Node lists, types and GPU counts from the jobs' nodes and configurations. */
  private rebuildNodes(): void {
    const d = this.d;
    for (let k = 0; k < d.N; k++) {
      this.nodeHead[k] = -1; this.nodeType[k] = -1; this.nodeUsed[k] = 0; this.nodeCount[k] = 0;
    }
    for (let j = 0; j < d.J; j++) {
      const k = this.jobNode[j];
      if (k < 0) continue;
      this.link(j, k);
      this.nodeType[k] = d.confVm[this.jobConf[j]];
      this.nodeUsed[k] += d.confGpus[this.jobConf[j]];
      this.nodeCount[k]++;
    }
  }

  evaluateFull(): void {
    const d = this.d;
    let cost: f64 = 0;
    let excess: f64 = 0;
    for (let k = 0; k < d.N; k++) {
      this.measureNode(k);
      cost += this.nodeCost[k];
      excess += this.nodeExcess[k];
    }
    for (let j = 0; j < d.J; j++) cost += this.jobCost(j);
    this.costSum = cost;
    this.excessSum = excess;
  }

  /** A job's own cost: in its configuration, or waiting. */
  @inline private jobCost(j: i32): f64 {
    const c = this.jobConf[j];
    return c < 0 ? this.d.waitCost[j] : this.d.confCost[c];
  }

  /** Node k's idle-GPU cost and excess (not added to the sums). */
  private measureNode(k: i32): void {
    const d = this.d;
    const v = this.nodeType[k];
    const gpus = v < 0 ? 0 : d.vmGpus[v];
    const used = this.nodeUsed[k];
    this.nodeCost[k] = v < 0 || used >= gpus ? 0 : d.vmPrice[v] * <f64>(gpus - used) / <f64>gpus * d.horizon;
    this.nodeExcess[k] = v < 0 ? 0 : <f64>max(0, used - gpus);
  }

  /** Re-measures node k and moves the sums by the difference. */
  private refreshNode(k: i32): void {
    const cost = this.nodeCost[k];
    const excess = this.nodeExcess[k];
    this.measureNode(k);
    this.costSum += this.nodeCost[k] - cost;
    this.excessSum += this.nodeExcess[k] - excess;
  }

  private link(j: i32, k: i32): void {
    const head = this.nodeHead[k];
    this.jobPrev[j] = -1;
    this.jobNext[j] = head;
    if (head >= 0) this.jobPrev[head] = j;
    this.nodeHead[k] = j;
  }

  private unlink(j: i32, k: i32): void {
    const prev = this.jobPrev[j];
    const next = this.jobNext[j];
    if (prev >= 0) this.jobNext[prev] = next;
    else this.nodeHead[k] = next;
    if (next >= 0) this.jobPrev[next] = prev;
  }

  /** Puts job j on node k in configuration c (k = -1: waiting), keeping every sum up to date. */
  private place(j: i32, k: i32, c: i32): void {
    const d = this.d;
    const from = this.jobNode[j];
    if (this.logging) this.log(UNDO_PLACE, j, from, this.jobConf[j]);
    this.costSum -= this.jobCost(j);
    if (from >= 0) {
      this.unlink(j, from);
      this.nodeUsed[from] -= d.confGpus[this.jobConf[j]];
      if (--this.nodeCount[from] == 0) this.nodeType[from] = -1;
    }
    this.jobNode[j] = k;
    this.jobConf[j] = c;
    if (k >= 0) {
      if (this.nodeCount[k]++ == 0) this.nodeType[k] = d.confVm[c];
      this.link(j, k);
      this.nodeUsed[k] += d.confGpus[c];
    }
    this.costSum += this.jobCost(j);
    if (from >= 0) this.refreshNode(from);
    if (k >= 0 && k != from) this.refreshNode(k);
  }

  /** Node k becomes VM type v; each job takes its configuration with the same GPU count there. */
  private retype(k: i32, v: i32): void {
    const d = this.d;
    if (this.logging) this.log(UNDO_RETYPE, k, this.nodeType[k], 0);
    for (let j = this.nodeHead[k]; j >= 0; j = this.jobNext[j]) {
      this.costSum -= this.jobCost(j);
      this.jobConf[j] = this.confOn(j, v, d.confGpus[this.jobConf[j]]);
      this.costSum += this.jobCost(j);
    }
    this.nodeType[k] = v;
    this.refreshNode(k);
  }

  /** Job j's configuration on VM type v with g GPUs, or -1. */
  private confOn(j: i32, v: i32, g: i32): i32 {
    const d = this.d;
    for (let c = d.jobConfStart[j]; c < d.jobConfStart[j + 1]; c++) if (d.confVm[c] == v && d.confGpus[c] == g) return c;
    return -1;
  }

  /** Whether every job on node k has a configuration with its GPU count on VM type v, which has room for them. */
  private canRetype(k: i32, v: i32): bool {
    const d = this.d;
    if (d.vmGpus[v] < this.nodeUsed[k]) return false;
    for (let j = this.nodeHead[k]; j >= 0; j = this.jobNext[j]) if (this.confOn(j, v, d.confGpus[this.jobConf[j]]) < 0) return false;
    return true;
  }

  private log(kind: i32, a: i32, b: i32, c: i32): void {
    const i = this.undoLen++;
    this.undoKind[i] = kind; this.undoA[i] = a; this.undoB[i] = b; this.undoC[i] = c;
  }

  // ---------------------------------------------------------------- construction

  /**
   * The reference scheduler's greedy: jobs by pressure; each on its cheapest configuration that
   * meets the deadline (else the fastest), best fit onto an open node of that VM type, else a new
   * node, else the next configuration; then idle GPUs go to the job on the node that gains most,
   * and nodes move to the cheapest VM type that still holds their jobs. The first construction of a
   * solve is this greedy as is; later ones randomize the order, the first configuration and the node.
   */
  construct(rng: Rng): void {
    const d = this.d;
    const randomized = this.constructions++ > 0;
    this.logging = false;
    this.clear();
    this.evaluateFull();
    for (let i = 0; i < d.J; i++) this.order[i] = d.pressureOrder[i];
    if (randomized) {
      for (let i = 0; i + 1 < d.J; i++) {
        if (rng.nextFloat() < SWAP_CHANCE) {
          const x = this.order[i];
          this.order[i] = this.order[i + 1];
          this.order[i + 1] = x;
        }
      }
    }
    for (let i = 0; i < d.J; i++) {
      const j = this.order[i];
      const start = d.jobConfStart[j];
      const n = d.jobConfStart[j + 1] - start;
      const first = randomized ? rng.below(max(1, min(FIRST_CHOICES, d.jobOnTime[j]))) : 0;
      for (let t = 0; t < n; t++) {
        // try the chosen first configuration, then the others in order
        const idx = t == 0 ? first : (t <= first ? t - 1 : t);
        const c = d.confOrder[start + idx];
        let k = this.fitNode(c, randomized ? rng : null);
        if (k < 0) k = this.emptyNode();
        if (k >= 0) {
          this.place(j, k, c);
          break;
        }
      }
    }
    this.postprocess();
    this.undoLen = 0;
    this.evaluateFull();
  }

  /** An open node of c's VM type with room for c's GPUs: the tightest fit, or with an rng sometimes a random one. */
  private fitNode(c: i32, rng: Rng | null): i32 {
    const d = this.d;
    const v = d.confVm[c];
    const g = d.confGpus[c];
    let best = -1;
    let bestLeft = i32.MAX_VALUE;
    let seen = 0;
    let picked = -1;
    for (let k = 0; k < d.N; k++) {
      if (this.nodeType[k] != v) continue;
      const left = d.vmGpus[v] - this.nodeUsed[k] - g;
      if (left < 0) continue;
      if (left < bestLeft) { bestLeft = left; best = k; }
      if (rng) { seen++; if (rng.below(seen) == 0) picked = k; }
    }
    if (rng && picked >= 0 && rng.nextFloat() < RANDOM_NODE_CHANCE) return picked;
    return best;
  }

  private emptyNode(): i32 {
    for (let k = 0; k < this.d.N; k++) if (this.nodeCount[k] == 0) return k;
    return -1;
  }

  /** Idle GPUs to the job of the node that gains most time from them; then each node to its cheapest sufficient VM type. */
  private postprocess(): void {
    const d = this.d;
    for (let k = 0; k < d.N; k++) {
      const v = this.nodeType[k];
      if (v < 0) continue;
      while (true) {
        const idle = d.vmGpus[v] - this.nodeUsed[k];
        if (idle <= 0) break;
        let gain: f64 = 0;
        let bj = -1;
        let bc = -1;
        for (let j = this.nodeHead[k]; j >= 0; j = this.jobNext[j]) {
          const now = this.jobConf[j];
          for (let c = d.jobConfStart[j]; c < d.jobConfStart[j + 1]; c++) {
            if (d.confVm[c] != v || d.confGpus[c] <= d.confGpus[now] || d.confGpus[c] - d.confGpus[now] > idle) continue;
            const g = d.confTime[now] - d.confTime[c];
            if (g > gain) { gain = g; bj = j; bc = c; }
          }
        }
        if (bj < 0) break;
        this.place(bj, k, bc);
      }
      let cheapest = v;
      for (let w = 0; w < d.V; w++) {
        if (d.vmPrice[w] < d.vmPrice[cheapest] && this.canRetype(k, w)) cheapest = w;
      }
      if (cheapest != v) this.retype(k, cheapest);
    }
  }

  // ---------------------------------------------------------------- moves

  private addMove(n: i32, kind: i32, a: i32, b: i32, c: i32): i32 {
    return this.moves.put(n, kind, a, b, c);
  }

  /**
   * For each job: every configuration on every open node of its VM type with room for it, or on
   * the cheapest full one whose widest job can give up the GPUs missing (the greedy fills nodes
   * with a few wide jobs: without this, fitting in one more job takes a worsening step first), or
   * on an empty node (one stands for all), and waiting; for each node: every VM type that holds its jobs.
   */
  listMoves(): i32 {
    const d = this.d;
    const empty = this.emptyNode();
    this.findSqueezes();
    let n = 0;
    for (let j = 0; j < d.J; j++) {
      const own = this.jobNode[j];
      const ownConf = this.jobConf[j];
      const alone = own >= 0 && this.nodeCount[own] == 1;
      for (let c = d.jobConfStart[j]; c < d.jobConfStart[j + 1]; c++) {
        const v = d.confVm[c];
        const g = d.confGpus[c];
        // alone on its node, a job may take the node to another VM type
        if (alone && v != this.nodeType[own] && g <= d.vmGpus[v]) n = this.addMove(n, MOVE_ASSIGN, j, c, own);
        for (let k = 0; k < d.N; k++) {
          if (this.nodeType[k] != v) continue;
          if (k == own) {
            if (c != ownConf && d.vmGpus[v] - this.nodeUsed[k] + d.confGpus[ownConf] >= g) n = this.addMove(n, MOVE_ASSIGN, j, c, k);
          } else if (d.vmGpus[v] - this.nodeUsed[k] >= g) {
            n = this.addMove(n, MOVE_ASSIGN, j, c, k);
          }
        }
        const q = this.squeezeNode[v * this.squeezeStride + g];
        if (q >= 0 && q != own) n = this.addMove(n, MOVE_SQUEEZE, j, c, q);
        if (empty >= 0 && !alone) n = this.addMove(n, MOVE_ASSIGN, j, c, empty);
      }
      if (own >= 0) n = this.addMove(n, MOVE_WAIT, j, -1, -1);
    }
    for (let k = 0; k < d.N; k++) {
      const v = this.nodeType[k];
      if (v < 0) continue;
      for (let w = 0; w < d.V; w++) if (w != v && this.canRetype(k, w)) n = this.addMove(n, MOVE_RETYPE, k, w, -1);
    }
    return n;
  }

  /**
   * For each VM type and GPU count, the node of that type too full for that many GPUs where its
   * widest job giving them up costs least. The entering job's own cost does not depend on the node,
   * so one node per type and count keeps the best squeeze move and spares listing one per node.
   */
  private findSqueezes(): void {
    const d = this.d;
    for (let x = 0; x < this.squeezeNode.length; x++) this.squeezeNode[x] = -1;
    for (let k = 0; k < d.N; k++) {
      const v = this.nodeType[k];
      if (v < 0) continue;
      const i = this.widest(k);
      this.nodeWide[k] = i;
      // the node ends full: its idle GPUs stop costing
      const before = d.confCost[this.jobConf[i]] + this.nodeCost[k];
      for (let g = d.vmGpus[v] - this.nodeUsed[k] + 1; g <= d.vmGpus[v]; g++) {
        const ci = this.squeezed(i, k, g);
        if (ci < 0) continue;
        const delta = d.confCost[ci] - before;
        const x = v * this.squeezeStride + g;
        if (this.squeezeNode[x] < 0 || delta < this.squeezeDelta[x]) { this.squeezeNode[x] = k; this.squeezeDelta[x] = delta; }
      }
    }
  }

  /** Node k's job holding the most GPUs. */
  private widest(k: i32): i32 {
    const d = this.d;
    let widest = -1;
    for (let i = this.nodeHead[k]; i >= 0; i = this.jobNext[i]) {
      if (widest < 0 || d.confGpus[this.jobConf[i]] > d.confGpus[this.jobConf[widest]]) widest = i;
    }
    return widest;
  }

  /** The configuration job i on node k takes to make room for g more GPUs there, or -1 if it cannot. */
  private squeezed(i: i32, k: i32, g: i32): i32 {
    const d = this.d;
    const v = this.nodeType[k];
    const left = d.vmGpus[v] - this.nodeUsed[k] - g + d.confGpus[this.jobConf[i]];
    return left < 1 ? -1 : this.confOn(i, v, left);
  }

  attributeCount(): i32 { return this.d.J + this.d.N; }

  moveAttribute(m: i32): i32 {
    const kind = this.moves.get(m, 0);
    return kind == MOVE_RETYPE ? this.d.J + this.moves.get(m, 1) : this.moves.get(m, 1);
  }

  /** Each job not where the guide has it goes there (when that node is empty or of the same type), or waits. */
  listMovesToward(slot: i32): i32 {
    const d = this.d;
    const o = slot * 2 * d.J;
    let n = 0;
    for (let j = 0; j < d.J; j++) {
      const k = this.slotData[o + j];
      const c = this.slotData[o + d.J + j];
      if (k == this.jobNode[j] && c == this.jobConf[j]) continue;
      if (k < 0) {
        n = this.addMove(n, MOVE_WAIT, j, -1, -1);
      } else if (this.nodeType[k] < 0 || this.nodeType[k] == d.confVm[c] || (this.nodeCount[k] == 1 && this.jobNode[j] == k)) {
        n = this.addMove(n, MOVE_ASSIGN, j, c, k);
      }
    }
    return n;
  }

  applyMove(m: i32): void {
    const kind = this.moves.get(m, 0);
    const a = this.moves.get(m, 1);
    const b = this.moves.get(m, 2);
    const c = this.moves.get(m, 3);
    this.undoLen = 0;
    this.logging = true;
    if (kind == MOVE_ASSIGN) this.place(a, c, b);
    else if (kind == MOVE_WAIT) this.place(a, -1, -1);
    else if (kind == MOVE_SQUEEZE) {
      const i = this.nodeWide[c];
      this.place(i, c, this.squeezed(i, c, this.d.confGpus[b]));
      this.place(a, c, b);
    } else this.retype(a, b);
    this.logging = false;
    if (this.assertMode) this.checkIncremental();
  }

  undoMove(): void {
    for (let i = this.undoLen - 1; i >= 0; i--) {
      if (this.undoKind[i] == UNDO_PLACE) this.place(this.undoA[i], this.undoB[i], this.undoC[i]);
      else this.retype(this.undoA[i], this.undoB[i]);
    }
    this.undoLen = 0;
    if (this.assertMode) this.checkIncremental();
  }

  /** Compares the incremental sums with a full evaluation; counts disagreements. */
  private checkIncremental(): void {
    const cost = this.costSum;
    const excess = this.excessSum;
    this.evaluateFull();
    if (!nearlyEqual(cost, this.costSum) || !nearlyEqual(excess, this.excessSum)) this.assertFailures++;
  }

  // ---------------------------------------------------------------- slots

  slotCount(): i32 { return this.slots; }

  saveSlot(slot: i32): void {
    const d = this.d;
    const o = slot * 2 * d.J;
    for (let j = 0; j < d.J; j++) {
      this.slotData[o + j] = this.jobNode[j];
      this.slotData[o + d.J + j] = this.jobConf[j];
    }
    this.slotScore[2 * slot] = this.excessSum;
    this.slotScore[2 * slot + 1] = this.costSum;
  }

  /** Rebuilds nodes and evaluation after the host wrote jobNode and jobConf. */
  loadFromCurrent(): void {
    this.rebuildNodes();
    this.undoLen = 0;
    this.evaluateFull();
  }

  loadSlot(slot: i32): void {
    const d = this.d;
    const o = slot * 2 * d.J;
    for (let j = 0; j < d.J; j++) {
      this.jobNode[j] = this.slotData[o + j];
      this.jobConf[j] = this.slotData[o + d.J + j];
    }
    this.rebuildNodes();
    this.undoLen = 0;
    this.evaluateFull();
  }

  slotInfeasibility(slot: i32): f64 { return this.slotScore[2 * slot]; }
  slotCost(slot: i32): f64 { return this.slotScore[2 * slot + 1]; }

  distance(a: i32, b: i32): i32 {
    const d = this.d;
    const oa = a * 2 * d.J;
    const ob = b * 2 * d.J;
    let n = 0;
    for (let j = 0; j < d.J; j++) {
      if (this.slotData[oa + j] != this.slotData[ob + j] || this.slotData[oa + d.J + j] != this.slotData[ob + d.J + j]) n++;
    }
    return n;
  }
}
