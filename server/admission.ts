import { requestStop, stopRequested } from './stop-flag.js';
import { StoppedError, type StopCause } from './stopped-error.js';

/** Refused at once: the queue is full, or the work ahead leaves too little time before the call's deadline. */
export class OverloadedError extends Error {
  override name = 'OverloadedError';
  /** when to try again, in milliseconds: 10 ms to a minute */
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number) {
    super(message);
    this.retryAfterMs = Math.min(60_000, Math.max(10, Number.isFinite(retryAfterMs) ? Math.ceil(retryAfterMs) : 60_000));
  }
}

/** Work for one worker thread, described so that it can be admitted, cut to its deadline and started. */
export interface Work<T> {
  /** the search seconds the work asks for; Infinity when it runs until done (a replay) */
  seconds: number;
  /** true when a shorter budget still answers (a search returns its best so far); false when the work must run whole */
  cuttable: boolean;
  /** epoch milliseconds by which the answer must be sent; Infinity without a deadline */
  deadline: number;
  /** the work's shared stop flag */
  stop: SharedArrayBuffer;
  /** starts the work with `seconds` of budget (for cuttable work, cut to what the deadline leaves) */
  start(seconds: number): Promise<T>;
}

/** The part of a work that admission reads. */
type Budgeted = Pick<Work<unknown>, 'seconds' | 'cuttable' | 'deadline'>;

/** A search shorter than this is not worth starting: a queued call that can no longer get it is refused. */
export const MIN_SEARCH_S = 0.05;

const NOT_STARTED = 'the server is shutting down; the call was not started: retry on another replica';
const WITHDRAWN = 'the call was cancelled while it waited for a worker';

/** A queued search must start in time to get this share of the budget it would get on an idle server (the rest is slack for estimates). */
const ADMIT_SHARE = 0.95;

/** The time kept back from a deadline for what follows the search (decode, evaluate, send): a quarter of what is left, at most 200 ms. */
export function answerMarginMs(leftMs: number): number {
  return Math.min(200, Math.max(0, leftMs) / 4);
}

/** The seconds of work that fit in what is left before a deadline, once the answer's margin is kept back. */
function usableSeconds(leftMs: number): number {
  return (leftMs - answerMarginMs(leftMs)) / 1000;
}

interface Entry {
  work: Work<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
  /** the budget it was started with, and when (running entries only) */
  granted?: number;
  startedAt?: number;
  cause?: StopCause;
  timer?: NodeJS.Timeout;
}

/**
 * Admission to the worker threads: at most `workers` works run at once, at most `maxQueue` wait,
 * in arrival order. A work's budget is cut to its deadline when it starts, not when it arrives.
 * A call is refused at once (OverloadedError, with a retry hint) when the queue is full or when the
 * work queued ahead, at its known budgets, would keep it from the search it would get on an idle
 * server (or, for work that must run whole, from ending before its deadline). Should estimates
 * prove short, a queued search still starts while MIN_SEARCH_S fits before its deadline.
 */
export class Admission {
  private readonly queue: Entry[] = [];
  private readonly running = new Set<Entry>();
  private closing = false;
  private drained: () => void = () => {};
  /** what a work takes beyond its budget (thread hand-over, decode), learnt from the works that ended */
  private overheadMs = 10;

  /** `onStop` hears each running work asked to stop, with the cause */
  constructor(readonly workers: number, readonly maxQueue: number, private readonly onStop: (cause: StopCause) => void = () => {}) {
    if (!(Number.isInteger(workers) && workers >= 1)) throw new Error(`workers must be a whole number >= 1, not ${workers}`);
    if (!(Number.isInteger(maxQueue) && maxQueue >= 0)) throw new Error(`maxQueue must be a whole number >= 0, not ${maxQueue}`);
  }

  /**
   * Refuses at once (OverloadedError) what submit would refuse for its place in the queue: a check
   * to make before reading a request, from its budget and deadline alone, so that shedding load
   * costs no parsing. `seconds` that are not a valid budget skip the deadline check (the request's
   * validation will refuse them).
   */
  refuseEarly(work: Budgeted): void {
    if (this.closing) throw new StoppedError(NOT_STARTED, 'shutdown');
    const now = Date.now();
    const startsIn = this.startDelayMs(now);
    if (this.running.size >= this.workers && this.queue.length >= this.maxQueue) {
      throw new OverloadedError(`the queue is full (${this.queue.length} calls waiting for ${this.workers} worker${this.workers === 1 ? '' : 's'}); ${retryIn(startsIn)}`, startsIn);
    }
    if (!(work.seconds > 0)) return;
    const shortfall = this.shortfallMs(work, now, now + startsIn);
    if (shortfall > 0) {
      const ahead = Number.isFinite(startsIn) ? `about ${seconds(startsIn)} s before a worker is free` : 'every worker runs a replay of unknown length';
      throw new OverloadedError(
        `the work queued ahead (${ahead}) leaves too little of the deadline (${seconds(work.deadline - now)} s) ` +
        `for ${work.cuttable ? 'the search this call asks for' : 'this work'}; ${retryIn(shortfall)} or with a later deadline`, shortfall);
    }
  }

  /** Queues a work, or refuses it at once; resolves with its result. */
  submit<T>(work: Work<T>): Promise<T> {
    if (stopRequested(work.stop)) return Promise.reject(new StoppedError('the call was cancelled before it started', 'cancelled'));
    try {
      this.refuseEarly(work);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<T>((resolve, reject) => {
      const entry: Entry = { work, resolve: resolve as (v: unknown) => void, reject };
      this.queue.push(entry);
      this.pump();
    });
  }

  /** Cancels the work holding this stop flag: withdrawn when queued, asked to stop when running. */
  cancel(stop: SharedArrayBuffer): void {
    const i = this.queue.findIndex((e) => e.work.stop === stop);
    if (i >= 0) {
      const [entry] = this.queue.splice(i, 1);
      requestStop(stop);
      entry.reject(new StoppedError(WITHDRAWN, 'cancelled'));
      return;
    }
    for (const e of this.running) if (e.work.stop === stop) this.halt(e, 'cancelled');
  }

  /** Refuses what waits (retryable elsewhere), asks what runs to stop (searches answer their best), and waits for it to end. */
  async close(): Promise<void> {
    this.closing = true;
    for (const e of this.queue.splice(0)) e.reject(new StoppedError(NOT_STARTED, 'shutdown'));
    if (this.running.size === 0) return;
    const drained = new Promise<void>((resolve) => { this.drained = resolve; });
    for (const e of this.running) this.halt(e, 'shutdown');
    await drained;
  }

  /** Starts queued works while workers are free. */
  private pump(): void {
    while (this.running.size < this.workers && this.queue.length > 0) {
      const entry = this.queue.shift()!;
      const { work } = entry;
      if (stopRequested(work.stop)) {
        entry.reject(new StoppedError(WITHDRAWN, 'cancelled'));
        continue;
      }
      const now = Date.now();
      const granted = this.grant(work, now);
      if (granted === null) {
        entry.reject(new OverloadedError(`the call waited past what its deadline allows (${seconds(work.deadline - now)} s left); retry with a later deadline`, 0));
        continue;
      }
      entry.granted = granted;
      entry.startedAt = now;
      this.running.add(entry);
      if (Number.isFinite(work.deadline)) {
        // a safety net: searches end within their cut budget; work that runs whole is stopped at the deadline
        entry.timer = setTimeout(() => this.halt(entry, 'deadline'), Math.max(0, work.deadline - now - answerMarginMs(work.deadline - now) / 2));
      }
      let started: Promise<unknown>;
      try {
        started = work.start(granted);
      } catch (err) {
        started = Promise.reject(err);
      }
      started.then(
        (value) => this.finish(entry, () => entry.resolve(value)),
        (err) => this.finish(entry, () => entry.reject(entry.cause && stopRequested(work.stop) ? new StoppedError(stoppedMessage(entry.cause, err), entry.cause) : err)),
      );
    }
  }

  private finish(entry: Entry, settle: () => void): void {
    clearTimeout(entry.timer);
    this.running.delete(entry);
    if (Number.isFinite(entry.granted) && entry.startedAt !== undefined) {
      const beyond = Math.max(0, Date.now() - entry.startedAt - entry.granted! * 1000);
      this.overheadMs = 0.9 * this.overheadMs + 0.1 * beyond;
    }
    settle();
    this.pump();
    if (this.closing && this.running.size === 0) this.drained();
  }

  /** Calls waiting for a worker. */
  get queued(): number {
    return this.queue.length;
  }

  /** Workers running a call. */
  get busy(): number {
    return this.running.size;
  }

  private halt(entry: Entry, cause: StopCause): void {
    if (entry.cause === undefined) this.onStop(cause);
    entry.cause ??= cause;
    requestStop(entry.work.stop);
  }

  /** The budget a work gets if it starts at `at`, or null when what its deadline leaves is too little to start it. */
  private grant(work: Budgeted, at: number): number | null {
    if (!Number.isFinite(work.deadline)) return work.seconds;
    const usable = usableSeconds(work.deadline - at);
    if (work.cuttable) {
      const granted = Math.min(work.seconds, usable);
      return granted >= Math.min(work.seconds, MIN_SEARCH_S) ? granted : null;
    }
    if (!Number.isFinite(work.seconds)) return usable > 0 ? work.seconds : null;
    return work.seconds <= usable ? work.seconds : null;
  }

  /**
   * How much later than its latest admissible start a work arriving at `now` would start at `at`: 0
   * when it may be queued. A search is admitted when it would get the budget it gets on an idle
   * server (its own, or what its deadline leaves), bar estimation slack; work that runs whole, when it
   * would end before its deadline; a replay, when it would start before it.
   */
  private shortfallMs(work: Budgeted, now: number, at: number): number {
    if (!Number.isFinite(work.deadline)) return 0;
    let needMs: number;
    if (work.cuttable) needMs = 1000 * Math.max(Math.min(work.seconds, MIN_SEARCH_S), ADMIT_SHARE * Math.min(work.seconds, usableSeconds(work.deadline - now)));
    else needMs = Number.isFinite(work.seconds) ? 1000 * work.seconds : 1;
    // the least time left that holds the need and the answer's margin (a quarter of it, at most 200 ms)
    const leastLeft = (needMs * 4) / 3 < 800 ? (needMs * 4) / 3 : needMs + 200;
    return Math.max(0, Math.ceil(at - (work.deadline - leastLeft)));
  }

  /** When a worker would be free for a call arriving now: the running works' ends, then the queued ones in order. */
  private startDelayMs(now: number): number {
    const free: number[] = [...this.running].map((e) => e.startedAt! + e.granted! * 1000 + this.overheadMs);
    while (free.length < this.workers) free.push(now);
    for (const e of this.queue) {
      free.sort((a, b) => a - b);
      const at = Math.max(now, free[0]);
      const granted = this.grant(e.work, at) ?? 0;
      free[0] = at + granted * 1000 + this.overheadMs;
    }
    free.sort((a, b) => a - b);
    return Math.max(0, free[0] - now);
  }
}

const seconds = (ms: number) => (Math.max(0, ms) / 1000).toFixed(2);

/** The retry advice of a refusal, for a wait of `ms` (unknown while replays hold every worker). */
const retryIn = (ms: number) => (Number.isFinite(ms) ? `retry in about ${seconds(ms)} s` : 'retry later: every worker runs a replay of unknown length');

/** Why a work was stopped, with what it had done (the worker's own message). */
function stoppedMessage(cause: StopCause, err: unknown): string {
  const done = err instanceof Error && err.message ? ` (${err.message})` : '';
  if (cause === 'deadline') return `the call reached its deadline before the work could finish${done}`;
  if (cause === 'shutdown') return `the server is shutting down; the work was stopped${done}: retry on another replica`;
  return `the call was cancelled${done}`;
}
