import type { EncodedPlacement } from '../placement/encode.js';
import { instantiateSolver, type HostHooks, type SolverBuild, type SolverExports } from './solver-module.js';

/** The wasm engines; see solver-wasm/engines/driver.ts. */
export type SearchMethod = 'rg' | 'ls' | 'rg+ls' | 'ts' | 'sa' | 'pr' | 'auto';
export const SEARCH_METHODS: SearchMethod[] = ['rg', 'ls', 'rg+ls', 'ts', 'sa', 'pr', 'auto'];
const METHOD: Record<SearchMethod, number> = { rg: 1, ls: 2, 'rg+ls': 3, ts: 4, sa: 5, pr: 6, auto: 7 };

export const PHASES = ['', 'construct', 'local_search', 'restart', 'done', 'tabu', 'annealing', 'relinking'] as const;
export const STOP_REASONS = ['none', 'iterations', 'time', 'stopped', 'converged', 'unimproved', 'target'] as const;
const STATS = ['movesEvaluated', 'restarts', 'relinkPaths', 'relinkImprovedBest', 'relinkEnteredElite', 'tabuAspirations', 'saAcceptedWorse', 'saReheats'] as const;
export type EngineStats = Record<(typeof STATS)[number], number>;
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

/** Engine parameters; an absent one takes its default (or is derived from the instance). */
export interface EngineParams {
  /** random greedy constructions before the improving engine starts (default 1000) */
  greedyIterations?: number;
  /** most random moves in a kick of the best solution (default 6) */
  kickMoves?: number;
  /** tabu tenure in steps (default: attributes / 8, within 5..20) */
  tabuTenure?: number;
  /** moves sampled per tabu step when the neighbourhood is larger (default 200) */
  candidateList?: number;
  /** annealing start temperature (default: from sampled uphill moves) */
  saStartTemperature?: number;
  saCooling?: 'geometric' | 'linear';
  /** geometric cooling factor per temperature level (default 0.95) */
  saAlpha?: number;
  /** temperature levels without a new best before a reheat (default 30) */
  saReheatAfter?: number;
  prDirection?: 'forward' | 'backward' | 'mixed';
}

export interface SearchOptions extends EngineParams {
  method: SearchMethod;
  /** solutions kept in the elite set (default 8) */
  eliteSize?: number;
  seed: number;
  seconds: number;
  maxIterations?: number;
  /** stop after this long without a new best */
  maxUnimprovedSeconds?: number;
  /** stop once a feasible solution costs at most this */
  targetCost?: number;
  reportEveryMs?: number;
}

/** The wasm decision: global deployment index per component, candidate per partition, count per resource. */
export interface WasmDecision {
  dep: Int32Array;
  cand: Int32Array;
  cnt: Int32Array;
}

export interface SearchResult extends WasmDecision {
  stats: EngineStats;
  cost: number;
  infeasibility: number;
  iterations: number;
  elapsedMs: number;
  stopReason: StopReason;
}

/** The parameter array in the order of solver-wasm/engines/params.ts. */
const PARAMS: ((o: SearchOptions) => number)[] = [
  (o) => METHOD[o.method],
  (o) => o.seed,
  (o) => o.maxIterations ?? Infinity,
  (o) => o.seconds * 1000,
  (o) => o.reportEveryMs ?? 100,
  (o) => o.greedyIterations ?? 1000,
  (o) => o.kickMoves ?? 6,
  (o) => (o.maxUnimprovedSeconds ?? Infinity) * 1000,
  (o) => o.targetCost ?? -Infinity,
  (o) => o.tabuTenure ?? 0,
  (o) => o.candidateList ?? 0,
  (o) => o.saStartTemperature ?? 0,
  (o) => (o.saCooling === 'linear' ? 1 : 0),
  (o) => o.saAlpha ?? 0.95,
  (o) => o.saReheatAfter ?? 30,
  (o) => ({ forward: 0, backward: 1, mixed: 2 })[o.prDirection ?? 'mixed'],
];

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
      this.view(Float64Array, this.wasm.paramsPtr(), PARAMS.length).set(PARAMS.map((read) => read(opts)));
      const reason = this.wasm.placementSolve();
      const counters = this.view(Float64Array, this.wasm.statsPtr(), STATS.length);
      return {
        ...this.decision(),
        stats: Object.fromEntries(STATS.map((k, i) => [k, counters[i]])) as EngineStats,
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
