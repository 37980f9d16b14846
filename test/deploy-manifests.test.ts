import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loopConfig } from '../loop/config.js';
import { projectRoot } from '../server/paths.js';
import { copt } from './helpers/copt-process.js';

type Obj = Record<string, any>;
const DEPLOY = join(projectRoot(), 'deploy');

/** deploy/ rendered by the real kubectl's kustomize, as `kubectl apply -k deploy/` would send it. */
function rendered(): Obj[] {
  const text = execFileSync('kubectl', ['kustomize', DEPLOY], { encoding: 'utf8' });
  return parseAllDocuments(text).map((d) => d.toJSON() as Obj);
}

/** The kubernetes-models class of an object's apiVersion and kind (core kinds under v1/). */
async function modelOf(o: Obj): Promise<new (data: Obj) => { validate(): void }> {
  const mod = await import(`kubernetes-models/${o.apiVersion}/${o.kind}`);
  return mod[o.kind] ?? mod.default;
}

const byKind = (objects: Obj[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;

describe('the Kubernetes manifests in deploy/', () => {
  const objects = rendered();

  it('render with kustomize and validate against the Kubernetes schemas (kubernetes-models)', async () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/copt-loop', 'ConfigMap/copt-loop-systems', 'Deployment/copt-loop', 'Deployment/copt-serve', 'HorizontalPodAutoscaler/copt-serve',
      'PodDisruptionBudget/copt-serve', 'Role/copt-loop', 'RoleBinding/copt-loop', 'Secret/copt-tls', 'Secret/copt-tokens',
      'Service/copt-serve', 'Service/copt-serve-headless', 'ServiceAccount/copt-loop',
    ]);
    for (const o of objects) {
      const Model = await modelOf(o);
      expect(() => new Model(o).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
    }
    // and a schema that refuses what is wrong: a probe port that is not a number
    const broken = structuredClone(byKind(objects, 'Deployment', 'copt-serve'));
    broken.spec.template.spec.containers[0].readinessProbe.grpc.port = 'health';
    const Model = await modelOf(broken);
    expect(() => new Model(broken).validate()).toThrow();
  });

  it('serve: probes on the health port, non-root and read-only, limits set, the image\'s args accepted by copt serve', async () => {
    const serve = byKind(objects, 'Deployment', 'copt-serve');
    const pod = serve.spec.template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe('registry.example/copt:0.1.0');
    expect(c.readinessProbe.grpc).toEqual({ port: 50052, service: 'copt.v1.Optimizer' });
    expect(c.args).toContain('--health-address=0.0.0.0:50052');
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c.resources.limits).toMatchObject({ cpu: '2' });
    expect(byKind(objects, 'Service', 'copt-serve-headless').spec.clusterIP).toBe('None');
    expect(byKind(objects, 'HorizontalPodAutoscaler', 'copt-serve').spec.scaleTargetRef.name).toBe('copt-serve');
    // the container's arguments as copt serve reads them, its mounted files stood in for by temporary ones
    const dir = mkdtempSync(join(tmpdir(), 'copt-deploy-'));
    try {
      const secret = byKind(objects, 'Secret', 'copt-tokens').stringData.tokens;
      writeFileSync(join(dir, 'tokens'), secret);
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt'), '-days', '1', '-subj', '/CN=copt-serve'], { stdio: 'pipe' });
      const args = (c.args as string[]).map((a) => a.replace(/\/etc\/copt\/(tls|tokens)\//, `${dir}/`));
      const env = Object.fromEntries((c.env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
      const r = await copt(...args, '--print-config');
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).settings).toMatchObject({ address: '0.0.0.0:50051', 'health-address': '0.0.0.0:50052', 'metrics-port': 9464, 'auth-tokens': `${dir}/tokens (1 token)` });
      expect(env.COPT_WORKERS).toBe('2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('loop: one replica under its own ServiceAccount, the least RBAC the adapter calls, a configuration the loop reads', () => {
    const loop = byKind(objects, 'Deployment', 'copt-loop');
    expect(loop.spec.replicas).toBe(1);
    expect(loop.spec.template.spec.serviceAccountName).toBe('copt-loop');
    const rules = byKind(objects, 'Role', 'copt-loop').rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    const allowed = new Set(rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`)))));
    expect([...allowed].sort()).toEqual([
      '/events:create', 'apps/deployments/scale:patch', 'apps/deployments:get', 'apps/deployments:patch',
      'autoscaling/horizontalpodautoscalers:get', 'autoscaling/horizontalpodautoscalers:list', 'autoscaling/horizontalpodautoscalers:patch',
      'serving.knative.dev/services:get', 'serving.knative.dev/services:patch',
    ]);
    expect(rules.every((r) => !r.verbs.includes('*') && !r.resources.includes('*'))).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'copt-deploy-'));
    try {
      const text = byKind(objects, 'ConfigMap', 'copt-loop').data['loop.yaml'] as string;
      const raw = parseAllDocuments(text)[0].toJSON() as Obj;
      writeFileSync(join(dir, 'ca.crt'), '');
      writeFileSync(join(dir, 'tokens'), byKind(objects, 'Secret', 'copt-tokens').stringData.tokens);
      const config = loopConfig({ ...raw, serverSecurity: { ca: join(dir, 'ca.crt'), tokenFile: join(dir, 'tokens') } });
      expect(config).toMatchObject({ server: 'copt-serve:50051', mode: 'dry-run', metricsPort: 9465 });
      expect(config.applications[0].system).toBe('/etc/copt-loop/systems/shop.json');
      expect(config.serverSecurity.token).toBe('replace-me-with-a-long-random-token');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
