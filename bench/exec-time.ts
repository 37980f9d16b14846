import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { heldOutPredictions, jobFolds, mape, readProfilingTable, type ProfilingRow } from '../server/models/exec-time.js';
import { projectRoot } from '../server/paths.js';

type Result = { row: ProfilingRow; predicted: number }[];

/**
 * Held-out accuracy of the execution-time model on the profiling table: unseen jobs (5 folds over
 * whole jobs), unseen GPU counts and unseen batch sizes (each held out in turn, interior values
 * only, since a network does not extrapolate), overall and per GPU type.
 */
export async function benchExecTime(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: {
    seed: { type: 'string', default: '1' }, epochs: { type: 'string', default: '600' },
    data: { type: 'string', default: 'instances/gpu/polimi/data_2d10d_filtered.csv' },
    out: { type: 'string', default: 'bench/results/exec-time' },
  } });
  const options = { seed: Number(values.seed), epochs: Number(values.epochs) };
  const rows = readProfilingTable(readFileSync(join(projectRoot(), values.data!), 'utf8'));
  const gpuTypes = [...new Set(rows.map((r) => r.gpuType))].sort();
  const interior = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b).slice(1, -1);

  const splits: { split: string; result: Result; seconds: number }[] = [];
  const run = async (split: string, predictions: () => Promise<Result>) => {
    const t0 = performance.now();
    const result = await predictions();
    splits.push({ split, result, seconds: (performance.now() - t0) / 1000 });
    console.log(`${split.padEnd(22)} MAPE ${mape(result.map((r) => r.predicted), result.map((r) => r.row.seconds)).toFixed(2)}% (${result.length} rows)`);
  };
  await run('unseen jobs (5 folds)', () => jobFolds(rows, 5, options));
  const eachHeldOut = async (values: number[], of: (r: ProfilingRow) => number) => {
    const out: Result = [];
    for (const v of values) out.push(...(await heldOutPredictions(rows, (r) => of(r) === v, options)));
    return out;
  };
  await run('unseen GPU counts', () => eachHeldOut(interior(rows.map((r) => r.gpus)), (r) => r.gpus));
  await run('unseen batch sizes', () => eachHeldOut(interior(rows.map((r) => r.batchSize)), (r) => r.batchSize));

  const score = (r: Result) => (r.length === 0 ? null : Number(mape(r.map((x) => x.predicted), r.map((x) => x.row.seconds)).toFixed(2)));
  const table = splits.map((s) => ({
    split: s.split, rows: s.result.length, seconds: Number(s.seconds.toFixed(1)), mapePct: score(s.result),
    byGpuType: Object.fromEntries(gpuTypes.map((g) => [g, score(s.result.filter((x) => x.row.gpuType === g))])),
  }));
  const out = join(projectRoot(), values.out!);
  mkdirSync(dirname(out), { recursive: true });
  const meta = { date: new Date().toISOString(), node: process.version, data: values.data, ...options, rows: rows.length };
  writeFileSync(`${out}.json`, JSON.stringify({ ...meta, splits: table }, null, 1) + '\n');
  writeFileSync(`${out}.md`, [
    '# Execution-time model: held-out accuracy',
    '',
    `${rows.length} rows of \`${values.data}\`, seed ${options.seed}, ${options.epochs} training epochs, ${process.version}, ${meta.date}.`,
    'Reproduce: `npm run bench -- exec-time`. MAPE = mean |predicted - measured| / measured over the held-out rows.',
    '',
    `| held out | rows | MAPE | ${gpuTypes.join(' | ')} | train+predict s |`,
    `|---|---:|---:|${gpuTypes.map(() => '---:|').join('')}---:|`,
    ...table.map((t) => `| ${t.split} | ${t.rows} | ${t.mapePct}% | ${gpuTypes.map((g) => `${t.byGpuType[g]}%`).join(' | ')} | ${t.seconds} |`),
    '',
  ].join('\n'));
  console.log(`wrote ${out}.json and ${out}.md`);
}
