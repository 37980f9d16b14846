import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { stepPeaks } from '../server/models/lstm-forecast.js';
import { projectRoot } from '../server/paths.js';
import { parseTrace } from '../server/replicas/trace.js';
import { encodeShared, lagrangianBound, planSharedReplicas, type SharedService } from '../server/replicas/shared.js';
import type { SearchMethod } from '../server/wasm/search.js';
import { SETUPS } from './replicas.js';

const DAY = 1440;
/** Capacity units one replica of each bench service takes (cores, say). */
const SIZES: Record<string, number> = { surgery: 2, worldcup98: 1, nasa1995: 1 };
/** Event costs: the services' own, then ten times it (flatter own plans, more to give up under a tight capacity). */
const EVENT_COSTS = [0.5, 5];
/** Each trace's weeks after its training week, one service each: nine services whose days peak together. */
const WEEKS = [1, 2, 3];
const METHODS: SearchMethod[] = ['rg', 'rg+ls', 'ts', 'sa', 'pr', 'auto'];

/**
 * Nine services (each bench trace's three weeks after training, 15-minute windows at the true peak
 * load) sharing one cluster, at capacities from where their own plans fit down to where only their
 * SLO needs fit, with the services' event cost and ten times it. Per engine and budget: the cost
 * over the lower bound (the services' own exact plans added up), feasibility and scaling events,
 * over seeds.
 */
export async function benchReplicasShared(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: {
    seconds: { type: 'string', default: '1,5' }, seeds: { type: 'string', default: '3' },
    out: { type: 'string', default: 'bench/results/replicas-shared' },
  } });
  const budgets = values.seconds!.split(',').map(Number);
  const seeds = Number(values.seeds);
  const root = projectRoot();
  const services = SETUPS.flatMap((setup) => {
    const { loads } = parseTrace(setup.file, readFileSync(join(root, setup.file), 'utf8'));
    return WEEKS.map((week) => {
      const service = { ...setup.service(), name: `${setup.trace}-w${week}` };
      const start = (setup.fromDay + 7 * week) * DAY;
      const windowLoads = stepPeaks(loads, start / service.windowMin, (start + 7 * DAY) / service.windowMin, service.windowMin);
      return { trace: setup.trace, request: { service, windowLoads, capacityPerReplica: SIZES[setup.trace] } };
    });
  });
  const scenarios = [];
  for (const eventCost of EVENT_COSTS) {
    const shared = services.map((s) => ({ ...s.request, service: { ...s.request.service, scalingEventCost: eventCost } }));
    scenarios.push({ eventCost, ...runScenario(shared, budgets, seeds) });
  }
  const out = join(root, values.out!);
  mkdirSync(dirname(out), { recursive: true });
  const meta = {
    date: new Date().toISOString(), node: process.version, windows: services[0].request.windowLoads.length, seeds,
    services: services.map((s) => ({ trace: s.trace, service: s.request.service.name, capacityPerReplica: s.request.capacityPerReplica })),
  };
  writeFileSync(`${out}.json`, JSON.stringify({ ...meta, scenarios }, null, 1) + '\n');
  writeFileSync(`${out}.md`, markdown(meta, scenarios) + '\n');
  console.log(`wrote ${values.out}.json and .md`);
}

/** Every engine and budget at each capacity level of one set of services, against both lower bounds. */
function runScenario(services: SharedService[], budgets: number[], seeds: number) {
  const T = services[0].windowLoads.length;
  const used = (perService: number[][]) => Array.from({ length: T }, (_, t) => perService.reduce((a, r, k) => a + r[t] * services[k].capacityPerReplica, 0));
  const own = encodeShared({ services, capacity: 1 });
  const ownPeak = Math.max(...used(own.ownPlans));
  const needPeak = Math.max(...used(own.needs.map((n) => n.need)));
  console.log(`# event cost ${services[0].service.scalingEventCost}: own plans peak at ${ownPeak} units, SLO needs at ${needPeak}`);
  const levels = [];
  for (const share of [1, 0.5, 0.25, 0]) {
    const capacity = needPeak + share * (ownPeak - needPeak);
    const rows = [];
    for (const seconds of budgets) {
      for (const method of METHODS) {
        const runs = [];
        for (let seed = 1; seed <= seeds; seed++) {
          const p = planSharedReplicas({ services, capacity }, { method, seed, seconds });
          runs.push({ seed, cost: p.cost, feasible: p.feasible, events: p.services.reduce((a, s) => a + s.scalingEvents, 0), iterations: p.search.iterations });
        }
        rows.push({ seconds, method, runs });
      }
    }
    const feasibleCosts = rows.flatMap((r) => r.runs.filter((x) => x.feasible).map((x) => x.cost));
    const best = feasibleCosts.length ? Math.min(...feasibleCosts) : null;
    const t0 = performance.now();
    const priced = lagrangianBound({ services, capacity }, best ?? 1.01 * own.lowerBound, own.needs);
    const pricedS = (performance.now() - t0) / 1000;
    const summarized = rows.map((r) => {
      const costs = r.runs.filter((x) => x.feasible).map((x) => x.cost);
      const gap = (bound: number, c: number) => 100 * (c / bound - 1);
      const mean = (xs: number[]) => (xs.length ? xs.reduce((a, x) => a + x, 0) / xs.length : null);
      const row = {
        ...r, feasible: costs.length,
        bestGapPct: costs.length ? gap(priced, Math.min(...costs)) : null,
        meanGapPct: mean(costs.map((c) => gap(priced, c))),
        meanGapOwnPct: mean(costs.map((c) => gap(own.lowerBound, c))),
        meanEvents: mean(r.runs.map((x) => x.events))!,
      };
      console.log(`capacity ${capacity.toFixed(1)} ${r.seconds}s ${r.method.padEnd(6)} feasible ${costs.length}/${seeds} gap to priced bound best ${row.bestGapPct?.toFixed(3) ?? '-'}% mean ${row.meanGapPct?.toFixed(3) ?? '-'}% events ${row.meanEvents.toFixed(1)}`);
      return row;
    });
    console.log(`capacity ${capacity.toFixed(1)}: priced bound ${priced.toFixed(3)} (own plans ${own.lowerBound.toFixed(3)}) in ${pricedS.toFixed(1)} s; best plan ${best?.toFixed(3) ?? 'none feasible'}`);
    levels.push({ capacity, pricedBound: priced, pricedBoundS: pricedS, bestCost: best, rows: summarized });
  }
  return { ownPeak, needPeak, lowerBound: own.lowerBound, levels };
}

function markdown(meta: { windows: number; seeds: number; services: { trace: string; service: string; capacityPerReplica: number }[] }, scenarios: any[]): string {
  const pct = (v: number | null) => (v === null ? '-' : `${(Math.abs(v) < 5e-4 ? 0 : v).toFixed(3)}%`);
  const traces = [...new Set(meta.services.map((s) => `${s.trace} (${s.capacityPerReplica} unit${s.capacityPerReplica === 1 ? '' : 's'} per replica)`))];
  return [
    '# Replica plans under a shared capacity',
    '',
    `Nine services: the three weeks after the training week of each trace of \`npm run bench -- replicas\` (${traces.join(', ')}), ${meta.windows} windows of 15 minutes at the true peak load, one cluster. Reproduce: \`npm run bench -- replicas-shared\`.`,
    'Capacities run from where the services\' own exact plans fit together (the plain bound is then the optimum) down to where only their SLO needs fit.',
    'Two lower bounds: plain, the own exact plans added up (capacity ignored); priced, a Lagrangian bound (capacity priced per window, each service then planned exactly at those prices, 200 subgradient rounds).',
    `Gaps: cost over the priced bound, over the feasible of ${meta.seeds} seeds (mean over the plain bound in the last gap column). rg: the own plans with the windows over capacity cut down, repeated at random.`,
    '',
    ...scenarios.flatMap((sc) => [
      `## Event cost ${sc.eventCost} per scaling event (own plans peak at ${sc.ownPeak} units, SLO needs at ${sc.needPeak}; plain bound ${sc.lowerBound.toFixed(2)})`,
      '',
      '| capacity | priced bound | best plan | budget | method | feasible | best gap | mean gap | mean gap (plain) | scaling events (mean) |',
      '|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|',
      ...sc.levels.flatMap((l: any) => l.rows.map((r: any) => `| ${l.capacity.toFixed(2)} | ${l.pricedBound.toFixed(2)} | ${l.bestCost?.toFixed(2) ?? '-'} | ${r.seconds} s | ${r.method} | ${r.feasible}/${meta.seeds} | ${pct(r.bestGapPct)} | ${pct(r.meanGapPct)} | ${pct(r.meanGapOwnPct)} | ${r.meanEvents.toFixed(1)} |`)),
      '',
    ]),
  ].join('\n');
}
