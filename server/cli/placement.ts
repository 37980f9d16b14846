import { inSolutionFile, parseSpace4aiSolution } from '../../adapters/space4ai/solution.js';
import { parseSpace4aiSystem } from '../../adapters/space4ai/system.js';
import { optimizerClient, solveOverStream } from '../grpc/client.js';
import { MAX_CANDIDATE_LIST, MAX_ELITE } from '../limits.js';
import type { PlacementEvaluation } from '../placement/evaluate.js';
import type { PlacementSystem, Profile } from '../placement/model.js';
import { DEFAULT_SECONDS, evaluateDecision, PLACEMENT_METHODS, solvePlacement, type PlacementProgress, type SolvePlacementInput } from '../placement/service.js';
import { inThreadRunner } from '../pool.js';
import { choice, EXIT, inFile, lambdaFlag, METHOD_ENUM, naming, number, options, output, PLACEMENT_FLAGS, profileFlag, readText, seedFlag, wholeFlag, writable, type Command } from './args.js';

/** The placement commands: solve and evaluate a SPACE4AI system. */
export const PLACEMENT_COMMANDS: Record<string, Command> = {
  'solve placement': {
    usage: `copt solve placement SYSTEM.json [--lambda X] [--method auto|rg+ls|rg|ls|ts|sa|pr|exact] [--seconds S]
                     [--iterations N] [--unimproved S] [--target COST] [--seed N]
                     [--compat copt|space4ai-d|space4ai-r] [--out FILE] [--server HOST:PORT]
                     [--summary] [--elite N] [--tenure N] [--candidates N] [--temperature T]
                     [--cooling geometric|linear] [--alpha A] [--reheat N]
                     [--relink forward|backward|mixed]`,
    run: solve,
  },
  'evaluate placement': {
    usage: 'copt evaluate placement SYSTEM.json SOLUTION.json [--lambda X] [--compat copt|space4ai-d|space4ai-r]',
    run: evaluate,
  },
};

/** The gRPC enum names of the profiles, cooling schedules and relink directions, for a solve over a server. */
const COMPAT_ENUM: Record<Profile, string> = { copt: 'COMPAT_COPT', 'space4ai-d': 'COMPAT_SPACE4AI_D', 'space4ai-r': 'COMPAT_SPACE4AI_R' };
const COOLING_ENUM = { geometric: 'SA_COOLING_GEOMETRIC', linear: 'SA_COOLING_LINEAR' } as const;
const RELINK_ENUM = { forward: 'RELINK_FORWARD', backward: 'RELINK_BACKWARD', mixed: 'RELINK_MIXED' } as const;


/** Solves a system's placement, in this process or on a server, and writes the SPACE4AI solution or a summary. */
async function solve(args: string[]): Promise<number> {
  const { values, positionals } = options(args, {
    ...PLACEMENT_FLAGS,
    method: { type: 'string' }, seconds: { type: 'string' }, iterations: { type: 'string' }, seed: { type: 'string' },
    out: { type: 'string' }, server: { type: 'string' }, summary: { type: 'boolean' },
    unimproved: { type: 'string' }, target: { type: 'string' }, elite: { type: 'string' }, tenure: { type: 'string' },
    candidates: { type: 'string' }, temperature: { type: 'string' }, cooling: { type: 'string' }, alpha: { type: 'string' },
    reheat: { type: 'string' }, relink: { type: 'string' },
  } as const, 1);
  const file = positionals[0];
  const lambda = lambdaFlag(values.lambda);
  const profile = profileFlag(values.compat);
  const method = choice(values.method, 'method', PLACEMENT_METHODS, 'auto');
  const seconds = number(values.seconds, 'seconds', (x) => x > 0, 'must be > 0') ?? DEFAULT_SECONDS;
  const iterations = wholeFlag(values.iterations, 'iterations', 1);
  const seed = seedFlag(values.seed);
  const unimprovedSeconds = number(values.unimproved, 'unimproved', (x) => x > 0, 'must be > 0');
  const targetCost = number(values.target, 'target', () => true, 'must be a number');
  const engine: NonNullable<SolvePlacementInput['engine']> = {
    eliteSize: wholeFlag(values.elite, 'elite', 1, MAX_ELITE),
    tabuTenure: wholeFlag(values.tenure, 'tenure', 1),
    candidateList: wholeFlag(values.candidates, 'candidates', 1, MAX_CANDIDATE_LIST),
    saStartTemperature: number(values.temperature, 'temperature', (x) => x > 0, 'must be > 0'),
    saCooling: values.cooling === undefined ? undefined : choice(values.cooling, 'cooling', ['geometric', 'linear'] as const, 'geometric'),
    saAlpha: number(values.alpha, 'alpha', (x) => x > 0 && x < 1, 'must be in (0, 1)'),
    saReheatAfter: wholeFlag(values.reheat, 'reheat', 1),
    prDirection: values.relink === undefined ? undefined : choice(values.relink, 'relink', ['forward', 'backward', 'mixed'] as const, 'mixed'),
  };
  writable(values.out, 'out');
  for (const k of Object.keys(engine) as (keyof typeof engine)[]) if (engine[k] === undefined) delete engine[k];
  const bar = new ProgressBar(seconds);

  let solution: Record<string, unknown>;
  let evaluation: PlacementEvaluation;
  let stats: { method: string; stopReason: string; elapsedS: number; iterations: number; exactSolver?: string };
  let system: PlacementSystem | undefined;
  if (values.server) {
    const client = optimizerClient(values.server);
    try {
      const msg = await solveOverStream(client, {
        space4aiJson: readText(file), ...(lambda === undefined ? {} : { lambda }),
        method: METHOD_ENUM[method], compat: COMPAT_ENUM[profile], seed,
        budget: { seconds, iterations: iterations ?? 0, unimprovedSeconds: unimprovedSeconds ?? 0, ...(targetCost === undefined ? {} : { targetCost }) },
        engine: {
          ...engine,
          saCooling: engine.saCooling ? COOLING_ENUM[engine.saCooling] : undefined,
          relinkDirection: engine.prDirection ? RELINK_ENUM[engine.prDirection] : undefined,
        },
      }, (p) => bar.update(p.phase, p.elapsedS, p.bestCost, p.feasible));
      solution = JSON.parse(msg.space4aiSolutionJson);
      evaluation = msg.evaluation;
      stats = { ...msg.stats, iterations: Number(msg.stats.iterations) };
    } finally {
      client.close();
    }
  } else {
    system = inFile(file, parseSpace4aiSystem);
    const result = await solvePlacement({ system, lambda, profile, method, seconds, iterations, seed, unimprovedSeconds, targetCost, engine }, inThreadRunner, {
      onProgress: (p: PlacementProgress) => bar.update(p.phase, p.elapsedS, p.bestCost, p.feasible),
    });
    solution = result.space4ai;
    evaluation = result.evaluation;
    stats = { ...result.stats, exactSolver: result.stats.exact?.solver };
  }
  bar.clear();
  const text = values.summary ? summary(file, solution, evaluation, stats) : JSON.stringify(solution, null, 2) + '\n';
  output(values.out, text);
  return EXIT.ok;
}

/** Evaluates a given placement of a system: feasibility, cost, violations and response times. */
function evaluate(args: string[]): number {
  const { values, positionals } = options(args, PLACEMENT_FLAGS, 2);
  const [sysFile, solFile] = positionals;
  const lambda = lambdaFlag(values.lambda);
  const profile = profileFlag(values.compat);
  const system = inFile(sysFile, parseSpace4aiSystem);
  const decision = inFile(solFile, parseSpace4aiSolution);
  const ev = naming(solFile, () => inSolutionFile(decision, () => evaluateDecision(system, profile, decision, lambda)).evaluation);
  process.stdout.write(JSON.stringify({
    feasible: ev.feasible,
    total_cost: ev.totalCost,
    infeasibility: ev.infeasibility,
    violations: ev.violations,
    components: ev.components.map((c) => ({ component: c.component, response_time: c.responseTime, limit: c.limit })),
    paths: ev.paths.map((p) => ({ path: p.path, response_time: p.responseTime, limit: p.limit })),
  }, null, 2) + '\n');
  return EXIT.ok;
}

/** A human-readable account of a solution: placement, instances, cost, response times against limits. */
function summary(file: string, solution: Record<string, any>, ev: PlacementEvaluation, stats: { method: string; stopReason: string; elapsedS: number; iterations: number; exactSolver?: string }): string {
  const lines = [`${file} at lambda ${solution.Lambda}`, ''];
  lines.push('placement:');
  for (const [c, entry] of Object.entries<any>(solution.components)) {
    const [dep, parts] = Object.entries<any>(entry).find(([, v]) => typeof v === 'object')!;
    const where = Object.entries<any>(parts).map(([h, p]) => {
      const [, res] = Object.entries<any>(p).find(([k]) => k !== 'response_time')!;
      const [name, info] = Object.entries<any>(res)[0];
      return `${h}@${name}${info.number ? ` x${info.number}` : ''}`;
    });
    lines.push(`  ${c.padEnd(4)} ${dep.padEnd(3)} ${where.join('  ')}`);
  }
  lines.push('', 'instances and cost:');
  for (const r of ev.resources) {
    lines.push(`  ${r.resource.padEnd(8)} ${r.count ? `x${r.count}` : 'faas'.padEnd(3)}  utilization ${r.utilization.toFixed(3)}  cost ${r.cost.toFixed(4)}`);
  }
  lines.push(`  total cost ${ev.totalCost.toFixed(6)}  ${ev.feasible ? 'feasible' : `INFEASIBLE (${ev.violations.length} violations)`}`);
  lines.push('', 'response times (s) vs limits:');
  for (const c of ev.components) lines.push(`  ${c.component.padEnd(4)} ${c.responseTime.toFixed(4).padStart(10)}  <= ${Number.isFinite(c.limit) ? c.limit.toFixed(4) : 'none'}`);
  for (const p of ev.paths) lines.push(`  path ${p.path.padEnd(4)} ${p.responseTime.toFixed(4).padStart(10)}  <= ${p.limit.toFixed(4)}`);
  for (const v of ev.violations) lines.push(`  violated: ${v.message}`);
  const solver = stats.exactSolver ? ` (${stats.exactSolver})` : '';
  lines.push('', `search: ${stats.method}${solver}, ${stats.iterations} ${stats.exactSolver === 'milp' ? 'MILP rounds' : stats.exactSolver ? 'nodes' : 'iterations'} in ${stats.elapsedS.toFixed(2)} s, stopped: ${stats.stopReason}${stats.stopReason === 'optimal' ? ' (proven)' : ''}`);
  return lines.join('\n') + '\n';
}

/** A one-line progress bar on a terminal, shown once a solve has run for a second. */
class ProgressBar {
  private shown = false;
  private readonly on = process.stderr.isTTY === true;

  constructor(private readonly seconds: number) {}

  update(phase: string, elapsedS: number, best: number, feasible: boolean): void {
    if (!this.on || elapsedS < 1) return;
    const share = Math.min(1, elapsedS / this.seconds);
    const width = 30;
    const filled = Math.round(share * width);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${elapsedS.toFixed(1)}/${this.seconds}s ${phase} best ${best.toFixed(4)}${feasible ? '' : ' (infeasible)'}`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) process.stderr.write('\r\x1b[2K');
  }
}
