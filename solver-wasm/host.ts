// Functions the host (a worker thread) provides to the engines.

/** Milliseconds from a monotonic clock. */
@external("env", "nowMs")
export declare function nowMs(): f64;

/** True once the host has asked the search to stop (client cancel, deadline). */
@external("env", "stopRequested")
export declare function stopRequested(): bool;

/** A progress event: phase id, iteration, best cost and infeasibility, elapsed milliseconds. */
@external("env", "progress")
export declare function progress(phase: i32, iteration: f64, cost: f64, infeasibility: f64, elapsedMs: f64): void;
