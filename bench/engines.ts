import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseSpace4aiSystem } from '../adapters/space4ai/system.js';
import { projectRoot } from '../server/paths.js';
import { resolveDecision } from '../server/placement/decision.js';
import { encodePlacement } from '../server/placement/encode.js';
import { enumeratePlacement } from '../server/placement/exact/enumerate.js';
import type { PlacementSystem, Profile } from '../server/placement/model.js';
import { indexProblem } from '../server/placement/problem.js';
import { solvePlacement, type PlacementMethod, type PlacementSolution } from '../server/placement/service.js';
import { WorkerPool } from '../server/pool.js';
import { PlacementSolver } from '../server/wasm/placement-solver.js';
import { SEARCH_METHODS } from '../server/wasm/search.js';
import { geomean, referenceInstances } from './reference-instances.js';
import { TwinPlacement, twinLocalSearch } from './twin/placement-local-search.js';

interface Instance {
  suite: 'small' | 'general';
  name: string;
  system: PlacementSystem;
  profile: Profile;
  lambda?: number;
  /** small suite: the proven optimum; general: the reference tool's cost */
  known: number;
}

interface Run {
  instance: string;
  method: PlacementMethod;
  /** best feasible cost read at each budget, from the run's progress events (Infinity: none yet) */
  costAt: Record<string, number>;
  finalCost: number;
  feasible: boolean;
  elapsedS: number;
  stopReason: string;
  engine: PlacementSolution['stats']['engine'];
}

const SINGLES: PlacementMethod[] = ['rg+ls', 'ts', 'sa', 'pr'];

/**
 * Every engine at equal budgets on the small suite (gap to the proven optimum) and on the 80
 * GeneralWorkflows instances (cost against the reference tool, and against optima that enumeration
 * proves starting from the best answer found), moves per second of the wasm local search against
 * its plain-TypeScript twin, and the engines' own counters.
 */
export async function benchEngines(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: {
    budgets: { type: 'string', default: '1,2,5,10' }, seed: { type: 'string', default: '1' },
    methods: { type: 'string', default: SEARCH_METHODS.join(',') }, threads: { type: 'string', default: '2' },
    every: { type: 'string', default: '1' }, 'exact-seconds': { type: 'string', default: '20' },
    out: { type: 'string', default: 'bench/results/engines' },
  } });
  const budgets = values.budgets!.split(',').map(Number).sort((a, b) => a - b);
  const horizon = budgets[budgets.length - 1];
  const seed = Number(values.seed);
  const methods = values.methods!.split(',') as PlacementMethod[];
  const threads = Number(values.threads);
  const every = Number(values.every);
  const root = projectRoot();

  console.log('# moves per second: wasm local search vs its TypeScript twin');
  const speed = movesPerSecond();

  const smallDir = join(root, 'instances', 'placement', 'small');
  const optima: { instance: string; optimum: number }[] = JSON.parse(readFileSync(join(smallDir, 'optima.json'), 'utf8')).instances;
  const instances: Instance[] = [
    ...optima.map((o): Instance => ({
      suite: 'small', name: o.instance, profile: 'copt', known: o.optimum,
      system: parseSpace4aiSystem(readFileSync(join(smallDir, o.instance), 'utf8')),
    })),
    ...referenceInstances().filter((_, i) => i % every === 0).map((r): Instance => ({
      suite: 'general', name: r.name, system: r.system, profile: 'space4ai-d', lambda: 1.8, known: r.reference,
    })),
  ];

  console.log(`# ${methods.length} methods x ${instances.length} instances, ${horizon} s each (small suite: until the optimum), ${threads} threads`);
  const pool = new WorkerPool(threads);
  const runs = new Map<string, Run>();
  const decisions = new Map<string, { cost: number; solution: PlacementSolution }>();
  const jobs = instances.flatMap((inst) => methods.map((method) => ({ inst, method })));
  let done = 0;
  const worker = async () => {
    for (let job = jobs.shift(); job; job = jobs.shift()) {
      const { inst, method } = job;
      const events: { t: number; cost: number }[] = [];
      const solution = await solvePlacement({
        system: inst.system, lambda: inst.lambda, profile: inst.profile, method, seconds: horizon, seed,
        targetCost: inst.suite === 'small' ? inst.known * (1 + 1e-9) : undefined,
      }, pool, { onProgress: (p) => { if (p.feasible) events.push({ t: p.elapsedS, cost: p.bestCost }); } });
      const final = solution.evaluation;
      if (final.feasible) events.push({ t: solution.stats.elapsedS, cost: final.totalCost });
      const costAt = Object.fromEntries(budgets.map((b) => [String(b), Math.min(Infinity, ...events.filter((e) => e.t <= b).map((e) => e.cost))]));
      runs.set(`${inst.name}|${method}`, {
        instance: inst.name, method, costAt, finalCost: final.totalCost, feasible: final.feasible,
        elapsedS: solution.stats.elapsedS, stopReason: solution.stats.stopReason, engine: solution.stats.engine,
      });
      const best = decisions.get(inst.name);
      if (final.feasible && (!best || final.totalCost < best.cost)) decisions.set(inst.name, { cost: final.totalCost, solution });
      done++;
      console.log(`#${done} ${inst.name} ${method} ${solution.stats.elapsedS.toFixed(2)}s cost:${final.totalCost.toFixed(4)} known:${inst.known.toFixed(4)} ${solution.stats.stopReason}`);
    }
  };
  await Promise.all(Array.from({ length: threads }, worker));
  await pool.close();

  const exactSeconds = Number(values['exact-seconds']);
  console.log(`# proving optima of the general instances by enumeration from the best answer found (${exactSeconds} s each)`);
  const proven = new Map<string, number>();
  for (const inst of instances.filter((i) => i.suite === 'general')) {
    const pb = indexProblem(inst.system, inst.profile, inst.lambda);
    const best = decisions.get(inst.name);
    const incumbent = best ? resolveDecision(pb, best.solution.decision) : undefined;
    const r = enumeratePlacement(pb, { seconds: exactSeconds, incumbent });
    if (r.proven && r.decision) proven.set(inst.name, r.cost);
    console.log(`${inst.name} ${r.proven ? `optimum ${r.cost.toFixed(4)}` : 'not proven'} (${r.nodes} nodes, ${r.elapsedS.toFixed(2)} s)`);
  }

  const report = summarize(instances, methods, budgets, runs, proven, speed);
  const out = resolve(root, values.out!);
  mkdirSync(join(out, '..'), { recursive: true });
  const meta = { seed, budgets, threads, every, exactSeconds, node: process.version, date: new Date().toISOString() };
  writeFileSync(`${out}.json`, JSON.stringify({ meta, ...report, runs: [...runs.values()] }, null, 1) + '\n');
  writeFileSync(`${out}.md`, markdown(meta, report) + '\n');
  console.log(`wrote ${relative(root, out)}.json and .md`);
}

/** Moves evaluated per second by the wasm local search and by its TypeScript twin from the same starts. */
function movesPerSecond() {
  const rows = [];
  let wasmMoves = 0;
  let wasmMs = 0;
  let twinMoves = 0;
  let twinMs = 0;
  for (const inst of referenceInstances().filter((r) => r.name.endsWith('/Ins1'))) {
    const encoded = encodePlacement(indexProblem(inst.system, 'space4ai-d', 1.8));
    const wasm = new PlacementSolver(encoded);
    const twin = new TwinPlacement(encoded);
    let wm = 0;
    let wt = 0;
    let tm = 0;
    let tt = 0;
    for (let round = 0; round < 2; round++) {
      // round 0 warms both up (the JIT in particular); round 1 is measured
      for (let s = 1; s <= 30; s++) {
        wasm.moves.construct(s);
        const start = wasm.decision();
        const w = wasm.solve({ method: 'ls', seed: s, seconds: 60 });
        twin.setDecision(start.dep, start.cand, start.cnt);
        const t0 = performance.now();
        const t = twinLocalSearch(twin);
        const t1 = performance.now();
        if (round === 0) continue;
        wm += w.stats.movesEvaluated;
        wt += w.elapsedMs;
        tm += t.movesEvaluated;
        tt += t1 - t0;
      }
    }
    wasmMoves += wm;
    wasmMs += wt;
    twinMoves += tm;
    twinMs += tt;
    const row = { instance: inst.name, wasmMovesPerS: (wm / wt) * 1000, twinMovesPerS: (tm / tt) * 1000, ratio: (wm / wt) / (tm / tt) };
    rows.push(row);
    console.log(`${row.instance} wasm ${row.wasmMovesPerS.toFixed(0)}/s twin ${row.twinMovesPerS.toFixed(0)}/s ratio ${row.ratio.toFixed(2)}`);
  }
  return { rows, wasmMovesPerS: (wasmMoves / wasmMs) * 1000, twinMovesPerS: (twinMoves / twinMs) * 1000, ratio: (wasmMoves / wasmMs) / (twinMoves / twinMs) };
}

function summarize(instances: Instance[], methods: PlacementMethod[], budgets: number[], runs: Map<string, Run>, proven: Map<string, number>, speed: ReturnType<typeof movesPerSecond>) {
  const small = instances.filter((i) => i.suite === 'small');
  const general = instances.filter((i) => i.suite === 'general');
  const run = (i: Instance, m: PlacementMethod) => runs.get(`${i.name}|${m}`)!;
  const smallTable = methods.flatMap((method) => budgets.map((b) => {
    const gaps = small.map((i) => run(i, method).costAt[b] / i.known - 1);
    const found = gaps.filter(Number.isFinite);
    return {
      method, budgetS: b,
      noFeasible: gaps.length - found.length,
      atOptimum: gaps.filter((g) => g <= 1e-9).length,
      within1pct: gaps.filter((g) => g <= 0.01).length,
      meanGapOfFeasible: found.reduce((a, g) => a + g, 0) / found.length,
      maxGapOfFeasible: Math.max(...found),
    };
  }));
  const generalTable = methods.flatMap((method) => budgets.map((b) => {
    const costs = general.map((i) => run(i, method).costAt[b]);
    const feasible = costs.filter(Number.isFinite).length;
    const withProof = general.filter((i) => proven.has(i.name));
    return {
      method, budgetS: b, feasible,
      geomeanVsReference: feasible === general.length ? geomean(general.map((i, k) => costs[k] / i.known)) : Infinity,
      atMostReference: general.filter((i, k) => costs[k] <= i.known * (1 + 1e-9)).length,
      atProvenOptimum: withProof.filter((i) => run(i, method).costAt[b] <= proven.get(i.name)! * (1 + 1e-9)).length,
    };
  }));
  const engine = methods.map((method) => {
    const sum = (k: keyof Run['engine']) => general.reduce((a, i) => a + run(i, method).engine[k], 0);
    return {
      method, movesEvaluated: sum('movesEvaluated'), restarts: sum('restarts'), relinkPaths: sum('relinkPaths'),
      relinkImprovedBest: sum('relinkImprovedBest'), relinkEnteredElite: sum('relinkEnteredElite'),
      tabuAspirations: sum('tabuAspirations'), saAcceptedWorse: sum('saAcceptedWorse'), saReheats: sum('saReheats'),
    };
  });
  const g = (m: PlacementMethod, b: number) => generalTable.find((r) => r.method === m && r.budgetS === b)?.geomeanVsReference ?? NaN;
  const checks = budgets.map((b) => {
    const singles = SINGLES.filter((m) => methods.includes(m));
    const bestSingle = Math.min(...singles.map((m) => g(m, b)));
    return {
      budgetS: b,
      autoWithin1pctOfOptimum: smallTable.find((r) => r.method === 'auto' && r.budgetS === b)?.within1pct,
      smallInstances: small.length,
      tsSaPrAtMostRgLs: (['ts', 'sa', 'pr'] as PlacementMethod[]).filter((m) => methods.includes(m)).map((m) => ({ method: m, geomean: g(m, b), ok: g(m, b) <= g('rg+ls', b) })),
      rgLsGeomean: g('rg+ls', b),
      autoGeomean: g('auto', b),
      bestSingleGeomean: bestSingle,
      autoWithin1pctOfBestSingle: g('auto', b) <= bestSingle * 1.01,
    };
  });
  return { provenGeneral: proven.size, generalInstances: general.length, smallTable, generalTable, engine, checks, speed };
}

function markdown(meta: Record<string, unknown>, r: ReturnType<typeof summarize>): string {
  const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(2)}%` : 'none');
  const n = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : 'infeasible');
  const lines = [
    '# Engines at equal budgets',
    '',
    `Seed ${meta.seed}, ${meta.threads} worker threads on this 2-core machine, ${meta.node}, ${meta.date}.`,
    'Reproduce: `npm run bench -- engines` (options: `--budgets 1,2,5,10 --methods ... --threads 2 --every 1 --exact-seconds 20`).',
    `Each method runs once per instance for the largest budget; the cost at a smaller budget is the best feasible cost its progress events had reported by then (events are at most 0.1 s apart while improving, so a budget's cost is never flattered). Default engine parameters do not depend on the budget.`,
    '',
    `## Small suite (${r.smallTable.length ? r.checks[0].smallInstances : 0} instances, proven optima, profile copt)`,
    '',
    '| method | budget s | at optimum | within 1% | no feasible found | mean gap (feasible) | max gap (feasible) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...r.smallTable.map((x) => `| ${x.method} | ${x.budgetS} | ${x.atOptimum} | ${x.within1pct} | ${x.noFeasible} | ${pct(x.meanGapOfFeasible)} | ${pct(x.maxGapOfFeasible)} |`),
    '',
    `## GeneralWorkflows (${r.generalInstances} instances, lambda 1.8, space4ai-d)`,
    '',
    `Enumeration, started from the best answer any method found, proved the optimum of ${r.provenGeneral} of them within ${meta.exactSeconds} s each.`,
    '',
    '| method | budget s | feasible | geomean ours/reference | <= reference | at proven optimum |',
    '|---|---:|---:|---:|---:|---:|',
    ...r.generalTable.map((x) => `| ${x.method} | ${x.budgetS} | ${x.feasible} | ${n(x.geomeanVsReference)} | ${x.atMostReference} | ${x.atProvenOptimum}/${r.provenGeneral} |`),
    '',
    '## Engine counters (sums over the GeneralWorkflows runs at the largest budget)',
    '',
    '| method | moves evaluated | restarts | relink paths | relinking improved best | entered elite | tabu aspirations | SA worse accepted | SA reheats |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.engine.map((x) => `| ${x.method} | ${x.movesEvaluated} | ${x.restarts} | ${x.relinkPaths} | ${x.relinkImprovedBest} | ${x.relinkEnteredElite} | ${x.tabuAspirations} | ${x.saAcceptedWorse} | ${x.saReheats} |`),
    '',
    '## Moves per second: wasm local search vs its plain-TypeScript twin (same starts, same moves)',
    '',
    '| instance | wasm moves/s | TypeScript moves/s | ratio |',
    '|---|---:|---:|---:|',
    ...r.speed.rows.map((x) => `| ${x.instance} | ${x.wasmMovesPerS.toFixed(0)} | ${x.twinMovesPerS.toFixed(0)} | ${x.ratio.toFixed(2)} |`),
    `| all | ${r.speed.wasmMovesPerS.toFixed(0)} | ${r.speed.twinMovesPerS.toFixed(0)} | ${r.speed.ratio.toFixed(2)} |`,
    '',
    '## Checks',
    '',
    '| budget s | auto within 1% of optimum (small) | ts / sa / pr geomean vs rg+ls (general) | auto vs best single |',
    '|---:|---:|---|---|',
    ...r.checks.map((c) => {
      const vsRgLs = `${c.tsSaPrAtMostRgLs.map((x) => `${x.method} ${n(x.geomean)}${x.ok ? ' <=' : ' >'}`).join(', ')} rg+ls ${n(c.rgLsGeomean)}`;
      if (c.autoWithin1pctOfOptimum === undefined) return `| ${c.budgetS} | - (auto not run) | ${vsRgLs} | - |`;
      return `| ${c.budgetS} | ${c.autoWithin1pctOfOptimum}/${c.smallInstances} | ${vsRgLs} | auto ${n(c.autoGeomean)}, best single ${n(c.bestSingleGeomean)}: ${c.autoWithin1pctOfBestSingle ? 'within 1%' : 'NOT within 1%'} |`;
    }),
  ];
  return lines.join('\n');
}
