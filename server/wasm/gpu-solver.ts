import type { EncodedDecision } from '../gpu/encode.js';
import type { SolverBuild } from './solver-module.js';
import { WasmSearch, type SearchOptions, type SearchOutcome } from './search.js';

/** A GPU decision from the wasm: node per encoded job (-1: waits) and configuration (global index, -1: waits). */
export interface GpuWasmDecision {
  jobNode: Int32Array;
  jobConf: Int32Array;
}

export interface GpuSearchResult extends GpuWasmDecision, SearchOutcome {
  cost: number;
  infeasibility: number;
}

/** One GPU decision loaded into a wasm instance. */
export class GpuSolver {
  private readonly search: WasmSearch;
  private readonly wasm: WasmSearch['wasm'];
  private readonly J: number;

  constructor(encoded: EncodedDecision, eliteSize = 8, build: SolverBuild = 'release') {
    this.search = new WasmSearch(build);
    this.wasm = this.search.wasm;
    this.search.load(encoded.ints, encoded.floats, () => this.wasm.gpuLoad(eliteSize));
    this.J = encoded.jobs.length;
  }

  /** Searches with the given engine and budget; the best decision found stays loaded. */
  solve(opts: SearchOptions, shouldStop?: () => boolean): GpuSearchResult {
    const outcome = this.search.run(opts, { shouldStop });
    return { ...this.decision(), ...outcome, cost: this.wasm.gpuCost(), infeasibility: this.wasm.gpuInfeasibility() };
  }

  /** A copy of the current decision. */
  decision(): GpuWasmDecision {
    return {
      jobNode: this.search.view(Int32Array, this.wasm.gpuJobNodePtr(), this.J).slice(),
      jobConf: this.search.view(Int32Array, this.wasm.gpuJobConfPtr(), this.J).slice(),
    };
  }

  /** Writes a decision and evaluates it from scratch. */
  evaluate(d: GpuWasmDecision): { cost: number; infeasibility: number } {
    this.search.view(Int32Array, this.wasm.gpuJobNodePtr(), this.J).set(d.jobNode);
    this.search.view(Int32Array, this.wasm.gpuJobConfPtr(), this.J).set(d.jobConf);
    this.wasm.gpuEvaluate();
    return { cost: this.wasm.gpuCost(), infeasibility: this.wasm.gpuInfeasibility() };
  }

  /** Direct access to the move machinery, for tests of the incremental evaluation. */
  get moves() {
    return this.search.moveMachinery('gpu');
  }
}
