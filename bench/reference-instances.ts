import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSpace4aiSystem } from '../adapters/space4ai/system.js';
import type { PlacementSystem } from '../server/placement/model.js';
import { projectRoot } from '../server/paths.js';

/** One of the 80 GeneralWorkflows instances with the reference tool's cost at lambda 1.8. */
export interface ReferenceInstance {
  name: string;
  system: PlacementSystem;
  reference: number;
}

/** The 80 instances, in the order Light/Strict, 5..15 components, Ins1..Ins10. */
export function referenceInstances(): ReferenceInstance[] {
  const refRoot = join(projectRoot(), 'instances', 'space4ai', 'reference-solutions');
  const out: ReferenceInstance[] = [];
  for (const set of readdirSync(refRoot).sort()) {
    for (const size of readdirSync(join(refRoot, set)).sort((a, b) => parseInt(a) - parseInt(b))) {
      for (const ins of readdirSync(join(refRoot, set, size)).sort((a, b) => parseInt(a.slice(3)) - parseInt(b.slice(3)))) {
        const dir = join(refRoot, set, size, ins);
        out.push({
          name: `${set}/${size}/${ins}`,
          system: parseSpace4aiSystem(readFileSync(join(dir, 'system_description.json'), 'utf8')),
          reference: Number(JSON.parse(readFileSync(join(dir, 'best_sol_1.8.json'), 'utf8')).total_cost),
        });
      }
    }
  }
  return out;
}

/** Geometric mean. */
export function geomean(xs: number[]): number {
  return Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
}
