import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@grpc/grpc-js';
import { Cluster } from '../../adapters/kubernetes/cluster.js';
import { PrometheusClient } from '../../adapters/prometheus/client.js';
import { arrivalRate } from '../../adapters/prometheus/queries.js';
import { loopConfig, type LoopConfig } from '../../loop/config.js';
import { ApplicationLoop, type CycleDeps } from '../../loop/cycle.js';
import { LoopMetrics } from '../../loop/metrics.js';
import { callUnary, optimizerClient } from '../../server/grpc/client.js';
import { startServer } from '../../server/grpc/server.js';
import type { PlacementDecision } from '../../server/placement/model.js';
import { startKubeApiServer, type KubeObject } from './kube-api-server.js';
import { startAppExporter, startPrometheus } from './prometheus.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Everything the loop runs against, on loopback: our exporter scraped by a real Prometheus every
 * second, a copt server with one worker, and the loopback Kubernetes API server seeded with the
 * placement solved at the system's own load; and the loop for one application over them, with
 * 5-second rate windows. The test or bench drives the exporter and calls the cycles.
 */
export async function startLoopRig(system: string, options: { app?: Record<string, unknown>; loop?: Record<string, unknown>; startLoad?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'copt-loop-'));
  const exporter = await startAppExporter('shop');
  const prometheus = await startPrometheus(`127.0.0.1:${exporter.port}`);
  const server = await startServer({ address: '127.0.0.1:0', workers: 1 });
  const client = optimizerClient(server.address);
  const kube = await startKubeApiServer();
  const config: LoopConfig = loopConfig({
    server: server.address,
    prometheus: { url: prometheus.url, timeoutS: 2, stalenessS: 10 },
    kubernetes: { kubeconfig: kube.kubeconfig, rolloutTimeoutS: 5 },
    intervalS: 1,
    mode: 'enact',
    queries: {
      arrivalRate: 'sum(rate(copt_requests_total{app="{app}",component="{component}"}[5s]))',
      componentResponseTime: 'sum(rate(copt_request_seconds_sum{app="{app}",component="{component}"}[5s])) / sum(rate(copt_request_seconds_count{app="{app}",component="{component}"}[5s]))',
    },
    ...options.loop,
    applications: [{ name: 'shop', system, solve: { seconds: 0.5, seed: 1 }, migration: { prices: { instance: 0.01 } }, ...options.app }],
  }, dir);
  const logs: string[] = [];
  const deps: CycleDeps = {
    prometheus: new PrometheusClient({ url: prometheus.url, timeoutMs: 2000, stalenessS: 10 }),
    cluster: new Cluster({ kubeconfig: kube.kubeconfig, fieldManager: config.kubernetes.fieldManager, rolloutTimeoutMs: 5000, backoffMs: 20 }),
    optimizer: client, metrics: new LoopMetrics(), log: (l) => logs.push(l),
  };
  const loop = new ApplicationLoop(config, config.applications[0], deps);
  const sources = new Set(loop.system.components.map((c) => c.name).filter((c) => !loop.system.edges.some((e) => e.to === c)));
  const setLoad = (rate: number) => { for (const c of loop.system.components) exporter.set(c.name, sources.has(c.name) ? rate : 0, 1); };
  setLoad(options.startLoad ?? loop.system.lambda);
  // what runs at first: the placement solved for the system's load, as Deployments and Knative Services
  const first = await callUnary(client, 'SolvePlacement', { space4aiJson: readFileSync(system, 'utf8'), budget: { iterations: 2000 }, seed: 1 });
  for (const s of loop.mapping.desired(first.decision)) {
    const labels = { app: s.ref.name };
    const template = { metadata: { labels }, spec: { containers: [{ name: 'main', image: `registry.example/${s.ref.name}:1` }], ...(s.nodeSelector ? { nodeSelector: s.nodeSelector } : {}) } };
    const obj: KubeObject = s.ref.kind === 'Deployment'
      ? { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: s.ref.name, namespace: 'default' }, spec: { replicas: s.replicas, selector: { matchLabels: labels }, template } }
      : { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: s.ref.name, namespace: 'default', annotations: { 'copt.io/active': String(s.active) } }, spec: { template } };
    kube.seed(obj, 'kubectl-client-side-apply');
  }
  const rig = {
    dir, exporter, prometheus, kube, client, config, deps, loop, logs, first: first.decision as PlacementDecision,
    /** every source component's request rate from now on */
    setLoad,
    /** the decision the cluster runs, read through the mapping */
    running: async (): Promise<PlacementDecision> => loop.mapping.running(await deps.cluster.workloads(loop.mapping.workloads().map((w) => w.ref))).decision,
    /** waits (bounded, 15 s) until Prometheus reads the application's load within 3% of `rate` */
    loadSeen: async (rate: number) => {
      const reader = new PrometheusClient({ url: prometheus.url });
      for (let i = 0; i < 60; i++) {
        const r = await arrivalRate(reader, config.queries, 'shop', [...sources]);
        if (r.ok && Math.abs(r.value - rate) < 0.03 * rate) return;
        await sleep(250);
      }
      throw new Error(`Prometheus did not read a load of ${rate}`);
    },
    stop: async () => {
      (client as unknown as Client).close();
      await server.shutdown();
      await kube.stop();
      await prometheus.stop();
      await exporter.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}

export type LoopRig = Awaited<ReturnType<typeof startLoopRig>>;
