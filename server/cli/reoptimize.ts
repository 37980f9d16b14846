import { parseSpace4aiSolution } from '../../adapters/space4ai/solution.js';
import { parseSpace4aiSystem } from '../../adapters/space4ai/system.js';
import { snakeCase } from '../fields.js';
import type { PlacementChange } from '../placement/changes.js';
import type { MigrationPrices } from '../placement/encode.js';
import { DEFAULT_TOLERANCE, maxSustainableLoad, type ConstraintSlack } from '../placement/max-load.js';
import { MIGRATION_POLICIES, reoptimizePlacement, ZERO_PRICES, type Reoptimization } from '../placement/reoptimize.js';
import { DEFAULT_SECONDS, PLACEMENT_METHODS } from '../placement/service.js';
import { inThreadRunner } from '../pool.js';
import {
  choice, EXIT, inFile, lambdaFlag, naming, number, options, output, PLACEMENT_FLAGS, profileFlag, seedFlag, UsageError, wholeFlag, writable, type Command,
} from './args.js';

/** The runtime commands: re-optimize a running placement, and the most load a placement takes. */
export const RUNTIME_COMMANDS: Record<string, Command> = {
  'reoptimize placement': {
    usage: `copt reoptimize placement SYSTEM.json CURRENT.json --lambda X [--policy priced|space4ai-r]
                           [--move-cost PRICE | --move-cost deployment=P,partition=P,layer-type=P,instance=P]
                           [--max-changes N] [--pin c1,c2] [--method auto|rg+ls|rg|ls|ts|sa|pr] [--seconds S]
                           [--iterations N] [--seed N] [--compat copt|space4ai-d|space4ai-r] [--summary] [--out FILE]`,
    run: reoptimize,
  },
  'max-load placement': {
    usage: 'copt max-load placement SYSTEM.json SOLUTION.json [--lambda X] [--at-max-counts] [--tolerance T] [--compat copt|space4ai-d|space4ai-r]',
    run: maxLoad,
  },
};

const PRICE_KEYS: Record<string, keyof MigrationPrices> = { deployment: 'deployment', partition: 'partition', 'layer-type': 'layerType', instance: 'instance' };

/** --move-cost: one price for every change, or some of them by name (the others 0). */
function pricesFlag(value: string | undefined): MigrationPrices {
  if (value === undefined) return ZERO_PRICES;
  const price = (text: string, what: string) => number(text, 'move-cost', (x) => x >= 0, `${what} must be a number >= 0`)!;
  if (!value.includes('=')) {
    const p = price(value, value);
    return { deployment: p, partition: p, layerType: p, instance: p };
  }
  const out = { ...ZERO_PRICES };
  for (const part of value.split(',')) {
    const [k, v] = part.split('=');
    const key = Object.hasOwn(PRICE_KEYS, k) ? PRICE_KEYS[k] : undefined;
    if (!key || v === undefined) throw new UsageError(`--move-cost ${value}: ${part} must be NAME=PRICE with NAME one of ${Object.keys(PRICE_KEYS).join(', ')}`);
    out[key] = price(v, part);
  }
  return out;
}

/** Re-solves a running placement at a new load and prints the answer, its changes and its verdict (or a readable account). */
async function reoptimize(args: string[]): Promise<number> {
  const { values, positionals } = options(args, {
    ...PLACEMENT_FLAGS,
    policy: { type: 'string' }, 'move-cost': { type: 'string' }, 'max-changes': { type: 'string' }, pin: { type: 'string' },
    method: { type: 'string' }, seconds: { type: 'string' }, iterations: { type: 'string' }, seed: { type: 'string' },
    summary: { type: 'boolean' }, out: { type: 'string' },
  } as const, 2);
  const [sysFile, curFile] = positionals;
  const lambda = lambdaFlag(values.lambda);
  if (lambda === undefined) throw new UsageError('--lambda X is required: the new load to re-optimize for');
  const method = choice(values.method, 'method', PLACEMENT_METHODS.filter((m) => m !== 'exact'), 'auto');
  const input = {
    lambda,
    method,
    profile: profileFlag(values.compat),
    policy: choice(values.policy, 'policy', MIGRATION_POLICIES, 'priced'),
    prices: pricesFlag(values['move-cost']),
    maxChanges: wholeFlag(values['max-changes'], 'max-changes', 0, 1e6),
    pinned: values.pin === undefined ? [] : values.pin.split(',').filter((c) => c !== ''),
    seconds: number(values.seconds, 'seconds', (x) => x > 0, 'must be > 0') ?? DEFAULT_SECONDS,
    iterations: wholeFlag(values.iterations, 'iterations', 1),
    seed: seedFlag(values.seed),
  };
  writable(values.out, 'out');
  const system = inFile(sysFile, parseSpace4aiSystem);
  const current = inFile(curFile, parseSpace4aiSolution);
  const t0 = performance.now();
  const r = await naming(curFile, () => reoptimizePlacement({ ...input, system, current }, inThreadRunner));
  const elapsedS = (performance.now() - t0) / 1000;
  const text = values.summary ? account(sysFile, input.policy, lambda, r, elapsedS) : JSON.stringify({
    verdict: r.verdict,
    feasible: r.solution.evaluation.feasible,
    current_feasible: r.current.feasible,
    cost_before: r.costBefore,
    cost_after: r.costAfter,
    migration_cost: r.migrationCost,
    changes: r.changes.map(snakeCased),
    elapsed_s: elapsedS,
    search: { method: r.solution.stats.method, iterations: r.solution.stats.iterations, stop_reason: r.solution.stats.stopReason },
    solution: r.solution.space4ai,
  }, null, 2) + '\n';
  output(values.out, text);
  return EXIT.ok;
}

/** A change with the JSON spelling of the command line's output. */
function snakeCased(c: PlacementChange): Record<string, unknown> {
  return Object.fromEntries(Object.entries(c).map(([k, v]) => [snakeCase(k), v]));
}

/** One change as a line of the account. */
function describe(c: PlacementChange): string {
  switch (c.kind) {
    case 'RESOURCE_OPENED': return `open ${c.resource} with ${c.toCount} instance${c.toCount === 1 ? '' : 's'}`;
    case 'INSTANCES_ADDED': return `${c.resource}: ${c.fromCount} -> ${c.toCount} instances`;
    case 'DEPLOYMENT_CHANGED': return `${c.component}: deployment ${c.fromDeployment} -> ${c.toDeployment} (${c.partitions!.map((p) => `${p.partition}@${p.resource}`).join(' ')})`;
    case 'PARTITION_MOVED': return `${c.component}.${c.partition}: ${c.fromResource} -> ${c.toResource}`;
    case 'INSTANCES_REMOVED': return `${c.resource}: ${c.fromCount} -> ${c.toCount} instances`;
    case 'RESOURCE_CLOSED': return `close ${c.resource} (${c.fromCount} instance${c.fromCount === 1 ? '' : 's'})`;
  }
}

/** A readable account of a re-optimization: the verdict and why, then the changes in the order to enact them. */
function account(file: string, policy: string, lambda: number, r: Reoptimization, elapsedS: number): string {
  const ev = r.solution.evaluation;
  const lines = [`${file} at lambda ${lambda}, policy ${policy}`, ''];
  const saving = r.costBefore - r.costAfter;
  const why = !r.current.feasible
    ? `the running decision is infeasible at this load (${r.current.violations.map((v) => v.message).join('; ')})`
    : r.verdict === 'KEEP'
      ? 'the running decision is feasible, and nothing reachable saves more than its changes cost'
      : `saves ${saving.toFixed(6)} (${((100 * saving) / r.costBefore).toFixed(1)}%) of the running cost for a migration cost of ${r.migrationCost.toFixed(6)}`;
  lines.push(`verdict: ${r.verdict}: ${why}`);
  lines.push(`running cost: ${r.costBefore.toFixed(6)} now -> ${r.costAfter.toFixed(6)} after; the new placement is ${ev.feasible ? 'feasible' : `INFEASIBLE (${ev.violations.map((v) => v.message).join('; ')})`}`);
  if (r.changes.length > 0) {
    lines.push('', `changes, in the order to enact them (${r.changes.length}):`);
    r.changes.forEach((c, k) => lines.push(`  ${String(k + 1).padStart(2)}. ${describe(c)}`));
  }
  const s = r.solution.stats;
  lines.push('', `search: ${s.method}, ${s.iterations} iterations, stopped: ${s.stopReason}; ${elapsedS.toFixed(3)} s in all`);
  return lines.join('\n') + '\n';
}

/** Prints the largest load a placement stays feasible at, what binds there, and every constraint's slack now. */
function maxLoad(args: string[]): number {
  const { values, positionals } = options(args, { ...PLACEMENT_FLAGS, 'at-max-counts': { type: 'boolean' }, tolerance: { type: 'string' } } as const, 2);
  const [sysFile, solFile] = positionals;
  const lambda = lambdaFlag(values.lambda);
  const profile = profileFlag(values.compat);
  const tolerance = number(values.tolerance, 'tolerance', (x) => x >= 1e-9 && x <= 0.5, 'must be in [1e-9, 0.5]') ?? DEFAULT_TOLERANCE;
  const system = inFile(sysFile, parseSpace4aiSystem);
  const decision = inFile(solFile, parseSpace4aiSolution);
  const m = naming(solFile, () => maxSustainableLoad({ system, profile, decision, lambda, atMaxCounts: values['at-max-counts'] === true, tolerance }));
  const slack = (s: ConstraintSlack | undefined) => s && { kind: s.kind, subject: s.subject, value: s.value, limit: s.limit, slack: s.slack };
  process.stdout.write(JSON.stringify({
    max_lambda: m.maxLambda,
    unbounded: m.unbounded,
    lambda: m.lambda,
    feasible_at_lambda: m.feasibleAtLambda,
    method: m.method,
    binding: slack(m.binding) ?? null,
    slacks: m.slacks.map(slack),
    counts: m.counts,
    evaluations: m.evaluations,
  }, null, 2) + '\n');
  return EXIT.ok;
}
