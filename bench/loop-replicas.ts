import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from '../adapters/kubernetes/cluster.js';
import { PrometheusClient } from '../adapters/prometheus/client.js';
import { loopConfig } from '../loop/config.js';
import type { CycleDeps } from '../loop/cycle.js';
import { LoopMetrics } from '../loop/metrics.js';
import { ReplicaServiceLoop } from '../loop/replicas.js';
import { projectRoot } from '../server/paths.js';
import type { ReplicaService } from '../server/replicas/model.js';
import type { ReplicaPolicy } from '../server/replicas/policies.js';
import { simulateReplicaTrace } from '../server/replicas/service.js';
import { simulateReplicas } from '../server/replicas/simulate.js';
import { parseTrace } from '../server/replicas/trace.js';
import { startKubeApiServer } from '../test/helpers/kube-api-server.js';
import { serviceLoadHistory, startPrometheus, startServiceLoadExporter } from '../test/helpers/prometheus.js';

const WEEK = 7 * 1440;

/** The loop's replica figures beside `copt simulate replicas` on the same week of a trace. */
export interface ReplicaLoopRun {
  trace: string;
  service: string;
  /** the evaluated trace minutes [from, to) */
  minutes: [number, number];
  cycles: number;
  outcomes: Record<string, number>;
  writes: number;
  /** cycles that decided no new count and still wrote: must be 0 */
  writesWithoutPlan: number;
  /** minutes whose count differs from the simulation's */
  minutesApart: number;
  loop: { violationRate: number; scalingEvents: number; instanceMinutes: number; cost: number };
  simulate: { violationRate: number; scalingEvents: number; instanceMinutes: number; cost: number };
  wallS: number;
  simulateWallS: number;
}

/**
 * A week of a trace under the loop's replica service (planner, seasonal forecast) in the loop's
 * own time: the two weeks before it and the week itself backfilled into a real Prometheus as a
 * gauge with minute timestamps in the past, one cycle per trace minute with `now` that minute, the
 * count enacted on the loopback API server through the scale subresource. The Deployment's count
 * after each cycle is scored with the simulation's latency model and seed, beside
 * `copt simulate replicas --policy planner --forecaster seasonal` over the same minutes (its
 * replay starting a week earlier, where the loop's replay of its history starts).
 */
export async function replicaLoopRun(trace: string, file: string, service: ReplicaService, evalFrom: number, log: (s: string) => void): Promise<ReplicaLoopRun> {
  const t = parseTrace(file, readFileSync(join(projectRoot(), file), 'utf8'));
  const loads = t.loads;
  const evalTo = evalFrom + WEEK;
  const historyFrom = evalFrom - 2 * WEEK;
  if (historyFrom < 0 || evalTo > loads.length) throw new Error(`${file}: ${loads.length} minutes; the run needs [${historyFrom}, ${evalTo})`);
  // clock minute = trace minute + offset: in the past, on the trace's minute of the week (and so its windows)
  const fwm = t.firstWeekMinute ?? 0;
  const nowMin = Math.floor(Date.now() / 60_000);
  let offset = nowMin - evalTo - WEEK;
  offset += ((((fwm + 4 * 1440 - offset) % WEEK) + WEEK) % WEEK);
  if (offset + evalTo >= nowMin) offset -= WEEK;
  const W = service.windowMin;
  if ((evalFrom + offset) % W !== 0) throw new Error(`${trace}: trace minute ${evalFrom} does not start a window on the clock`);

  const simStart = performance.now();
  const sim = await simulateReplicaTrace({ service, loads, start: evalFrom - WEEK, end: evalTo, trainFrom: 0, firstWeekMinute: fwm, policy: 'planner', forecaster: 'seasonal', seed: 1 });
  const simulateWallS = (performance.now() - simStart) / 1000;
  const simCounts = new Map(sim.series.map((s) => [s.minute, s.replicas]));

  const dir = mkdtempSync(join(tmpdir(), 'copt-loop-replicas-'));
  const exporter = await startServiceLoadExporter();
  const target = `127.0.0.1:${exporter.port}`;
  const prometheus = await startPrometheus(target, { backfill: serviceLoadHistory([{ service: trace, first: historyFrom + offset, loads: loads.slice(historyFrom, evalTo) }], 60, target) });
  const kube = await startKubeApiServer();
  try {
    const name = 'service';
    kube.seed({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default' }, spec: { replicas: simCounts.get(evalFrom - 1), selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: `registry.example/${name}:1` }] } } } });
    const config = loopConfig({
      prometheus: { url: prometheus.url, timeoutS: 10, stalenessS: 120 },
      kubernetes: { kubeconfig: kube.kubeconfig },
      mode: 'enact',
      queries: { serviceLoad: 'copt_service_load{service="{service}"}' },
      replicaServices: [{ name: trace, workload: { name }, policy: 'planner', forecaster: 'seasonal' }],
    }, dir);
    config.replicaServices[0].service = service;
    const deps: CycleDeps = {
      prometheus: new PrometheusClient({ url: prometheus.url, timeoutMs: 10_000, stalenessS: 120 }),
      cluster: new Cluster({ kubeconfig: kube.kubeconfig, fieldManager: config.kubernetes.fieldManager, rolloutTimeoutMs: 5000, backoffMs: 20 }),
      optimizer: {}, metrics: new LoopMetrics(), log: () => {},
    };
    const loop = new ReplicaServiceLoop(config, config.replicaServices[0], deps);
    const counts = new Map<number, number>();
    const run: Omit<ReplicaLoopRun, 'loop' | 'simulate' | 'minutesApart'> = { trace, service: service.name, minutes: [evalFrom, evalTo], cycles: 0, outcomes: {}, writes: 0, writesWithoutPlan: 0, wallS: 0, simulateWallS };
    const start = performance.now();
    for (let m = evalFrom; m < evalTo; m++) {
      const writes = kube.writeCount();
      // a cycle a second into the minute
      const line = await loop.cycle('enact', ((m + offset) * 60 + 1) * 1000);
      const made = kube.writeCount() - writes;
      run.cycles++;
      run.writes += made;
      run.outcomes[line.outcome] = (run.outcomes[line.outcome] ?? 0) + 1;
      if (line.outcome !== 'enacted' && made > 0) run.writesWithoutPlan++;
      if (line.outcome === 'error' || line.outcome === 'no-data') throw new Error(`${trace} minute ${m}: ${line.outcome}: ${line.reason} ${line.error ?? ''}`);
      counts.set(m, kube.object('Deployment', 'default', name)?.spec?.replicas as number);
      if ((m - evalFrom) % 1440 === 1439) log(`  ${trace}: day ${(m - evalFrom + 1) / 1440} of 7, ${run.writes} writes, ${((performance.now() - start) / 1000).toFixed(0)} s`);
    }
    run.wallS = (performance.now() - start) / 1000;
    // both count series scored alike: the simulation's own first week, then each one's counts
    const replay = (week: Map<number, number>): ReplicaPolicy => ({ name: 'counts', initial: () => simCounts.get(evalFrom - WEEK)!, decide: (_l, m) => (m < evalFrom ? simCounts.get(m)! : week.get(m)!) });
    const figures = (week: Map<number, number>) => {
      const r = simulateReplicas(service, loads, replay(week), evalFrom - WEEK, evalTo, 1);
      const tail = r.series.filter((s) => s.minute >= evalFrom);
      const events = tail.filter((s, i) => (i === 0 ? s.replicas !== simCounts.get(evalFrom - 1) : s.replicas !== tail[i - 1].replicas)).length;
      const violations = tail.filter((s) => s.violated).length;
      const instanceMinutes = tail.reduce((a, s) => a + s.replicas, 0);
      return { violationRate: violations / tail.length, scalingEvents: events, instanceMinutes, cost: instanceMinutes * service.replicaCostPerMin + events * service.scalingEventCost + violations * (service.violationCostPerMin ?? 0) };
    };
    const simWeek = new Map([...simCounts].filter(([m]) => m >= evalFrom));
    let minutesApart = 0;
    for (let m = evalFrom; m < evalTo; m++) if (counts.get(m) !== simCounts.get(m)) minutesApart++;
    return { ...run, minutesApart, loop: figures(counts), simulate: figures(simWeek) };
  } finally {
    await kube.stop();
    await prometheus.stop();
    await exporter.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
