import { whole } from '../../server/fields.js';
import { InputError } from '../../server/input-error.js';
import { parseJsonText } from '../../server/json-text.js';
import { MAX_INSTANCES } from '../../server/limits.js';
import type { PlacementEvaluation } from '../../server/placement/evaluate.js';
import type { PlacementDecision } from '../../server/placement/model.js';
import type { IndexedProblem } from '../../server/placement/problem.js';
import { FilePaths, key } from './system.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

// The solution file's path of each part of a decision parseSpace4aiSolution read: the decision is checked later,
// against its system (resolveDecision), and that check names the parts by the native decision's paths.
const filePaths = new WeakMap<PlacementDecision, FilePaths>();

/** Reads a solution in the SPACE4AI layout (component -> deployment -> partition -> layer -> resource). */
export function parseSpace4aiSolution(text: string): PlacementDecision {
  const json = parseJsonText(text, 'solution');
  if (!isObj(json) || !isObj(json.components)) throw new InputError('components', isObj(json) ? json.components : json, 'must be an object of components');
  const paths = new FilePaths();
  paths.set('decision.components', 'components');
  const counts = new Map<string, { count: number; path: string }>();
  const components = Object.entries(json.components).map(([c, entry], k) => {
    const path = key('components', c);
    if (!isObj(entry)) throw new InputError(path, entry, 'must be an object');
    const objects = Object.entries(entry).filter(([, v]) => isObj(v)) as [string, Obj][];
    // The runtime tool may write a FaaS partition at component level, beside its deployment, which
    // then holds only the partition's response time: such a key is a partition of another entry.
    const strays = new Map(objects.filter(([h]) => objects.some(([d, v]) => d !== h && isObj(v[h]))));
    const deps = objects.filter(([d]) => !strays.has(d));
    if (deps.length !== 1) throw new InputError(path, deps.map(([d]) => d), 'must hold exactly one deployment');
    const [deployment, parts] = deps[0];
    const at = key(path, deployment);
    paths.set(`decision.components[${k}].component`, path);
    paths.set(`decision.components.${c}.deployment`, at);
    paths.set(`decision.components.${c}.partitions`, at);
    const partitions = Object.entries(parts).filter(([, v]) => isObj(v)).map(([h, inDeployment]) => {
      const stray = strays.get(h);
      const [layers, base] = stray !== undefined && !namesResource(inDeployment as Obj) ? [stray, key(path, h)] : [inDeployment as Obj, key(at, h)];
      const found = Object.entries(layers).filter(([, l]) => isObj(l))
        .flatMap(([layer, l]) => Object.entries(l as Obj).filter(([, v]) => isObj(v)).map(([r, info]) => ({ r, info: info as Obj, path: key(key(base, layer), r) })));
      if (found.length !== 1) throw new InputError(key(at, h), found.map((f) => f.r), 'must name exactly one resource');
      const { r, info, path: file } = found[0];
      paths.set(`decision.components.${c}.partitions.${h}.resource`, file);
      if (info.number !== undefined) {
        const n = whole(info.number, `${file}.number`, 0, MAX_INSTANCES);
        if (n >= (counts.get(r)?.count ?? 0)) counts.set(r, { count: n, path: file });
      }
      return { partition: h, resource: r };
    });
    return { component: c, deployment, partitions };
  });
  [...counts.values()].forEach((c, k) => paths.set(`decision.counts[${k}].resource`, c.path));
  const decision = { components, counts: [...counts].map(([resource, c]) => ({ resource, count: c.count })) };
  filePaths.set(decision, paths);
  return decision;
}

/** Whether a partition entry holds a layer with a resource in it. */
function namesResource(partition: Obj): boolean {
  return Object.values(partition).some((l) => isObj(l) && Object.values(l).some(isObj));
}

/** Runs `check` on a decision parseSpace4aiSolution read; an InputError it throws about the decision names the solution file's path. */
export function inSolutionFile<T>(decision: PlacementDecision, check: () => T): T {
  const paths = filePaths.get(decision);
  return paths === undefined ? check() : paths.translating(check);
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
