import { accessSync, constants, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { inSolutionFile, parseSpace4aiSolution } from '../adapters/space4ai/solution.js';
import { readReferenceFolder } from '../adapters/gpu-scheduler/reference-csv.js';
import { parseSpace4aiSystem } from '../adapters/space4ai/system.js';
import { mappingErrors, MAX_MAGNITUDE } from './fields.js';
import type { GpuInstance } from './gpu/model.js';
import { GPU_METHODS } from './gpu/schedulers.js';
import { simulateGpu } from './gpu/service.js';
import { DEFAULT_TIME_MODEL, resolveGpuInstance } from './gpu/predicted-times.js';
import { modelKind, modelsFolder } from './models/file-io.js';
import { optimizerClient, solveOverStream } from './grpc/client.js';
import { planInputOf, serviceFields, sharedPlanInputOf } from './grpc/convert-replicas.js';
import { DEFAULT_ADDRESS, startServer, type OptimizerServer } from './grpc/server.js';
import { InputError } from './input-error.js';
import { parseJsonText } from './json-text.js';
import { MAX_CANDIDATE_LIST, MAX_ELITE } from './limits.js';
import { ExecTimeModel, jobFolds, mape, readProfilingTable } from './models/exec-time.js';
import { projectRoot } from './paths.js';
import { readProtoJson } from './proto-json.js';
import { STREAMING_STORE } from './replicas/model.js';
import { planReplicas } from './replicas/plan.js';
import { POLICIES } from './replicas/policies.js';
import { FORECASTERS, simulateReplicaTrace } from './replicas/service.js';
import { planSharedReplicas } from './replicas/shared.js';
import { parseTrace, weekMinute } from './replicas/trace.js';
import { validateReplicaService } from './replicas/validate.js';
import type { PlacementEvaluation } from './placement/evaluate.js';
import type { PlacementSystem, Profile } from './placement/model.js';
import { DEFAULT_SECONDS, evaluateDecision, NoSolutionError, PLACEMENT_METHODS, solvePlacement, type PlacementMethod, type PlacementProgress, type SolvePlacementInput } from './placement/service.js';
import { inThreadRunner } from './pool.js';
import { SEARCH_METHODS } from './wasm/search.js';

/** Each command's usage, shown by `copt COMMAND --help` and after a mistake in its options. */
const USAGES: Record<string, string> = {
  'solve placement': `copt solve placement SYSTEM.json [--lambda X] [--method auto|rg+ls|rg|ls|ts|sa|pr|exact] [--seconds S]
                     [--iterations N] [--unimproved S] [--target COST] [--seed N]
                     [--compat copt|space4ai-d|space4ai-r] [--out FILE] [--server HOST:PORT]
                     [--summary] [--elite N] [--tenure N] [--candidates N] [--temperature T]
                     [--cooling geometric|linear] [--alpha A] [--reheat N]
                     [--relink forward|backward|mixed]`,
  'evaluate placement': 'copt evaluate placement SYSTEM.json SOLUTION.json [--lambda X] [--compat copt|space4ai-d|space4ai-r]',
  'schedule gpu': `copt schedule gpu INSTANCE.json|FOLDER [--method greedy|rg|pr|ls|ts|sa|edf|fifo|priority] [--seed N]
                  [--iterations N] [--constructions N] [--seconds S] [--elite N] [--horizon S]
                  [--out FILE] [--log FILE]`,
  'train exec-time': 'copt train exec-time [--data CSV] [--out DIR] [--epochs N] [--seed N] [--folds N]',
  'simulate replicas': `copt simulate replicas --trace FILE --policy reactive|memory|hpa|predictive|planner|oracle
                       [--forecaster lstm|seasonal] [--model DIR] [--save-model DIR] [--service FILE.json]
                       [--from-day N] [--train-days N] [--eval-days N] [--time-col NAME] [--load-col NAME] [--seed N]
                       [--trace-start "YYYY-MM-DD HH:MM"] [--series] [--out FILE]`,
  'plan replicas': `copt plan replicas REQUEST.json [--out FILE]
                   (a request with services and a capacity: [--method auto|rg+ls|rg|ls|ts|sa|pr] [--seconds S] [--seed N])`,
  serve: 'copt serve [--address HOST:PORT | --port N] [--workers N] [--max-queue N]',
};

const USAGE = `usage:\n${Object.values(USAGES).map((u) => `  ${u.replace(/\n/g, '\n  ')}`).join('\n')}\n  copt --version`;

/** gRPC status of an exact solve with no feasible placement to answer (exit code 1, as in this process). */
const FAILED_PRECONDITION = 9;

/** A failure to report as one line and exit code 2. */
class UsageError extends Error {}

const PROFILES: Profile[] = ['copt', 'space4ai-d', 'space4ai-r'];
const COMPAT_ENUM: Record<Profile, string> = { copt: 'COMPAT_COPT', 'space4ai-d': 'COMPAT_SPACE4AI_D', 'space4ai-r': 'COMPAT_SPACE4AI_R' };
const METHOD_ENUM: Record<PlacementMethod, string> = { rg: 'RG', ls: 'LS', 'rg+ls': 'RG_LS', ts: 'TS', sa: 'SA', pr: 'PR', auto: 'AUTO', exact: 'EXACT' };
const COOLING_ENUM = { geometric: 'SA_COOLING_GEOMETRIC', linear: 'SA_COOLING_LINEAR' } as const;
const RELINK_ENUM = { forward: 'RELINK_FORWARD', backward: 'RELINK_BACKWARD', mixed: 'RELINK_MIXED' } as const;

const COMMANDS: Record<string, (args: string[]) => number | Promise<number>> = {
  'solve placement': solve,
  'evaluate placement': evaluate,
  'schedule gpu': scheduleGpu,
  'train exec-time': trainExecTime,
  'simulate replicas': simulateReplicasCommand,
  'plan replicas': planReplicasCommand,
  serve,
};

/** Runs the command line; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    const [command, what] = argv;
    if (command === '--version' || command === '-V' || command === 'version') {
      console.log(`copt ${version()}`);
      return 0;
    }
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    }
    const name = command === 'serve' ? 'serve' : `${command} ${what ?? ''}`.trim();
    const run = COMMANDS[name];
    if (!run) throw new UsageError(`unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')}; copt --help shows their options)`);
    const args = argv.slice(name === 'serve' ? 1 : 2);
    if (args.includes('--help') || args.includes('-h')) {
      console.log(`usage: ${USAGES[name]}`);
      return 0;
    }
    current = name;
    return await run(args);
  } catch (err) {
    if (err instanceof UsageError || err instanceof InputError) {
      process.stderr.write(`copt: ${oneLine(err.message)}\n`);
      return 2;
    }
    if (err instanceof NoSolutionError) {
      process.stderr.write(`copt: ${err.message}\n`);
      return 1;
    }
    if (isGrpcError(err)) {
      process.stderr.write(`copt: server: ${oneLine(err.details)}\n`);
      return err.code === FAILED_PRECONDITION ? 1 : 2;
    }
    throw err;
  }
}

/** The command being run, named in hints. */
let current = '';

/** The package's version. */
function version(): string {
  return (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** A message on one line: line breaks (from names in the input) shown escaped. */
const oneLine = (text: string) => text.replace(/\r?\n/g, '\\n');

function isGrpcError(err: unknown): err is { code: number; details: string } {
  return typeof err === 'object' && err !== null && 'code' in err && 'details' in err;
}

function options<S extends Record<string, { type: 'string' | 'boolean' }>>(args: string[], spec: S, positionals: number) {
  const hint = `see copt ${current} --help`;
  let parsed;
  try {
    parsed = parseArgs({ args: negativeValues(args, spec), options: spec, allowPositionals: true, strict: true }) as unknown as {
      values: { [K in keyof S]?: S[K]['type'] extends 'boolean' ? boolean : string };
      positionals: string[];
    };
  } catch (err) {
    const e = err as Error & { code?: string };
    const option = /'(-[^']*)'/.exec(e.message)?.[1];
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${option ?? ''} (${hint})`);
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(`${option?.split(' ')[0] ?? 'an option'} needs a value (${hint})`);
    throw new UsageError(`${e.message.split('.')[0]} (${hint})`);
  }
  if (parsed.positionals.length !== positionals) {
    throw new UsageError(`expected ${positionals} file argument${positionals === 1 ? '' : 's'}, got ${parsed.positionals.length}${parsed.positionals.length ? ` (${parsed.positionals.join(' ')})` : ''} (${hint})`);
  }
  return parsed;
}

/** The arguments with a negative number after a value option joined to it (`--seconds -1` -> `--seconds=-1`), which parseArgs would take for an option. */
function negativeValues(args: string[], spec: Record<string, { type: 'string' | 'boolean' }>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const next = args[i + 1];
    if (a.startsWith('--') && !a.includes('=') && spec[a.slice(2)]?.type === 'string' && next !== undefined && /^-(\d|\.\d|Infinity)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

function number(value: string | undefined, flag: string, check: (x: number) => boolean, rule: string): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (!Number.isFinite(x) || !check(x)) throw new UsageError(`--${flag} ${value}: ${rule}`);
  return x;
}

function choice<T extends string>(value: string | undefined, flag: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw new UsageError(`--${flag} ${value}: must be one of ${allowed.join(', ')}`);
  return value as T;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Parses a file, naming it in any error. */
function inFile<T>(file: string, parse: (text: string) => T): T {
  return naming(file, () => parse(readText(file)));
}

/**
 * Reads a JSON file (or its value, parsed already) in the proto3 JSON layout of a message and runs
 * `read` on the message; errors name the file and its own field names.
 */
function protoFile<T>(file: string, type: string, read: (message: Record<string, any>) => T, value?: unknown): T {
  return naming(file, () => readProtoJson(type, value ?? readText(file), 'file').readWith(read));
}

/** Runs a reader of `file` (sync, or returning a promise); an InputError from it is a UsageError naming the file. */
function naming<T>(file: string, read: () => T): T {
  return mappingErrors((err) => (err instanceof InputError ? new UsageError(`${file}: ${err.message}`) : err), read);
}

/** Fails now, before any work, when `file` (given with `flag`) could not be written: its folder missing or not writable, or it is a folder. */
function writable(file: string | undefined, flag: string): void {
  if (file === undefined) return;
  const dir = dirname(resolve(file));
  try {
    if (!statSync(dir).isDirectory()) throw new UsageError(`--${flag} ${file}: ${dir} is not a folder`);
    accessSync(dir, constants.W_OK);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--${flag} ${file}: cannot write into ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (existsSync(file) && statSync(file).isDirectory()) throw new UsageError(`--${flag} ${file}: is a folder, not a file`);
}

/** A whole-number flag in [least, most]. */
function wholeFlag(value: string | undefined, flag: string, least: number, most = 1e9): number | undefined {
  return number(value, flag, (x) => Number.isInteger(x) && x >= least && x <= most, most >= 1e9 ? `must be a whole number >= ${least}` : `must be a whole number from ${least} to ${most}`);
}

const COMMON = {
  lambda: { type: 'string' },
  compat: { type: 'string' },
} as const;

async function solve(args: string[]): Promise<number> {
  const { values, positionals } = options(args, {
    ...COMMON,
    method: { type: 'string' }, seconds: { type: 'string' }, iterations: { type: 'string' }, seed: { type: 'string' },
    out: { type: 'string' }, server: { type: 'string' }, summary: { type: 'boolean' },
    unimproved: { type: 'string' }, target: { type: 'string' }, elite: { type: 'string' }, tenure: { type: 'string' },
    candidates: { type: 'string' }, temperature: { type: 'string' }, cooling: { type: 'string' }, alpha: { type: 'string' },
    reheat: { type: 'string' }, relink: { type: 'string' },
  } as const, 1);
  const file = positionals[0];
  const lambda = number(values.lambda, 'lambda', (x) => x > 0 && x <= MAX_MAGNITUDE, `must be > 0 and at most ${MAX_MAGNITUDE}`);
  const profile = choice(values.compat, 'compat', PROFILES, 'copt');
  const method = choice(values.method, 'method', PLACEMENT_METHODS, 'auto');
  const seconds = number(values.seconds, 'seconds', (x) => x > 0, 'must be > 0') ?? DEFAULT_SECONDS;
  const iterations = wholeFlag(values.iterations, 'iterations', 1);
  const seed = number(values.seed, 'seed', (x) => Number.isSafeInteger(x) && x >= 0, 'must be a whole number >= 0') ?? 1;
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
  return 0;
}

function evaluate(args: string[]): number {
  const { values, positionals } = options(args, COMMON, 2);
  const [sysFile, solFile] = positionals;
  const lambda = number(values.lambda, 'lambda', (x) => x > 0 && x <= MAX_MAGNITUDE, `must be > 0 and at most ${MAX_MAGNITUDE}`);
  const profile = choice(values.compat, 'compat', PROFILES, 'copt');
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
  return 0;
}

/** A GPU instance from our JSON (the GpuInstance message's JSON form), or from a folder in the reference scheduler's CSV layout. */
async function readGpuInstance(path: string): Promise<GpuInstance> {
  let folder: boolean;
  try {
    folder = statSync(path).isDirectory();
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return folder ? naming(path, () => readReferenceFolder(path)) : protoFile(path, 'copt.v1.GpuInstance', resolveGpuInstance);
}

async function scheduleGpu(args: string[]): Promise<number> {
  const { values, positionals } = options(args, {
    method: { type: 'string' }, seed: { type: 'string' }, iterations: { type: 'string' }, constructions: { type: 'string' },
    seconds: { type: 'string' }, elite: { type: 'string' }, horizon: { type: 'string' }, out: { type: 'string' }, log: { type: 'string' },
  } as const, 1);
  const budget = {
    method: choice(values.method, 'method', GPU_METHODS, 'pr'),
    seed: number(values.seed, 'seed', (x) => Number.isSafeInteger(x) && x >= 0, 'must be a whole number >= 0') ?? 1,
    iterations: wholeFlag(values.iterations, 'iterations', 1),
    constructions: wholeFlag(values.constructions, 'constructions', 1),
    seconds: number(values.seconds, 'seconds', (x) => x > 0, 'must be > 0'),
    eliteSize: wholeFlag(values.elite, 'elite', 1, MAX_ELITE),
    horizonS: number(values.horizon, 'horizon', (x) => x > 0, 'must be > 0'),
  };
  writable(values.out, 'out');
  writable(values.log, 'log');
  const instance = await readGpuInstance(positionals[0]);
  const r = simulateGpu({ instance, ...budget });
  const text = JSON.stringify({
    instance: r.instance, method: r.method, seed: r.seed,
    total_cost: r.totalCost, vm_cost: r.vmCost, tardiness_cost: r.tardinessCost, total_tardiness_s: r.totalTardinessS,
    jobs: r.jobs, late_jobs: r.lateJobs, makespan_s: r.makespanS, decisions: r.decisions,
    decision_median_ms: r.decisionMedianS * 1000, decision_max_ms: r.decisionMaxS * 1000, wall_s: r.wallS,
    search: {
      moves_evaluated: r.search.movesEvaluated, relink_paths: r.search.relinkPaths,
      relink_improved_best: r.search.relinkImprovedBest, relink_entered_elite: r.search.relinkEnteredElite,
    },
  }, null, 2) + '\n';
  if (values.log) writeFileSync(values.log, r.log.map((e) => JSON.stringify(e)).join('\n') + '\n');
  output(values.out, text);
  return 0;
}

/** Trains the execution-time model on a profiling table, reports its error on unseen jobs, and stores it. */
async function trainExecTime(args: string[]): Promise<number> {
  const { values } = options(args, {
    data: { type: 'string' }, out: { type: 'string' }, epochs: { type: 'string' }, seed: { type: 'string' }, folds: { type: 'string' },
  } as const, 0);
  const data = values.data ?? join(projectRoot(), 'instances', 'gpu', 'polimi', 'data_2d10d_filtered.csv');
  let rows;
  try {
    rows = readProfilingTable(readText(data));
  } catch (err) {
    throw new UsageError(`${data}: ${(err as Error).message}`);
  }
  const train = {
    epochs: number(values.epochs, 'epochs', (x) => Number.isInteger(x) && x >= 1, 'must be a whole number >= 1'),
    seed: number(values.seed, 'seed', (x) => Number.isSafeInteger(x) && x >= 0, 'must be a whole number >= 0'),
  };
  const jobs = new Set(rows.map((r) => r.job)).size;
  const folds = number(values.folds, 'folds', (x) => Number.isInteger(x) && x >= 2 && x <= jobs, `must be a whole number from 2 to the ${jobs} jobs`) ?? Math.min(5, jobs);
  const t0 = performance.now();
  const held = await jobFolds(rows, folds, train);
  const model = await ExecTimeModel.train(rows, train);
  const out = values.out ?? join(modelsFolder(), DEFAULT_TIME_MODEL);
  await model.save(out);
  const fitted = model.predict(rows.map((r) => ({ features: r, gpuType: r.gpuType, gpus: r.gpus })));
  const round = (x: number) => Number(x.toFixed(3));
  console.log(JSON.stringify({
    rows: rows.length, jobs, gpu_types: model.gpuTypes, folds,
    heldout_jobs_mape_pct: round(mape(held.map((h) => h.predicted), held.map((h) => h.row.seconds))),
    train_mape_pct: round(mape(fitted, rows.map((r) => r.seconds))),
    out, wall_s: round((performance.now() - t0) / 1000),
  }, null, 2));
  return 0;
}

/** Replays a load trace under a replica policy and prints the SLO and cost figures. */
async function simulateReplicasCommand(args: string[]): Promise<number> {
  const { values } = options(args, {
    trace: { type: 'string' }, policy: { type: 'string' }, forecaster: { type: 'string' }, service: { type: 'string' },
    'from-day': { type: 'string' }, 'train-days': { type: 'string' }, 'eval-days': { type: 'string' }, 'time-col': { type: 'string' }, 'load-col': { type: 'string' },
    'trace-start': { type: 'string' }, seed: { type: 'string' }, series: { type: 'boolean' }, out: { type: 'string' }, model: { type: 'string' }, 'save-model': { type: 'string' },
  } as const, 0);
  if (!values.trace) throw new UsageError(`--trace FILE is required (see copt ${current} --help)`);
  const policy = choice(values.policy, 'policy', POLICIES, 'planner');
  const forecasterName = choice(values.forecaster, 'forecaster', FORECASTERS, 'seasonal');
  const kind = values.model === undefined ? undefined : modelKind(values.model);
  if (values.model !== undefined && kind !== 'lstm-forecast') {
    throw new UsageError(`--model ${values.model}: ${kind ? `holds a model of kind ${kind}, not lstm-forecast` : 'holds no stored model (meta.json, model.json, weights.bin)'}`);
  }
  writable(values.out, 'out');
  const service = values.service ? protoFile(values.service, 'copt.v1.ReplicaService', (m) => validateReplicaService(serviceFields(m))) : STREAMING_STORE;
  let trace;
  try {
    trace = parseTrace(values.trace, readText(values.trace), values['time-col'], values['load-col']);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (trace.gaps.count > 0) {
    process.stderr.write(`copt: warning: ${values.trace}: ${trace.gaps.count} rows come more than a minute after the row before (the longest gap ${trace.gaps.longestMin} minutes); rows are read as consecutive minutes\n`);
  }
  const firstWeekMinute = values['trace-start'] === undefined ? trace.firstWeekMinute ?? 0 : weekMinute(values['trace-start']);
  if (firstWeekMinute === undefined) throw new UsageError(`--trace-start ${values['trace-start']} must be a time written YYYY-MM-DD HH:MM`);
  const days = (v: string | undefined, flag: string, fallback: number, least = 1) => number(v, flag, (x) => Number.isInteger(x) && x >= least, `must be a whole number >= ${least}`) ?? fallback;
  const from = days(values['from-day'], 'from-day', 0, 0) * 1440;
  const start = from + days(values['train-days'], 'train-days', 7) * 1440;
  const end = start + days(values['eval-days'], 'eval-days', 7) * 1440;
  if (end > trace.loads.length) throw new UsageError(`${values.trace}: ${trace.loads.length} minutes; --train-days and --eval-days ask for ${end}`);
  const seed = number(values.seed, 'seed', (x) => Number.isSafeInteger(x) && x >= 0, 'must be a whole number >= 0') ?? 1;
  const r = await simulateReplicaTrace({
    service, loads: trace.loads, start, end, trainFrom: from, firstWeekMinute, policy, forecaster: forecasterName, model: values.model, saveModel: values['save-model'], seed,
  });
  const text = JSON.stringify({
    trace: values.trace, service: service.name, policy, forecaster: r.forecaster,
    minutes: r.minutes, violation_rate: r.violationRate, p95_ms: r.p95Ms, p99_ms: r.p99Ms,
    scaling_events: r.scalingEvents, instance_minutes: r.instanceMinutes, cost: r.cost, wall_s: r.wallS,
    ...(values.series ? { series: r.series } : {}),
  }, null, 2) + '\n';
  output(values.out, text);
  return 0;
}

/**
 * Plans replica counts for the window loads of a request file (the PlanReplicasRequest layout in
 * JSON) and prints the plan; a request listing `services` and a `capacity` is planned for the
 * shared cluster with the wasm engines.
 */
function planReplicasCommand(args: string[]): number {
  const { values, positionals } = options(args, {
    out: { type: 'string' }, method: { type: 'string' }, seconds: { type: 'string' }, seed: { type: 'string' },
  } as const, 1);
  const method = choice(values.method, 'method', SEARCH_METHODS, 'auto');
  const seconds = number(values.seconds, 'seconds', (x) => x > 0, 'must be > 0');
  const seed = number(values.seed, 'seed', (x) => Number.isSafeInteger(x) && x >= 0, 'must be a whole number >= 0');
  writable(values.out, 'out');
  const file = positionals[0];
  const raw = inFile(file, (text) => parseJsonText(text, 'file'));
  if (raw !== null && typeof raw === 'object' && 'services' in raw) {
    const { request, options: search } = protoFile(file, 'copt.v1.PlanSharedReplicasRequest', (m) => sharedPlanInputOf({
      ...m, ...(values.method ? { method: METHOD_ENUM[method] } : {}), ...(seed === undefined ? {} : { seed }),
      budget: { ...m.budget, ...(seconds === undefined ? {} : { seconds }) },
    }), raw);
    const plan = planSharedReplicas(request, search);
    output(values.out, JSON.stringify({
      windows: request.services[0].windowLoads.length, window_min: request.services[0].service.windowMin, capacity: request.capacity,
      cost: plan.cost, lower_bound: plan.lowerBound, own_plans_cost: plan.ownPlansCost, feasible: plan.feasible, over_capacity_windows: plan.overCapacity,
      services: plan.services.map((s) => ({
        service: s.name, replicas: s.replicas, cost: s.cost, replica_minutes: s.replicaMinutes, scaling_events: s.scalingEvents, short_windows: s.shortWindows,
      })),
      search: { method: search.method, iterations: plan.search.iterations, elapsed_s: plan.search.elapsedMs / 1000, stop_reason: plan.search.stopReason },
    }, null, 2) + '\n');
    return 0;
  }
  const { service, windowLoads, current } = protoFile(file, 'copt.v1.PlanReplicasRequest', planInputOf, raw);
  const plan = planReplicas(service, windowLoads, current);
  output(values.out, JSON.stringify({
    service: service.name, windows: windowLoads.length, window_min: service.windowMin, replicas: plan.replicas, cost: plan.cost,
    replica_minutes: plan.replicaMinutes, scaling_events: plan.scalingEvents, unmet_windows: plan.unmet,
  }, null, 2) + '\n');
  return 0;
}

/** Writes a command's JSON to a file when given, else to stdout. */
function output(file: string | undefined, text: string): void {
  if (file) writeFileSync(file, text);
  else process.stdout.write(text);
}

async function serve(args: string[]): Promise<number> {
  const { values } = options(args, { address: { type: 'string' }, port: { type: 'string' }, workers: { type: 'string' }, 'max-queue': { type: 'string' } }, 0);
  if (values.address !== undefined && values.port !== undefined) throw new UsageError(`give --address or --port, not both (see copt ${current} --help)`);
  const port = wholeFlag(values.port, 'port', 0, 65535);
  const address = values.address ?? (port === undefined ? DEFAULT_ADDRESS : `127.0.0.1:${port}`);
  if (values.address !== undefined) checkAddress(values.address);
  const workers = wholeFlag(values.workers, 'workers', 1, 256);
  const maxQueue = wholeFlag(values['max-queue'], 'max-queue', 0, 100_000);
  let server: OptimizerServer;
  // grpc-js also logs a failed bind; the one line below says it
  grpc.setLogVerbosity(grpc.logVerbosity.NONE);
  try {
    server = await startServer({ address, workers, maxQueue });
  } catch (err) {
    const reason = (err as Error).message;
    throw new UsageError(`cannot listen on ${address}: ${/EADDRINUSE/.test(reason) ? 'the port is in use' : /EADDRNOTAVAIL|ENOTFOUND|resolution/i.test(reason) ? 'no such address on this machine' : reason}`);
  } finally {
    grpc.setLogVerbosity(grpc.logVerbosity.ERROR);
  }
  console.log(`copt: serving copt.v1.Optimizer on ${server.address} (health and reflection on)`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      console.log('copt: shutting down');
      server.shutdown().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

/** An --address is HOST:PORT (a name, an IPv4 address or a bracketed IPv6 address, and a port number). */
function checkAddress(address: string): void {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(address);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`--address ${address}: must be HOST:PORT, e.g. 127.0.0.1:50051, 0.0.0.0:50051 or [::1]:50051`);
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
