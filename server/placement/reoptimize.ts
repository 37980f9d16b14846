import { inSolutionFile } from '../../adapters/space4ai/solution.js';
import { InputError } from '../input-error.js';
import { renamingPaths, snakeCase } from '../fields.js';
import type { SearchRunner } from '../pool.js';
import { countsInUse, listChanges, migrationCost, type PlacementChange } from './changes.js';
import { nameDecision, resolveDecision, type IndexDecision } from './decision.js';
import type { MigrationPrices } from './encode.js';
import { evaluatePlacement, type PlacementEvaluation } from './evaluate.js';
import type { PlacementDecision, PlacementSystem } from './model.js';
import { indexProblem, type IndexedProblem } from './problem.js';
import { answer, checkSolveInput, searchPlacement, type PlacementHooks, type PlacementSolution, type SolvePlacementInput } from './service.js';

/**
 * What a re-optimization may reach from the running decision:
 * - `priced`: any placement, each change priced into the objective, with an optional cap and pins;
 * - `space4ai-r`: the reference runtime's rules: only the edge devices in use, at most their running
 *   instances; each layer that runs a VM type keeps it; FaaS free.
 */
export type MigrationPolicy = 'priced' | 'space4ai-r';
export const MIGRATION_POLICIES: MigrationPolicy[] = ['priced', 'space4ai-r'];

/** KEEP: nothing reachable pays for its changes; RESIZE: instance counts only; MIGRATE: placements change. */
export type Verdict = 'KEEP' | 'RESIZE' | 'MIGRATE';

export const ZERO_PRICES: MigrationPrices = { deployment: 0, partition: 0, layerType: 0, instance: 0 };

export interface ReoptimizeInput extends SolvePlacementInput {
  current: PlacementDecision;
  policy: MigrationPolicy;
  prices: MigrationPrices;
  /** most changes allowed (absent: no cap) */
  maxChanges?: number;
  /** components whose deployment and resources must not change */
  pinned: string[];
}

export interface Reoptimization {
  solution: PlacementSolution;
  verdict: Verdict;
  changes: PlacementChange[];
  migrationCost: number;
  /** the running decision at the new load */
  current: PlacementEvaluation;
  /** running cost (without migration) of the running decision and of the answer, at the new load */
  costBefore: number;
  costAfter: number;
}

/** Checks the parts a re-optimization adds to a solve request. */
function checkReoptimizeInput(input: ReoptimizeInput): void {
  checkSolveInput(input);
  if (input.method === 'exact') throw new InputError('method', 'EXACT', 'is not available for re-optimization; use a heuristic method');
  for (const [k, v] of Object.entries(input.prices)) {
    if (!(Number.isFinite(v) && v >= 0)) throw new InputError(`prices.${snakeCase(k)}`, v, 'must be a finite number >= 0');
  }
  if (input.maxChanges !== undefined && !(Number.isInteger(input.maxChanges) && input.maxChanges >= 0 && input.maxChanges <= 1e6)) {
    throw new InputError('max_changes', input.maxChanges, 'must be an integer in 0..1000000');
  }
  const names = new Set(input.system.components.map((c) => c.name));
  input.pinned.forEach((c, k) => {
    if (!names.has(c)) throw new InputError(`pinned[${k}]`, c, 'names no component');
  });
}

/**
 * Re-solves a placement at a new load from the decision that runs: the search sees only what the
 * policy allows, starts from the running decision (and from it with every cluster at its most
 * instances), and prices each change; the answer lists the changes to enact, in order.
 */
export async function reoptimizePlacement(input: ReoptimizeInput, runner: SearchRunner, hooks: PlacementHooks = {}): Promise<Reoptimization> {
  checkReoptimizeInput(input);
  const full = indexProblem(input.system, input.profile, input.lambda);
  const running = renamingPaths((p) => p.replace(/^decision\b/, 'current'), () => inSolutionFile(input.current, () => resolveDecision(full, input.current)));
  running.count = countsInUse(full, running);
  const currentEval = evaluatePlacement(full, running);

  const allowed = indexProblem(allowedSystem(input.system, full, running, input.policy, new Set(input.pinned)), input.profile, input.lambda);
  const start = resolveDecision(allowed, nameDecision(full, running));
  const atMost = { ...start, count: start.count.map((n, r) => (n > 0 ? allowed.resources[r].number : 0)) };
  const seeds = atMost.count.some((n, r) => n !== start.count[r]) ? [start, atMost] : [start];
  const { index, stats } = await searchPlacement(input, allowed, runner, hooks, { running: start, prices: input.prices, maxChanges: input.maxChanges, seeds });

  const found = resolveDecision(full, nameDecision(allowed, index));
  found.count = countsInUse(full, found);
  const changes = listChanges(full, running, found);
  const solution = answer(full, found, stats);
  return {
    solution,
    verdict: changes.length === 0 ? 'KEEP' : changes.every((c) => c.kind === 'INSTANCES_ADDED' || c.kind === 'INSTANCES_REMOVED') ? 'RESIZE' : 'MIGRATE',
    changes,
    migrationCost: migrationCost(full, running, found, input.prices, changes),
    current: currentEval,
    costBefore: currentEval.totalCost,
    costAfter: solution.evaluation.totalCost,
  };
}

/**
 * The system cut down to what the policy lets the search reach: candidates and deployments outside
 * the rules removed, pinned components to their running deployment and resources, and (space4ai-r)
 * each edge device capped at its running instances. The running decision always stays inside.
 */
function allowedSystem(system: PlacementSystem, pb: IndexedProblem, running: IndexDecision, policy: MigrationPolicy, pinned: Set<string>): PlacementSystem {
  const counts = countsInUse(pb, running);
  const inUse = new Set(pb.resources.flatMap((r, i) => (counts[i] > 0 ? [r.name] : [])));
  const vmLayers = new Set(pb.resources.flatMap((r, i) => (r.kind === 'VM' && counts[i] > 0 ? [r.layer] : [])));
  const layerIndex = new Map(pb.layers.map((l, i) => [l, i]));
  const reachable = (r: PlacementSystem['resources'][number]) => policy === 'priced' || r.kind === 'FAAS' || inUse.has(r.name)
    || (r.kind === 'VM' && !vmLayers.has(layerIndex.get(r.layer)!));
  const allowedRes = new Set(system.resources.filter(reachable).map((r) => r.name));
  const runningOf = new Map(pb.components.map((c, ci) => {
    const dep = c.deployments[running.deployment[ci]];
    return [c.name, { deployment: dep.name, resources: new Map(dep.partitions.map((p) => [pb.partitions[p].name, pb.resources[running.resource[p]].name])) }];
  }));
  return {
    ...system,
    components: system.components.map((c) => {
      const run = runningOf.get(c.name)!;
      const pin = pinned.has(c.name);
      const deployments = c.deployments
        .filter((d) => !pin || d.name === run.deployment)
        .map((d) => ({
          ...d,
          partitions: d.partitions.map((p) => ({
            ...p,
            candidates: p.candidates.filter((k) => allowedRes.has(k.resource) && (!pin || run.resources.get(p.name) === k.resource)),
          })),
        }))
        .filter((d) => d.partitions.every((p) => p.candidates.length > 0));
      return { ...c, deployments };
    }),
    resources: system.resources.map((r, i) => (policy === 'space4ai-r' && r.kind === 'EDGE' && counts[i] > 0 ? { ...r, number: Math.min(r.number, counts[i]) } : r)),
  };
}
