import { describe, expect, it } from 'vitest';
import { TwinPlacement, twinLocalSearch } from '../bench/twin/placement-local-search.js';
import { encodePlacement } from '../server/placement/encode.js';
import { PlacementSolver } from '../server/wasm/placement-solver.js';
import { instanceFiles, loadProblem } from './helpers/instances.js';

describe('plain-TypeScript twin of the wasm local search', () => {
  it.each(['copt', 'space4ai-d', 'space4ai-r'] as const)('takes the same moves to the same local optimum (%s)', (profile) => {
    let steps = 0;
    for (const f of instanceFiles().filter((_, i) => i % 8 === 0)) {
      const encoded = encodePlacement(loadProblem(f, profile, 1.8));
      const wasm = new PlacementSolver(encoded);
      const twin = new TwinPlacement(encoded);
      for (const seed of [1, 2, 3]) {
        wasm.moves.construct(seed);
        const start = wasm.decision();
        const w = wasm.solve({ method: 'ls', seed, seconds: 60 });
        twin.setDecision(start.dep, start.cand, start.cnt);
        const t = twinLocalSearch(twin);
        expect(w.stopReason, f).toBe('converged');
        expect(t.steps, `${f} seed ${seed}`).toBe(w.iterations);
        expect(t.movesEvaluated).toBe(w.stats.movesEvaluated);
        expect([...twin.dep, ...twin.cand, ...twin.cnt]).toEqual([...w.dep, ...w.cand, ...w.cnt]);
        // same terms, summed in another order (the wasm side keeps sum trees): equal to rounding
        expect(Math.abs(twin.totalCost - w.cost)).toBeLessThanOrEqual(1e-12 * Math.max(1, w.cost));
        expect(Math.abs(twin.totalViol - w.infeasibility)).toBeLessThanOrEqual(1e-12 * Math.max(1, w.infeasibility));
        steps += t.steps;
      }
    }
    expect(steps).toBeGreaterThan(100); // the descents are not trivial
  });
});
