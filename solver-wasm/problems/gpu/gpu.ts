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
  /**
   * A listed assignment, wait or squeeze move applied only on paper (-1: none): descent applies and
   * undoes thousands of moves per step, so these are scored without touching the solution and carried
   * out only when something reads more than the sums (settle). pendingCost/pendingExcess are the sums
   * the move would leave, undoneCost/undoneExcess what undoing it would leave, bit for bit as if it
   * had been applied and undone (the same operations in the same order).
   */
  pending: i32 = -1;
  pendingCost: f64 = 0;
  pendingExcess: f64 = 0;
  undoneCost: f64 = 0;
  undoneExcess: f64 = 0;
  /** open nodes by VM type, each type's in ascending order (typeNodes[typeStart[v] .. typeStart[v + 1])), as of the last listing (a step toward fitNodes) */
  typeStart: StaticArray<i32>;
  typeNodes: StaticArray<i32>;
  /** per VM type v and GPU count g (index v * squeezeStride + g): the open nodes of type v with at least g GPUs free, ascending (fitNodes[fitStart[x] .. fitStart[x + 1])), as of the last listing */
  fitStart: StaticArray<i32>;
  fitNodes: StaticArray<i32>;
  /** per job j, VM type v and GPU count g (index (j * V + v) * squeezeStride + g): j's configuration there, or -1 */
  confAt: StaticArray<i32>;
  /**
   * Idle-GPU costs as of the last listing, valid while `fresh` (no move carried out, no solution
   * loaded since), the squeeze ones while `freshSqueezes` (listMoves only fills them):
   * enterCost[k * squeezeStride + g] of open node k with g GPUs more, leaveCost[j] of job j's node
   * without it, and per squeeze (index v * squeezeStride + g) the widest job's new configuration and
   * the node's cost once it shrank (squeezeCost1) and once the entering job took the g GPUs (squeezeCost2).
   */
  fresh: bool = false;
  freshSqueezes: bool = false;
  enterCost: StaticArray<f64>;
  leaveCost: StaticArray<f64>;
  squeezeConf: StaticArray<i32>;
  squeezeCost1: StaticArray<f64>;
  squeezeCost2: StaticArray<f64>;
  /** during a construction: the nodes opened so far (nodes 0 .. opened - 1, opened in order), each type's in a list in opening order, and the most GPUs free on one node of each type */
  opened: i32 = 0;
  typeFirst: StaticArray<i32>;
  typeLast: StaticArray<i32>;
  sameTypeNext: StaticArray<i32>;
  typeMostFree: StaticArray<i32>;
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
    this.typeStart = new StaticArray<i32>(d.V + 1);
    this.typeNodes = new StaticArray<i32>(d.N);
    this.typeFirst = new StaticArray<i32>(d.V);
    this.typeLast = new StaticArray<i32>(d.V);
    this.sameTypeNext = new StaticArray<i32>(d.N);
    this.typeMostFree = new StaticArray<i32>(d.V);
    // a local: AssemblyScript reads no field before every one is assigned
    let stride = 1;
    for (let v = 0; v < d.V; v++) stride = max(stride, d.vmGpus[v] + 1);
    this.squeezeNode = new StaticArray<i32>(d.V * stride);
    this.fitStart = new StaticArray<i32>(d.V * stride + 1);
    this.fitNodes = new StaticArray<i32>(stride * d.N);
    this.enterCost = new StaticArray<f64>(stride * d.N);
    this.leaveCost = new StaticArray<f64>(d.J);
    this.squeezeConf = new StaticArray<i32>(d.V * stride);
    this.squeezeCost1 = new StaticArray<f64>(d.V * stride);
    this.squeezeCost2 = new StaticArray<f64>(d.V * stride);
    const confAt = new StaticArray<i32>(d.J * d.V * stride);
    for (let x = 0; x < confAt.length; x++) confAt[x] = -1;
    // the first configuration per type and count wins, as a scan in order finds it
    for (let j = 0; j < d.J; j++) {
      for (let c = d.jobConfStart[j + 1] - 1; c >= d.jobConfStart[j]; c--) confAt[(j * d.V + d.confVm[c]) * stride + d.confGpus[c]] = c;
    }
    this.confAt = confAt;
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

  cost(): f64 { return this.pending >= 0 ? this.pendingCost : this.costSum; }
  infeasibility(): f64 { return this.pending >= 0 ? this.pendingExcess : this.excessSum; }

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
    this.settle();
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
    const v = this.nodeType[k];
    const used = this.nodeUsed[k];
    this.nodeCost[k] = this.idleCost(v, used);
    this.nodeExcess[k] = this.excessOf(v, used);
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
  @inline private confOn(j: i32, v: i32, g: i32): i32 {
    return g < 0 || g >= this.squeezeStride ? -1 : this.confAt[(j * this.d.V + v) * this.squeezeStride + g];
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
    this.pending = -1;
    this.stale();
    this.logging = false;
    this.clear();
    this.evaluateFull();
    for (let i = 0; i < d.J; i++) this.order[i] = d.pressureOrder[i];
    this.opened = 0;
    for (let v = 0; v < d.V; v++) { this.typeFirst[v] = -1; this.typeLast[v] = -1; this.typeMostFree[v] = -1; }
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
        // no node empties during the greedy: the first empty node is the next one
        const opens = k < 0 && this.opened < d.N;
        if (opens) k = this.opened++;
        if (k >= 0) {
          this.place(j, k, c);
          if (opens) this.joinType(k);
          this.measureMostFree(d.confVm[c]);
          break;
        }
      }
    }
    this.postprocess();
    this.undoLen = 0;
    this.evaluateFull();
  }

  /** Construction: appends newly opened node k to its type's list. */
  private joinType(k: i32): void {
    const v = this.nodeType[k];
    this.sameTypeNext[k] = -1;
    if (this.typeLast[v] < 0) this.typeFirst[v] = k;
    else this.sameTypeNext[this.typeLast[v]] = k;
    this.typeLast[v] = k;
  }

  /** Construction: the most GPUs free on one open node of VM type v. */
  private measureMostFree(v: i32): void {
    let most = -1;
    for (let k = this.typeFirst[v]; k >= 0; k = this.sameTypeNext[k]) most = max(most, this.d.vmGpus[v] - this.nodeUsed[k]);
    this.typeMostFree[v] = most;
  }

  /** An open node of c's VM type with room for c's GPUs: the tightest fit, or with an rng sometimes a random one. */
  private fitNode(c: i32, rng: Rng | null): i32 {
    const d = this.d;
    const v = d.confVm[c];
    const g = d.confGpus[c];
    // no node has room: nothing to fit or draw
    if (this.typeMostFree[v] < g) return -1;
    let best = -1;
    let bestLeft = i32.MAX_VALUE;
    let seen = 0;
    let picked = -1;
    for (let k = this.typeFirst[v]; k >= 0; k = this.sameTypeNext[k]) {
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
    this.settle();
    const d = this.d;
    const empty = this.emptyNode();
    this.findSqueezes();
    this.sortNodesByFit();
    const stride = this.squeezeStride;
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
        // the nodes of type v with room, ascending, the job's own node among them where its own GPUs make room
        const x = v * stride + g;
        let ownLeft = own >= 0 && this.nodeType[own] == v && c != ownConf && d.vmGpus[v] - this.nodeUsed[own] + d.confGpus[ownConf] >= g;
        for (let y = this.fitStart[x]; y < this.fitStart[x + 1]; y++) {
          const k = this.fitNodes[y];
          if (ownLeft && own < k) { n = this.addMove(n, MOVE_ASSIGN, j, c, own); ownLeft = false; }
          if (k != own) n = this.addMove(n, MOVE_ASSIGN, j, c, k);
        }
        if (ownLeft) n = this.addMove(n, MOVE_ASSIGN, j, c, own);
        const q = this.squeezeNode[x];
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
    this.measureCosts(true);
    return n;
  }

  /** Fills the idle-GPU costs the predictions of this listing's moves read (see `fresh`), those of squeezes too if asked. */
  private measureCosts(squeezes: bool): void {
    const d = this.d;
    const stride = this.squeezeStride;
    for (let k = 0; k < d.N; k++) {
      const v = this.nodeType[k];
      if (v < 0) continue;
      for (let g = 0; g < stride; g++) this.enterCost[k * stride + g] = this.idleCost(v, this.nodeUsed[k] + g);
    }
    for (let j = 0; j < d.J; j++) {
      const k = this.jobNode[j];
      if (k >= 0 && this.jobConf[j] >= 0) this.leaveCost[j] = this.idleCost(this.nodeCount[k] == 1 ? -1 : this.nodeType[k], this.nodeUsed[k] - d.confGpus[this.jobConf[j]]);
    }
    this.fresh = true;
    this.freshSqueezes = squeezes;
    if (!squeezes) return;
    for (let v = 0; v < d.V; v++) {
      for (let g = 0; g < stride; g++) {
        const x = v * stride + g;
        const q = this.squeezeNode[x];
        this.squeezeConf[x] = -1;
        if (q < 0 || this.nodeType[q] != v) continue;
        const i = this.nodeWide[q];
        const ci = this.squeezed(i, q, g);
        if (ci < 0) continue;
        const used1 = this.nodeUsed[q] - d.confGpus[this.jobConf[i]] + d.confGpus[ci];
        this.squeezeConf[x] = ci;
        this.squeezeCost1[x] = this.idleCost(v, used1);
        this.squeezeCost2[x] = this.idleCost(v, used1 + g);
      }
    }
  }

  /** Marks the cached idle-GPU costs out of date. */
  @inline private stale(): void {
    this.fresh = false;
    this.freshSqueezes = false;
  }

  /** Lists, per VM type and GPU count, the open nodes of that type with that many GPUs free, ascending: listing visits only the nodes a configuration fits on, in node order. */
  private sortNodesByFit(): void {
    const d = this.d;
    for (let v = 0; v < d.V; v++) this.typeStart[v] = 0;
    for (let k = 0; k < d.N; k++) if (this.nodeType[k] >= 0) this.typeStart[this.nodeType[k]]++;
    // each type's end, then filled from the end backward: each entry ends at its type's start
    for (let v = 1; v < d.V; v++) this.typeStart[v] += this.typeStart[v - 1];
    this.typeStart[d.V] = d.V > 0 ? this.typeStart[d.V - 1] : 0;
    for (let k = d.N - 1; k >= 0; k--) {
      const v = this.nodeType[k];
      if (v >= 0) this.typeNodes[--this.typeStart[v]] = k;
    }
    const stride = this.squeezeStride;
    let n = 0;
    for (let v = 0; v < d.V; v++) {
      for (let g = 0; g < stride; g++) {
        this.fitStart[v * stride + g] = n;
        for (let x = this.typeStart[v]; x < this.typeStart[v + 1]; x++) {
          const k = this.typeNodes[x];
          if (d.vmGpus[v] - this.nodeUsed[k] >= g) this.fitNodes[n++] = k;
        }
      }
    }
    this.fitStart[d.V * stride] = n;
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
    this.settle();
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
    this.measureCosts(false);
    return n;
  }

  /** Assignment, wait and squeeze moves stay pending (scored only) until undone or settled; retyping applies at once. */
  applyMove(m: i32): void {
    this.settle();
    const kind = this.moves.get(m, 0);
    const a = this.moves.get(m, 1);
    if (kind == MOVE_RETYPE || (kind == MOVE_SQUEEZE && !this.predictSqueeze(a, this.moves.get(m, 2), this.moves.get(m, 3)))) {
      this.carryOut(m);
      if (this.assertMode) this.checkIncremental();
      return;
    }
    if (kind == MOVE_ASSIGN) this.predictPlace(a, this.moves.get(m, 3), this.moves.get(m, 2));
    else if (kind == MOVE_WAIT) this.predictPlace(a, -1, -1);
    this.pending = m;
    if (this.assertMode) this.checkPrediction(m);
  }

  undoMove(): void {
    if (this.pending >= 0) {
      // what undoing an applied move leaves: its sums, and each job it moved back at the head of its node's list
      const m = this.pending;
      const j = this.moves.get(m, 1);
      if (this.moves.get(m, 0) == MOVE_SQUEEZE) this.relink(this.nodeWide[this.moves.get(m, 3)]);
      this.relink(j);
      this.costSum = this.undoneCost;
      this.excessSum = this.undoneExcess;
      this.pending = -1;
      this.undoLen = 0;
      return;
    }
    this.undoLogged();
    if (this.assertMode) this.checkIncremental();
  }

  /** Moves job j to the head of its node's list (if it runs). */
  private relink(j: i32): void {
    const k = this.jobNode[j];
    if (k >= 0 && this.nodeHead[k] != j) { this.unlink(j, k); this.link(j, k); }
  }

  /** Carries out the pending move, if any. */
  private settle(): void {
    const m = this.pending;
    if (m < 0) return;
    this.pending = -1;
    this.carryOut(m);
  }

  /** Applies listed move m to the solution, logging what undoes it. */
  private carryOut(m: i32): void {
    const kind = this.moves.get(m, 0);
    const a = this.moves.get(m, 1);
    const b = this.moves.get(m, 2);
    const c = this.moves.get(m, 3);
    this.stale();
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
  }

  private undoLogged(): void {
    this.stale();
    for (let i = this.undoLen - 1; i >= 0; i--) {
      if (this.undoKind[i] == UNDO_PLACE) this.place(this.undoA[i], this.undoB[i], this.undoC[i]);
      else this.retype(this.undoA[i], this.undoB[i]);
    }
    this.undoLen = 0;
  }

  /**
   * The sums place(j, k, c) would leave and those its undo would then leave, into pendingCost,
   * pendingExcess, undoneCost and undoneExcess: place's and refreshNode's operations in their order.
   */
  private predictPlace(j: i32, k: i32, c: i32): void {
    const d = this.d;
    const from = this.jobNode[j];
    const was = this.jobConf[j];
    const oldJob = this.jobCost(j);
    const newJob = c < 0 ? d.waitCost[j] : d.confCost[c];
    let cost = this.costSum - oldJob + newJob;
    let excess = this.excessSum;
    // node costs and excesses before (o) and after (n) the move, for the node left (f) and the node entered (k)
    let ofc: f64 = 0, ofe: f64 = 0, nfc: f64 = 0, nfe: f64 = 0;
    let okc: f64 = 0, oke: f64 = 0, nkc: f64 = 0, nke: f64 = 0;
    if (from >= 0) {
      let type = this.nodeCount[from] == 1 ? -1 : this.nodeType[from];
      let used = this.nodeUsed[from] - d.confGpus[was];
      if (k == from) {
        used += d.confGpus[c];
        if (type < 0) type = d.confVm[c];
      }
      ofc = this.nodeCost[from]; ofe = this.nodeExcess[from];
      nfc = this.fresh && k != from && was >= 0 ? this.leaveCost[j] : this.idleCost(type, used);
      nfe = this.excessOf(type, used);
      cost += nfc - ofc;
      excess += nfe - ofe;
    }
    const enters = k >= 0 && k != from;
    if (enters) {
      const open = this.nodeCount[k] > 0;
      const type = open ? this.nodeType[k] : d.confVm[c];
      const used = this.nodeUsed[k] + d.confGpus[c];
      okc = this.nodeCost[k]; oke = this.nodeExcess[k];
      nkc = this.fresh && open ? this.enterCost[k * this.squeezeStride + d.confGpus[c]] : this.idleCost(type, used);
      nke = this.excessOf(type, used);
      cost += nkc - okc;
      excess += nke - oke;
    }
    this.pendingCost = cost;
    this.pendingExcess = excess;
    // the undo, place(j, from, was): the job's cost, then the node it leaves (k), then the node it re-enters
    cost = cost - newJob + oldJob;
    if (k >= 0) {
      if (enters) { cost += okc - nkc; excess += oke - nke; } else { cost += ofc - nfc; excess += ofe - nfe; }
    }
    if (from >= 0 && from != k) { cost += ofc - nfc; excess += ofe - nfe; }
    this.undoneCost = cost;
    this.undoneExcess = excess;
  }

  /**
   * As predictPlace for squeezing job a in configuration b onto node q: q's widest job i first
   * gives up the GPUs missing (place(i, q, ci)), then a enters (place(a, q, b)); the undo places a
   * back, then i. False, predicting nothing, for a squeeze that does not fit as listed (an
   * overbooked node can stand for another type's squeezes): that one is carried out.
   */
  private predictSqueeze(a: i32, b: i32, q: i32): bool {
    const d = this.d;
    const i = this.nodeWide[q];
    const wasI = this.jobConf[i];
    const v = this.nodeType[q];
    if (v != d.confVm[b]) return false;
    const x = v * this.squeezeStride + d.confGpus[b];
    const cached = this.freshSqueezes && this.squeezeNode[x] == q && this.squeezeConf[x] >= 0;
    const ci = cached ? this.squeezeConf[x] : this.squeezed(i, q, d.confGpus[b]);
    if (ci < 0) return false;
    const oldI = this.jobCost(i);
    const newI = d.confCost[ci];
    const oldA = this.jobCost(a);
    const newA = d.confCost[b];
    // q's cost and excess: before (0), after i shrinks (1), after a enters (2)
    const used1 = this.nodeUsed[q] - d.confGpus[wasI] + d.confGpus[ci];
    const used2 = used1 + d.confGpus[b];
    const qc0 = this.nodeCost[q], qe0 = this.nodeExcess[q];
    const qc1 = cached ? this.squeezeCost1[x] : this.idleCost(v, used1);
    const qc2 = cached ? this.squeezeCost2[x] : this.idleCost(v, used2);
    const qe1 = this.excessOf(v, used1), qe2 = this.excessOf(v, used2);
    let cost = this.costSum - oldI + newI;
    let excess = this.excessSum;
    cost += qc1 - qc0; excess += qe1 - qe0;
    cost = cost - oldA + newA;
    const fa = this.jobNode[a];
    let ofc: f64 = 0, ofe: f64 = 0, nfc: f64 = 0, nfe: f64 = 0;
    if (fa >= 0) {
      const type = this.nodeCount[fa] == 1 ? -1 : this.nodeType[fa];
      const used = this.nodeUsed[fa] - d.confGpus[this.jobConf[a]];
      ofc = this.nodeCost[fa]; ofe = this.nodeExcess[fa];
      nfc = this.fresh && this.jobConf[a] >= 0 ? this.leaveCost[a] : this.idleCost(type, used);
      nfe = this.excessOf(type, used);
      cost += nfc - ofc; excess += nfe - ofe;
    }
    cost += qc2 - qc1; excess += qe2 - qe1;
    this.pendingCost = cost;
    this.pendingExcess = excess;
    cost = cost - newA + oldA;
    cost += qc1 - qc2; excess += qe1 - qe2;
    if (fa >= 0) { cost += ofc - nfc; excess += ofe - nfe; }
    cost = cost - newI + oldI;
    cost += qc0 - qc1; excess += qe0 - qe1;
    this.undoneCost = cost;
    this.undoneExcess = excess;
    return true;
  }

  /** What measureNode gives a node of VM type v (-1: none) with `used` GPUs taken: its idle-GPU cost. */
  @inline private idleCost(v: i32, used: i32): f64 {
    const d = this.d;
    const gpus = v < 0 ? 0 : d.vmGpus[v];
    return v < 0 || used >= gpus ? 0 : d.vmPrice[v] * <f64>(gpus - used) / <f64>gpus * d.horizon;
  }

  /** What measureNode gives a node of VM type v (-1: none) with `used` GPUs taken: its excess. */
  @inline private excessOf(v: i32, used: i32): f64 {
    return v < 0 ? 0 : <f64>max(0, used - this.d.vmGpus[v]);
  }

  /** Assertion mode: carries out pending move m and its undo, counting any sum that differs from the prediction, then carries it out again. */
  private checkPrediction(m: i32): void {
    const cost = this.pendingCost;
    const excess = this.pendingExcess;
    const undoneCost = this.undoneCost;
    const undoneExcess = this.undoneExcess;
    this.pending = -1;
    this.carryOut(m);
    if (this.costSum != cost || this.excessSum != excess) this.assertFailures++;
    this.undoLogged();
    if (this.costSum != undoneCost || this.excessSum != undoneExcess) this.assertFailures++;
    this.carryOut(m);
    this.checkIncremental();
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
    this.settle();
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
    this.pending = -1;
    this.stale();
    this.rebuildNodes();
    this.undoLen = 0;
    this.evaluateFull();
  }

  loadSlot(slot: i32): void {
    this.pending = -1;
    this.stale();
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
