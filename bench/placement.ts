import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../server/paths.js';
import { solvePlacement, type PlacementMethod } from '../server/placement/service.js';
import { inThreadRunner } from '../server/pool.js';
import { geomean, referenceInstances } from './reference-instances.js';

interface Row {
  instance: string;
  cost: number;
  feasible: boolean;
  wallS: number;
  iterations: number;
  reference: number;
  ratio: number;
}

/** RG+LS on the 80 GeneralWorkflows instances at lambda 1.8 against the reference tool's solutions. */
export async function benchPlacement(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: {
    seconds: { type: 'string', default: '2' }, seed: { type: 'string', default: '1' },
    method: { type: 'string', default: 'rg+ls' }, out: { type: 'string', default: 'bench/results/placement' },
  } });
  const seconds = Number(values.seconds);
  const seed = Number(values.seed);
  const method = values.method as PlacementMethod;
  const root = projectRoot();
  const rows: Row[] = [];
  for (const { name, system, reference } of referenceInstances()) {
    const t0 = performance.now();
    const res = await solvePlacement({ system, lambda: 1.8, profile: 'space4ai-d', method, seconds, seed }, inThreadRunner);
    const wallS = (performance.now() - t0) / 1000;
    const cost = res.evaluation.totalCost;
    const row = { instance: name, cost, feasible: res.evaluation.feasible, wallS, iterations: res.stats.iterations, reference, ratio: cost / reference };
    rows.push(row);
    console.log(`#${rows.length} ${row.instance} ${wallS.toFixed(2)}s ours:${cost.toFixed(4)} ref:${reference.toFixed(4)} ratio:${row.ratio.toFixed(4)}${row.feasible ? '' : ' INFEASIBLE'}`);
  }
  const atMost = rows.filter((r) => r.feasible && r.cost <= r.reference * (1 + 1e-9)).length;
  const summary = {
    instances: rows.length,
    method,
    profile: 'space4ai-d',
    lambda: 1.8,
    secondsPerInstance: seconds,
    seed,
    oursAtMostReference: atMost,
    shareAtMostReference: atMost / rows.length,
    infeasible: rows.filter((r) => !r.feasible).length,
    geomeanRatio: geomean(rows.map((r) => r.ratio)),
    maxWallS: Math.max(...rows.map((r) => r.wallS)),
    node: process.version,
    date: new Date().toISOString(),
  };
  const out = join(root, values.out);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(`${out}.json`, JSON.stringify({ summary, rows }, null, 2) + '\n');
  const md = [
    `# Placement: ${method} vs the SPACE4AI reference solutions (lambda 1.8, ${summary.profile})`,
    '',
    `Budget ${seconds} s per instance, seed ${seed}, ${summary.node}. Reproduce: \`npm run bench -- placement --seconds ${seconds}\`.`,
    '',
    `- ours <= reference on ${atMost}/${rows.length} instances (${(100 * summary.shareAtMostReference).toFixed(1)}%)`,
    `- geometric mean of ours/reference: ${summary.geomeanRatio.toFixed(4)}`,
    `- infeasible: ${summary.infeasible}; slowest wall time ${summary.maxWallS.toFixed(2)} s`,
    '',
    '| instance | ours | feasible | wall s | iterations | reference | ours/ref |',
    '|---|---:|:---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.instance} | ${r.cost.toFixed(4)} | ${r.feasible ? 'yes' : 'NO'} | ${r.wallS.toFixed(2)} | ${r.iterations} | ${r.reference.toFixed(4)} | ${r.ratio.toFixed(4)} |`),
  ].join('\n');
  writeFileSync(`${out}.md`, md + '\n');
  console.log(`ours <= reference: ${atMost}/${rows.length}; geomean ratio ${summary.geomeanRatio.toFixed(4)}; wrote ${relative(root, out)}.json and .md`);
}
