import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { optimizerClient } from '../server/grpc/client.js';
import { projectRoot } from '../server/paths.js';
import { cliCases, cliReaders, judgeCli, runInProcess, runProcess, writeCase } from './fuzz/cli-fuzz.js';
import { grpcCases, grpcSeeds, judgeGrpc, sendCases, type GrpcCase } from './fuzz/grpc-fuzz.js';
import { settledRssMb, startServerProcess } from './fuzz/server-process.js';

const DEADLINE_MS = 3000;

/**
 * The fuzzers at full size: fuzzed calls of every RPC over a socket against `copt serve` in its own
 * process (four at a time), and fuzzed inputs to every reader of the command line (in process, some
 * through the real bin/copt.js), counting every outcome and listing every case that breaks the
 * property (a result, or a refusal naming its field, in time; no crash; memory back within 10%).
 */
export async function benchFuzz(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: {
    grpc: { type: 'string', default: '10000' }, cli: { type: 'string', default: '10000' }, processes: { type: 'string', default: '200' },
    seed: { type: 'string', default: '1' }, out: { type: 'string', default: 'bench/results/fuzz' },
  } });
  const seed = Number(values.seed);
  const started = performance.now();
  const grpcRun = await fuzzGrpc(Number(values.grpc), seed);
  const cliRun = await fuzzCli(Number(values.cli), Number(values.processes), seed);
  const result = { date: new Date().toISOString(), seed, deadlineMs: DEADLINE_MS, wallS: Math.round((performance.now() - started) / 1000), grpc: grpcRun, cli: cliRun };
  writeFileSync(join(projectRoot(), `${values.out}.json`), JSON.stringify(result, null, 1) + '\n');
  writeFileSync(join(projectRoot(), `${values.out}.md`), report(result));
  console.log(report(result));
}

async function fuzzGrpc(n: number, seed: number) {
  const seeds = grpcSeeds();
  const server = await startServerProcess(2);
  const client = optimizerClient(server.address);
  const pid = server.process.pid!;
  const send = (cases: GrpcCase[]) => sendCases(client, seeds, cases, DEADLINE_MS);
  // a warm-up of as many calls from another seed, so that the baseline holds the heaps' working size
  await send(fc.sample(grpcCases(seeds.length), { numRuns: Math.min(n, 2000), seed: seed + 1_000_000 }));
  const before = await settledRssMb(pid);
  const t0 = performance.now();
  // in two halves, memory settled after each: growth over the second half is what a leak would show
  const cases = fc.sample(grpcCases(seeds.length), { numRuns: n, seed });
  const outcomes = await send(cases.slice(0, n >> 1));
  const half = await settledRssMb(pid);
  outcomes.push(...await send(cases.slice(n >> 1)));
  const wallS = (performance.now() - t0) / 1000 - 20;
  const after = await settledRssMb(pid);
  const healthy = server.process.exitCode === null;
  client.close();
  server.process.kill('SIGTERM');
  const counts: Record<string, Record<string, number>> = {};
  const failures: { method: string; why: string; case: unknown }[] = [];
  for (const { c, o } of outcomes) {
    (counts[o.method] ??= {})[grpc.status[o.code]] = (counts[o.method][grpc.status[o.code]] ?? 0) + 1;
    const why = judgeGrpc(o, DEADLINE_MS);
    if (why) failures.push({ method: o.method, why, case: c });
  }
  return { calls: n, wallS: Math.round(wallS), counts, failures, healthy, rssMb: { before: Math.round(before), half: Math.round(half), after: Math.round(after), change: Number((after / before - 1).toFixed(3)), secondHalf: Number((after / half - 1).toFixed(3)) } };
}

async function fuzzCli(n: number, processes: number, seed: number) {
  const readers = cliReaders();
  const dir = mkdtempSync(join(tmpdir(), 'copt-fuzz-'));
  const counts: Record<string, Record<string, number>> = {};
  const failures: { reader: string; why: string; case: unknown }[] = [];
  const t0 = performance.now();
  const cases = fc.sample(cliCases(readers.length), { numRuns: n, seed });
  // every (n / processes)-th case also through the real process, which must answer alike
  const every = processes > 0 ? Math.max(1, Math.floor(n / processes)) : Infinity;
  for (const [i, c] of cases.entries()) {
    const reader = readers[c.reader];
    const caseDir = join(dir, String(i));
    const argv = reader.argv(writeCase(reader, c, caseDir));
    const o = await runInProcess(argv, reader.name);
    (counts[reader.name] ??= {})[`exit ${o.code}`] = (counts[reader.name][`exit ${o.code}`] ?? 0) + 1;
    const why = judgeCli(o);
    if (why) failures.push({ reader: reader.name, why, case: c });
    if (i % every === 0) {
      const p = runProcess(argv, reader.name);
      const pwhy = judgeCli(p) ?? (p.code !== o.code || (p.code === 2 && p.stderr !== o.stderr) ? `the real process answered otherwise (exit ${p.code}: ${p.stderr.trim()})` : null);
      if (pwhy) failures.push({ reader: `${reader.name} (process)`, why: pwhy, case: c });
    }
    rmSync(caseDir, { recursive: true, force: true });
  }
  rmSync(dir, { recursive: true, force: true });
  return { inputs: n, processes: Math.min(n, Math.ceil(n / every)), wallS: Math.round((performance.now() - t0) / 1000), counts, failures };
}

function report(r: Record<string, any>): string {
  const table = (counts: Record<string, Record<string, number>>) => {
    const codes = [...new Set(Object.values(counts).flatMap((c) => Object.keys(c)))].sort();
    return [`| | ${codes.join(' | ')} |`, `|---|${codes.map(() => '---').join('|')}|`,
      ...Object.entries(counts).map(([k, c]) => `| ${k} | ${codes.map((code) => c[code] ?? 0).join(' | ')} |`)];
  };
  const failures = (fs: { why: string; case: unknown }[], what: (f: any) => string) =>
    fs.length === 0 ? ['None.'] : fs.slice(0, 50).map((f) => `- ${what(f)}: ${f.why} (case \`${JSON.stringify(f.case)}\`)`);
  return [
    '# Fuzzing',
    '',
    `\`npm run bench -- fuzz --seed ${r.seed}\` (${r.date.slice(0, 10)}, ${r.wallS} s): fast-check cases made from valid inputs by mutation (deleted keys, values of the`,
    'wrong type, extreme numbers, "NaN" and the infinities, Unicode and control characters in names, repeated lists, deep nesting, cut and',
    'spliced texts, flipped, cut and inserted bytes of the encoded request). The property: a result, or INVALID_ARGUMENT naming its field',
    `(the \`field\` trailer), RESOURCE_EXHAUSTED or FAILED_PRECONDITION, within the call's ${r.deadlineMs} ms deadline; for the command line, exit 0,`,
    'or exit 2 with one line naming the field; never INTERNAL, UNKNOWN, a crash, a hang or a timeout.',
    '',
    `## gRPC: ${r.grpc.calls} calls in ${r.grpc.wallS} s, four at a time, \`copt serve --workers 2\` in its own process`,
    '',
    ...table(r.grpc.counts),
    '',
    `Server alive at the end: ${r.grpc.healthy ? 'yes' : 'NO'}. Resident memory, settled (the least over 20 s idle): ${r.grpc.rssMb.before} MB after a warm-up of other fuzzed calls, ` +
    `${r.grpc.rssMb.half} MB after half the run, ${r.grpc.rssMb.after} MB after all of it: ${(100 * r.grpc.rssMb.change).toFixed(1)}% over the run, ${(100 * r.grpc.rssMb.secondHalf).toFixed(1)}% over its second half ` +
    '(the heaps and the allocator rise to the working size of the largest fuzzed inputs and keep it; a leak would keep growing).',
    '',
    'Cases that broke the property:',
    '',
    ...failures(r.grpc.failures, (f) => f.method),
    '',
    `## Command line: ${r.cli.inputs} inputs in ${r.cli.wallS} s, ${r.cli.processes} of them also through the real bin/copt.js`,
    '',
    ...table(r.cli.counts),
    '',
    'Cases that broke the property:',
    '',
    ...failures(r.cli.failures, (f) => f.reader),
    '',
  ].join('\n');
}
