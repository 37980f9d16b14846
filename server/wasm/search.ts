import { instantiateSolver, type HostHooks, type SolverBuild, type SolverExports } from './solver-module.js';

/** The wasm engines; see solver-wasm/engines/driver.ts. */
export type SearchMethod = 'rg' | 'ls' | 'rg+ls' | 'ts' | 'sa' | 'pr' | 'auto';
export const SEARCH_METHODS: SearchMethod[] = ['rg', 'ls', 'rg+ls', 'ts', 'sa', 'pr', 'auto'];
const METHOD: Record<SearchMethod, number> = { rg: 1, ls: 2, 'rg+ls': 3, ts: 4, sa: 5, pr: 6, auto: 7 };

export const PHASES = ['', 'construct', 'local_search', 'restart', 'done', 'tabu', 'annealing', 'relinking'] as const;
export const STOP_REASONS = ['none', 'iterations', 'time', 'stopped', 'converged', 'unimproved', 'target'] as const;
export const STATS = ['movesEvaluated', 'restarts', 'relinkPaths', 'relinkImprovedBest', 'relinkEnteredElite', 'tabuAspirations', 'saAcceptedWorse', 'saReheats'] as const;
export type EngineStats = Record<(typeof STATS)[number], number>;
export type StopReason = (typeof STOP_REASONS)[number];

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
  /** geometric cooling factor per temperature level (default 0.99) */
  saAlpha?: number;
  /** temperature levels without a new best before a reheat (default 300) */
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
  /** a progress report at least this often, improved or not (default 1000) */
  heartbeatMs?: number;
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
  // slow cooling, long patience: at 0.95 and 30 levels the walk left each temperature too soon and
  // missed basins that one constant temperature reaches (Light/15Components/Ins3 and Ins8)
  (o) => o.saAlpha ?? 0.99,
  (o) => o.saReheatAfter ?? 300,
  (o) => ({ forward: 0, backward: 1, mixed: 2 })[o.prDirection ?? 'mixed'],
  (o) => o.heartbeatMs ?? 1000,
];

/** How a search ended, with the engines' counters. */
export interface SearchOutcome {
  stats: EngineStats;
  iterations: number;
  elapsedMs: number;
  stopReason: StopReason;
}

/** A raw progress event from the engines: phase, iteration, best cost and infeasibility, elapsed time. */
export type RawProgress = (phase: string, iteration: number, cost: number, infeasibility: number, elapsedMs: number) => void;

/**
 * A wasm solver instance for one loaded problem: writes the input once into wasm memory, runs the
 * engines on it, and relays the host hooks (stop flag, progress) for the duration of a search.
 */
export class WasmSearch {
  readonly wasm: SolverExports;
  private shouldStop: () => boolean = () => false;
  private onProgress: RawProgress = () => {};

  constructor(build: SolverBuild = 'release') {
    const hooks: HostHooks = {
      shouldStop: () => this.shouldStop(),
      onProgress: (phase, iteration, cost, infeasibility, elapsedMs) => this.onProgress(PHASES[phase] ?? String(phase), iteration, cost, infeasibility, elapsedMs),
    };
    this.wasm = instantiateSolver(hooks, build);
  }

  /** Copies the encoded input into wasm memory and lets `load` (a problem's loader export) read it. */
  load(ints: Int32Array, floats: Float64Array, load: () => number): void {
    const ip = this.wasm.allocInputInts(ints.length);
    this.view(Int32Array, ip, ints.length).set(ints);
    const fp = this.wasm.allocInputFloats(floats.length);
    this.view(Float64Array, fp, floats.length).set(floats);
    if (!load()) throw new Error('the encoded input does not match the layout the solver reads');
  }

  /** Runs the engines on the loaded problem; its best solution stays loaded. */
  run(opts: SearchOptions, hooks: { shouldStop?: () => boolean; onProgress?: RawProgress } = {}): SearchOutcome {
    this.shouldStop = hooks.shouldStop ?? (() => false);
    this.onProgress = hooks.onProgress ?? (() => {});
    try {
      this.view(Float64Array, this.wasm.paramsPtr(), PARAMS.length).set(PARAMS.map((read) => read(opts)));
      const reason = this.wasm.searchSolve();
      const counters = this.view(Float64Array, this.wasm.statsPtr(), STATS.length);
      return {
        stats: Object.fromEntries(STATS.map((k, i) => [k, counters[i]])) as EngineStats,
        iterations: this.wasm.searchIterations(),
        elapsedMs: this.wasm.searchElapsedMs(),
        stopReason: STOP_REASONS[reason],
      };
    } finally {
      this.shouldStop = () => false;
      this.onProgress = () => {};
    }
  }

  /**
   * Direct access to a problem's move machinery (its exports named `prefix` + Construct, ListMoves,
   * ...), for tests of the incremental evaluation.
   */
  moveMachinery(prefix: 'placement' | 'gpu' | 'replicas') {
    const w = this.wasm;
    const call = (name: string, ...args: number[]) => w[`${prefix}${name}`](...args);
    return {
      construct: (seed: number) => call('Construct', seed),
      list: () => call('ListMoves'),
      apply: (m: number) => call('ApplyMove', m),
      undo: () => call('UndoMove'),
      cost: () => call('Cost'),
      infeasibility: () => call('Infeasibility'),
      setAssertMode: (on: boolean) => call('SetAssertMode', on ? 1 : 0),
      assertFailures: () => call('AssertFailures'),
    };
  }

  /** A typed view of wasm memory (valid until the memory grows). */
  view<T extends Int32Array | Float64Array>(kind: { new (b: ArrayBuffer, o: number, n: number): T }, ptr: number, n: number): T {
    return new kind(this.wasm.memory.buffer, ptr, n);
  }
}
