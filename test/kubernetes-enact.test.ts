// The Kubernetes adapter's enactment on its own, against the loopback API server: HPA floors, the
// scale subresource, retried conflicts, refusals that write nothing, and what the real kubectl reads back.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Cluster, PLAN_ANNOTATION } from '../adapters/kubernetes/cluster.js';
import type { WorkloadState } from '../adapters/kubernetes/mapping.js';
import { startKubeApiServer, type KubeApiServer, type KubeObject } from './helpers/kube-api-server.js';

let kube: KubeApiServer;
let cluster: Cluster;
beforeEach(async () => {
  kube = await startKubeApiServer();
  cluster = new Cluster({ kubeconfig: kube.kubeconfig, fieldManager: 'copt-loop', backoffMs: 10, rolloutTimeoutMs: 3000 });
});
afterEach(async () => { await kube.stop(); });

const deployment = (name: string, replicas: number, nodeSelector?: Record<string, string>): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default' },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'registry.example/x:1' }], ...(nodeSelector ? { nodeSelector } : {}) } } },
});
const state = (name: string, replicas: number, resource?: string, extra: Partial<WorkloadState> = {}): WorkloadState => ({
  ref: { kind: 'Deployment', namespace: 'default', name }, component: 'c1', partition: name, replicas,
  ...(resource ? { resource, nodeSelector: { 'copt.io/resource': resource } } : {}), ...extra,
});

describe('enacting workload states on the API server', () => {
  it('moves the floor of an HPA instead of the replicas it scales, and says so', async () => {
    kube.seed(deployment('web', 2, { 'copt.io/resource': 'VM1' }), 'kubectl-client-side-apply');
    kube.seed({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: 'default' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 10 } });
    const report = await cluster.enact({ id: 'p1', cause: 'test', states: [state('web', 5, 'VM1')] });
    expect(report.outcome, report.error).toBe('enacted');
    expect(report.writes).toEqual([{ target: 'HorizontalPodAutoscaler default/web', phase: 'make', via: 'hpa-floor', changes: [{ field: 'spec.minReplicas', from: 2, to: 5 }] }]);
    expect(report.notes[0]).toMatch(/HorizontalPodAutoscaler web scales it; its minReplicas is set instead of replicas/);
    expect(kube.object('HorizontalPodAutoscaler', 'default', 'web')!.spec.minReplicas).toBe(5);
    // the HPA's controller, not us, raised the replicas
    const dep = kube.object('Deployment', 'default', 'web')!;
    expect(dep.spec.replicas).toBe(5);
    expect(dep.metadata.managedFields.filter((f: { manager: string }) => f.manager === 'copt-loop')).toEqual([]);
  });

  it('sets a replica plan through the scale subresource and annotates the object; kubectl reads both back', async () => {
    kube.seed(deployment('store', 2), 'kubectl-client-side-apply');
    const report = await cluster.enact({ id: 'p2', cause: 'replica plan', states: [state('store', 4, undefined, { viaScale: true })] });
    expect(report.outcome, report.error).toBe('enacted');
    expect(report.writes.map((w) => w.via)).toEqual(['scale', 'apply']);
    expect(kube.requests.some((r) => r.method === 'PATCH' && r.path.endsWith('/deployments/store/scale') && !r.dryRun)).toBe(true);
    const { stdout } = await promisify(execFile)('/usr/bin/kubectl', ['--kubeconfig', kube.kubeconfig, '--request-timeout=5s', 'get', 'deployment', 'store', '-o', 'json'], { timeout: 10_000 });
    const got = JSON.parse(stdout);
    expect(got.spec.replicas).toBe(4);
    expect(got.metadata.annotations[PLAN_ANNOTATION]).toBe('p2');
  });

  it('retries a write that meets a 409 conflict, and the plan lands whole', async () => {
    kube.seed(deployment('a', 1, { 'copt.io/resource': 'E1' }));
    kube.failWrite(1, 409);
    const report = await cluster.enact({ id: 'p3', cause: 'test', states: [state('a', 2, 'E2')] });
    expect(report.outcome, report.error).toBe('enacted');
    const a = kube.object('Deployment', 'default', 'a')!;
    expect([a.spec.replicas, a.spec.template.spec.nodeSelector]).toEqual([2, { 'copt.io/resource': 'E2' }]);
  });

  it('scales down only after the moved workload has rolled out (make before break)', async () => {
    kube.seed(deployment('a', 1, { 'copt.io/resource': 'E1' }));
    kube.seed(deployment('b', 2, { 'copt.io/resource': 'E1' }));
    kube.setRolloutDelay(300);
    const report = await cluster.enact({ id: 'p4', cause: 'test', states: [state('a', 0), state('b', 1, 'V1')] });
    expect(report.outcome, report.error).toBe('enacted');
    expect(report.writes.map((w) => `${w.phase} ${w.target}`)).toEqual(['make Deployment default/b', 'break Deployment default/a', 'break Deployment default/b']);
    const writes = kube.requests.filter((r) => r.method === 'PATCH' && !r.dryRun).map((r) => r.path.split('/').at(-1));
    expect(writes).toEqual(['b', 'a', 'b']);
    // between b's move and a's scale-down, the adapter polled b until its rollout was done
    const real = kube.requests.map((r, i) => ({ ...r, i })).filter((r) => !r.dryRun);
    const made = real.find((r) => r.method === 'PATCH' && r.path.endsWith('/b'))!.i;
    const broke = real.find((r) => r.method === 'PATCH' && r.path.endsWith('/a'))!.i;
    expect(kube.requests.slice(made + 1, broke).filter((r) => r.method === 'GET' && r.path.endsWith('/deployments/b')).length).toBeGreaterThanOrEqual(2);
    expect(kube.object('Deployment', 'default', 'b')!.spec.replicas).toBe(1);
  });

  it('refuses a plan the API server would reject, or whose workload is missing, writing nothing', async () => {
    kube.seed(deployment('a', 1, { 'copt.io/resource': 'E1' }));
    const bad = await cluster.enact({ id: 'p5', cause: 'test', states: [state('a', 2, undefined, { nodeSelector: { 'copt.io/resource': 'not a label value!' }, resource: 'X' })] });
    expect(bad.outcome).toBe('refused');
    expect(bad.error).toMatch(/^dry run of Deployment default\/a \(apply\): .*nodeSelector.*Invalid value.*\(HTTP 422 Invalid\)/);
    const missing = await cluster.enact({ id: 'p6', cause: 'test', states: [state('a', 1, 'E1'), state('gone', 1, 'E1')] });
    expect(missing.outcome).toBe('refused');
    expect(missing.error).toMatch(/Deployment default\/gone does not exist: the plan runs c1\/gone on E1/);
    expect(kube.writeCount()).toBe(0);
    expect(kube.object('Deployment', 'default', 'a')!.spec.replicas).toBe(1);
  });
});
