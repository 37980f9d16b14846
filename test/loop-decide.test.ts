import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Mapping } from '../adapters/kubernetes/mapping.js';
import { loopConfig } from '../loop/config.js';
import { decide, violations, type AppState } from '../loop/decide.js';
import { STREAMING_STORE } from '../server/replicas/model.js';
import { tinyDecision, tinySystem } from './helpers/tiny-system.js';

const app = () => loopConfig({ applications: [{ name: 'shop', system: 'sys.json' }] }).applications[0];
const fresh: AppState = { violationStreak: 0 };
const at = (s: number) => s * 1000;

describe('the loop decides when to act', () => {
  it('takes the first load as the reference, then acts on a load change beyond the threshold', () => {
    const first = decide(app(), fresh, { lambda: 1, maxLambda: 10, violations: [] }, at(0));
    expect(first.act).toBe(false);
    expect(first.state).toMatchObject({ lastPlanLambda: 1, lastPlanAt: 0 });
    expect(decide(app(), first.state, { lambda: 1.2, maxLambda: 10, violations: [] }, at(60)).act).toBe(false);
    const moved = decide(app(), first.state, { lambda: 1.3, maxLambda: 10, violations: [] }, at(60));
    expect(moved).toMatchObject({ act: true, trigger: 'load-change' });
    expect(moved.planLoad).toBeCloseTo(1.3 / 0.9, 12);
  });

  it('acts on an SLO only after N violated checks in a row, and a met check resets the count', () => {
    let s: AppState = { violationStreak: 0, lastPlanLambda: 1, lastPlanAt: 0 };
    const bad = { lambda: 1, maxLambda: 10, violations: ['c1 2 s > 1 s'] };
    for (const want of [false, false, true]) {
      const v = decide(app(), s, bad, at(10));
      expect(v.act).toBe(want);
      s = v.state;
    }
    expect(decide(app(), { ...s, violationStreak: 2 }, { ...bad, violations: [] }, at(20)).state.violationStreak).toBe(0);
  });

  it('acts when the load passes the fraction of the maximum sustainable load, even in the cooldown', () => {
    const s: AppState = { violationStreak: 0, lastPlanLambda: 9, lastPlanAt: 0, lastEnactAt: at(50) };
    expect(decide(app(), s, { lambda: 9.1, maxLambda: 10, violations: [] }, at(60))).toMatchObject({ act: true, trigger: 'near-max' });
    expect(decide(app(), s, { lambda: 8.9, maxLambda: 10, violations: [] }, at(60)).act).toBe(false);
  });

  it('holds optional migrations (load change, period) in the cooldown and says how long is left', () => {
    const s: AppState = { violationStreak: 0, lastPlanLambda: 1, lastPlanAt: 0, lastEnactAt: at(0) };
    const held = decide(app(), s, { lambda: 2, maxLambda: 10, violations: [] }, at(100));
    expect(held).toMatchObject({ act: false, trigger: 'load-change' });
    expect(held.reason).toMatch(/cooldown \(500 s left of 600 s\)/);
    expect(decide(app(), s, { lambda: 1, maxLambda: 10, violations: [] }, at(3600))).toMatchObject({ act: true, trigger: 'period' });
  });

  it('plans nothing for a load of zero', () => {
    const s: AppState = { violationStreak: 0, lastPlanLambda: 1, lastPlanAt: 0 };
    expect(decide(app(), s, { lambda: 0, maxLambda: 10, violations: [] }, at(10))).toMatchObject({ act: false, reason: 'load 0: nothing to plan for' });
  });

  it('names each violated local and global limit', () => {
    const v = violations(tinySystem(), { components: { c1: 1.5, c2: 0.1 }, paths: { p1: 11 } });
    expect(v).toEqual(['c1 1.5 s > 1 s', 'path p1 11 s > 10 s']);
  });
});

describe('the loop configuration', () => {
  it('fills the defaults and names a wrong field with its value', () => {
    expect(app()).toMatchObject({ compat: 'copt', cooldownS: 600, triggers: { violationChecks: 3, loadFraction: 0.9, loadChange: 0.25, periodS: 3600 } });
    const bad = (a: object) => () => loopConfig({ applications: [{ name: 'shop', system: 's.json', ...a }] });
    expect(bad({ triggers: { loadFraction: 1.5 } })).toThrow('applications[0].triggers.loadFraction = 1.5: must be in (0, 1]');
    expect(bad({ migration: { prices: { instance: -1 } } })).toThrow('applications[0].migration.prices.instance = -1: must be >= 0');
    expect(bad({ solve: { method: 'exact' } })).toThrow(/applications\[0\]\.solve\.method = "exact": must be one of auto/);
    expect(bad({ colour: 'red' })).toThrow(/applications\[0\]\.colour = "red": is not a field here/);
    expect(() => loopConfig({ applications: [] })).toThrow(/applications = \[\]: and replicaServices: at least one application or replica service is needed/);
  });

  it('fills a replica service\'s defaults and names a wrong field with its value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'copt-config-'));
    writeFileSync(join(dir, 'web.json'), JSON.stringify({ ...STREAMING_STORE, name: 'web', maxReplicas: 0 }));
    const service = (s: object) => () => loopConfig({ replicaServices: [{ name: 'Store', ...s }] }, dir).replicaServices[0];
    expect(service({})()).toMatchObject({ service: STREAMING_STORE, workload: { kind: 'Deployment', namespace: 'default', name: 'store' }, policy: 'planner', forecaster: 'seasonal', seasonMin: 10080, historyMin: 20160, minuteS: 60 });
    expect(service({ policy: 'oracle' })).toThrow(/replicaServices\[0\]\.policy = "oracle": must be one of reactive, memory, hpa, predictive, planner/);
    expect(service({ seasonMin: 60, historyMin: 60 })).toThrow('replicaServices[0].historyMin = 60: must be a whole number >= 61');
    expect(service({ forecaster: 'lstm', seasonMin: 60 })).toThrow('replicaServices[0].historyMin = 120: must be at least 2880 (two days) to train the LSTM on, or name a stored model');
    expect(service({ service: 'web.json' })).toThrow(/replicaServices\[0\]\.service = "web.json": is not a valid replica service: maxReplicas = 0: must be a whole number >= 1/);
    expect(service({ service: 'none.json' })).toThrow('replicaServices[0].service = "none.json": cannot be read (ENOENT)');
    expect(service({ workload: { kind: 'StatefulSet' } })).toThrow(/replicaServices\[0\]\.workload\.kind = "StatefulSet": must be one of Deployment/);
    expect(() => loopConfig({ applications: [{ name: 'shop', system: 's.json' }], replicaServices: [{ name: 'shop' }] })).toThrow(/replicaServices = "shop": is the name of two/);
    rmSync(dir, { recursive: true });
  });
});

describe('the mapping between a placement and workloads', () => {
  it('gives each partition its workloads, runs the chosen ones and reads the same decision back', () => {
    const m = new Mapping(tinySystem(), { partitions: { 'c1/h1': { deployment: 'detector' } }, resources: { V1: { nodeSelector: { 'node.kubernetes.io/instance-type': 'm5' } } } });
    expect(m.workloads().map((w) => `${w.ref.kind} ${w.ref.name}`)).toEqual(['Deployment detector', 'Deployment c1-h2', 'Deployment c2-h3', 'KnativeService c2-h3']);
    const states = m.desired(tinyDecision());
    expect(states.map((s) => [s.ref.name, s.resource, s.replicas ?? s.active, s.nodeSelector])).toEqual([
      ['detector', 'E1', 1, { 'copt.io/resource': 'E1' }],
      ['c1-h2', 'V1', 1, { 'node.kubernetes.io/instance-type': 'm5' }],
      ['c2-h3', undefined, 0, undefined],
      ['c2-h3', 'F1', true, { 'copt.io/resource': 'F1' }],
    ]);
    const live = states.map((s) => ({ ref: s.ref, found: true, nodeSelector: s.nodeSelector ?? {}, replicas: s.replicas ?? 0, active: s.active ?? false, annotations: {} }));
    expect(m.running(live)).toEqual({ decision: tinyDecision(), notes: [] });
  });

  it('says what no decision can be: a component not running, a selector that picks no candidate', () => {
    const m = new Mapping(tinySystem());
    const states = m.desired(tinyDecision());
    const live = states.map((s) => ({ ref: s.ref, found: true, nodeSelector: s.nodeSelector ?? {}, replicas: s.replicas ?? 0, active: s.active ?? false, annotations: {} }));
    expect(() => m.running(live.map((w) => (w.ref.name === 'c1-h1' ? { ...w, replicas: 0 } : w)))).toThrow(/component c1: no deployment has all its partitions running/);
    expect(() => m.running(live.map((w) => (w.ref.name === 'c1-h2' ? { ...w, nodeSelector: { 'copt.io/resource': 'E9' } } : w)))).toThrow(/Deployment default\/c1-h2: node selector .*E9.* picks none of the resources of c1\/h2 \(V1, E1\)/);
    expect(() => new Mapping(tinySystem(), { partitions: { 'c9/h1': {} } })).toThrow(/mapping.partitions = "c9\/h1": is not a component\/partition/);
    expect(() => new Mapping(tinySystem(), { namespace: 'Shop_1' })).toThrow(/mapping.namespace = "Shop_1"/);
  });
});
