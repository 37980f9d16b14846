import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../adapters/kubernetes/cluster.js';
import { PrometheusClient } from '../adapters/prometheus/client.js';
import type { AuditLine } from '../loop/audit.js';
import { loopConfig, type LoopConfig } from '../loop/config.js';
import type { CycleDeps } from '../loop/cycle.js';
import { LoopMetrics } from '../loop/metrics.js';
import { ReplicaServiceLoop } from '../loop/replicas.js';
import { ORACLE, seasonalNaive } from '../server/replicas/forecast.js';
import { replicasNeeded } from '../server/replicas/latency.js';
import { STREAMING_STORE } from '../server/replicas/model.js';
import { replicaPolicy } from '../server/replicas/policies.js';
import { startKubeApiServer, type KubeApiServer } from './helpers/kube-api-server.js';
import { serviceLoadHistory, startPrometheus, startServiceLoadExporter } from './helpers/prometheus.js';

const MINUTE_S = 1;
const SEASON = 12;
/** the streaming store, with 3-minute windows so that a test sees several */
const SERVICE = { ...STREAMING_STORE, windowMin: 3 };
/** the load of clock minute m: a season-long sawtooth, in whole streams (at most 48: covering it costs less than its misses) */
const load = (m: number) => 4 + 4 * (m % SEASON);
/** the LSTM's least history: two days */
const LSTM_HISTORY = 2 * 1440;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Replica services under the loop, on a clock of one-second minutes: a real Prometheus holding a
 * backfilled history of the gauge our exporter then drives, and the loopback API server.
 */
describe('replica services under the loop', () => {
  let dir: string;
  let exporter: Awaited<ReturnType<typeof startServiceLoadExporter>>;
  let prometheus: Awaited<ReturnType<typeof startPrometheus>>;
  let kube: KubeApiServer;
  let driver: NodeJS.Timeout;
  let deps: CycleDeps;
  let logs: string[];
  /** the minute after the LSTM service's history */
  let lstmEnd: number;

  const minuteNow = () => Math.floor(Date.now() / 1000 / MINUTE_S);
  const config = (services: Record<string, unknown>[]): LoopConfig => loopConfig({
    prometheus: { url: prometheus.url, timeoutS: 2, stalenessS: 10 },
    kubernetes: { kubeconfig: kube.kubeconfig },
    mode: 'enact',
    // the sample of minute m is scraped within it; reading 300 ms before its end never catches the next minute's
    queries: { serviceLoad: 'copt_service_load{service="{service}"} offset 300ms' },
    replicaServices: services,
  }, dir);
  const replicas = () => kube.object('Deployment', 'default', 'store')?.spec?.replicas as number;
  /**
   * A cycle at each new minute until `minutes` more minutes have been decided, and another at once
   * after each (in the same minute, barring a slow cycle), which must decide nothing and write nothing.
   */
  const cyclesOver = async (loop: ReplicaServiceLoop, minutes: number) => {
    const lines: AuditLine[] = [];
    const end = minuteNow() + minutes;
    while (minuteNow() <= end) {
      const line = await loop.cycle();
      lines.push(line);
      const writes = kube.writeCount();
      const again = await loop.cycle();
      if (again.inputs.minute === line.inputs.minute) {
        expect(again.reason).toBe(`minute ${line.inputs.minute} was decided by an earlier cycle`);
        expect(kube.writeCount()).toBe(writes);
      }
      await sleep(1000 * MINUTE_S * (minuteNow() + 1) - Date.now() + 80);
    }
    return lines;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'copt-loop-replicas-'));
    writeFileSync(join(dir, 'store.json'), JSON.stringify(SERVICE));
    exporter = await startServiceLoadExporter();
    driver = setInterval(() => exporter.set('store', load(minuteNow())), 50);
    // the history runs on 15 minutes past the start, until the live samples (the same values) take over: Prometheus finds its target some seconds after it starts
    const now = minuteNow();
    const past = Array.from({ length: 3 * SEASON + 15 }, (_, i) => load(now - 3 * SEASON + i));
    const target = `127.0.0.1:${exporter.port}`;
    // and two days of 1-second minutes (and a few more) ending 100 s ago for the LSTM
    const lstmPast = Array.from({ length: LSTM_HISTORY + 10 }, (_, i) => load(now - 110 - LSTM_HISTORY + i));
    prometheus = await startPrometheus(target, {
      scrapeInterval: '200ms',
      backfill: serviceLoadHistory([{ service: 'store', first: now - 3 * SEASON, loads: past }, { service: 'lstm', first: now - 110 - LSTM_HISTORY, loads: lstmPast }], MINUTE_S, target),
    });
    lstmEnd = now - 100;
    const reader = new PrometheusClient({ url: prometheus.url });
    for (let i = 0; i < 50 && !(await reader.scalar('up{job="app"}')).ok; i++) await sleep(200);
    kube = await startKubeApiServer();
    kube.seed({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'store', namespace: 'default' }, spec: { replicas: 2, selector: { matchLabels: { app: 'store' } }, template: { metadata: { labels: { app: 'store' } }, spec: { containers: [{ name: 'main', image: 'registry.example/store:1' }] } } } });
    logs = [];
    deps = {
      prometheus: new PrometheusClient({ url: prometheus.url, timeoutMs: 2000, stalenessS: 10 }),
      cluster: new Cluster({ kubeconfig: kube.kubeconfig, fieldManager: 'copt-loop', rolloutTimeoutMs: 5000, backoffMs: 20 }),
      optimizer: {}, metrics: new LoopMetrics(), log: (l) => logs.push(l),
    };
  }, 60_000);

  afterAll(async () => {
    clearInterval(driver);
    await kube?.stop();
    await prometheus?.stop();
    await exporter?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('scales to what the reactive policy needs for the last window, through the scale subresource, and only at a window', async () => {
    const cfg = config([{ name: 'store', service: 'store.json', policy: 'reactive', seasonMin: SEASON, minuteS: MINUTE_S }]);
    const loop = new ReplicaServiceLoop(cfg, cfg.replicaServices[0], deps);
    const lines = await cyclesOver(loop, 7);
    const scaled = lines.filter((l) => l.outcome === 'enacted');
    expect(scaled.length).toBeGreaterThan(0);
    for (const l of lines) {
      const m = l.inputs.minute as number;
      expect(['enacted', 'steady'], `${l.outcome}: ${l.reason} ${l.error ?? ''}`).toContain(l.outcome);
      if (m % SERVICE.windowMin !== 0) expect(l.outcome).toBe('steady');
      // the last window's peak, from the loads the test drove
      const peak = Math.max(...[1, 2, 3].map((k) => load(m - k)));
      if (m % SERVICE.windowMin === 0) expect((l.decision as { replicas: number }).replicas, `minute ${m}`).toBe(replicasNeeded(SERVICE, peak));
    }
    expect(replicas()).toBe((lines[lines.length - 1].decision as { replicas: number }).replicas);
    expect(kube.requests.some((r) => r.method === 'PATCH' && /\/deployments\/store\/scale/.test(r.path))).toBe(true);
    expect(kube.object('Deployment', 'default', 'store')?.metadata?.annotations?.['copt.io/plan-id']).toBe(scaled[scaled.length - 1].planId);
    const audit = readFileSync(cfg.audit, 'utf8').trim().split('\n').map((t) => JSON.parse(t) as AuditLine);
    expect(audit.filter((a) => a.app === 'store' && a.kind === 'replicas').length).toBe(2 * lines.length);
    expect(logs.some((l) => /^copt loop: store #\d+ .* replicas \d+ enacted plan/.test(l))).toBe(true);
  }, 30_000);

  it('runs the planner as copt simulate replicas would on the same minutes, seasonal forecast, from the count that runs', async () => {
    const cfg = config([{ name: 'store', service: 'store.json', policy: 'planner', seasonMin: SEASON, minuteS: MINUTE_S }]);
    const loop = new ReplicaServiceLoop(cfg, cfg.replicaServices[0], deps);
    const lines = await cyclesOver(loop, 9);
    const origin = lines[0].inputs.historyFrom as number;
    expect(origin % SERVICE.windowMin).toBe(0);
    // the same policy replayed on the loads the test drove: history after its first season, then each minute from the count before
    const loads = Array.from({ length: (lines[lines.length - 1].inputs.minute as number) - origin }, (_, i) => load(origin + i));
    const policy = replicaPolicy('planner', SERVICE, seasonalNaive(SEASON), ORACLE);
    const first = (lines[0].inputs.minute as number) - origin;
    let count = policy.initial(loads, SEASON);
    for (let m = SEASON; m < first; m++) count = policy.decide(loads, m, count);
    count = lines[0].inputs.running as number;
    const expected = new Map<number, number>();
    for (let m = first; m <= loads.length; m++) {
      count = policy.decide(loads, m, count);
      expected.set(m + origin, count);
    }
    for (const l of lines) expect((l.decision as { replicas: number }).replicas, `minute ${l.inputs.minute}: ${l.reason}`).toBe(expected.get(l.inputs.minute as number));
  }, 30_000);

  it('acts on nothing while paused, and on no data says why', async () => {
    const cfg = config([
      { name: 'store', service: 'store.json', policy: 'reactive', seasonMin: SEASON, minuteS: MINUTE_S },
      { name: 'ghost', policy: 'reactive', seasonMin: SEASON, minuteS: MINUTE_S },
    ]);
    kube.seed({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'store', namespace: 'default' }, spec: { replicas: 40, selector: { matchLabels: { app: 'store' } }, template: { metadata: { labels: { app: 'store' } }, spec: { containers: [{ name: 'main', image: 'registry.example/store:1' }] } } } });
    writeFileSync(cfg.pauseFile, '');
    const writes = kube.writeCount();
    const store = new ReplicaServiceLoop(cfg, cfg.replicaServices[0], deps);
    const lines = await cyclesOver(store, 4);
    expect(lines.some((l) => l.outcome === 'paused')).toBe(true);
    expect(lines.every((l) => l.outcome === 'paused' || l.outcome === 'steady')).toBe(true);
    const ghost = await new ReplicaServiceLoop(cfg, cfg.replicaServices[1], deps).cycle();
    expect(ghost.outcome).toBe('no-data');
    expect(ghost.reason).toMatch(/^no data, no action: the load history of ghost \(\d+ minutes\): no series matches copt_service_load\{service="ghost"\}/);
    expect(kube.writeCount()).toBe(writes);
    unlinkSync(cfg.pauseFile);
    expect(existsSync(cfg.pauseFile)).toBe(false);
  }, 30_000);

  it('forecasts with an LSTM trained on the Prometheus history at the first cycle', async () => {
    // the replay of the history starts after its first "season": its last 60 minutes, for time
    const cfg = config([{ name: 'lstm', workload: { name: 'lstm' }, service: 'store.json', policy: 'predictive', forecaster: 'lstm', seasonMin: LSTM_HISTORY - 60, historyMin: LSTM_HISTORY, minuteS: MINUTE_S }]);
    kube.seed({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'lstm', namespace: 'default' }, spec: { replicas: 1, selector: { matchLabels: { app: 'lstm' } }, template: { metadata: { labels: { app: 'lstm' } }, spec: { containers: [{ name: 'main', image: 'registry.example/lstm:1' }] } } } });
    const loop = new ReplicaServiceLoop(cfg, cfg.replicaServices[0], deps);
    // in the loop's own time: cycles at the history's last minutes (the window starting at the first)
    const first = Math.ceil(lstmEnd / SERVICE.windowMin) * SERVICE.windowMin - SERVICE.windowMin;
    const line = await loop.cycle('enact', first * 1000 * MINUTE_S + 100);
    expect(line.outcome, `${line.reason} ${line.error ?? ''}`).toBe('enacted');
    expect(line.inputs.minutesRead).toBeGreaterThanOrEqual(LSTM_HISTORY);
    expect(line.decision).toMatchObject({ policy: 'predictive', forecaster: `lstm (trained on ${line.inputs.minutesRead} minutes)` });
    expect(line.timings.forecasterMs).toBeGreaterThan(0);
    const count = (line.decision as { replicas: number }).replicas;
    // the 15-minute steps the LSTM forecasts all peak at 48 streams: what about that needs, not the 1 that ran
    expect(count).toBeGreaterThanOrEqual(replicasNeeded(SERVICE, 40));
    expect(count).toBeLessThanOrEqual(replicasNeeded(SERVICE, 56));
    expect(kube.object('Deployment', 'default', 'lstm')?.spec?.replicas).toBe(count);
    const next = await loop.cycle('enact', (first + 1) * 1000 * MINUTE_S + 100);
    expect(next.reason).toMatch(/^within a window/);
  }, 120_000);
});
