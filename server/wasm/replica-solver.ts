import type { SolverBuild } from './solver-module.js';
import { WasmSearch, type SearchOptions, type SearchOutcome } from './search.js';

export interface ReplicaSearchResult extends SearchOutcome {
  /** replicas per service and window, service-major */
  replicas: Int32Array;
  cost: number;
  infeasibility: number;
}

/** One shared-capacity replica plan loaded into a wasm instance. */
export class ReplicaSolver {
  private readonly search: WasmSearch;
  private readonly wasm: WasmSearch['wasm'];
  private readonly n: number;

  constructor(encoded: { ints: Int32Array; floats: Float64Array; services: number; windows: number }, eliteSize = 8, build: SolverBuild = 'release') {
    this.search = new WasmSearch(build);
    this.wasm = this.search.wasm;
    this.search.load(encoded.ints, encoded.floats, () => this.wasm.replicasLoad(eliteSize));
    this.n = encoded.services * encoded.windows;
  }

  /** Searches with the given engine and budget; the best plan found stays loaded. */
  solve(opts: SearchOptions, shouldStop?: () => boolean): ReplicaSearchResult {
    const outcome = this.search.run(opts, { shouldStop });
    return { replicas: this.plan(), ...outcome, cost: this.wasm.replicasCost(), infeasibility: this.wasm.replicasInfeasibility() };
  }

  /** A copy of the current plan. */
  plan(): Int32Array {
    return this.search.view(Int32Array, this.wasm.replicasPlanPtr(), this.n).slice();
  }

  /** Writes a plan and evaluates it from scratch. */
  evaluate(replicas: Int32Array): { cost: number; infeasibility: number } {
    this.search.view(Int32Array, this.wasm.replicasPlanPtr(), this.n).set(replicas);
    this.wasm.replicasEvaluate();
    return { cost: this.wasm.replicasCost(), infeasibility: this.wasm.replicasInfeasibility() };
  }

  /** Direct access to the move machinery, for tests of the incremental evaluation. */
  get moves() {
    return this.search.moveMachinery('replicas');
  }
}
