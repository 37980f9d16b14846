import type { EncodedPlacement } from '../placement/encode.js';
import type { SolverBuild } from './solver-module.js';
import { WasmSearch, type EngineStats, type SearchOptions, type StopReason } from './search.js';

/** A progress event: the best solution so far, its score, and where the search is. */
export interface Progress {
  phase: string;
  iteration: number;
  cost: number;
  infeasibility: number;
  elapsedMs: number;
  best: WasmDecision;
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
  /** the wasm instance's memory and the process's resident set when the search ended */
  memory: { wasmPages: number; rssBytes: number };
}

/** One placement instance loaded into a wasm instance: solve, or evaluate decisions written into it. */
export class PlacementSolver {
  private readonly search: WasmSearch;
  private readonly wasm: WasmSearch['wasm'];
  private readonly sizes: { C: number; P: number; R: number; G: number };

  constructor(encoded: EncodedPlacement, eliteSize = 8, build: SolverBuild = 'release') {
    this.search = new WasmSearch(build);
    this.wasm = this.search.wasm;
    this.search.load(encoded.ints, encoded.floats, () => this.wasm.placementLoad(eliteSize));
    this.sizes = encoded.sizes;
  }

  /** Searches with the given engine and budget; the best decision found stays loaded. */
  solve(opts: SearchOptions, hooks: { shouldStop?: () => boolean; onProgress?: (p: Progress) => void } = {}): SearchResult {
    const onProgress = hooks.onProgress;
    const outcome = this.search.run(opts, {
      shouldStop: hooks.shouldStop,
      onProgress: onProgress && ((phase, iteration, cost, infeasibility, elapsedMs) => onProgress({ phase, iteration, cost, infeasibility, elapsedMs, best: this.best() })),
    });
    return {
      ...this.decision(), ...outcome, cost: this.wasm.placementCost(), infeasibility: this.wasm.placementInfeasibility(),
      memory: { wasmPages: this.wasm.memory.buffer.byteLength / 65536, rssBytes: process.memoryUsage.rss() },
    };
  }

  /** A copy of the current decision. */
  decision(): WasmDecision {
    const { C, P, R } = this.sizes;
    return {
      dep: this.search.view(Int32Array, this.wasm.placementDeploymentPtr(), C).slice(),
      cand: this.search.view(Int32Array, this.wasm.placementCandidatePtr(), P).slice(),
      cnt: this.search.view(Int32Array, this.wasm.placementCountPtr(), R).slice(),
    };
  }

  /** A copy of the best decision so far (slot 0 of the search). */
  private best(): WasmDecision {
    const { C, P, R } = this.sizes;
    const all = this.search.view(Int32Array, this.wasm.placementBestPtr(), C + P + R).slice();
    return { dep: all.subarray(0, C), cand: all.subarray(C, C + P), cnt: all.subarray(C + P) };
  }

  /** Writes a decision and evaluates it from scratch. */
  evaluate(d: WasmDecision): { cost: number; infeasibility: number; componentTimes: Float64Array; pathTimes: Float64Array } {
    const { C, P, R, G } = this.sizes;
    this.search.view(Int32Array, this.wasm.placementDeploymentPtr(), C).set(d.dep);
    this.search.view(Int32Array, this.wasm.placementCandidatePtr(), P).set(d.cand);
    this.search.view(Int32Array, this.wasm.placementCountPtr(), R).set(d.cnt);
    this.wasm.placementEvaluate();
    return {
      cost: this.wasm.placementCost(),
      infeasibility: this.wasm.placementInfeasibility(),
      componentTimes: this.search.view(Float64Array, this.wasm.placementComponentTimesPtr(), C).slice(),
      pathTimes: this.search.view(Float64Array, this.wasm.placementPathTimesPtr(), G).slice(),
    };
  }

  /** Direct access to the move machinery, for tests of the incremental evaluation. */
  get moves() {
    return this.search.moveMachinery('placement');
  }
}
