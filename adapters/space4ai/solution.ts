import { InputError } from '../../server/input-error.js';
import { parseJsonText } from './json.js';
import type { PlacementEvaluation } from '../../server/placement/evaluate.js';
import type { PlacementDecision } from '../../server/placement/model.js';
import type { IndexedProblem } from '../../server/placement/problem.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a solution in the SPACE4AI layout (component -> deployment -> partition -> layer -> resource). */
export function parseSpace4aiSolution(text: string): PlacementDecision {
  const json = parseJsonText(text, 'solution');
  if (!isObj(json) || !isObj(json.components)) throw new InputError('components', isObj(json) ? json.components : json, 'must be an object of components');
  const counts = new Map<string, number>();
  const components = Object.entries(json.components).map(([c, entry]) => {
    if (!isObj(entry)) throw new InputError(`components.${c}`, entry, 'must be an object');
    const deps = Object.entries(entry).filter(([, v]) => isObj(v));
    if (deps.length !== 1) throw new InputError(`components.${c}`, deps.map(([k]) => k), 'must hold exactly one deployment');
    const [deployment, parts] = deps[0] as [string, Obj];
    const partitions = Object.entries(parts).filter(([, v]) => isObj(v)).map(([h, layers]) => {
      const found = Object.values(layers as Obj).filter(isObj).flatMap((l) => Object.entries(l).filter(([, v]) => isObj(v)));
      if (found.length !== 1) throw new InputError(`components.${c}.${deployment}.${h}`, found.map(([k]) => k), 'must name exactly one resource');
      const [resource, info] = found[0] as [string, Obj];
      if (typeof info.number === 'number') counts.set(resource, Math.max(counts.get(resource) ?? 0, info.number));
      return { partition: h, resource };
    });
    return { component: c, deployment, partitions };
  });
  return { components, counts: [...counts].map(([resource, count]) => ({ resource, count })) };
}

/** Writes a decision and its evaluation in the SPACE4AI solution layout. */
export function space4aiSolution(problem: IndexedProblem, decision: PlacementDecision, ev: PlacementEvaluation): Obj {
  const counts = new Map(decision.counts.map((c) => [c.resource, c.count]));
  const resByName = new Map(problem.resources.map((r) => [r.name, r]));
  const costByName = new Map(ev.resources.map((r) => [r.resource, r.cost]));
  const components: Obj = {};
  decision.components.forEach((a, ci) => {
    const times = ev.components[ci];
    const parts: Obj = {};
    a.partitions.forEach((p, k) => {
      const r = resByName.get(p.resource)!;
      const layer = problem.layers[r.layer];
      const entry: Obj = { description: r.description || 'No description', cost: costByName.get(r.name) ?? 0, memory: r.memory };
      if (r.kind === 'FAAS') {
        entry.idle_time_before_kill = r.idleTimeBeforeKill;
        entry.transition_cost = 0;
      } else {
        entry.number = counts.get(r.name) ?? 0;
      }
      parts[p.partition] = { [layer]: { [r.name]: entry }, response_time: times.partitions[k].responseTime };
    });
    components[a.component] = {
      [a.deployment]: parts,
      response_time: times.responseTime,
      response_time_threshold: Number.isFinite(times.limit) ? times.limit : 'inf',
    };
  });
  const global: Obj = {};
  problem.paths.forEach((p, k) => {
    global[p.name] = {
      components: p.components.map((c) => problem.components[c].name),
      global_res_time: p.limit,
      path_response_time: ev.paths[k].responseTime,
    };
  });
  return {
    Lambda: problem.lambda,
    components,
    global_constraints: global,
    total_cost: String(ev.totalCost),
    feasible: ev.feasible,
  };
}
