import { InputError } from '../input-error.js';
import type { PlacementDecision } from './model.js';
import type { IndexedProblem } from './problem.js';

/** A decision in index form: deployment per component, resource per partition (all deployments), instances per resource. */
export interface IndexDecision {
  deployment: number[];
  resource: number[];
  count: number[];
}

/** Resolves a named decision against the problem; every reference is checked. */
export function resolveDecision(problem: IndexedProblem, decision: PlacementDecision): IndexDecision {
  const out: IndexDecision = {
    deployment: new Array(problem.components.length).fill(-1),
    resource: new Array(problem.partitions.length).fill(-1),
    count: new Array(problem.resources.length).fill(0),
  };
  const compIndex = new Map(problem.components.map((c, i) => [c.name, i]));
  const resIndex = new Map(problem.resources.map((r, i) => [r.name, i]));
  for (const [k, a] of (decision.components ?? []).entries()) {
    const ci = compIndex.get(a.component);
    if (ci === undefined) throw new InputError(`decision.components[${k}].component`, a.component, 'names no component');
    const comp = problem.components[ci];
    const path = `decision.components.${a.component}`;
    if (out.deployment[ci] >= 0) throw new InputError(`${path}`, a.component, 'is assigned twice');
    const di = comp.deployments.findIndex((d) => d.name === a.deployment);
    if (di < 0) throw new InputError(`${path}.deployment`, a.deployment, `names no deployment of ${a.component}`);
    out.deployment[ci] = di;
    for (const pi of comp.deployments[di].partitions) {
      const part = problem.partitions[pi];
      const given = (a.partitions ?? []).find((p) => p.partition === part.name);
      if (!given) throw new InputError(`${path}.partitions.${part.name}`, undefined, 'must be given a resource');
      const ri = resIndex.get(given.resource);
      if (ri === undefined || !part.candidates.some((c) => c.resource === ri)) {
        throw new InputError(`${path}.partitions.${part.name}.resource`, given.resource,
          `must be one of the compatible resources: ${part.candidates.map((c) => problem.resources[c.resource].name).join(', ')}`);
      }
      out.resource[pi] = ri;
    }
  }
  const missing = problem.components.findIndex((_, i) => out.deployment[i] < 0);
  if (missing >= 0) throw new InputError(`decision.components.${problem.components[missing].name}`, undefined, 'must be assigned a deployment');
  for (const [k, c] of (decision.counts ?? []).entries()) {
    const ri = resIndex.get(c.resource);
    if (ri === undefined) throw new InputError(`decision.counts[${k}].resource`, c.resource, 'names no resource');
    if (!Number.isInteger(c.count) || c.count < 0) throw new InputError(`decision.counts.${c.resource}.count`, c.count, 'must be an integer >= 0');
    out.count[ri] = Math.max(out.count[ri], c.count);
  }
  return out;
}

/** Names the parts of an index decision; counts are listed for the edge/VM resources in use. */
export function nameDecision(problem: IndexedProblem, d: IndexDecision): PlacementDecision {
  const used = new Set<number>();
  const components = problem.components.map((comp, ci) => {
    const dep = comp.deployments[d.deployment[ci]];
    return {
      component: comp.name,
      deployment: dep.name,
      partitions: dep.partitions.map((pi) => {
        used.add(d.resource[pi]);
        return { partition: problem.partitions[pi].name, resource: problem.resources[d.resource[pi]].name };
      }),
    };
  });
  const counts = [...used].sort((a, b) => a - b)
    .filter((r) => problem.resources[r].kind !== 'FAAS')
    .map((r) => ({ resource: problem.resources[r].name, count: d.count[r] }));
  return { components, counts };
}
