import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, PLAN_ANNOTATION, CAUSE_ANNOTATION } from '../adapters/kubernetes/cluster.js';
import { PrometheusClient } from '../adapters/prometheus/client.js';
import { arrivalRate } from '../adapters/prometheus/queries.js';
import { restoreState, type AuditLine } from '../loop/audit.js';
import { loopConfig, type LoopConfig } from '../loop/config.js';
import { ApplicationLoop, type CycleDeps, type PlanFile } from '../loop/cycle.js';
import { LoopMetrics } from '../loop/metrics.js';
import { optimizerClient } from '../server/grpc/client.js';
import { startServer, type OptimizerServer } from '../server/grpc/server.js';
import { projectRoot } from '../server/paths.js';
import type { PlacementDecision } from '../server/placement/model.js';
import { unaryCall } from './helpers/grpc-calls.js';
import { startKubeApiServer, type KubeApiServer, type KubeObject } from './helpers/kube-api-server.js';
import { startAppExporter, startPrometheus } from './helpers/prometheus.js';

const SYSTEM = join(projectRoot(), 'instances/space4ai/instances/Light/5-components/system_description1.json');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The loop end to end: a real Prometheus scraping our exporter, a copt server over gRPC, our loopback Kubernetes API server. */
describe('the re-optimization loop, end to end', () => {
  let dir: string;
  let exporter: Awaited<ReturnType<typeof startAppExporter>>;
  let prometheus: Awaited<ReturnType<typeof startPrometheus>>;
  let kube: KubeApiServer;
  let server: OptimizerServer;
  let client: Record<string, any>;
  let config: LoopConfig;
  let loop: ApplicationLoop;
  let deps: CycleDeps;
  const logs: string[] = [];
  const cycles: AuditLine[] = [];

  /** One cycle, kept for the audit check. */
  const cycle = async (mode: LoopConfig['mode'] = 'enact') => {
    const line = await loop.cycle(mode);
    cycles.push(line);
    return line;
  };
  /** Our fields of every workload: what "as it was" compares. */
  const snapshot = () => loop.mapping.workloads().map(({ ref }) => {
    const o = kube.object(ref.kind === 'Deployment' ? 'Deployment' : 'Service', ref.namespace, ref.name);
    return [ref.kind, ref.name, o?.spec?.replicas, o?.spec?.template?.spec?.nodeSelector, o?.metadata?.annotations];
  });
  /** Waits (bounded) until Prometheus reads the application's load near `rate`. */
  const loadSeen = async (rate: number) => {
    const reader = new PrometheusClient({ url: prometheus.url });
    for (let i = 0; i < 60; i++) {
      const r = await arrivalRate(reader, config.queries, 'shop', ['c1']);
      if (r.ok && Math.abs(r.value - rate) < 0.03 * rate) return;
      await sleep(250);
    }
    throw new Error(`Prometheus did not read a load of ${rate}`);
  };
  const running = async (): Promise<PlacementDecision> => loop.mapping.running(await deps.cluster.workloads(loop.mapping.workloads().map((w) => w.ref))).decision;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'copt-loop-'));
    exporter = await startAppExporter('shop');
    for (const c of ['c1', 'c2', 'c3', 'c4', 'c5']) exporter.set(c, c === 'c1' ? 0.1 : 0, 1);
    prometheus = await startPrometheus(`127.0.0.1:${exporter.port}`);
    server = await startServer({ address: '127.0.0.1:0', workers: 1 });
    client = optimizerClient(server.address);
    kube = await startKubeApiServer();
    const kubeconfig = kube.kubeconfig;
    config = loopConfig({
      server: server.address,
      prometheus: { url: prometheus.url, timeoutS: 2, stalenessS: 10 },
      kubernetes: { kubeconfig, rolloutTimeoutS: 5 },
      intervalS: 1,
      mode: 'enact',
      queries: {
        arrivalRate: 'sum(rate(copt_requests_total{app="{app}",component="{component}"}[5s]))',
        componentResponseTime: 'sum(rate(copt_request_seconds_sum{app="{app}",component="{component}"}[5s])) / sum(rate(copt_request_seconds_count{app="{app}",component="{component}"}[5s]))',
      },
      applications: [{ name: 'shop', system: SYSTEM, solve: { seconds: 0.5, seed: 1 }, migration: { prices: { instance: 0.01 } } }],
    }, dir);
    deps = { prometheus: new PrometheusClient({ url: prometheus.url, timeoutMs: 2000, stalenessS: 10 }), cluster: new Cluster({ kubeconfig, fieldManager: config.kubernetes.fieldManager, rolloutTimeoutMs: 5000, backoffMs: 20 }), optimizer: client, metrics: new LoopMetrics(), log: (l) => logs.push(l) };
    loop = new ApplicationLoop(config, config.applications[0], deps);
    // what runs at first: the placement solved for a load of 0.1, as Deployments and a Knative Service
    const first = await unaryCall(client, 'SolvePlacement', { space4aiJson: readFileSync(SYSTEM, 'utf8'), budget: { iterations: 2000 }, seed: 1 });
    for (const s of loop.mapping.desired(first.decision)) {
      const labels = { app: s.ref.name };
      const template = { metadata: { labels }, spec: { containers: [{ name: 'main', image: `registry.example/${s.ref.name}:1` }], ...(s.nodeSelector ? { nodeSelector: s.nodeSelector } : {}) } };
      const obj: KubeObject = s.ref.kind === 'Deployment'
        ? { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: s.ref.name, namespace: 'default' }, spec: { replicas: s.replicas, selector: { matchLabels: labels }, template } }
        : { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: s.ref.name, namespace: 'default', annotations: { 'copt.io/active': String(s.active) } }, spec: { template } };
      kube.seed(obj, 'kubectl-client-side-apply');
    }
    expect(await running()).toMatchObject({ components: first.decision.components });
    await loadSeen(0.1);
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await server?.shutdown();
    await kube?.stop();
    await prometheus?.stop();
    await exporter?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes no write while the load is unchanged and the SLOs hold', async () => {
    const before = kube.writeCount();
    const lines = [await cycle(), await cycle()];
    expect(lines.map((l) => l.outcome)).toEqual(['steady', 'steady']);
    expect(lines[1].inputs.lambda as number).toBeCloseTo(0.1, 1);
    expect(lines[1].inputs.maxLambda as number).toBeGreaterThan(0.5);
    expect(kube.writeCount()).toBe(before);
  });

  it('in dry-run, prints the plan and dry-runs every write on the server, writing nothing', async () => {
    exporter.set('c1', 1.15, 1);
    await loadSeen(1.15);
    const before = kube.writeCount();
    const requests = kube.requests.length;
    const line = await cycle('dry-run');
    expect(line.outcome, line.error).toBe('dry-run');
    expect(line.trigger).toBe('near-max');
    expect(line.writes!.length).toBeGreaterThanOrEqual(3);
    expect(kube.writeCount()).toBe(before);
    const dry = kube.requests.slice(requests).filter((r) => r.method === 'PATCH');
    expect(dry.length).toBe(line.writes!.length);
    expect(dry.every((r) => r.dryRun && r.contentType?.startsWith('application/apply-patch+yaml') && r.query.fieldManager === 'copt-loop')).toBe(true);
    expect(logs.at(-1)).toMatch(/^copt loop: shop #\d+ .* dry-run plan [0-9a-f]{12} \(\d+ changes, \d+ writes\): load 1\.1\d* above 0\.9 of the placement's maximum/);
  });

  it('undoes every write made when the API server fails the third one, leaving each object as it was', async () => {
    const before = snapshot();
    kube.failWrite(3, 500, 4);
    const line = await cycle();
    expect(line.outcome, line.error).toBe('undone');
    expect(line.error).toMatch(/after 4 attempts/);
    expect(snapshot()).toEqual(before);
  });

  it('on a load ramp, re-optimizes and enacts: the objects then hold the new placement, with the plan id, the cause and Events', async () => {
    const events = kube.objects('Event').length;
    const line = await cycle();
    expect(line.outcome, line.error).toBe('enacted');
    const placement = (line.decision as { placement: PlacementDecision }).placement;
    const now = await running();
    expect(now.components).toEqual(placement.components);
    expect(now.counts.filter((c) => c.count > 0).sort((a, b) => a.resource.localeCompare(b.resource))).toEqual(placement.counts.filter((c) => c.count > 0).sort((a, b) => a.resource.localeCompare(b.resource)));
    const written = line.writes!.map((w) => w.target.split('/')[1]);
    for (const name of written) {
      const o = kube.object('Deployment', 'default', name) ?? kube.object('Service', 'default', name);
      expect(o!.metadata.annotations[PLAN_ANNOTATION]).toBe(line.planId);
      expect(o!.metadata.annotations[CAUSE_ANNOTATION]).toMatch(/^copt loop: load .* above 0\.9/);
      expect(o!.metadata.managedFields.some((f: { manager: string }) => f.manager === 'copt-loop')).toBe(true);
    }
    expect(kube.objects('Event').length - events).toBe(line.writes!.length);
  });

  it('enacting the same plan again makes no write, nor does the next cycle at the same load', async () => {
    const before = kube.writeCount();
    const states = loop.mapping.desired(await running());
    expect((await deps.cluster.enact({ id: 'again', cause: 'test', states })).outcome).toBe('unchanged');
    const line = await cycle();
    expect(line.outcome).toBe('steady');
    expect(kube.writeCount()).toBe(before);
  });

  it('restarted from its audit log, keeps its cooldown', async () => {
    const restored = restoreState(config.audit).get('shop')!;
    expect(restored.state.lastEnactAt).toBeGreaterThan(Date.now() - 60_000);
    const again = new ApplicationLoop(config, config.applications[0], deps, restored.state, restored.cycle);
    exporter.set('c1', 0.8, 1);
    await loadSeen(0.8);
    const line = await again.cycle();
    cycles.push(line);
    expect(line.outcome).toBe('cooldown');
    expect(line.reason).toMatch(/moved \d+% since the last plan .* in cooldown/);
    expect(line.cycle).toBe(restored.cycle + 1);
    loop.cycleNo = line.cycle;
  });

  it('runs one cycle from the command line (--once) and says what it did', async () => {
    const run = promisify(execFile);
    const file = join(dir, 'loop.json');
    writeFileSync(file, JSON.stringify({ ...config, mode: 'dry-run' }));
    const { stdout } = await run('node', [join(projectRoot(), 'bin/copt.js'), 'loop', '--config', file, '--once'], { timeout: 30_000 });
    expect(stdout).toMatch(/copt loop: shop #\d+ [\d.]+s load 0\.8\d* max [\d.]+ cooldown: /);
    loop.cycleNo++;
    cycles.push(JSON.parse(readFileSync(config.audit, 'utf8').trim().split('\n').at(-1)!));
  });

  it('in approve mode writes the plan to a file, and approving it enacts it once', async () => {
    // a load near the running placement's maximum: a trigger the cooldown does not hold
    const max = cycles.at(-1)!.inputs.maxLambda as number;
    exporter.set('c1', 0.95 * max, 1);
    await loadSeen(0.95 * max);
    const before = kube.writeCount();
    const line = await cycle('approve');
    expect(line.outcome, line.reason).toBe('awaiting-approval');
    expect(kube.writeCount()).toBe(before);
    const file = join(config.plansDir, `shop-${line.planId}.json`);
    const plan = JSON.parse(readFileSync(file, 'utf8')) as PlanFile;
    const approved = await loop.approve(plan);
    cycles.push(approved);
    expect(approved.outcome, approved.error).toBe('enacted');
    expect((await running()).components).toEqual(plan.to.components);
    const again = await loop.approve(plan);
    cycles.push(again);
    expect(again.outcome).toBe('refused');
    expect(again.error).toMatch(/the cluster has changed since the plan was made/);
  });

  it('counts cycles, triggers and enactments in its metrics', async () => {
    const served = await deps.metrics.serve('127.0.0.1', 0);
    try {
      const text = await (await fetch(`http://127.0.0.1:${served.port}/metrics`)).text();
      expect(text).toMatch(/copt_loop_cycles_total\{app="shop",outcome="steady"\} [1-9]/);
      expect(text).toMatch(/copt_loop_triggers_total\{app="shop",trigger="near-max"\} [1-9]/);
      expect(text).toMatch(/copt_loop_enactments_total\{app="shop"\} 2/);
      expect(text).toMatch(/copt_loop_failures_total\{app="shop",outcome="undone"\} 1/);
      expect(text).toMatch(/copt_loop_last_decision_timestamp_seconds\{app="shop"\} \d+/);
    } finally {
      await served.close();
    }
  });

  it('with Prometheus stopped, takes no action and says why', async () => {
    await prometheus.stop();
    const before = kube.writeCount();
    const line = await cycle();
    expect(line.outcome).toBe('no-data');
    expect(line.reason).toMatch(/^no data, no action: arrival rate of shop\/c1: http:\/\/127\.0\.0\.1:\d+ is unreachable/);
    expect(logs.at(-1)).toMatch(/ no-data: no data, no action: /);
    expect(kube.writeCount()).toBe(before);
  });

  it('wrote one valid audit line per cycle', () => {
    const lines = readFileSync(config.audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditLine);
    expect(lines.length).toBe(cycles.length);
    expect(lines.map((l) => l.outcome)).toEqual(cycles.map((l) => l.outcome));
    for (const l of lines) {
      expect(l).toMatchObject({ app: 'shop', mode: expect.any(String), reason: expect.any(String), timings: { totalMs: expect.any(Number) }, state: { violationStreak: expect.any(Number) } });
    }
    expect(lines.map((l) => l.cycle)).toEqual(lines.map((_, i) => i + 1));
  });
});
