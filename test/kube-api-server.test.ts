// Keeps the loopback Kubernetes API server honest: the real kubectl (client-go 1.32) drives it, and raw
// fetch checks the semantics kubectl does not reach. Every call is bounded in time and stays on 127.0.0.1.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startKubeApiServer, type KubeApiServer, type KubeObject } from './helpers/kube-api-server.js';

let api: KubeApiServer;
let home: string;

beforeAll(async () => { home = await mkdtemp(join(tmpdir(), 'kubectl-home-')); });
afterAll(async () => { await rm(home, { recursive: true, force: true }); });
beforeEach(async () => { api = await startKubeApiServer(); });
afterEach(async () => { await api.stop(); });

interface Run { code: number; stdout: string; stderr: string }
/** Runs the real kubectl against the loopback server (10 s bound, private HOME and discovery cache). */
function kubectl(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile('/usr/bin/kubectl', ['--kubeconfig', api.kubeconfig, '--request-timeout=5s', '--cache-dir', join(home, 'cache'), ...args],
      { timeout: 10_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
  });
}
/** Raw fetch with the bearer token (5 s bound). */
function call(method: string, path: string, body?: unknown, contentType = 'application/json', token: string | null = api.token) {
  return fetch(api.url + path, {
    method, signal: AbortSignal.timeout(5_000),
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': contentType } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, contentType: r.headers.get('content-type'), body: await r.json() as any }));
}

const deployment = (name: string, replicas: number, extra: Record<string, any> = {}): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default', labels: { app: name } },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } }, ...extra },
});
/** A full Deployment manifest in YAML (what a user would apply). */
const deploymentYaml = (name: string, replicas: number | string, labelValue = name) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels:
    app: ${labelValue}
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        ports:
        - containerPort: 80
`;
async function manifest(name: string, text: string): Promise<string> {
  const file = join(home, `${name}-${Date.now()}-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, text);
  return file;
}
const dep = (name: string) => api.object('Deployment', 'default', name)!;

describe('kubectl against the loopback API server', () => {
  it('server-side apply creates with defaults and managed fields; the same apply again changes nothing', async () => {
    const file = await manifest('web', deploymentYaml('web', 2));
    const first = await kubectl('apply', '--server-side', '--field-manager=ops', '-f', file);
    expect(first.stderr).toBe('');
    expect(first.stdout.trim()).toBe('deployment.apps/web serverside-applied');
    // kubectl's --validate=strict asked OpenAPI v3 whether PATCH takes fieldValidation, then left validation to us
    const paths = api.requests.map((r) => r.path);
    expect(paths).toContain('/openapi/v3');
    expect(paths).toContain('/openapi/v3/apis/apps/v1');
    expect(paths).not.toContain('/openapi/v2');
    const patch = api.requests.find((r) => r.method === 'PATCH')!;
    expect(patch).toMatchObject({ contentType: 'application/apply-patch+yaml', status: 201, query: { fieldManager: 'ops', fieldValidation: 'Strict', force: 'false' } });

    const got = await kubectl('get', 'deployment', 'web', '-o', 'json', '--show-managed-fields');
    expect(got.code).toBe(0);
    const o = JSON.parse(got.stdout);
    expect(o.metadata.generation).toBe(1);
    expect(o.spec).toMatchObject({ replicas: 2, revisionHistoryLimit: 10, progressDeadlineSeconds: 600, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } });
    const ops = o.metadata.managedFields.find((e: any) => e.manager === 'ops');
    expect(ops).toMatchObject({ operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1' });
    expect(ops.fieldsV1['f:spec']['f:replicas']).toEqual({});
    expect(ops.fieldsV1['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"app"}']['.']).toEqual({});
    expect(ops.fieldsV1['f:spec']['f:strategy']).toBeUndefined(); // defaults belong to nobody
    expect(o.status.observedGeneration).toBe(1); // rollout delay 0: the controller caught up at once

    const writes = api.writeCount();
    const again = await kubectl('apply', '--server-side', '--field-manager=ops', '-f', file);
    expect(again.code).toBe(0);
    expect(api.writeCount()).toBe(writes + 1);
    expect(dep('web').metadata.resourceVersion).toBe(o.metadata.resourceVersion);
    expect(dep('web').metadata.managedFields).toEqual(o.metadata.managedFields);
  });

  it('server-side apply with --dry-run=server stores nothing', async () => {
    const file = await manifest('dry', deploymentYaml('dry', 3));
    const r = await kubectl('apply', '--server-side', '--dry-run=server', '--field-manager=ops', '-f', file);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('deployment.apps/dry serverside-applied (server dry run)');
    expect(api.requests.find((q) => q.method === 'PATCH')).toMatchObject({ dryRun: true, status: 201 });
    expect(dep('dry')).toBeUndefined();
    expect(api.writeCount()).toBe(0);
  });

  it('a second manager conflicts on spec.replicas unless it forces, and then owns the field', async () => {
    expect((await kubectl('apply', '--server-side', '--field-manager=ops', '-f', await manifest('a', deploymentYaml('web', 2)))).code).toBe(0);
    const five = await manifest('b', deploymentYaml('web', 5));
    const clash = await kubectl('apply', '--server-side', '--field-manager=other', '-f', five);
    expect(clash.code).not.toBe(0);
    expect(clash.stderr).toContain('Apply failed with 1 conflict: conflict with "ops": .spec.replicas');
    expect(clash.stderr).toContain('--force-conflicts');
    expect(dep('web').spec.replicas).toBe(2);

    const forced = await kubectl('apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', five);
    expect(forced.code).toBe(0);
    const o = dep('web');
    expect(o.spec.replicas).toBe(5);
    expect(o.metadata.generation).toBe(2);
    const owner = (m: string) => o.metadata.managedFields.find((e: any) => e.manager === m).fieldsV1['f:spec'];
    expect(owner('other')['f:replicas']).toEqual({});
    expect(owner('ops')['f:replicas']).toBeUndefined();
    expect(owner('ops')['f:selector']).toBeDefined(); // shared: both applied the same value
  });

  it('kubectl scale goes through the scale subresource; a failed --current-replicas precondition changes nothing', async () => {
    api.seed(deployment('web', 2));
    const r = await kubectl('scale', 'deployment', 'web', '--replicas=4');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('deployment.apps/web scaled');
    expect(api.requests.some((q) => q.method === 'PATCH' && q.path === '/apis/apps/v1/namespaces/default/deployments/web/scale')).toBe(true);
    const o = dep('web');
    expect(o.spec.replicas).toBe(4);
    expect(o.metadata.generation).toBe(2);
    expect(o.metadata.managedFields.find((e: any) => e.subresource === 'scale')).toMatchObject({ manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:spec': { 'f:replicas': {} } } });

    const writes = api.writeCount();
    const pre = await kubectl('scale', 'deployment', 'web', '--current-replicas=9', '--replicas=3');
    expect(pre.code).not.toBe(0);
    expect(pre.stderr).toContain('Expected replicas to be 9, was 4');
    expect(dep('web').spec.replicas).toBe(4);
    expect(api.writeCount()).toBe(writes);
  });

  it('invalid objects are 422 with the field named, through kubectl and through fetch', async () => {
    const neg = await kubectl('apply', '--server-side', '--field-manager=ops', '-f', await manifest('neg', deploymentYaml('neg', -1)));
    expect(neg.code).not.toBe(0);
    expect(neg.stderr).toContain('The Deployment "neg" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
    const label = await kubectl('apply', '--server-side', '--field-manager=ops', '-f', await manifest('lbl', deploymentYaml('lbl', 1, '"-bad-"')));
    expect(label.code).not.toBe(0);
    expect(label.stderr).toContain('metadata.labels: Invalid value: "-bad-"');
    expect(dep('neg')).toBeUndefined();

    const r = await call('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('Bad_Name', -1, { selector: undefined }));
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Invalid', code: 422, details: { name: 'Bad_Name', group: 'apps', kind: 'Deployment' } });
    expect(r.body.details.causes.map((c: any) => c.field)).toEqual(['metadata.name', 'spec.replicas', 'spec.selector']);
    expect(r.body.message).toMatch(/^Deployment\.apps "Bad_Name" is invalid: \[metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    const hpa = await call('POST', '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers', { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment' }, minReplicas: 3, maxReplicas: 2 } });
    expect(hpa.status).toBe(422);
    expect(hpa.body.details.causes.map((c: any) => c.field)).toEqual(['spec.scaleTargetRef.name', 'spec.maxReplicas']);
  });

  it('unknown fields fail under kubectl\'s strict field validation', async () => {
    const text = deploymentYaml('unk', 1).replace('  replicas: 1\n', '  replicas: 1\n  replicaz: 2\n');
    const r = await kubectl('apply', '--server-side', '--field-manager=ops', '-f', await manifest('unk', text));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Error from server (BadRequest): .spec.replicaz: field not declared in schema');
    expect(dep('unk')).toBeUndefined();
  });

  it('lists, gets HPAs and Knative services, deletes', async () => {
    api.seed(deployment('web', 2));
    api.seed({ ...deployment('api', 1), metadata: { name: 'api', namespace: 'shop', labels: { app: 'api' } } });
    api.seed({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: 'default' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5 } });
    api.seed({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'fn', namespace: 'default' }, spec: { template: { spec: { containers: [{ image: 'ghcr.io/x/fn:1' }] } } } });

    const list = await kubectl('get', 'deployments', '-o', 'json');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).items.map((o: any) => o.metadata.name)).toEqual(['web']);
    const all = await kubectl('get', 'deploy', '-A', '-o', 'json');
    expect(JSON.parse(all.stdout).items.map((o: any) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['default/web', 'shop/api']);
    const raw = await call('GET', '/apis/apps/v1/namespaces/default/deployments?labelSelector=app%3Dweb');
    expect(raw.body).toMatchObject({ kind: 'DeploymentList', apiVersion: 'apps/v1', metadata: { resourceVersion: expect.any(String) } });
    expect(raw.contentType).toBe('application/json');

    const hpa = await kubectl('get', 'hpa');
    expect(hpa.code).toBe(0);
    expect(hpa.stdout).toMatch(/^NAME\s+REFERENCE\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE\nweb\s+Deployment\/web\s+1\s+5\s+2\s+\d+s\n$/);
    const ksvc = await kubectl('get', 'ksvc', '-o', 'json');
    expect(ksvc.code).toBe(0);
    expect(JSON.parse(ksvc.stdout)).toMatchObject({ kind: 'List', items: [{ kind: 'Service', apiVersion: 'serving.knative.dev/v1', metadata: { name: 'fn' } }] });

    const del = await kubectl('delete', 'deployment', 'web');
    expect(del.code).toBe(0);
    expect(del.stdout.trim()).toBe('deployment.apps "web" deleted');
    const gone = await kubectl('get', 'deployment', 'web');
    expect(gone.code).not.toBe(0);
    expect(gone.stderr.trim()).toBe('Error from server (NotFound): deployments.apps "web" not found');
  });
});

describe('raw HTTP semantics', () => {
  it('401 without the token, health and version open', async () => {
    const r = await call('GET', '/apis/apps/v1/namespaces/default/deployments', undefined, undefined, null);
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect((await call('GET', '/api', undefined, undefined, 'wrong')).status).toBe(401);
    expect((await fetch(`${api.url}/healthz`, { signal: AbortSignal.timeout(5_000) })).status).toBe(200);
    expect((await call('GET', '/version', undefined, undefined, null)).body.gitVersion).toBe('v1.32.4');
  });

  it('PUT with a stale resourceVersion is 409; a merge patch updates and bumps generation', async () => {
    const seeded = api.seed(deployment('web', 2));
    const path = '/apis/apps/v1/namespaces/default/deployments/web';
    const fresh = (await call('GET', path)).body;
    const ok = await call('PUT', path, { ...fresh, spec: { ...fresh.spec, replicas: 3 } });
    expect(ok.status).toBe(200);
    const stale = await call('PUT', path, { ...fresh, spec: { ...fresh.spec, replicas: 7 } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ reason: 'Conflict', code: 409, details: { name: 'web', group: 'apps', kind: 'deployments' },
      message: 'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again' });

    const merged = await call('PATCH', `${path}?fieldManager=tuner`, { spec: { replicas: 6 }, metadata: { annotations: { note: 'x' } } }, 'application/merge-patch+json');
    expect(merged.status).toBe(200);
    expect(merged.body.spec.replicas).toBe(6);
    expect(merged.body.metadata.generation).toBe(seeded.metadata.generation + 2);
    expect(merged.body.metadata.managedFields.find((e: any) => e.manager === 'tuner')).toMatchObject({ operation: 'Update' });
    const meta = await call('PATCH', path, { metadata: { labels: { tier: 'web' } } }, 'application/strategic-merge-patch+json');
    expect(meta.body.metadata.generation).toBe(merged.body.metadata.generation); // metadata-only: no generation bump
    expect(meta.body.metadata.labels).toEqual({ app: 'web', tier: 'web' });
    expect((await call('PATCH', path, { spec: {} }, 'text/plain')).status).toBe(415);
    expect((await call('PATCH', `${path}?fieldManager=x`, 'not json', 'application/apply-patch+yaml')).body).toMatchObject({ code: 415, reason: 'UnsupportedMediaType' });
    expect((await call('PATCH', path, deployment('web', 1), 'application/apply-patch+yaml')).body).toMatchObject({ code: 422, message: 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch' });
    expect((await call('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('web', 1))).body).toMatchObject({ code: 409, reason: 'AlreadyExists' });
    expect((await call('POST', '/apis/apps/v1/namespaces/default/deployments?dryRun=yes', deployment('x', 1))).status).toBe(422);
  });

  it('failWrite(2, 500) fails the second write and stores nothing of it', async () => {
    api.failWrite(2, 500);
    const base = '/apis/apps/v1/namespaces/default/deployments';
    expect((await call('POST', base, deployment('one', 1))).status).toBe(201);
    const failed = await call('POST', base, deployment('two', 1));
    expect(failed.status).toBe(500);
    expect(failed.body).toMatchObject({ kind: 'Status', reason: 'InternalError', code: 500 });
    expect(dep('two')).toBeUndefined();
    expect((await call('POST', base, deployment('three', 1))).status).toBe(201);
    expect(api.writeCount()).toBe(2);
    expect(api.objects('Deployment').map((o) => o.metadata.name).sort()).toEqual(['one', 'three']);
  });

  it('dry-run writes answer as the real write would but store and bump nothing', async () => {
    api.seed(deployment('web', 2));
    const before = dep('web');
    const path = '/apis/apps/v1/namespaces/default/deployments/web';
    const r = await call('PATCH', `${path}?dryRun=All`, { spec: { replicas: 9 } }, 'application/merge-patch+json');
    expect(r.status).toBe(200);
    expect(r.body.spec.replicas).toBe(9);
    expect((await call('PATCH', `${path}?dryRun=All`, { spec: { replicas: -2 } }, 'application/merge-patch+json')).status).toBe(422);
    expect((await call('DELETE', `${path}?dryRun=All`)).status).toBe(200);
    expect(dep('web')).toEqual(before);
    expect(api.writeCount()).toBe(0);
  });

  it('the rollout controller brings status up to date, after the rollout delay when one is set', async () => {
    api.seed(deployment('web', 2));
    expect(dep('web').status).toMatchObject({ observedGeneration: 1, replicas: 2, readyReplicas: 2, availableReplicas: 2, updatedReplicas: 2 });
    api.setRolloutDelay(200);
    const path = '/apis/apps/v1/namespaces/default/deployments/web';
    const started = Date.now();
    expect((await call('PATCH', path, { spec: { replicas: 3 } }, 'application/merge-patch+json')).status).toBe(200);
    expect(dep('web').status.observedGeneration).toBe(1);
    while (dep('web').status.observedGeneration !== 2 && Date.now() - started < 3_000) await new Promise((r) => setTimeout(r, 20));
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(dep('web').status).toMatchObject({ observedGeneration: 2, replicas: 3, availableReplicas: 3 });
    expect(dep('web').status.conditions.find((c: any) => c.type === 'Available').status).toBe('True');
    expect(api.writeCount()).toBe(1);
  });

  it('the HPA controller raises a Deployment below minReplicas, through scale as horizontal-pod-autoscaler', async () => {
    api.seed(deployment('web', 1));
    const r = await call('POST', '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers', { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 3, maxReplicas: 6 } });
    expect(r.status).toBe(201);
    const o = dep('web');
    expect(o.spec.replicas).toBe(3);
    expect(o.metadata.managedFields.find((e: any) => e.manager === 'horizontal-pod-autoscaler')).toMatchObject({ operation: 'Update', subresource: 'scale' });
    expect(api.object('HorizontalPodAutoscaler', 'default', 'web')!.status).toMatchObject({ currentReplicas: 3, desiredReplicas: 3 });
    expect(api.writeCount()).toBe(1);
    const scale = await call('GET', '/apis/apps/v1/namespaces/default/deployments/web/scale');
    expect(scale.body).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 3 }, status: { replicas: 3, selector: 'app=web' } });
    const stale = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/web/scale', { ...scale.body, metadata: { ...scale.body.metadata, resourceVersion: '1' }, spec: { replicas: 4 } });
    expect(stale.body).toMatchObject({ code: 409, reason: 'Conflict' });
    const put = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/web/scale', { ...scale.body, spec: { replicas: 8 } });
    expect(put.body.spec.replicas).toBe(8); // the write's own answer; then the HPA controller clamps it to maxReplicas
    expect(dep('web').spec.replicas).toBe(6);
  });

  it('an apply drops the fields its manager no longer names, unless someone else owns them', async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments/web?fieldManager=ops';
    const withNote = deployment('web', 2);
    withNote.metadata.annotations = { note: 'a', keep: 'b' };
    expect((await call('PATCH', path, withNote, 'application/apply-patch+yaml')).status).toBe(201);
    await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/web?fieldManager=editor', { metadata: { annotations: { keep: 'c' } } }, 'application/merge-patch+json');
    const r = await call('PATCH', path, deployment('web', 2), 'application/apply-patch+yaml');
    expect(r.body.metadata.annotations).toEqual({ keep: 'c' });
  });
});
