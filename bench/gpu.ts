import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { jobConfigs, type GpuInstance } from '../server/gpu/model.js';
import { GPU_METHODS, gpuScheduler, type GpuMethod } from '../server/gpu/schedulers.js';
import { simulateGpu, type GpuSimulationSummary } from '../server/gpu/service.js';
import { costLowerBound } from '../server/gpu/value.js';
import type { Snapshot } from '../server/gpu/simulate.js';
import { validateGpuInstance } from '../server/gpu/validate.js';
import { projectRoot } from '../server/paths.js';
import { median } from './stats.js';

interface Run {
  instance: string;
  size: number;
  scenario: string;
  method: GpuMethod;
  totalCost: number;
  vmCost: number;
  tardinessCost: number;
  lateJobs: number;
  decisions: number;
  decisionMedianMs: number;
  wallS: number;
  relinkPaths: number;
  relinkImprovedBest: number;
  relinkEnteredElite: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** The upper of the two middle values for an even count: what the decision medians have always been. */
const upperMedian = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * Every method on a GPU suite (instances/gpu/suite unless named): total cost and its parts, the gain against EDF per size and
 * scenario, PR against the randomized greedy and the greedy, how often relinking improved the
 * elite set's best, wall time per decision and per replay as N grows; and the time of one decision
 * with N = 100 nodes and 450 queued jobs.
 */
export async function benchGpu(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: {
    methods: { type: 'string', default: 'edf,fifo,priority,greedy,rg,pr' }, sizes: { type: 'string', default: '10,20,50' },
    seed: { type: 'string', default: '1' }, out: { type: 'string', default: 'bench/results/gpu' },
    suite: { type: 'string', default: 'suite' }, before: { type: 'string' }, 'before-label': { type: 'string' },
  } });
  const methods = values.methods!.split(',') as GpuMethod[];
  for (const m of methods) if (!GPU_METHODS.includes(m)) throw new Error(`unknown method ${m}`);
  const seed = Number(values.seed);
  const root = projectRoot();
  const dir = join(root, 'instances', 'gpu', values.suite!);
  const all = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => ({ f, m: /^n(\d+)-(\w+)-(\d+)\.json$/.exec(f)! }));
  const sizes = values.sizes!.split(',').map(Number).filter((n) => all.some(({ m }) => Number(m[1]) === n));
  const files = all
    .filter(({ m }) => sizes.includes(Number(m[1])))
    .sort((a, b) => Number(a.m[1]) - Number(b.m[1]) || a.m[2].localeCompare(b.m[2]) || Number(a.m[3]) - Number(b.m[3]));

  const bigFile = join(dir, 'n100-high-1.json');
  const hasBig = existsSync(bigFile);
  console.log(hasBig ? '# one decision: N = 100, 450 queued jobs' : '# no n100-high-1.json in the suite: no single-decision timing');
  const big = hasBig ? decisionTimes(validateGpuInstance(JSON.parse(readFileSync(bigFile, 'utf8'))), seed) : null;

  const runs: Run[] = [];
  const bounds = new Map<string, number>();
  for (const { f, m } of files) {
    const instance = validateGpuInstance(JSON.parse(readFileSync(join(dir, f), 'utf8')));
    bounds.set(instance.name, costLowerBound(instance));
    for (const method of methods) {
      const r: GpuSimulationSummary = simulateGpu({ instance, method, seed });
      const run: Run = {
        instance: instance.name, size: Number(m[1]), scenario: m[2], method,
        totalCost: r.totalCost, vmCost: r.vmCost, tardinessCost: r.tardinessCost, lateJobs: r.lateJobs,
        decisions: r.decisions, decisionMedianMs: r.decisionMedianS * 1000, wallS: r.wallS,
        relinkPaths: r.search.relinkPaths, relinkImprovedBest: r.search.relinkImprovedBest, relinkEnteredElite: r.search.relinkEnteredElite,
      };
      runs.push(run);
      console.log(`#${runs.length} ${run.instance} ${method} total:${run.totalCost.toFixed(1)} vm:${run.vmCost.toFixed(1)} tard:${run.tardinessCost.toFixed(1)} late:${run.lateJobs} ${run.wallS.toFixed(2)}s`);
    }
  }

  const scenarios = [...new Set(runs.map((r) => r.scenario))];
  const cell = (size: number | null, scenario: string | null, method: GpuMethod) =>
    runs.filter((r) => (size === null || r.size === size) && (scenario === null || r.scenario === scenario) && r.method === method);
  /** Mean over instances of 1 - cost / EDF's cost on the same instance. */
  const gain = (rs: Run[]) => mean(rs.map((r) => 1 - r.totalCost / runs.find((e) => e.instance === r.instance && e.method === 'edf')!.totalCost));
  const table = sizes.flatMap((size) => scenarios.map((scenario) => ({
    size, scenario,
    methods: Object.fromEntries(methods.map((method) => {
      const rs = cell(size, scenario, method);
      return [method, { meanCost: mean(rs.map((r) => r.totalCost)), gainVsEdf: methods.includes('edf') ? gain(rs) : NaN, meanWallS: mean(rs.map((r) => r.wallS)), decisionMedianMs: upperMedian(rs.map((r) => r.decisionMedianMs)) }];
    })),
  })));
  const edfOf = (instance: string) => runs.find((e) => e.instance === instance && e.method === 'edf')?.totalCost ?? NaN;
  const byScenario = scenarios.map((scenario) => ({
    scenario, gainVsEdf: Object.fromEntries(methods.map((m) => [m, methods.includes('edf') ? gain(cell(null, scenario, m)) : NaN])),
    // the most any schedule could gain: the lower bound against EDF
    boundGainVsEdf: mean([...bounds].filter(([name]) => runs.some((r) => r.instance === name && r.scenario === scenario)).map(([name, b]) => 1 - b / edfOf(name))),
    prOverBound: mean(cell(null, scenario, 'pr').map((r) => r.totalCost / bounds.get(r.instance)! - 1)),
  }));
  const pr = runs.filter((r) => r.method === 'pr');
  const relinking = {
    paths: pr.reduce((a, r) => a + r.relinkPaths, 0),
    improvedBest: pr.reduce((a, r) => a + r.relinkImprovedBest, 0),
    enteredElite: pr.reduce((a, r) => a + r.relinkEnteredElite, 0),
    decisions: pr.reduce((a, r) => a + r.decisions, 0),
  };
  const versus = (a: GpuMethod, b: GpuMethod) => (methods.includes(a) && methods.includes(b)
    ? { meanRatio: mean(cell(null, null, a).map((r) => r.totalCost / cell(null, null, b).find((x) => x.instance === r.instance)!.totalCost)),
      better: cell(null, null, a).filter((r) => r.totalCost < cell(null, null, b).find((x) => x.instance === r.instance)!.totalCost).length,
      of: cell(null, null, a).length }
    : null);
  const summary = { prVsRg: versus('pr', 'rg'), prVsGreedy: versus('pr', 'greedy'), rgVsGreedy: versus('rg', 'greedy'), relinking, bigDecision: big };
  const meta = { suite: `instances/gpu/${values.suite}`, seed, methods, sizes, budget: 'per decision: 100 constructions, then 100 improving steps (pr, ls, ts, sa), 1 s cap, elite 8', node: process.version, date: new Date().toISOString() };
  const out = resolve(root, values.out!);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(`${out}.json`, JSON.stringify({ meta, summary, byScenario, table, runs }, null, 1) + '\n');
  const before: Run[] | undefined = values.before ? JSON.parse(readFileSync(resolve(root, values.before), 'utf8')).runs : undefined;
  writeFileSync(`${out}.md`, markdown(meta, summary, byScenario, table, methods) + (before ? `\n\n${beforeAndNow(before, runs, values['before-label'] ?? values.before!)}` : '') + '\n');
  console.log(`wrote ${relative(root, out)}.json and .md`);
}

/** Wall time of single decisions on a snapshot of 450 queued jobs and no node open, per method. */
function decisionTimes(instance: GpuInstance, seed: number) {
  const jobs = instance.jobs.slice(0, 450).map((_, job) => ({ job, remaining: 1 }));
  const snapshot: Snapshot = {
    time: instance.jobs[449].submission, instance, configs: instance.jobs.map((j) => jobConfigs(instance, j)), jobs, nodes: [],
  };
  const out: Record<string, { medianMs: number; samples: number }> = {};
  for (const method of ['greedy', 'rg', 'pr'] as GpuMethod[]) {
    const ms: number[] = [];
    for (let k = 0; k < 5; k++) {
      const t0 = performance.now();
      gpuScheduler(method, { seed: seed + k })(snapshot);
      ms.push(performance.now() - t0);
    }
    out[method] = { medianMs: upperMedian(ms), samples: ms.length };
    console.log(`${method}: median ${out[method].medianMs.toFixed(1)} ms over ${ms.length} decisions (${jobs.reduce((a, v) => a + snapshot.configs[v.job].length, 0)} configurations)`);
  }
  return out;
}

/** Per method, size and scenario: mean wall time per replay and mean total cost in an earlier result and now. */
function beforeAndNow(before: Run[], now: Run[], label: string): string {
  const keys = [...new Set(now.map((r) => `${r.method}|${r.size}|${r.scenario}`))];
  const avg = (rs: Run[], f: (r: Run) => number) => rs.reduce((a, r) => a + f(r), 0) / rs.length;
  const lines = [
    `## Wall time per replay and total cost: before (${label}) and now`,
    '',
    '| method | N | scenario | wall s before | wall s now | mean cost before | mean cost now |',
    '|---|---:|---|---:|---:|---:|---:|',
  ];
  for (const key of keys) {
    const [method, size, scenario] = key.split('|');
    const pick = (rs: Run[]) => rs.filter((r) => r.method === method && r.size === Number(size) && r.scenario === scenario);
    const b = pick(before);
    const n = pick(now);
    if (b.length === 0) continue;
    lines.push(`| ${method} | ${size} | ${scenario} | ${avg(b, (r) => r.wallS).toFixed(1)} | ${avg(n, (r) => r.wallS).toFixed(1)} | ${avg(b, (r) => r.totalCost).toFixed(0)} | ${avg(n, (r) => r.totalCost).toFixed(0)} |`);
  }
  for (const size of [...new Set(now.filter((r) => r.method === 'pr').map((r) => r.size))]) {
    const b = before.filter((r) => r.method === 'pr' && r.size === size).map((r) => r.wallS);
    const n = now.filter((r) => r.method === 'pr' && r.size === size).map((r) => r.wallS);
    if (b.length > 0) lines.push('', `pr at N = ${size}: median wall time per replay ${median(b).toFixed(1)} s before, ${median(n).toFixed(1)} s now.`);
  }
  return lines.join('\n');
}

function markdown(meta: Record<string, unknown>, s: Record<string, any>, byScenario: { scenario: string; gainVsEdf: Record<string, number>; boundGainVsEdf: number; prOverBound: number }[], table: any[], methods: GpuMethod[]): string {
  const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '-');
  const lines = [
    `# GPU scheduling: every method on ${meta.suite}`,
    '',
    `Seed ${meta.seed}; ${meta.budget}; ${meta.node}, ${meta.date}. Reproduce: \`npm run bench -- gpu\``,
    '(options `--suite suite|reference-mix --methods ... --sizes 10,20,50 --seed N --out FILE --before OLD.json --before-label TEXT`). Costs are VM rental plus weighted tardiness over a whole replay.',
    '',
    '## Mean gain against EDF (1 - cost / EDF cost), per scenario',
    '',
    'The lower bound prices every job alone at its least cost to meet its deadline (configurations mixed, no node',
    'limit, no idle GPU, no wait; `costLowerBound` in `server/gpu/value.ts`): no schedule gains more than it.',
    '',
    `| scenario | ${methods.join(' | ')} | lower bound | PR above the bound |`,
    `|---|${methods.map(() => '---:').join('|')}|---:|---:|`,
    ...byScenario.map((r) => `| ${r.scenario} | ${methods.map((m) => pct(r.gainVsEdf[m])).join(' | ')} | ${pct(r.boundGainVsEdf)} | ${pct(r.prOverBound)} |`),
    '',
    '## Per size and scenario: mean total cost (gain against EDF), mean wall time per replay, median decision time',
    '',
    `| N | scenario | ${methods.join(' | ')} |`,
    `|---:|---|${methods.map(() => '---').join('|')}|`,
    ...table.map((r) => `| ${r.size} | ${r.scenario} | ${methods.map((m) => {
      const c = r.methods[m];
      return `${c.meanCost.toFixed(0)} (${pct(c.gainVsEdf)}) ${c.meanWallS.toFixed(1)} s, ${c.decisionMedianMs.toFixed(1)} ms`;
    }).join(' | ')} |`),
    '',
    '## PR, randomized greedy, greedy',
    '',
    ...(['prVsRg', 'prVsGreedy', 'rgVsGreedy'] as const).filter((k) => s[k]).map((k) =>
      `- ${k.replace('Vs', ' vs ').toLowerCase()}: mean cost ratio ${s[k].meanRatio.toFixed(4)}, cheaper on ${s[k].better}/${s[k].of} instances`),
    `- path relinking: ${s.relinking.paths} paths over ${s.relinking.decisions} decisions; a path's best point entered the elite set ${s.relinking.enteredElite} times and became the decision's best ${s.relinking.improvedBest} times`,
    '',
    ...(s.bigDecision ? [
      '## One decision with N = 100 and 450 queued jobs (no node open)',
      '',
      ...Object.entries(s.bigDecision).map(([m, v]: [string, any]) => `- ${m}: median ${v.medianMs.toFixed(1)} ms over ${v.samples} decisions`),
    ] : []),
  ];
  return lines.join('\n');
}
