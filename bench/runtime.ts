import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseSpace4aiSolution } from '../adapters/space4ai/solution.js';
import { projectRoot } from '../server/paths.js';
import { maxSustainableLoad } from '../server/placement/max-load.js';
import type { PlacementDecision, PlacementSystem } from '../server/placement/model.js';
import { reoptimizePlacement, ZERO_PRICES, type MigrationPolicy, type Verdict } from '../server/placement/reoptimize.js';
import { evaluateDecision, solvePlacement } from '../server/placement/service.js';
import { inThreadRunner } from '../server/pool.js';
import { policyBreaches } from './policy-rules.js';
import { geomean, referenceInstances } from './reference-instances.js';

const PROFILE = 'space4ai-r';
const FACTORS = [0.5, 0.8, 1.2, 1.5];

interface PolicyRun {
  name: string;
  policy: MigrationPolicy;
  seconds: number;
}

interface Answer {
  feasible: boolean;
  verdict: Verdict;
  changes: number;
  cost: number;
  migrationCost: number;
  /** wall seconds of the call at the full budget */
  wallS: number;
  /** wall seconds of the same call stopped at its first feasible decision (absent: none found) */
  firstFeasibleS?: number;
  breaches: string[];
}

interface Row {
  instance: string;
  components: number;
  /** the new load, and what it is: a multiple of 1.8, or 0.95 x the running decision's maximum sustainable load */
  lambda: number;
  load: string;
  currentFeasible: boolean;
  currentCost: number;
  /** the running decision with every VM cluster at its most instances: feasible under space4ai-r's rules */
  atMaxFeasible: boolean;
  reference?: { feasible: boolean; cost?: number };
  scratch: { feasible: boolean; cost: number };
  answers: Record<string, Answer>;
}

const percentile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

/**
 * Re-optimization on the 80 GeneralWorkflows instances: the reference's design-time solution at
 * lambda 1.8 runs, the load moves to 0.5, 0.8, 1.2, 1.5 times 1.8 and to 0.95 times the running
 * decision's maximum sustainable load; each policy answers; a from-scratch solve and the reference
 * runtime's own answers (judged by our evaluator) are the yardsticks.
 */
export async function benchRuntime(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: {
    'seconds-r': { type: 'string', default: '0.1' }, 'seconds-priced': { type: 'string', default: '1' },
    scratch: { type: 'string', default: '2' }, seed: { type: 'string', default: '1' },
    instances: { type: 'string' }, policies: { type: 'string', default: 'space4ai-r,priced' }, out: { type: 'string', default: 'bench/results/runtime' },
  } });
  const seed = Number(values.seed);
  const runs: PolicyRun[] = [
    { name: 'space4ai-r', policy: 'space4ai-r' as const, seconds: Number(values['seconds-r']) },
    { name: 'priced', policy: 'priced' as const, seconds: Number(values['seconds-priced']) },
  ].filter((r) => values.policies.split(',').includes(r.name));
  const root = projectRoot();
  const refRoot = join(root, 'instances', 'space4ai', 'reference-solutions');
  const rtRoot = join(root, 'instances', 'space4ai', 'runtime-reference', 'solutions');
  const all = referenceInstances();
  const chosen = values.instances ? all.slice(0, Number(values.instances)) : all;
  const rows: Row[] = [];
  for (const inst of chosen) {
    const current = parseSpace4aiSolution(readFileSync(join(refRoot, inst.name, 'best_sol_1.8.json'), 'utf8'));
    const max = maxSustainableLoad({ system: inst.system, profile: PROFILE, decision: current, lambda: 1.8, atMaxCounts: false, tolerance: 1e-3 });
    const loads: [number, string][] = [...FACTORS.map((f): [number, string] => [Number((1.8 * f).toFixed(2)), `${f} x 1.8`])];
    if (max.maxLambda > 0 && !max.unbounded) loads.push([0.95 * max.maxLambda, '0.95 x max']);
    for (const [lambda, load] of loads) {
      const row = await benchCase(inst.name, inst.system, current, lambda, load, runs, seed, Number(values.scratch), rtRoot);
      rows.push(row);
      const a = Object.entries(row.answers).map(([k, x]) => `${k}:${x.feasible ? x.cost.toFixed(3) : 'infeasible'}/${x.verdict}/${x.changes}`).join(' ');
      console.log(`#${rows.length} ${inst.name} ${load} lambda:${lambda.toFixed(3)} now:${row.currentFeasible ? row.currentCost.toFixed(3) : 'infeasible'} ref:${row.reference ? (row.reference.feasible ? row.reference.cost!.toFixed(3) : 'infeasible') : '-'} scratch:${row.scratch.feasible ? row.scratch.cost.toFixed(3) : '-'} ${a}`);
    }
  }
  const summary = summarize(rows, runs);
  const out = join(root, values.out);
  mkdirSync(join(out, '..'), { recursive: true });
  const meta = { profile: PROFILE, seed, scratchSeconds: Number(values.scratch), runs, node: process.version, date: new Date().toISOString() };
  writeFileSync(`${out}.json`, JSON.stringify({ meta, summary, rows }, null, 2) + '\n');
  writeFileSync(`${out}.md`, report(meta, summary, argv));
  console.log(JSON.stringify(summary, null, 2));
}

async function benchCase(name: string, system: PlacementSystem, current: PlacementDecision, lambda: number, load: string, runs: PolicyRun[], seed: number, scratchSeconds: number, rtRoot: string): Promise<Row> {
  const now = evaluateDecision(system, PROFILE, current, lambda).evaluation;
  const atMax: PlacementDecision = { ...current, counts: current.counts.map((c) => {
    const r = system.resources.find((x) => x.name === c.resource)!;
    return r.kind === 'VM' ? { ...c, count: r.number } : c;
  }) };
  const refFile = join(rtRoot, `${name.replace(/\//g, '-')}-lambda${lambda}.json`);
  let reference: Row['reference'];
  if (load !== '0.95 x max' && existsSync(refFile)) {
    const text = readFileSync(refFile, 'utf8');
    if (JSON.parse(text).feasible === false) reference = { feasible: false };
    else {
      const ev = evaluateDecision(system, PROFILE, parseSpace4aiSolution(text), lambda).evaluation;
      reference = { feasible: ev.feasible, cost: ev.totalCost };
    }
  }
  // --scratch 0: no from-scratch yardstick (a quicker run)
  const scratch = scratchSeconds > 0
    ? (await solvePlacement({ system, lambda, profile: PROFILE, method: 'auto', seconds: scratchSeconds, seed }, inThreadRunner)).evaluation
    : { feasible: false, totalCost: NaN };
  const answers: Record<string, Answer> = {};
  for (const run of runs) {
    const input = { system, current, lambda, profile: PROFILE as typeof PROFILE, method: 'auto' as const, seconds: run.seconds, seed, policy: run.policy, prices: ZERO_PRICES, pinned: [] };
    const t0 = performance.now();
    const r = await reoptimizePlacement(input, inThreadRunner);
    const wallS = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const first = await reoptimizePlacement({ ...input, targetCost: 1e300 }, inThreadRunner);
    const firstS = (performance.now() - t1) / 1000;
    answers[run.name] = {
      feasible: r.solution.evaluation.feasible, verdict: r.verdict, changes: r.changes.length, cost: r.costAfter, migrationCost: r.migrationCost,
      wallS, firstFeasibleS: first.solution.evaluation.feasible ? firstS : undefined,
      breaches: policyBreaches(system, current, r.solution.decision, { policy: run.policy, pinned: [] }),
    };
  }
  return {
    instance: name, components: system.components.length, lambda, load,
    currentFeasible: now.feasible, currentCost: now.totalCost,
    atMaxFeasible: evaluateDecision(system, PROFILE, atMax, lambda).evaluation.feasible,
    reference, scratch: { feasible: scratch.feasible, cost: scratch.totalCost }, answers,
  };
}

const within = (a: number, b: number, rel: number) => a <= b * (1 + rel);

function summarize(rows: Row[], runs: PolicyRun[]) {
  const per: Record<string, unknown> = {};
  for (const run of runs) {
    const xs = rows.map((r) => ({ row: r, a: r.answers[run.name] }));
    const withRef = xs.filter(({ row }) => row.reference?.feasible);
    const curOk = xs.filter(({ row }) => row.currentFeasible);
    const scratchOk = xs.filter(({ row }) => row.scratch.feasible);
    const first15 = xs.filter(({ row, a }) => row.components === 15 && a.firstFeasibleS !== undefined).map(({ a }) => a.firstFeasibleS!);
    const verdicts: Record<string, number> = {};
    for (const { a } of xs) verdicts[a.verdict] = (verdicts[a.verdict] ?? 0) + 1;
    per[run.name] = {
      seconds: run.seconds,
      cases: xs.length,
      feasible: xs.filter(({ a }) => a.feasible).length,
      verdicts,
      medianChanges: percentile(xs.map(({ a }) => a.changes), 0.5),
      referenceFeasible: withRef.length,
      feasibleWhereReferenceIs: withRef.filter(({ a }) => a.feasible).length,
      atMostReferenceCost: withRef.filter(({ row, a }) => a.feasible && within(a.cost, row.reference!.cost!, 1e-9)).length,
      geomeanVsReference: geomeanRatio(withRef.filter(({ a }) => a.feasible).map(({ row, a }) => a.cost / row.reference!.cost!)),
      currentFeasible: curOk.length,
      worseThanFeasibleCurrent: curOk.filter(({ row, a }) => !a.feasible || !within(a.cost, row.currentCost, 1e-9)).length,
      atMaxFeasible: xs.filter(({ row }) => row.atMaxFeasible).length,
      feasibleWhereAtMaxIs: xs.filter(({ row, a }) => row.atMaxFeasible && a.feasible).length,
      scratchFeasible: scratchOk.length,
      within1PctOfScratch: scratchOk.filter(({ row, a }) => a.feasible && within(a.cost, row.scratch.cost, 0.01)).length,
      geomeanVsScratch: geomeanRatio(scratchOk.filter(({ a }) => a.feasible).map(({ row, a }) => a.cost / row.scratch.cost)),
      ruleBreaches: xs.reduce((n, { a }) => n + a.breaches.length, 0),
      firstFeasibleS: { median: percentile(xs.flatMap(({ a }) => (a.firstFeasibleS === undefined ? [] : [a.firstFeasibleS])), 0.5), p95: percentile(xs.flatMap(({ a }) => (a.firstFeasibleS === undefined ? [] : [a.firstFeasibleS])), 0.95) },
      firstFeasibleS15: { median: percentile(first15, 0.5), p95: percentile(first15, 0.95) },
      finalS: { median: percentile(xs.map(({ a }) => a.wallS), 0.5), p95: percentile(xs.map(({ a }) => a.wallS), 0.95) },
    };
  }
  return { cases: rows.length, policies: per };
}

/** The geometric mean of ratios; NaN when there are none. */
const geomeanRatio = (xs: number[]) => (xs.length === 0 ? NaN : geomean(xs));

function report(meta: Record<string, unknown>, summary: ReturnType<typeof summarize>, argv: string[]): string {
  const lines = [
    `# Runtime re-optimization: the 80 GeneralWorkflows instances, the reference's lambda-1.8 solutions running`,
    '',
    `Reproduce: \`npm run bench -- runtime${argv.length ? ' ' + argv.join(' ') : ''}\` (profile ${meta.profile}, seed ${meta.seed}, method auto; ${summary.cases} cases: loads 0.5, 0.8, 1.2, 1.5 x 1.8 and 0.95 x each running decision's maximum sustainable load; from-scratch solve ${meta.scratchSeconds} s; ${meta.node}, ${meta.date}).`,
    '',
    '| policy | budget | feasible | verdicts (KEEP/RESIZE/MIGRATE) | median changes | feasible where the reference is | at most its cost | geomean vs reference | worse than a feasible running decision | feasible where running-at-max is | within 1% of from-scratch | geomean vs from-scratch | rule breaches | first feasible median / p95 (15 components) | final median / p95 |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [name, p] of Object.entries(summary.policies) as [string, Record<string, any>][]) {
    const v = p.verdicts;
    lines.push(`| ${name} | ${p.seconds} s | ${p.feasible}/${p.cases} | ${v.KEEP ?? 0}/${v.RESIZE ?? 0}/${v.MIGRATE ?? 0} | ${p.medianChanges} | ${p.feasibleWhereReferenceIs}/${p.referenceFeasible} | ${p.atMostReferenceCost}/${p.referenceFeasible} | ${p.geomeanVsReference.toFixed(4)} | ${p.worseThanFeasibleCurrent} of ${p.currentFeasible} | ${p.feasibleWhereAtMaxIs}/${p.atMaxFeasible} | ${p.within1PctOfScratch}/${p.scratchFeasible} | ${p.geomeanVsScratch.toFixed(4)} | ${p.ruleBreaches} | ${(p.firstFeasibleS15.median * 1000).toFixed(0)} / ${(p.firstFeasibleS15.p95 * 1000).toFixed(0)} ms | ${(p.finalS.median * 1000).toFixed(0)} / ${(p.finalS.p95 * 1000).toFixed(0)} ms |`);
  }
  lines.push('', 'Times are wall seconds of an in-process call (index, encode, wasm search, decode, evaluate); "first feasible" is the same call stopped at its first feasible decision. Costs are judged by our evaluator; every row is in `runtime.json`.', '');
  return lines.join('\n');
}
