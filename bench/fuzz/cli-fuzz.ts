import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { main } from '../../server/cli/main.js';
import { projectRoot } from '../../server/paths.js';
import { csvMutations, mutateText, mutateValue, textMutations, valueMutations, type Mutation } from './mutate.js';

/** One input reader of the command line: the files it reads (those in `fuzzed` are mutated) and the command that reads them. */
export interface CliReader {
  name: string;
  files: Record<string, string>;
  fuzzed: string[];
  /** the command line, given each file's path (folders: a file name ending in /) */
  argv(paths: Record<string, string>): string[];
}

/** Every reader, with valid files small enough that each command ends in a fraction of a second. */
export function cliReaders(): CliReader[] {
  const root = projectRoot();
  const read = (...p: string[]) => readFileSync(join(root, ...p), 'utf8');
  const ref = ['instances', 'space4ai', 'reference-solutions', 'Light', '5Components', 'Ins1'];
  const system = read(...ref, 'system_description.json');
  const gpu = JSON.parse(read('instances', 'gpu', 'suite', 'n10-mixed-1.json'));
  gpu.jobs = gpu.jobs.slice(0, 6);
  const csv = ['Lof_Selectjobs.csv', 'SelectJobs_times.csv', 'tNodes.csv'];
  const folder = Object.fromEntries(csv.map((f) => [`csv/${f}`, read('test', 'fixtures', 'gpu-reference', f)]));
  const service = read('instances', 'replicas', 'nasa-web.json');
  const start = Date.UTC(2026, 0, 5);
  const minute = (m: number) => new Date(start + m * 60_000).toISOString().slice(0, 16).replace('T', ' ');
  const trace = ['period,count', ...Array.from({ length: 2 * 1440 }, (_, m) => `${minute(m)},${Math.round(20 + 15 * Math.sin(m / 90))}`)].join('\n') + '\n';
  const replay = (p: Record<string, string>) => ['simulate', 'replicas', '--trace', p['trace.csv'], '--service', p['service.json'], '--policy', 'memory', '--train-days', '1', '--eval-days', '1'];
  return [
    { name: 'SPACE4AI system', files: { 'system.json': system }, fuzzed: ['system.json'], argv: (p) => ['solve', 'placement', p['system.json'], '--seconds', '0.05', '--method', 'rg+ls'] },
    {
      name: 'SPACE4AI solution', files: { 'system.json': system, 'solution.json': read(...ref, 'best_sol_1.8.json') }, fuzzed: ['solution.json'],
      argv: (p) => ['evaluate', 'placement', p['system.json'], p['solution.json'], '--compat', 'space4ai-d'],
    },
    {
      name: 'running decision', files: { 'system.json': system, 'current.json': read(...ref, 'best_sol_1.8.json') }, fuzzed: ['current.json'],
      argv: (p) => ['reoptimize', 'placement', p['system.json'], p['current.json'], '--lambda', '2.16', '--policy', 'space4ai-r', '--seconds', '0.05', '--compat', 'space4ai-r'],
    },
    {
      name: 'solution for max-load', files: { 'system.json': system, 'solution.json': read(...ref, 'best_sol_1.8.json') }, fuzzed: ['system.json', 'solution.json'],
      argv: (p) => ['max-load', 'placement', p['system.json'], p['solution.json'], '--at-max-counts', '--compat', 'space4ai-r'],
    },
    { name: 'GPU JSON', files: { 'gpu.json': JSON.stringify(gpu) }, fuzzed: ['gpu.json'], argv: (p) => ['schedule', 'gpu', p['gpu.json'], '--method', 'pr', '--iterations', '20', '--constructions', '5', '--seconds', '0.05'] },
    { name: 'GPU CSV folder', files: folder, fuzzed: Object.keys(folder), argv: (p) => ['schedule', 'gpu', p['csv/'], '--method', 'greedy'] },
    {
      name: 'replica plan request', files: { 'plan.json': JSON.stringify({ windowLoads: [10, 200, 30, 80], currentReplicas: 2, service: JSON.parse(service) }) }, fuzzed: ['plan.json'],
      argv: (p) => ['plan', 'replicas', p['plan.json']],
    },
    { name: 'shared replica request', files: { 'shared.json': read('instances', 'replicas', 'shared-cluster.json') }, fuzzed: ['shared.json'], argv: (p) => ['plan', 'replicas', p['shared.json'], '--seconds', '0.05'] },
    { name: 'replica service', files: { 'service.json': service, 'trace.csv': trace }, fuzzed: ['service.json'], argv: replay },
    { name: 'replica trace', files: { 'service.json': service, 'trace.csv': trace }, fuzzed: ['trace.csv'], argv: replay },
  ];
}

/** One fuzzed command: which reader, which of its files, and the changes to it (as JSON, as text, as CSV). */
export interface CliCase {
  reader: number;
  file: number;
  json: Mutation[];
  text: Mutation[];
  csv: Mutation[];
}

/** Fuzzed commands over `readers` readers. */
export function cliCases(readers: number): fc.Arbitrary<CliCase> {
  return fc.record({
    reader: fc.integer({ min: 0, max: readers - 1 }),
    file: fc.nat(),
    json: fc.oneof({ weight: 4, arbitrary: valueMutations }, { weight: 1, arbitrary: fc.constant<Mutation[]>([]) }),
    text: fc.oneof({ weight: 4, arbitrary: fc.constant<Mutation[]>([]) }, { weight: 1, arbitrary: textMutations }),
    csv: csvMutations,
  });
}

/** What a command came to. */
export interface CliOutcome {
  reader: string;
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  /** an exception that escaped main (a crash) */
  threw?: string;
}

/** Writes a case's files into `dir` and returns their paths. */
export function writeCase(reader: CliReader, c: CliCase, dir: string): Record<string, string> {
  const target = reader.fuzzed[c.file % reader.fuzzed.length];
  const paths: Record<string, string> = {};
  mkdirSync(join(dir, 'csv'), { recursive: true });
  paths['csv/'] = join(dir, 'csv');
  for (const [name, seed] of Object.entries(reader.files)) {
    let text = seed;
    if (name === target) {
      if (name.endsWith('.csv')) text = mutateText(text, c.csv);
      else text = mutateText(JSON.stringify(mutateValue(JSON.parse(text), c.json)), c.text);
    }
    paths[name] = join(dir, name);
    writeFileSync(paths[name], text);
  }
  return paths;
}

/** Runs a command line in this process, as bin/copt.js does, capturing what it prints. */
export async function runInProcess(argv: string[], reader: string): Promise<CliOutcome> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = process.stdout.write.bind(process.stdout);
  const stderr = process.stderr.write.bind(process.stderr);
  const t0 = performance.now();
  process.stdout.write = ((chunk: string | Uint8Array) => { out.push(String(chunk)); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => { err.push(String(chunk)); return true; }) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { reader, code, stdout: out.join(''), stderr: err.join(''), ms: performance.now() - t0 };
  } catch (e) {
    return { reader, code: -1, stdout: out.join(''), stderr: err.join(''), ms: performance.now() - t0, threw: e instanceof Error ? e.stack ?? e.message : String(e) };
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  }
}

/** Runs a command line as a user does: the real bin/copt.js in its own process. */
export function runProcess(argv: string[], reader: string): CliOutcome {
  const t0 = performance.now();
  const r = spawnSync('node', [join(projectRoot(), 'bin', 'copt.js'), ...argv], { encoding: 'utf8', timeout: 60_000 });
  return { reader, code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0, ...(r.status === null ? { threw: `killed by ${r.signal}` } : {}) };
}

/** Why a command's outcome breaks the property (a result, or exit code 2 with one line naming the field), or null when it keeps it. */
export function judgeCli(o: CliOutcome, limitMs = 30_000): string | null {
  if (o.threw) return `crashed: ${o.threw.split('\n').slice(0, 3).join(' | ')}`;
  if (o.ms > limitMs) return `took ${Math.round(o.ms)} ms`;
  // a warning line may come before the answer or the refusal
  const lines = o.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('copt: warning: '));
  if (o.code === 0) return lines.length === 0 ? null : `exit 0 with stderr: ${o.stderr}`;
  if (o.code !== 2) return `exit code ${o.code}: ${o.stderr.slice(0, 300)}`;
  if (lines.length !== 1 || !lines[0].startsWith('copt: ')) return `not one line: ${JSON.stringify(o.stderr.slice(0, 300))}`;
  return / = |line \d+|--[a-z]|\.csv|is missing/.test(lines[0]) ? null : `names no field: ${lines[0]}`;
}
