import { nowMs, stopRequested, progress } from "./host";

export const STOP_NONE: i32 = 0;
export const STOP_ITERATIONS: i32 = 1;
export const STOP_TIME: i32 = 2;
export const STOP_HOST: i32 = 3;
export const STOP_CONVERGED: i32 = 4;
export const STOP_UNIMPROVED: i32 = 5;
export const STOP_TARGET: i32 = 6;

/**
 * Termination and progress shared by every engine, combinable: iterations, wall clock, time without
 * improvement, a target cost reached by a feasible solution, the host's stop flag.
 * Progress always describes the best solution so far (what the engine last passed to improved()).
 */
export class Budget {
  iterations: f64 = 0;
  reason: i32 = STOP_NONE;
  phase: i32 = 0;
  bestCost: f64 = Infinity;
  bestInfeasibility: f64 = Infinity;
  maxUnimprovedMs: f64 = Infinity;
  targetCost: f64 = -Infinity;
  readonly start: f64;
  private lastImprovement: f64 = 0;
  private lastReport: f64 = -1e300;
  private pending: bool = false;
  private checks: i32 = 0;

  constructor(public maxIterations: f64, public maxMillis: f64, public reportEveryMs: f64, public heartbeatMs: f64) {
    this.start = nowMs();
  }

  elapsed(): f64 {
    return nowMs() - this.start;
  }

  /** Counts one iteration; true when the search must stop. */
  tick(): bool {
    this.iterations += 1;
    return this.exhausted();
  }

  /**
   * True when the search must stop. Clock and host flag are read every 32 calls, and a due report is
   * sent then: a new best not yet reported, or a heartbeat when nothing was sent for heartbeatMs (so
   * that a watcher tells a working search from a hung one).
   */
  exhausted(): bool {
    if (this.reason != STOP_NONE) return true;
    if (this.iterations >= this.maxIterations) { this.reason = STOP_ITERATIONS; return true; }
    if ((this.checks++ & 31) == 0) {
      if (stopRequested()) { this.reason = STOP_HOST; return true; }
      const now = this.elapsed();
      if (now >= this.maxMillis) { this.reason = STOP_TIME; return true; }
      if (now - this.lastImprovement >= this.maxUnimprovedMs) { this.reason = STOP_UNIMPROVED; return true; }
      const quiet = now - this.lastReport;
      if ((this.pending && quiet >= this.reportEveryMs) || quiet >= this.heartbeatMs) this.send(now);
    }
    return false;
  }

  /** Records a new best solution; it is reported at once unless a report went out less than reportEveryMs ago. */
  improved(cost: f64, infeasibility: f64): void {
    this.bestCost = cost;
    this.bestInfeasibility = infeasibility;
    this.pending = true;
    const now = this.elapsed();
    this.lastImprovement = now;
    if (infeasibility == 0 && cost <= this.targetCost && this.reason == STOP_NONE) this.reason = STOP_TARGET;
    if (now - this.lastReport >= this.reportEveryMs) this.send(now);
  }

  /** Sends the final report. */
  finish(phase: i32): void {
    this.phase = phase;
    this.send(this.elapsed());
  }

  private send(now: f64): void {
    this.lastReport = now;
    this.pending = false;
    progress(this.phase, this.iterations, this.bestCost, this.bestInfeasibility, now);
  }
}
