import type { EncodedPlacement } from '../placement/encode.js';
import { instantiateSolver, type HostHooks, type SolverBuild, type SolverExports } from './solver-module.js';

export type PlacementMethod = 'rg' | 'ls' | 'rg+ls';
const METHOD: Record<PlacementMethod, number> = { rg: 1, ls: 2, 'rg+ls': 3 };

export const PHASES = ['', 'construct', 'local_search', 'restart', 'done'] as const;
export const STOP_REASONS = ['none', 'iterations', 'time', 'stopped', 'converged'] as const;
export type StopReason = (typeof STOP_REASONS)[number];

/** A progress event: the best solution so far, its score, and where the search is. */
export interface Progress {
  phase: string;
  iteration: number;
  cost: number;
  infeasibility: number;
  elapsedMs: number;
  best: WasmDecision;
}

export interface SearchOptions {
  method: PlacementMethod;
  seed: number;
  seconds: number;
  maxIterations?: number;
  /** constructions before local search starts (rg+ls) */
  greedyIterations?: number;
  reportEveryMs?: number;
}

/** The wasm decision: global deployment index per component, candidate per partition, count per resource. */
export interface WasmDecision {
  dep: Int32Array;
  cand: Int32Array;
  cnt: Int32Array;
}

export interface SearchResult extends WasmDecision {
  cost: number;
  infeasibility: number;
  iterations: number;
  elapsedMs: number;
  stopReason: StopReason;
}

/** One placement instance loaded into a wasm instance: solve, or evaluate decisions written into it. */
export class PlacementSolver {
  private readonly wasm: SolverExports;
  private readonly sizes: { C: number; P: number; R: number; G: number };
  private shouldStop: () => boolean = () => false;
  private onProgress: (p: Progress) => void = () => {};

  constructor(encoded: EncodedPlacement, eliteSize = 8, build: SolverBuild = 'release') {
    const hooks: HostHooks = {
      shouldStop: () => this.shouldStop(),
      onProgress: (phase, iteration, cost, infeasibility, elapsedMs) =>
        this.onProgress({ phase: PHASES[phase] ?? String(phase), iteration, cost, infeasibility, elapsedMs, best: this.best() }),
    };
    this.wasm = instantiateSolver(hooks, build);
    const ints = this.wasm.allocInputInts(encoded.ints.length);
    new Int32Array(this.wasm.memory.buffer, ints, encoded.ints.length).set(encoded.ints);
    const floats = this.wasm.allocInputFloats(encoded.floats.length);
    new Float64Array(this.wasm.memory.buffer, floats, encoded.floats.length).set(encoded.floats);
    if (!this.wasm.placementLoad(eliteSize)) throw new Error('the encoded placement does not match the layout the solver reads');
    this.sizes = encoded.sizes;
  }

  /** Searches with the given engine and budget; the best decision found stays loaded. */
  solve(opts: SearchOptions, hooks: { shouldStop?: () => boolean; onProgress?: (p: Progress) => void } = {}): SearchResult {
    this.shouldStop = hooks.shouldStop ?? (() => false);
    this.onProgress = hooks.onProgress ?? (() => {});
    try {
      const reason = this.wasm.placementSolve(
        METHOD[opts.method], opts.seed, opts.maxIterations ?? Infinity, opts.seconds * 1000,
        opts.reportEveryMs ?? 100, opts.greedyIterations ?? 1000,
      );
      return {
        ...this.decision(),
        cost: this.wasm.placementCost(),
        infeasibility: this.wasm.placementInfeasibility(),
        iterations: this.wasm.placementIterations(),
        elapsedMs: this.wasm.placementElapsedMs(),
        stopReason: STOP_REASONS[reason],
      };
    } finally {
      this.shouldStop = () => false;
      this.onProgress = () => {};
    }
  }

  /** A copy of the current decision. */
  decision(): WasmDecision {
    const { C, P, R } = this.sizes;
    return {
      dep: this.view(Int32Array, this.wasm.placementDeploymentPtr(), C).slice(),
      cand: this.view(Int32Array, this.wasm.placementCandidatePtr(), P).slice(),
      cnt: this.view(Int32Array, this.wasm.placementCountPtr(), R).slice(),
    };
  }

  /** A copy of the best decision so far (slot 0 of the search). */
  private best(): WasmDecision {
    const { C, P, R } = this.sizes;
    const all = this.view(Int32Array, this.wasm.placementBestPtr(), C + P + R).slice();
    return { dep: all.subarray(0, C), cand: all.subarray(C, C + P), cnt: all.subarray(C + P) };
  }

  /** Writes a decision and evaluates it from scratch. */
  evaluate(d: WasmDecision): { cost: number; infeasibility: number; componentTimes: Float64Array; pathTimes: Float64Array } {
    const { C, P, R, G } = this.sizes;
    this.view(Int32Array, this.wasm.placementDeploymentPtr(), C).set(d.dep);
    this.view(Int32Array, this.wasm.placementCandidatePtr(), P).set(d.cand);
    this.view(Int32Array, this.wasm.placementCountPtr(), R).set(d.cnt);
    this.wasm.placementEvaluate();
    return {
      cost: this.wasm.placementCost(),
      infeasibility: this.wasm.placementInfeasibility(),
      componentTimes: this.view(Float64Array, this.wasm.placementComponentTimesPtr(), C).slice(),
      pathTimes: this.view(Float64Array, this.wasm.placementPathTimesPtr(), G).slice(),
    };
  }

  /** Direct access to the move machinery, for tests of the incremental evaluation. */
  get moves() {
    const w = this.wasm;
    return {
      construct: (seed: number) => w.placementConstruct(seed),
      list: () => w.placementListMoves(),
      apply: (m: number) => w.placementApplyMove(m),
      undo: () => w.placementUndoMove(),
      cost: () => w.placementCost(),
      infeasibility: () => w.placementInfeasibility(),
      setAssertMode: (on: boolean) => w.placementSetAssertMode(on ? 1 : 0),
      assertFailures: () => w.placementAssertFailures(),
    };
  }

  private view<T extends Int32Array | Float64Array>(kind: { new (b: ArrayBuffer, o: number, n: number): T }, ptr: number, n: number): T {
    return new kind(this.wasm.memory.buffer, ptr, n);
  }
}
