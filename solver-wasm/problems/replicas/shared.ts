import { nearlyEqual, Problem } from "../../engines/problem";
import { Rng } from "../../rng";
import { MoveList } from "../move-list";
import { SharedReplicaData } from "./data";

/**
 * What a capacity unit over the cluster weighs against a unit short of an SLO need. Over capacity is
 * the worse (pods past it do not run), but not by so much that the search cannot cross it: with
 * capacity weighted above every shortfall together, tight cases stuck on one short window.
 */
const CAPACITY_WEIGHT: f64 = 2;

/** The randomized construction lowers a service's own plan by one more replica than the repair needs with this chance. */
const DEEPER_CUT_CHANCE: f64 = 0.2;

/**
 * Replica counts per service and window under a shared cluster capacity. Cost: replica cost per
 * window plus each service's event cost whenever its count changes. Infeasibility, in capacity
 * units: the cluster's excess (weighted twice), each window below the replicas its SLO needs, and
 * each scaling event landing where the disturbance breaks the SLO. A move sets a stretch of one
 * service's windows to one count; its evaluation is incremental, touching only the windows it
 * changes and the boundaries after them.
 */
export class SharedReplicaProblem extends Problem {
  d: SharedReplicaData;
  /** replicas per service and window, s * T + t */
  r: StaticArray<i32>;
  /** capacity units used per window */
  used: StaticArray<f64>;
  costSum: f64 = 0;
  infeasSum: f64 = 0;
  constructions: i32 = 0;

  undoVar: StaticArray<i32>;
  undoOld: StaticArray<i32>;
  undoLen: i32 = 0;
  logging: bool = false;
  /** listed moves, 4 ints each: service, first window, last window, count */
  moves: MoveList;

  assertMode: bool = false;
  assertFailures: i32 = 0;

  slots: i32;
  slotData: StaticArray<i32>;
  slotScore: StaticArray<f64>;

  constructor(d: SharedReplicaData, slots: i32) {
    super();
    this.d = d;
    const n = d.S * d.T;
    this.r = new StaticArray<i32>(n);
    this.used = new StaticArray<f64>(d.T);
    this.undoVar = new StaticArray<i32>(d.T + 1);
    this.undoOld = new StaticArray<i32>(d.T + 1);
    this.moves = new MoveList(8 * n + 16);
    this.slots = slots;
    this.slotData = new StaticArray<i32>(slots * n);
    this.slotScore = new StaticArray<f64>(2 * slots);
    for (let i = 0; i < n; i++) this.r[i] = d.ownPlan[i];
    this.evaluateFull();
  }

  cost(): f64 { return this.costSum; }
  infeasibility(): f64 { return this.infeasSum; }

  /** The count before window t of service s: the window before, or the running count (-1: none). */
  @inline private before(s: i32, t: i32): i32 {
    return t == 0 ? this.d.current[s] : this.r[s * this.d.T + t - 1];
  }

  /** Event cost at the start of window t of service s. */
  @inline private boundaryCost(s: i32, t: i32): f64 {
    const prev = this.before(s, t);
    return prev >= 0 && prev != this.r[s * this.d.T + t] ? this.d.eventCost[s] : 0;
  }

  /** SLO shortfall of window t of service s: below its need, or an event where the disturbance breaks the SLO. */
  @inline private boundaryShortfall(s: i32, t: i32): f64 {
    const d = this.d;
    const i = s * d.T + t;
    const x = this.r[i];
    let short = max(0, d.need[i] - x);
    const prev = this.before(s, t);
    if (prev >= 0 && prev != x) short = max(short, d.needMoving[i] - x);
    return d.size[s] * <f64>short;
  }

  @inline private capacityExcess(t: i32): f64 {
    return CAPACITY_WEIGHT * max(0.0, this.used[t] - this.d.capacity);
  }

  evaluateFull(): void {
    const d = this.d;
    let cost: f64 = 0;
    let infeas: f64 = 0;
    for (let t = 0; t < d.T; t++) this.used[t] = 0;
    for (let s = 0; s < d.S; s++) {
      for (let t = 0; t < d.T; t++) {
        const x = this.r[s * d.T + t];
        this.used[t] += d.size[s] * <f64>x;
        cost += d.windowCost[s] * <f64>x + this.boundaryCost(s, t);
        infeas += this.boundaryShortfall(s, t);
      }
    }
    for (let t = 0; t < d.T; t++) infeas += this.capacityExcess(t);
    this.costSum = cost;
    this.infeasSum = infeas;
  }

  /** Sets window t of service s to x, moving the sums by what the window and the boundary after it change. */
  private set(s: i32, t: i32, x: i32): void {
    const d = this.d;
    const i = s * d.T + t;
    const old = this.r[i];
    if (old == x) return;
    if (this.logging) { this.undoVar[this.undoLen] = i; this.undoOld[this.undoLen] = old; this.undoLen++; }
    const last = t + 1 == d.T;
    this.costSum -= this.boundaryCost(s, t) + (last ? 0 : this.boundaryCost(s, t + 1));
    this.infeasSum -= this.boundaryShortfall(s, t) + (last ? 0 : this.boundaryShortfall(s, t + 1)) + this.capacityExcess(t);
    this.r[i] = x;
    this.used[t] += d.size[s] * <f64>(x - old);
    this.costSum += d.windowCost[s] * <f64>(x - old) + this.boundaryCost(s, t) + (last ? 0 : this.boundaryCost(s, t + 1));
    this.infeasSum += this.boundaryShortfall(s, t) + (last ? 0 : this.boundaryShortfall(s, t + 1)) + this.capacityExcess(t);
  }

  // ---------------------------------------------------------------- construction

  /**
   * Each service's own least-cost plan, then windows over capacity repaired: the service with the
   * most replicas above its need gives one up until the window fits (when none is above its need,
   * the one with most above its minimum). The first construction is this as is; later ones pick
   * the service at random and sometimes cut deeper.
   */
  construct(rng: Rng): void {
    const d = this.d;
    const randomized = this.constructions++ > 0;
    this.logging = false;
    for (let i = 0; i < d.S * d.T; i++) this.r[i] = d.ownPlan[i];
    this.evaluateFull();
    for (let t = 0; t < d.T; t++) {
      while (this.used[t] > d.capacity) {
        let s = this.giver(t, true, randomized ? rng : null);
        if (s < 0) s = this.giver(t, false, randomized ? rng : null);
        if (s < 0) break;
        const i = s * d.T + t;
        const floor = d.minReplicas[s];
        const cut = randomized && rng.nextFloat() < DEEPER_CUT_CHANCE ? 2 : 1;
        this.set(s, t, max(floor, this.r[i] - cut));
      }
    }
    this.undoLen = 0;
    this.evaluateFull();
  }

  /** A service that can give up a replica in window t (above its need, or else above its minimum): the one with most to give, or a random one. */
  private giver(t: i32, aboveNeed: bool, rng: Rng | null): i32 {
    const d = this.d;
    let best = -1;
    let bestSpare: f64 = 0;
    let seen = 0;
    for (let s = 0; s < d.S; s++) {
      const i = s * d.T + t;
      const spare = this.r[i] - (aboveNeed ? max(d.need[i], d.minReplicas[s]) : d.minReplicas[s]);
      if (spare <= 0) continue;
      if (rng) {
        seen++;
        if (rng.below(seen) == 0) best = s;
      } else if (d.size[s] * <f64>spare > bestSpare) {
        bestSpare = d.size[s] * <f64>spare;
        best = s;
      }
    }
    return best;
  }

  // ---------------------------------------------------------------- moves

  private addMove(n: i32, s: i32, a: i32, b: i32, x: i32): i32 {
    if (x < this.d.minReplicas[s] || x > this.d.maxReplicas[s]) return n;
    return this.moves.put(n, s, a, b, x);
  }

  /**
   * Per run of equal counts (windows a..b at x, the run before at p, the one after at q): the whole
   * run to x - 1, x + 1, p, q, or the most its windows need; every prefix to p or x - 1 and every
   * suffix to q or x - 1 (runs grow, shrink and split); and in a window over capacity, one replica fewer.
   */
  listMoves(): i32 {
    const d = this.d;
    let n = 0;
    for (let s = 0; s < d.S; s++) {
      const o = s * d.T;
      let a = 0;
      while (a < d.T) {
        const x = this.r[o + a];
        let b = a;
        let needMax = d.need[o + a];
        while (b + 1 < d.T && this.r[o + b + 1] == x) { b++; needMax = max(needMax, d.need[o + b]); }
        const p = a > 0 ? this.r[o + a - 1] : -1;
        const q = b + 1 < d.T ? this.r[o + b + 1] : -1;
        n = this.addMove(n, s, a, b, x - 1);
        n = this.addMove(n, s, a, b, x + 1);
        if (p >= 0 && p != x - 1 && p != x + 1) n = this.addMove(n, s, a, b, p);
        if (q >= 0 && q != x - 1 && q != x + 1 && q != p) n = this.addMove(n, s, a, b, q);
        if (needMax != x && needMax != x - 1 && needMax != x + 1 && needMax != p && needMax != q) n = this.addMove(n, s, a, b, needMax);
        for (let t = a; t < b; t++) {
          if (p >= 0) n = this.addMove(n, s, a, t, p);
          if (p != x - 1) n = this.addMove(n, s, a, t, x - 1);
        }
        for (let t = a + 1; t <= b; t++) {
          if (q >= 0) n = this.addMove(n, s, t, b, q);
          if (q != x - 1) n = this.addMove(n, s, t, b, x - 1);
          if (t < b && this.used[t] > d.capacity) n = this.addMove(n, s, t, t, x - 1);
        }
        a = b + 1;
      }
    }
    return n;
  }

  attributeCount(): i32 { return this.d.S * this.d.T; }

  /** The first window a move sets. */
  moveAttribute(m: i32): i32 { return this.moves.get(m, 0) * this.d.T + this.moves.get(m, 1); }

  /** Each window whose count differs from the guide's takes the guide's count. */
  listMovesToward(slot: i32): i32 {
    const d = this.d;
    const o = slot * d.S * d.T;
    let n = 0;
    for (let s = 0; s < d.S; s++) {
      for (let t = 0; t < d.T; t++) {
        const x = this.slotData[o + s * d.T + t];
        if (x != this.r[s * d.T + t]) n = this.addMove(n, s, t, t, x);
      }
    }
    return n;
  }

  applyMove(m: i32): void {
    const s = this.moves.get(m, 0);
    const b = this.moves.get(m, 2);
    const x = this.moves.get(m, 3);
    this.undoLen = 0;
    this.logging = true;
    for (let t = this.moves.get(m, 1); t <= b; t++) this.set(s, t, x);
    this.logging = false;
    if (this.assertMode) this.checkIncremental();
  }

  undoMove(): void {
    const T = this.d.T;
    for (let k = this.undoLen - 1; k >= 0; k--) {
      const i = this.undoVar[k];
      this.set(i / T, i % T, this.undoOld[k]);
    }
    this.undoLen = 0;
    if (this.assertMode) this.checkIncremental();
  }

  /** Compares the incremental sums with a full evaluation; counts disagreements. */
  private checkIncremental(): void {
    const cost = this.costSum;
    const infeas = this.infeasSum;
    this.evaluateFull();
    if (!nearlyEqual(cost, this.costSum) || !nearlyEqual(infeas, this.infeasSum)) this.assertFailures++;
  }

  // ---------------------------------------------------------------- slots

  slotCount(): i32 { return this.slots; }

  saveSlot(slot: i32): void {
    const n = this.d.S * this.d.T;
    for (let i = 0; i < n; i++) this.slotData[slot * n + i] = this.r[i];
    this.slotScore[2 * slot] = this.infeasSum;
    this.slotScore[2 * slot + 1] = this.costSum;
  }

  loadSlot(slot: i32): void {
    const n = this.d.S * this.d.T;
    for (let i = 0; i < n; i++) this.r[i] = this.slotData[slot * n + i];
    this.undoLen = 0;
    this.evaluateFull();
  }

  slotInfeasibility(slot: i32): f64 { return this.slotScore[2 * slot]; }
  slotCost(slot: i32): f64 { return this.slotScore[2 * slot + 1]; }

  distance(a: i32, b: i32): i32 {
    const n = this.d.S * this.d.T;
    let k = 0;
    for (let i = 0; i < n; i++) if (this.slotData[a * n + i] != this.slotData[b * n + i]) k++;
    return k;
  }
}
