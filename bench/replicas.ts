import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { LstmForecaster, stepPeaks } from '../server/models/lstm-forecast.js';
import { ORACLE, seasonalNaive, type Forecaster } from '../server/replicas/forecast.js';
import { STREAMING_STORE, type ReplicaService } from '../server/replicas/model.js';
import { replicaPolicy, type PolicyName } from '../server/replicas/policies.js';
import { simulateReplicas, type ReplicaSimulation } from '../server/replicas/simulate.js';
import { parseTrace, weekMinute } from '../server/replicas/trace.js';
import { validateReplicaService } from '../server/replicas/validate.js';
import { projectRoot } from '../server/paths.js';

const DAY = 1440;
const STEP = 15;

/** `start`: the time of the trace's first minute, where its time column holds no dates. */
export interface Setup { trace: string; file: string; service: () => ReplicaService; fromDay: number; start?: string }

export const SETUPS: Setup[] = [
  { trace: 'surgery', file: 'instances/traces/surgery/streams_per_minute.csv', service: () => STREAMING_STORE, fromDay: 0 },
  // the tournament weeks (from 11 June 1998), not the quiet weeks before it
  { trace: 'worldcup98', file: 'instances/traces/worldcup98/requests_per_minute.csv', service: () => serviceFile('worldcup-web.json'), fromDay: 42 },
  { trace: 'nasa1995', file: 'instances/traces/nasa1995/requests_per_minute.csv', service: () => serviceFile('nasa-web.json'), fromDay: 0, start: '1995-07-01 00:00' },
];

/** `quantile`: the planner with the service's violation price taken away; `priced`: run only where the service has that price (without it, planning on the truth is the oracle). */
const RUNS: { label: string; policy: PolicyName; forecaster: 'seasonal' | 'lstm' | 'truth' | 'none'; quantile?: true; priced?: true }[] = [
  { label: 'reactive', policy: 'reactive', forecaster: 'none' },
  { label: 'memory', policy: 'memory', forecaster: 'none' },
  { label: 'hpa', policy: 'hpa', forecaster: 'none' },
  { label: 'predictive (seasonal)', policy: 'predictive', forecaster: 'seasonal' },
  { label: 'predictive (lstm)', policy: 'predictive', forecaster: 'lstm' },
  { label: 'planner (seasonal)', policy: 'planner', forecaster: 'seasonal' },
  { label: 'planner (lstm)', policy: 'planner', forecaster: 'lstm' },
  { label: 'planner (lstm, quantile)', policy: 'planner', forecaster: 'lstm', quantile: true, priced: true },
  { label: 'planner (true future)', policy: 'planner', forecaster: 'truth', priced: true },
  { label: 'oracle', policy: 'oracle', forecaster: 'none' },
];
/** The policies replayed again on the weeks after the evaluated one, with the same trained LSTM. */
const LATER = ['memory', 'planner (lstm)', 'planner (true future)', 'oracle'];
const LATER_WEEKS = 2;
/** Violating-minute prices the LSTM planner is replayed at on the evaluated week: what an error budget costs in replicas and events. */
const MISS_PRICES = [0.05, 0.1, 0.2, 0.5, 1];

export function serviceFile(name: string): ReplicaService {
  return validateReplicaService(JSON.parse(readFileSync(join(projectRoot(), 'instances', 'replicas', name), 'utf8')));
}

/**
 * Every replica policy on each trace (one training week, the next week evaluated): violation rate,
 * tail latency, scaling events, instance-minutes, cost; the forecasters' mean absolute error per
 * horizon (15-minute peaks, closed loop); an SVG of load, replicas and violations per trace.
 */
export async function benchReplicas(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: {
    traces: { type: 'string', default: SETUPS.map((s) => s.trace).join(',') }, seed: { type: 'string', default: '1' },
    epochs: { type: 'string', default: '30' }, out: { type: 'string', default: 'bench/results/replicas' },
  } });
  const seed = Number(values.seed);
  const root = projectRoot();
  const out = join(root, values.out!);
  mkdirSync(dirname(out), { recursive: true });
  const results = [];
  for (const setup of SETUPS.filter((s) => values.traces!.split(',').includes(s.trace))) {
    const service = setup.service();
    const { loads, firstWeekMinute: dated } = parseTrace(setup.file, readFileSync(join(root, setup.file), 'utf8'));
    const firstWeekMinute = (setup.start ? weekMinute(setup.start) : dated) ?? 0;
    const from = setup.fromDay * DAY;
    const start = from + 7 * DAY;
    const end = start + 7 * DAY;
    const t0 = performance.now();
    const lstm = await LstmForecaster.train(loads, start, { seed, epochs: Number(values.epochs), firstWeekMinute }, from);
    const trainS = (performance.now() - t0) / 1000;
    console.log(`# ${setup.trace}: LSTM trained in ${trainS.toFixed(0)} s`);
    const forecasters: Record<string, Forecaster> = { seasonal: seasonalNaive(), lstm: lstm.forecaster(firstWeekMinute), truth: ORACLE, none: seasonalNaive() };
    const replay = (run: (typeof RUNS)[number], from: number, until: number, s = run.quantile ? { ...service, violationCostPerMin: undefined } : service) => {
      const t1 = performance.now();
      const r = simulateReplicas(s, loads, replicaPolicy(run.policy, s, forecasters[run.forecaster], ORACLE), from, until, seed);
      console.log(`${setup.trace} ${from / DAY}-${until / DAY} d ${run.label.padEnd(24)} violations ${(100 * r.violationRate).toFixed(2)}% p95 ${r.p95Ms?.toFixed(1) ?? 'overload'} p99 ${r.p99Ms?.toFixed(1) ?? 'overload'} events ${r.scalingEvents} instance-min ${r.instanceMinutes}`);
      return { ...r, label: run.label, wallS: (performance.now() - t1) / 1000 };
    };
    const ran = RUNS.filter((run) => !run.priced || service.violationCostPerMin);
    const runs = ran.map((run) => replay(run, start, end));
    const later = Array.from({ length: LATER_WEEKS }, (_, w) => end + (w + 1) * 7 * DAY).filter((until) => until <= loads.length).map((until) => ({
      evalMinutes: [until - 7 * DAY, until],
      policies: ran.filter((run) => LATER.includes(run.label)).map((run) => {
        const { series: _, ...r } = replay(run, until - 7 * DAY, until);
        return r;
      }),
    }));
    const planner = RUNS.find((run) => run.label === 'planner (lstm)')!;
    const priced = MISS_PRICES.map((price) => {
      const { series: _, ...r } = replay({ ...planner, label: `planner (lstm), miss ${price}` }, start, end, { ...service, violationCostPerMin: price });
      return { ...r, price };
    });
    const errors = forecastErrors(loads, start, lstm, firstWeekMinute);
    results.push({ trace: setup.trace, service: service.name, violationCostPerMin: service.violationCostPerMin ?? null, trainMinutes: [from, start], evalMinutes: [start, end], lstmTrainS: trainS, forecastErrors: errors,
      policies: runs.map(({ series: _, ...r }) => r), later, priced });
    writeFileSync(`${out}-${setup.trace}.svg`, svg(setup.trace, runs.filter((r) => ['memory', 'planner (lstm)', 'oracle', 'hpa'].includes(r.label))));
  }
  writeFileSync(`${out}.json`, JSON.stringify({ date: new Date().toISOString(), node: process.version, seed, epochs: Number(values.epochs), results }, null, 1) + '\n');
  writeFileSync(`${out}.md`, markdown(results, seed) + '\n');
  console.log(`wrote ${values.out}.json, .md and one SVG per trace`);
}

/** Steps ahead at which forecast errors are reported (15 minutes to 6 hours). */
const HORIZONS = [1, 2, 4, 8, 16, 24];

/**
 * Errors of 15-minute peak forecasts over every week after training: closed loop (each forecast
 * origin, hourly, feeds its own predictions forward up to 24 steps) per horizon as MAE and the
 * 5/50/95% quantiles of forecast minus truth; the one-step (open-loop) error is the first horizon,
 * every step read from true history. Persistence (the last step's peak) is the yardstick.
 */
function forecastErrors(loads: number[], from: number, lstm: LstmForecaster, firstWeekMinute: number) {
  const H = HORIZONS[HORIZONS.length - 1];
  const week = (7 * DAY) / STEP;
  const errors: Record<'lstm' | 'seasonal' | 'persistence', number[][]> = { lstm: [], seasonal: [], persistence: [] };
  for (const k of Object.keys(errors) as (keyof typeof errors)[]) errors[k] = HORIZONS.map(() => []);
  const last = Math.floor(loads.length / STEP);
  for (let s = from / STEP; s + H <= last; s += 4) {
    const truth = stepPeaks(loads, s, s + H, STEP);
    const lastStep = stepPeaks(loads, s - 1, s, STEP)[0];
    const predicted = {
      lstm: lstm.predictSteps(loads, s, H, firstWeekMinute),
      seasonal: stepPeaks(loads, s - week, s - week + H, STEP),
      persistence: truth.map(() => lastStep),
    };
    for (const k of Object.keys(errors) as (keyof typeof errors)[]) HORIZONS.forEach((h, i) => errors[k][i].push(predicted[k][h - 1] - truth[h - 1]));
  }
  const summary = (es: number[]) => {
    const sorted = [...es].sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    return { mae: es.reduce((a, e) => a + Math.abs(e), 0) / es.length, p5: q(0.05), p50: q(0.5), p95: q(0.95) };
  };
  return {
    horizonsMin: HORIZONS.map((h) => h * STEP),
    origins: errors.lstm[0].length,
    weeks: ((last - from / STEP) / week).toFixed(1),
    lstm: errors.lstm.map(summary), seasonal: errors.seasonal.map(summary), persistence: errors.persistence.map(summary),
  };
}

function svg(trace: string, runs: (ReplicaSimulation & { label: string })[]): string {
  const W = 1200;
  const H = 220;
  const series = runs[0].series;
  const x = (i: number) => ((i / (series.length - 1)) * W).toFixed(1);
  const maxLoad = Math.max(...series.map((s) => s.load), 1);
  const maxRep = Math.max(...runs.flatMap((r) => r.series.map((s) => s.replicas)), 1);
  const colours = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
  // at most about 2,000 points a line
  const every = Math.max(1, Math.floor(series.length / 2000));
  const line = (ys: number[], top: number, scale: number) => ys.map((y, i) => `${x(i)},${(top + H - (y / scale) * H).toFixed(1)}`).filter((_, i) => i % every === 0).join(' ');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${2 * H + 90}" font-family="sans-serif" font-size="12">`,
    `<text x="0" y="14">${trace}: load per minute over the evaluated week (peak ${maxLoad})</text>`,
    `<polyline fill="none" stroke="#555" stroke-width="1" points="${line(series.map((s) => s.load), 20, maxLoad)}"/>`,
    `<text x="0" y="${H + 44}">replicas (peak ${maxRep}); marks below: minutes over the SLO tolerance</text>`,
    ...runs.map((r, k) => `<polyline fill="none" stroke="${colours[k]}" stroke-width="1" points="${line(r.series.map((s) => s.replicas), H + 50, maxRep)}"/>`),
    ...runs.flatMap((r, k) => r.series.flatMap((s, i) => (s.violated ? [`<rect x="${x(i)}" y="${2 * H + 55 + 6 * k}" width="1" height="5" fill="${colours[k]}"/>`] : []))),
    ...runs.map((r, k) => `<text x="${10 + 220 * k}" y="${2 * H + 88}" fill="${colours[k]}">${r.label}</text>`),
    '</svg>',
  ].join('\n') + '\n';
}

function markdown(results: any[], seed: number): string {
  const n = (v: number | null, d = 1) => (v === null ? 'overload' : v.toFixed(d));
  const row = (p: any) => `| ${p.label} | ${(100 * p.violationRate).toFixed(2)}% | ${n(p.p95Ms)} | ${n(p.p99Ms)} | ${p.scalingEvents} | ${p.instanceMinutes} | ${p.cost.toFixed(2)} |`;
  const head = ['| policy | violation rate | p95 ms | p99 ms | scaling events | instance-minutes | cost |', '|---|---:|---:|---:|---:|---:|---:|'];
  return [
    '# Replica policies on traces',
    '',
    `Seed ${seed}; one training week, the following week evaluated minute by minute. Reproduce: \`npm run bench -- replicas\`.`,
    'Violation rate: share of minutes whose SLO-percentile latency is above bound x (1 + tolerance). p95/p99: over the minutes.',
    '',
    ...results.flatMap((r) => [
      `## ${r.trace} (service ${r.service}, minutes ${r.evalMinutes[0]}-${r.evalMinutes[1]}; LSTM trained in ${r.lstmTrainS.toFixed(0)} s)`,
      '',
      r.violationCostPerMin === null
        ? 'The service prices no violating minute: the planner holds the SLO on the 95% quantile of its forecast misses.'
        : `A violating minute costs ${r.violationCostPerMin} (in the cost column too): the planner weighs expected misses against replicas and events; "quantile" is the planner without that price; "true future" is the planner forecasting the loads to come exactly (what the forecast costs), the oracle the same with no miss allowed.`,
      '',
      ...head,
      ...r.policies.map(row),
      '',
      ...r.later.flatMap((w: any) => [`Later week, minutes ${w.evalMinutes[0]}-${w.evalMinutes[1]} (same LSTM):`, '', ...head, ...w.policies.map(row), '']),
      'The LSTM planner on the evaluated week at other prices of a violating minute (the cost column counts the misses at that price):',
      '',
      ...head,
      ...r.priced.map(row),
      '',
      `Forecast errors of 15-minute peaks over the ${r.forecastErrors.weeks} weeks after training (${r.forecastErrors.origins} hourly origins, closed loop; the 15-min row is the open-loop one-step error). Forecast minus truth: MAE, and p5 / p50 / p95.`,
      '',
      '| horizon | LSTM MAE | LSTM p5 / p50 / p95 | seasonal MAE | seasonal p5 / p50 / p95 | persistence MAE |',
      '|---:|---:|---:|---:|---:|---:|',
      ...r.forecastErrors.horizonsMin.map((h: number, i: number) => {
        const f = (e: any) => `${e.p5.toFixed(1)} / ${e.p50.toFixed(1)} / ${e.p95.toFixed(1)}`;
        const { lstm, seasonal, persistence } = r.forecastErrors;
        return `| ${h} min | ${lstm[i].mae.toFixed(2)} | ${f(lstm[i])} | ${seasonal[i].mae.toFixed(2)} | ${f(seasonal[i])} | ${persistence[i].mae.toFixed(2)} |`;
      }),
      '',
      `Plot: \`replicas-${r.trace}.svg\`.`,
      '',
    ]),
  ].join('\n');
}
