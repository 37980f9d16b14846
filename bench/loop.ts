import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PrometheusClient } from '../adapters/prometheus/client.js';
import { arrivalRate } from '../adapters/prometheus/queries.js';
import type { AuditLine } from '../loop/audit.js';
import { projectRoot } from '../server/paths.js';
import { parseTrace } from '../server/replicas/trace.js';
import { startLoopRig, type LoopRig } from '../test/helpers/loop-rig.js';
import { replicaLoopRun, type ReplicaLoopRun } from './loop-replicas.js';
import { serviceFile } from './replicas.js';
import { STREAMING_STORE } from '../server/replicas/model.js';

/**
 * The loop replayed on real traces at 60x (a trace minute a second): the exporter's request rate
 * follows the trace, Prometheus scrapes it, the loop runs a cycle a second on placement and enacts
 * on the loopback API server. A poller beside it notes when Prometheus first shows the load above
 * the loop's fraction of the running placement's maximum; the figure is the time from then to the
 * enacted change. Faults (the second write failing, retries included) are injected while a plan is
 * due; every cycle they undo must leave each object as it was.
 */

const SYSTEM = 'instances/space4ai/instances/Light/5-components/system_description1.json';

interface TraceRun {
  trace: string;
  minutes: number;
  lambdaPeak: number;
  cycles: number;
  outcomes: Record<string, number>;
  writes: number;
  /** cycles with no trigger (or a KEEP) that wrote anything: must be 0 */
  writesWithoutPlan: number;
  violations: number;
  /** seconds from a violation visible in Prometheus to the enacted change, per violation acted on without a fault in between */
  actLatenciesS: number[];
  /** the same for violations whose first plan met an injected fault (one cycle later at least) */
  faultedLatenciesS: number[];
  /** the slowest violation acted on: the outcomes of the cycles from its sighting to the enactment */
  slowest?: { seconds: number; faulted: boolean; outcomes: string[] };
  /** violations never acted on before the replay ended */
  unacted: number;
  faults: number;
  undone: number;
  /** undone cycles that left some object different from before the cycle: must be 0 */
  halfApplied: number;
  /** the bound: two loop intervals plus the solve budget */
  boundS: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A trace's busiest stretch: `minutes` minutes ending an hour after its peak. */
function segment(file: string, minutes: number): number[] {
  const t = parseTrace(file, readFileSync(join(projectRoot(), file), 'utf8'));
  const peak = t.loads.reduce((best, x, i) => (x > t.loads[best] ? i : best), 0);
  const end = Math.min(t.loads.length, peak + 60);
  return t.loads.slice(Math.max(0, end - minutes), end);
}

async function replay(name: string, loads: number[], speed: number): Promise<TraceRun> {
  const rig: LoopRig = await startLoopRig(join(projectRoot(), SYSTEM), { app: { cooldownS: 600 / speed, triggers: { periodS: 3600 / speed } } });
  try {
    const intervalS = rig.config.intervalS;
    const fraction = rig.loop.app.triggers.loadFraction;
    await rig.loadSeen(rig.loop.system.lambda);
    const first = await rig.loop.cycle();
    const lambdaPeak = 2 * (first.inputs.maxLambda as number);
    const top = loads.reduce((a, b) => Math.max(a, b), 0);
    const lambdaAt = (minute: number) => 0.05 + (lambdaPeak - 0.05) * loads[minute] / top;
    const run: TraceRun = { trace: name, minutes: loads.length, lambdaPeak, cycles: 0, outcomes: {}, writes: 0, writesWithoutPlan: 0, violations: 0, actLatenciesS: [], faultedLatenciesS: [], unacted: 0, faults: 0, undone: 0, halfApplied: 0, boundS: 2 * intervalS + rig.loop.app.solve.seconds };
    const start = Date.now();
    const minuteNow = () => Math.floor((Date.now() - start) * speed / 60_000);
    // the exporter follows the trace
    const driver = setInterval(() => rig.setLoad(lambdaAt(Math.min(loads.length - 1, minuteNow()))), 100);
    // the poller: when Prometheus first shows the load above the fraction of the running placement's maximum
    let runningMax = first.inputs.maxLambda as number | undefined;
    let visibleAt: number | undefined;
    let polling = true;
    const reader = new PrometheusClient({ url: rig.prometheus.url });
    const poller = (async () => {
      while (polling) {
        const r = await arrivalRate(reader, rig.config.queries, 'shop', ['c1']);
        if (r.ok && runningMax !== undefined && r.value > fraction * runningMax && visibleAt === undefined) {
          visibleAt = Date.now();
          run.violations++;
        }
        await sleep(250);
      }
    })();
    const snapshot = () => JSON.stringify(rig.loop.mapping.workloads().map(({ ref }) => {
      const o = rig.kube.object(ref.kind === 'Deployment' ? 'Deployment' : 'Service', ref.namespace, ref.name);
      return [o?.spec?.replicas, o?.spec?.template?.spec?.nodeSelector, o?.metadata?.annotations];
    }));
    let lastFault = -Infinity;
    let faulted = false;
    let pending: string[] = [];
    while (minuteNow() < loads.length) {
      const t0 = Date.now();
      if (visibleAt !== undefined && !faulted && pending.length === 0 && run.violations % 2 === 0 && run.cycles - lastFault >= 10) {
        rig.kube.failWrite(2, 500, 4);
        lastFault = run.cycles;
        run.faults++;
        faulted = true;
      }
      const before = snapshot();
      const writes = rig.kube.writeCount();
      const line: AuditLine = await rig.loop.cycle();
      const made = rig.kube.writeCount() - writes;
      run.cycles++;
      run.writes += made;
      run.outcomes[line.outcome] = (run.outcomes[line.outcome] ?? 0) + 1;
      if (['steady', 'keep', 'cooldown', 'no-data', 'paused'].includes(line.outcome) && made > 0) run.writesWithoutPlan++;
      if (line.outcome === 'undone') {
        run.undone++;
        if (snapshot() !== before) run.halfApplied++;
      }
      if (typeof line.inputs.maxLambda === 'number') runningMax = line.inputs.maxLambda;
      if (visibleAt !== undefined) pending.push(`${line.outcome}${line.trigger ? ` (${line.trigger})` : ''}`);
      if (line.outcome === 'enacted') {
        if (visibleAt !== undefined) {
          const seconds = (Date.now() - visibleAt) / 1000;
          (faulted ? run.faultedLatenciesS : run.actLatenciesS).push(seconds);
          if (!run.slowest || seconds > run.slowest.seconds) run.slowest = { seconds, faulted, outcomes: pending };
        }
        visibleAt = undefined;
        faulted = false;
        pending = [];
        // the new placement's maximum is known at the next cycle
        runningMax = undefined;
      }
      await sleep(Math.max(0, t0 + intervalS * 1000 - Date.now()));
    }
    polling = false;
    await poller;
    clearInterval(driver);
    if (visibleAt !== undefined) run.unacted++;
    return run;
  } finally {
    await rig.stop();
  }
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};
const secs = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const most = (xs: number[]) => (xs.length ? Math.max(...xs) : NaN);

/** `npm run bench -- loop [--minutes N] [--speed X] [--replicas-only]`: writes bench/results/loop.md and loop.json (not with --replicas-only). */
export async function benchLoop(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { minutes: { type: 'string' }, speed: { type: 'string' }, 'replicas-only': { type: 'boolean' } } });
  const minutes = Number(values.minutes ?? 300);
  const speed = Number(values.speed ?? 60);
  const traces: [string, string][] = [['surgery', 'instances/traces/surgery/streams_per_minute.csv'], ['worldcup98', 'instances/traces/worldcup98/requests_per_minute.csv']];
  const replicaRuns: ReplicaLoopRun[] = [];
  for (const [name, file, service, from] of [['surgery', traces[0][1], STREAMING_STORE, 2 * 10080], ['worldcup98', traces[1][1], serviceFile('worldcup-web.json'), 49 * 1440]] as const) {
    console.log(`loop bench: ${name}, replicas, a week in the loop's own time`);
    const r = await replicaLoopRun(name, file, service, from, (l) => console.log(l));
    console.log(`  ${r.cycles} cycles, ${r.writes} writes, ${r.minutesApart} minutes apart from the simulation; loop ${JSON.stringify(r.loop)} simulate ${JSON.stringify(r.simulate)}`);
    replicaRuns.push(r);
  }
  // a check of the replica half alone: printed, nothing written
  if (values['replicas-only']) return;
  const runs: TraceRun[] = [];
  for (const [name, file] of traces) {
    console.log(`loop bench: ${name}, ${minutes} trace minutes at ${speed}x`);
    const r = await replay(name, segment(file, minutes), speed);
    console.log(`  ${r.cycles} cycles, ${r.writes} writes, ${r.violations} violations, acted in ${r.actLatenciesS.map((x) => x.toFixed(1)).join(' ')} s (after a fault ${r.faultedLatenciesS.map((x) => x.toFixed(1)).join(' ')} s), ${r.undone}/${r.faults} faults undone, ${r.halfApplied} half applied`);
    runs.push(r);
  }
  const dir = join(projectRoot(), 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'loop.json'), `${JSON.stringify({ system: SYSTEM, minutes, speed, runs, replicaRuns }, null, 2)}\n`);
  const rows = runs.map((r) => `| ${r.trace} | ${r.cycles} | ${Object.entries(r.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')} | ${r.writes} | ${r.writesWithoutPlan} | ${r.violations} | ${r.actLatenciesS.length} | ${secs(quantile(r.actLatenciesS, 0.5))} | ${secs(most(r.actLatenciesS))} | ${r.boundS} | ${secs(most(r.faultedLatenciesS))} | ${r.unacted} | ${r.undone}/${r.faults} | ${r.halfApplied} |`);
  writeFileSync(join(dir, 'loop.md'), [
    '# The re-optimization loop on replayed traces',
    '',
    `\`npm run bench -- loop --minutes ${minutes} --speed ${speed}\`: ${SYSTEM} under the loop (cycle every 1 s, 5 s rate windows, solve 0.5 s,`,
    `cooldown and period scaled by ${speed}), its load the busiest ${minutes} minutes of each trace scaled to 0.05..2x the first placement's maximum,`,
    `replayed at ${speed}x through a real Prometheus; the cluster is the loopback API server. Faults: the second write of a plan fails (5xx, all retries),`,
    'injected on every other violation (at most every 10th cycle), before the first cycle that sees it.',
    '',
    '| trace | cycles | outcomes | writes | writes without a plan | violations visible | acted on | median s to act | max s to act | bound s | max s to act after a fault | never acted on | faults undone | half applied |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    '"s to act" runs from the first Prometheus reading above 0.9 of the running placement\'s maximum (polled every 250 ms) to the end of the cycle',
    'that enacted a change; the bound is two loop intervals plus the solve budget. A violation whose plan met an injected fault is counted apart:',
    'it waits for the next cycle, which enacts.',
    '',
    'The slowest violation acted on, per trace, with the outcomes of the cycles from its sighting to the enactment:',
    '',
    ...runs.map((r) => `- ${r.trace}: ${r.slowest ? `${secs(r.slowest.seconds)} s${r.slowest.faulted ? ' (a fault injected)' : ''}: ${r.slowest.outcomes.join(', ')}` : 'none'}`),
    '',
    '## Replica services: the loop against `copt simulate replicas`',
    '',
    'A week of each trace under the loop\'s replica service (planner, seasonal forecast, 15-minute windows), in the loop\'s own time: the two weeks',
    'before it and the week itself backfilled into a real Prometheus (promtool) as a per-minute gauge with timestamps in the past, one cycle per',
    'trace minute with the clock at that minute, the history read at the first cycle (two range queries: 20,160 minutes), each count enacted on the',
    'loopback API server through the scale subresource. The Deployment\'s count after each cycle is scored with the simulation\'s latency model and',
    'seed, beside `copt simulate replicas --policy planner --forecaster seasonal` on the same minutes (its replay starting a week earlier, where',
    'the loop\'s replay of its history starts). Real-time behaviour (a load minute a second, the exporter\'s live gauge) is in test/loop-replicas.test.ts.',
    '',
    '| trace | service | minutes | cycles | outcomes | writes | writes without a plan | minutes apart | violation rate loop / simulate | scaling events loop / simulate | instance-minutes loop / simulate | cost loop / simulate | loop wall s | simulate wall s |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...replicaRuns.map((r) => `| ${r.trace} | ${r.service} | ${r.minutes[0]}-${r.minutes[1]} | ${r.cycles} | ${Object.entries(r.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')} | ${r.writes} | ${r.writesWithoutPlan} | ${r.minutesApart} | ${pct(r.loop.violationRate)} / ${pct(r.simulate.violationRate)} | ${r.loop.scalingEvents} / ${r.simulate.scalingEvents} | ${r.loop.instanceMinutes} / ${r.simulate.instanceMinutes} | ${r.loop.cost.toFixed(2)} / ${r.simulate.cost.toFixed(2)} | ${r.wallS.toFixed(0)} | ${r.simulateWallS.toFixed(1)} |`),
    '',
  ].join('\n'));
}
