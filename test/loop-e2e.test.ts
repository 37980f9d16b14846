import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAN_ANNOTATION, CAUSE_ANNOTATION } from '../adapters/kubernetes/cluster.js';
import { restoreState, type AuditLine } from '../loop/audit.js';
import type { LoopConfig } from '../loop/config.js';
import { ApplicationLoop, type CycleDeps, type PlanFile } from '../loop/cycle.js';
import { projectRoot } from '../server/paths.js';
import type { PlacementDecision } from '../server/placement/model.js';
import { startLoopRig, type LoopRig } from './helpers/loop-rig.js';

const SYSTEM = join(projectRoot(), 'instances/space4ai/instances/Light/5-components/system_description1.json');

/** The loop end to end: a real Prometheus scraping our exporter, a copt server over gRPC, our loopback Kubernetes API server. */
describe('the re-optimization loop, end to end', () => {
  let rig: LoopRig;
  let kube: LoopRig['kube'];
  let config: LoopConfig;
  let loop: ApplicationLoop;
  let deps: CycleDeps;
  let logs: string[];
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
  const loadSeen = (rate: number) => rig.loadSeen(rate);
  const running = () => rig.running();

  beforeAll(async () => {
    rig = await startLoopRig(SYSTEM, { startLoad: 0.1 });
    ({ kube, config, loop, deps, logs } = rig);
    expect(await running()).toMatchObject({ components: rig.first.components });
    await loadSeen(0.1);
  }, 60_000);

  afterAll(async () => {
    await rig?.stop();
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
    rig.setLoad(1.15);
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
    rig.setLoad(0.8);
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
    const file = join(rig.dir, 'loop.json');
    writeFileSync(file, JSON.stringify({ ...config, mode: 'dry-run' }));
    const { stdout } = await run('node', [join(projectRoot(), 'bin/copt.js'), 'loop', '--config', file, '--once'], { timeout: 30_000 });
    expect(stdout).toMatch(/copt loop: shop #\d+ [\d.]+s load 0\.[78]\d* max [\d.]+ cooldown: /);
    loop.cycleNo++;
    cycles.push(JSON.parse(readFileSync(config.audit, 'utf8').trim().split('\n').at(-1)!));
  });

  it('in approve mode writes the plan to a file, and approving it enacts it once', async () => {
    // a load near the running placement's maximum: a trigger the cooldown does not hold
    const max = cycles.at(-1)!.inputs.maxLambda as number;
    rig.setLoad(0.95 * max);
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
    await rig.prometheus.stop();
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
