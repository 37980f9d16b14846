import type { EncodedPlacement } from '../../server/placement/encode.js';

/**
 * A plain-TypeScript twin of the wasm engine loop "best-improvement local search on placement":
 * solver-wasm/engines/local-search.ts over solver-wasm/problems/placement/placement.ts, line for
 * line (the same flat data, incremental evaluation, move list and tie-breaking), without the
 * construction, slots and relinking moves it does not use. It exists only so that the bench can
 * measure what compiling to wasm buys, and a test can check that both take the same moves.
 */

const EDGE = 0;
const FAAS = 2;
const FAAS_COMPONENT_RATE = 0;
const FAAS_FIRST_PARTITION_RATE = 1;
const TIME_TOLERANCE = 1e-9;
const EPS = 1e-12;

const MOVE_RESOURCE = 0;
const MOVE_DEPLOYMENT = 1;
const MOVE_MERGE = 2;
const MOVE_COUNT = 3;
const MOVE_RESOURCE_SHRINK = 5;
const MOVE_CLOSE = 6;

const UNDO_DEPLOYMENT = 0;
const UNDO_CANDIDATE = 1;
const UNDO_COUNT = 2;

/** engines/problem.ts better(): less infeasible first, then cheaper. */
function better(v1: number, c1: number, v2: number, c2: number): boolean {
  if (v1 < v2 - EPS * (1 + v2)) return true;
  if (v1 > v2 + EPS * (1 + v2)) return false;
  return c1 < c2 - EPS * (1 + Math.abs(c2));
}

/** problems/placement/data.ts: the encoded lists, read in order. */
class TwinData {
  C: number; P: number; R: number; L: number; D: number; G: number; E: number;
  compDepStart: Int32Array; depPartStart: Int32Array; partComp: Int32Array; partCandStart: Int32Array;
  candRes: Int32Array; partSuccStart: Int32Array; succComp: Int32Array; resKind: Int32Array;
  resLayer: Int32Array; resNumber: Int32Array; linkStart: Int32Array; edgeFrom: Int32Array; edgeTo: Int32Array;
  pathStart: Int32Array; pathComp: Int32Array;
  memoryPerInstance: boolean; faasRule: number; pathReachQuirk: boolean;
  time: number;
  compRate: Float64Array; compLimit: Float64Array; partRate: Float64Array; partEarly: Float64Array;
  partReach: Float64Array; partDataNext: Float64Array; candMem: Float64Array; candTime: Float64Array;
  candWarm: Float64Array; succData: Float64Array; resCost: Float64Array; resMem: Float64Array;
  linkAccess: Float64Array; linkBw: Float64Array; pathLimit: Float64Array;
  predStart: Int32Array; predComp: Int32Array;

  constructor(e: EncodedPlacement) {
    let io = 0;
    let fo = 0;
    const ints = () => { const n = e.ints[io]; const out = e.ints.subarray(io + 1, io + 1 + n); io += n + 1; return out; };
    const floats = () => { const n = e.floats[fo]; const out = e.floats.subarray(fo + 1, fo + 1 + n); fo += n + 1; return out; };
    const sizes = ints();
    [this.C, this.P, this.R, this.L, this.D] = sizes;
    this.compDepStart = ints(); this.depPartStart = ints(); this.partComp = ints(); this.partCandStart = ints();
    this.candRes = ints(); this.partSuccStart = ints(); this.succComp = ints(); this.resKind = ints();
    this.resLayer = ints(); this.resNumber = ints(); this.linkStart = ints(); this.edgeFrom = ints(); this.edgeTo = ints();
    this.pathStart = ints(); this.pathComp = ints();
    const flags = ints();
    this.memoryPerInstance = flags[0] !== 0; this.faasRule = flags[1]; this.pathReachQuirk = flags[2] !== 0;
    this.time = floats()[0];
    this.compRate = floats(); this.compLimit = floats(); this.partRate = floats(); this.partEarly = floats();
    this.partReach = floats(); this.partDataNext = floats(); this.candMem = floats(); this.candTime = floats();
    this.candWarm = floats(); this.succData = floats(); this.resCost = floats(); this.resMem = floats();
    this.linkAccess = floats(); this.linkBw = floats(); this.pathLimit = floats();
    this.G = this.pathLimit.length;
    this.E = this.edgeFrom.length;
    this.predStart = new Int32Array(this.C + 1);
    for (let i = 0; i < this.E; i++) this.predStart[this.edgeTo[i] + 1]++;
    for (let c = 0; c < this.C; c++) this.predStart[c + 1] += this.predStart[c];
    this.predComp = new Int32Array(this.E);
    const fill = new Int32Array(this.C);
    for (let i = 0; i < this.E; i++) {
      const to = this.edgeTo[i];
      this.predComp[this.predStart[to] + fill[to]++] = this.edgeFrom[i];
    }
  }
}

/** problems/placement/placement.ts without construction, slots and relinking. */
export class TwinPlacement {
  private readonly d: TwinData;
  readonly dep: Int32Array; readonly cand: Int32Array; readonly cnt: Int32Array;
  private readonly load: Float64Array; private readonly mem: Float64Array; private readonly use: Int32Array;
  private readonly util: Float64Array; private readonly resViol: Float64Array;
  private readonly compTime: Float64Array; private readonly compViol: Float64Array;
  private readonly pathTime: Float64Array; private readonly pathViol: Float64Array;
  private readonly offEdge: Uint8Array; private readonly charged: Uint8Array;
  private readonly layerTypes: Int32Array; private readonly layerUse: Int32Array; private readonly hosts: Int32Array;
  private readonly dirtyRes: Uint8Array; private readonly dirtyComp: Uint8Array; private readonly recomputed: Uint8Array;
  private readonly undoKind: Int32Array; private readonly undoIndex: Int32Array; private readonly undoOld: Int32Array;
  private undoLen = 0;
  private readonly moves: Int32Array;
  totalCost = 0;
  totalViol = 0;

  constructor(encoded: EncodedPlacement) {
    const d = (this.d = new TwinData(encoded));
    this.dep = new Int32Array(d.C); this.cand = new Int32Array(d.P); this.cnt = new Int32Array(d.R);
    this.load = new Float64Array(d.R); this.mem = new Float64Array(d.R); this.use = new Int32Array(d.R);
    this.util = new Float64Array(d.R); this.resViol = new Float64Array(d.R);
    this.compTime = new Float64Array(d.C); this.compViol = new Float64Array(d.C);
    this.pathTime = new Float64Array(d.G); this.pathViol = new Float64Array(d.G);
    this.offEdge = new Uint8Array(d.C); this.charged = new Uint8Array(d.R);
    this.layerTypes = new Int32Array(d.L); this.layerUse = new Int32Array(d.L); this.hosts = new Int32Array(d.R);
    this.dirtyRes = new Uint8Array(d.R); this.dirtyComp = new Uint8Array(d.C); this.recomputed = new Uint8Array(d.C);
    const undoCap = d.P + d.C + 2 * d.R + 8;
    this.undoKind = new Int32Array(undoCap); this.undoIndex = new Int32Array(undoCap); this.undoOld = new Int32Array(undoCap);
    this.moves = new Int32Array(3 * (2 * d.candRes.length + d.D + d.R * d.R + 3 * d.R + 1));
  }

  /** Sets the decision (global deployment and candidate indices, as the wasm holds them) and evaluates it. */
  setDecision(dep: Int32Array, cand: Int32Array, cnt: Int32Array): void {
    this.dep.set(dep);
    this.cand.set(cand);
    this.cnt.set(cnt);
    this.dirtyRes.fill(1);
    this.dirtyComp.fill(1);
    this.refreshLoads();
    this.refreshRest();
  }

  private res(p: number): number { return this.d.candRes[this.cand[p]]; }

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
        if (d.resKind[r] !== FAAS) this.load[r] += d.candTime[k] * d.partRate[p];
      }
    }
  }

  private minCount(r: number): number {
    const n = Math.floor(this.load[r]) + 1;
    return Math.min(Math.max(n, 1), this.d.resNumber[r]);
  }

  private refreshRest(): void {
    const d = this.d;
    for (let r = 0; r < d.R; r++) if (this.dirtyRes[r]) this.refreshResource(r);
    for (let c = 0; c < d.C; c++) {
      let touched = this.dirtyComp[c] !== 0;
      const dp = this.dep[c];
      for (let p = d.depPartStart[dp]; !touched && p < d.depPartStart[dp + 1]; p++) touched = this.dirtyRes[this.res(p)] !== 0;
      this.recomputed[c] = touched ? 1 : 0;
      if (touched) this.refreshComponent(c);
    }
    for (let g = 0; g < d.G; g++) {
      let touched = false;
      for (let i = d.pathStart[g]; !touched && i < d.pathStart[g + 1]; i++) touched = this.recomputed[d.pathComp[i]] !== 0;
      if (touched) this.refreshPath(g);
    }
    this.refreshTotals();
  }

  private refreshResource(r: number): void {
    const d = this.d;
    let v = 0;
    this.util[r] = 0;
    if (this.use[r] > 0) {
      if (d.resKind[r] === FAAS) {
        if (this.mem[r] > d.resMem[r]) v += this.mem[r] / d.resMem[r] - 1;
      } else {
        const n = this.cnt[r];
        if (n < 1) v += 1 - n;
        else if (n > d.resNumber[r]) v += n - d.resNumber[r];
        const cap = d.memoryPerInstance ? d.resMem[r] : d.resMem[r] * n;
        if (this.mem[r] > cap) v += cap > 0 ? this.mem[r] / cap - 1 : 1;
        const u = n > 0 ? this.load[r] / n : Infinity;
        this.util[r] = u;
        if (u >= 1) v += Number.isFinite(u) ? u : 1;
      }
    }
    this.resViol[r] = v;
  }

  private delay(a: number, b: number, size: number): number {
    if (a === b) return 0;
    const d = this.d;
    const l = d.resLayer[a] * d.L + d.resLayer[b];
    let best = Infinity;
    for (let i = d.linkStart[l]; i < d.linkStart[l + 1]; i++) {
      const t = d.linkAccess[i] + size / d.linkBw[i];
      if (t < best) best = t;
    }
    return best;
  }

  private refreshComponent(c: number): void {
    const d = this.d;
    const dp = this.dep[c];
    const first = d.depPartStart[dp];
    let t = 0;
    for (let p = first; p < d.depPartStart[dp + 1]; p++) {
      const k = this.cand[p];
      const r = d.candRes[k];
      let own = d.candTime[k];
      if (d.resKind[r] !== FAAS) {
        const u = this.util[r];
        own = u >= 1 ? Infinity : own / (1 - u);
      }
      t += p === first ? own : d.partReach[p] * (own + this.delay(this.res(p - 1), r, d.partDataNext[p - 1]));
    }
    this.compTime[c] = t;
    const limit = d.compLimit[c];
    this.compViol[c] = t > limit * (1 + TIME_TOLERANCE) ? (Number.isFinite(t) ? t / limit - 1 : 1) : 0;
  }

  private transfer(c: number, n: number): number {
    const d = this.d;
    const dp = this.dep[c];
    const start = d.depPartStart[dp];
    const last = d.depPartStart[dp + 1] - 1;
    const target = this.res(d.depPartStart[this.dep[n]]);
    let size = 0;
    for (let i = d.partSuccStart[last]; i < d.partSuccStart[last + 1]; i++) {
      if (d.succComp[i] === n) { size = d.succData[i]; break; }
    }
    let reach = 1;
    let t = 0;
    for (let p = start; p <= last; p++) {
      const moves = this.res(p) !== target;
      if (p === last) {
        if (moves) t += reach * this.delay(this.res(p), target, size);
      } else {
        if (moves) t += reach * d.partEarly[p] * this.delay(this.res(p), target, size);
        if (moves || !d.pathReachQuirk) reach *= 1 - d.partEarly[p];
      }
    }
    return t;
  }

  private refreshPath(g: number): void {
    const d = this.d;
    let t = 0;
    const end = d.pathStart[g + 1];
    for (let i = d.pathStart[g]; i < end; i++) {
      const c = d.pathComp[i];
      t += this.compTime[c];
      if (i + 1 < end) t += this.transfer(c, d.pathComp[i + 1]);
    }
    this.pathTime[g] = t;
    const limit = d.pathLimit[g];
    this.pathViol[g] = t > limit * (1 + TIME_TOLERANCE) ? (Number.isFinite(t) ? t / limit - 1 : 1) : 0;
  }

  private refreshTotals(): void {
    const d = this.d;
    let viol = 0;
    let cost = 0;
    this.layerTypes.fill(0);
    for (let r = 0; r < d.R; r++) {
      viol += this.resViol[r];
      this.charged[r] = 0;
      if (this.use[r] > 0 && d.resKind[r] !== FAAS) {
        cost += this.cnt[r] * d.resCost[r] * d.time;
        this.layerTypes[d.resLayer[r]]++;
      }
    }
    for (let l = 0; l < d.L; l++) if (this.layerTypes[l] > 1) viol += this.layerTypes[l] - 1;
    for (let c = 0; c < d.C; c++) viol += this.compViol[c];
    for (let g = 0; g < d.G; g++) viol += this.pathViol[g];
    for (let c = 0; c < d.C; c++) {
      const dp = this.dep[c];
      let off = false;
      for (let p = d.depPartStart[dp]; p < d.depPartStart[dp + 1]; p++) {
        const k = this.cand[p];
        const r = d.candRes[k];
        if (d.resKind[r] !== EDGE) off = true;
        if (d.resKind[r] !== FAAS) continue;
        if (d.faasRule === FAAS_FIRST_PARTITION_RATE && this.charged[r]) continue;
        this.charged[r] = 1;
        const rate = d.faasRule === FAAS_COMPONENT_RATE ? d.compRate[c] : d.partRate[p];
        cost += d.resCost[r] * d.candWarm[k] * rate * d.time;
      }
      this.offEdge[c] = off ? 1 : 0;
    }
    for (let c = 0; c < d.C; c++) {
      let fromCloud = false;
      for (let i = d.predStart[c]; i < d.predStart[c + 1]; i++) if (this.offEdge[d.predComp[i]]) fromCloud = true;
      const dp = this.dep[c];
      let left = false;
      for (let p = d.depPartStart[dp]; p < d.depPartStart[dp + 1]; p++) {
        const onEdge = d.resKind[this.res(p)] === EDGE;
        if (onEdge && (left || fromCloud)) viol += 1;
        if (!onEdge) left = true;
      }
    }
    this.totalCost = cost;
    this.totalViol = viol;
  }

  /** Cheapest completion of component c's deployment (the wasm's completeDeployment without an rng). */
  private completeDeployment(c: number, fromCloud: boolean): void {
    const d = this.d;
    const dp = this.dep[c];
    let off = fromCloud;
    for (let p = d.depPartStart[dp]; p < d.depPartStart[dp + 1]; p++) {
      let chosen = this.cheapestCandidate(p, off, -1);
      if (chosen < 0) chosen = d.partCandStart[p];
      this.setCandidate(p, chosen);
      const r = d.candRes[chosen];
      this.use[r]++;
      if (d.resKind[r] !== FAAS) this.layerUse[d.resLayer[r]]++;
      if (d.resKind[r] !== EDGE) off = true;
    }
  }

  /** The wasm's cheapestCandidate: cheapest to add, then fastest, off `avoid`, keeping the layer and edge rules. */
  private cheapestCandidate(p: number, offEdge: boolean, avoid: number): number {
    const d = this.d;
    let chosen = -1;
    let bestCost = Infinity;
    let bestTime = Infinity;
    for (let k = d.partCandStart[p]; k < d.partCandStart[p + 1]; k++) {
      const r = d.candRes[k];
      const kind = d.resKind[r];
      if (r === avoid || (offEdge && kind === EDGE)) continue;
      if (kind !== FAAS && this.layerUse[d.resLayer[r]] > this.use[r]) continue;
      const added = kind === FAAS ? d.resCost[r] * d.candWarm[k] * d.partRate[p] * d.time : (this.use[r] > 0 ? 0 : d.resCost[r] * d.time);
      const t = d.candTime[k];
      if (added < bestCost || (added === bestCost && t < bestTime)) { bestCost = added; bestTime = t; chosen = k; }
    }
    return chosen;
  }

  private setCandidate(p: number, k: number): void {
    if (this.cand[p] === k) return;
    this.log(UNDO_CANDIDATE, p, this.cand[p]);
    this.cand[p] = k;
  }

  private setCount(r: number, n: number): void {
    if (this.cnt[r] === n) return;
    this.log(UNDO_COUNT, r, this.cnt[r]);
    this.cnt[r] = n;
  }

  private log(kind: number, index: number, old: number): void {
    this.undoKind[this.undoLen] = kind;
    this.undoIndex[this.undoLen] = index;
    this.undoOld[this.undoLen] = old;
    this.undoLen++;
  }

  /** The neighbourhood, in the wasm's order. */
  listMoves(): number {
    const d = this.d;
    let n = 0;
    this.tallyUse(-1);
    for (let c = 0; c < d.C; c++) {
      const dp = this.dep[c];
      for (let p = d.depPartStart[dp]; p < d.depPartStart[dp + 1]; p++) {
        const from = this.res(p);
        for (let k = d.partCandStart[p]; k < d.partCandStart[p + 1]; k++) {
          const r = d.candRes[k];
          if (r === from) continue;
          if (d.resKind[r] !== FAAS) {
            const l = d.resLayer[r];
            const freed = d.resKind[from] !== FAAS && d.resLayer[from] === l ? 1 : 0;
            if (this.layerUse[l] - freed - this.use[r] > 0) continue;
          }
          n = this.addMove(n, MOVE_RESOURCE, p, k);
          if (d.resKind[from] !== FAAS && this.use[from] > 1 && this.cnt[from] > 1) n = this.addMove(n, MOVE_RESOURCE_SHRINK, p, k);
        }
      }
      for (let x = d.compDepStart[c]; x < d.compDepStart[c + 1]; x++) if (x !== dp) n = this.addMove(n, MOVE_DEPLOYMENT, c, x);
    }
    for (let a = 0; a < d.R; a++) {
      if (this.use[a] === 0 || d.resKind[a] === FAAS) continue;
      this.countHosts(a);
      const la = d.resLayer[a];
      for (let b = 0; b < d.R; b++) {
        if (b === a || d.resKind[b] === FAAS || this.hosts[b] !== this.use[a]) continue;
        const lb = d.resLayer[b];
        if (this.layerUse[lb] - (la === lb ? this.use[a] : 0) - this.use[b] > 0) continue;
        n = this.addMove(n, MOVE_MERGE, a, b);
      }
      if (this.use[a] > 1) n = this.addMove(n, MOVE_CLOSE, a, 0);
      if (this.cnt[a] < d.resNumber[a]) n = this.addMove(n, MOVE_COUNT, a, 1);
      if (this.cnt[a] > 1) n = this.addMove(n, MOVE_COUNT, a, -1);
    }
    return n;
  }

  private addMove(n: number, kind: number, a: number, b: number): number {
    this.moves[3 * n] = kind;
    this.moves[3 * n + 1] = a;
    this.moves[3 * n + 2] = b;
    return n + 1;
  }

  private countHosts(a: number): void {
    const d = this.d;
    this.hosts.fill(0);
    for (let c = 0; c < d.C; c++) {
      const dp = this.dep[c];
      for (let p = d.depPartStart[dp]; p < d.depPartStart[dp + 1]; p++) {
        if (this.res(p) !== a) continue;
        for (let k = d.partCandStart[p]; k < d.partCandStart[p + 1]; k++) this.hosts[d.candRes[k]]++;
      }
    }
  }

  private candidateOn(p: number, r: number): number {
    const d = this.d;
    for (let k = d.partCandStart[p]; k < d.partCandStart[p + 1]; k++) if (d.candRes[k] === r) return k;
    return -1;
  }

  applyMove(m: number): void {
    const d = this.d;
    const kind = this.moves[3 * m];
    const a = this.moves[3 * m + 1];
    const b = this.moves[3 * m + 2];
    this.dirtyRes.fill(0);
    this.dirtyComp.fill(0);
    this.undoLen = 0;
    if (kind === MOVE_RESOURCE || kind === MOVE_RESOURCE_SHRINK) {
      const from = this.res(a);
      this.setCandidate(a, b);
      this.dirtyRes[from] = 1;
      this.dirtyRes[d.candRes[b]] = 1;
      this.dirtyComp[d.partComp[a]] = 1;
      this.refreshLoads();
      this.fitCounts();
      if (kind === MOVE_RESOURCE_SHRINK) this.setCount(from, Math.max(this.minCount(from), this.cnt[from] - 1));
    } else if (kind === MOVE_CLOSE) {
      this.closeResource(a);
    } else if (kind === MOVE_DEPLOYMENT) {
      const old = this.dep[a];
      for (let p = d.depPartStart[old]; p < d.depPartStart[old + 1]; p++) this.dirtyRes[this.res(p)] = 1;
      this.log(UNDO_DEPLOYMENT, a, old);
      this.dep[a] = b;
      this.dirtyComp[a] = 1;
      this.tallyUse(a);
      let fromCloud = false;
      for (let i = d.predStart[a]; i < d.predStart[a + 1]; i++) if (this.offEdge[d.predComp[i]]) fromCloud = true;
      this.completeDeployment(a, fromCloud);
      for (let p = d.depPartStart[b]; p < d.depPartStart[b + 1]; p++) this.dirtyRes[this.res(p)] = 1;
      this.refreshLoads();
      this.fitCounts();
    } else if (kind === MOVE_MERGE) {
      for (let c = 0; c < d.C; c++) {
        const dp = this.dep[c];
        for (let p = d.depPartStart[dp]; p < d.depPartStart[dp + 1]; p++) {
          if (this.res(p) !== a) continue;
          this.setCandidate(p, this.candidateOn(p, b));
          this.dirtyComp[c] = 1;
        }
      }
      this.dirtyRes[a] = 1;
      this.dirtyRes[b] = 1;
      this.refreshLoads();
      this.fitCounts();
    } else {
      this.setCount(a, this.cnt[a] + b);
      this.dirtyRes[a] = 1;
    }
    this.refreshRest();
  }

  /** Every active partition off resource a, each to its cheapest other candidate (the wasm's closeResource). */
  private closeResource(a: number): void {
    const d = this.d;
    this.tallyUse(-1);
    this.layerUse[d.resLayer[a]] -= this.use[a];
    this.use[a] = 0;
    this.dirtyRes[a] = 1;
    for (let c = 0; c < d.C; c++) {
      const dp = this.dep[c];
      for (let p = d.depPartStart[dp]; p < d.depPartStart[dp + 1]; p++) {
        if (this.res(p) !== a) continue;
        const chosen = this.cheapestCandidate(p, false, a);
        if (chosen < 0) { this.use[a]++; this.layerUse[d.resLayer[a]]++; continue; }
        this.setCandidate(p, chosen);
        const r = d.candRes[chosen];
        this.use[r]++;
        if (d.resKind[r] !== FAAS) this.layerUse[d.resLayer[r]]++;
        this.dirtyRes[r] = 1;
        this.dirtyComp[c] = 1;
      }
    }
    this.refreshLoads();
    this.fitCounts();
  }

  private tallyUse(skip: number): void {
    const d = this.d;
    this.use.fill(0);
    this.layerUse.fill(0);
    for (let c = 0; c < d.C; c++) {
      if (c === skip) continue;
      const dp = this.dep[c];
      for (let p = d.depPartStart[dp]; p < d.depPartStart[dp + 1]; p++) {
        const r = this.res(p);
        this.use[r]++;
        if (d.resKind[r] !== FAAS) this.layerUse[d.resLayer[r]]++;
      }
    }
  }

  private fitCounts(): void {
    const d = this.d;
    for (let r = 0; r < d.R; r++) {
      if (!this.dirtyRes[r] || d.resKind[r] === FAAS) continue;
      if (this.use[r] === 0) this.setCount(r, 0);
      else this.setCount(r, Math.max(this.cnt[r], this.minCount(r)));
    }
  }

  undoMove(): void {
    for (let i = this.undoLen - 1; i >= 0; i--) {
      const kind = this.undoKind[i];
      const index = this.undoIndex[i];
      const old = this.undoOld[i];
      if (kind === UNDO_DEPLOYMENT) this.dep[index] = old;
      else if (kind === UNDO_CANDIDATE) this.cand[index] = old;
      else this.cnt[index] = old;
    }
    this.undoLen = 0;
    this.refreshLoads();
    this.refreshRest();
  }
}

/** engines/local-search.ts (best improvement) to a local optimum: returns the steps taken and the moves evaluated. */
export function twinLocalSearch(pb: TwinPlacement): { steps: number; movesEvaluated: number } {
  let steps = 0;
  let movesEvaluated = 0;
  for (;;) {
    const n = pb.listMoves();
    let chosen = -1;
    let bestViol = pb.totalViol;
    let bestCost = pb.totalCost;
    for (let m = 0; m < n; m++) {
      pb.applyMove(m);
      const v = pb.totalViol;
      const c = pb.totalCost;
      pb.undoMove();
      movesEvaluated++;
      if (better(v, c, bestViol, bestCost)) {
        chosen = m;
        bestViol = v;
        bestCost = c;
      }
    }
    if (chosen < 0) return { steps, movesEvaluated };
    pb.applyMove(chosen);
    steps++;
  }
}
