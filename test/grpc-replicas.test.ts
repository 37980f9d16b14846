import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { failure, liveServer } from './helpers/grpc-calls.js';
import { ORACLE, seasonalNaive } from '../server/replicas/forecast.js';
import { STREAMING_STORE, type ReplicaService } from '../server/replicas/model.js';
import { planCounts, planReplicas } from '../server/replicas/plan.js';
import { replicaPolicy } from '../server/replicas/policies.js';
import { simulateReplicas } from '../server/replicas/simulate.js';
import { evaluateSharedPlan, planSharedReplicas, type SharedReplicaRequest } from '../server/replicas/shared.js';
import { parseTrace } from '../server/replicas/trace.js';

type Msg = Record<string, any>;

const ROOT = join(import.meta.dirname, '..');
const DAY = 1440;
const surgery = parseTrace('surgery', readFileSync(join(ROOT, 'instances', 'traces', 'surgery', 'streams_per_minute.csv'), 'utf8')).loads;
const nasaService = JSON.parse(readFileSync(join(ROOT, 'instances', 'replicas', 'nasa-web.json'), 'utf8')) as ReplicaService;
const scratch = mkdtempSync(join(tmpdir(), 'copt-replicas-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const live = liveServer();

/** The field trailer of a failed call. */
const fieldOf = (err: grpc.ServiceError) => err.metadata.get('field')[0];

describe('replica counts over gRPC and the CLI', () => {
  it('PlanReplicas answers the dynamic program; its cost is its replica-minutes and events priced', async () => {
    const windowLoads = [3, 40, 55, 12, 0, 0, 90, 95, 20];
    const res = await live.unary('PlanReplicas', { windowLoads, currentReplicas: 2 });
    const want = planReplicas(STREAMING_STORE, windowLoads, 2);
    expect(res.replicas).toEqual(want.replicas);
    expect(res.cost).toBeCloseTo(want.cost, 9);
    const counts = planCounts(STREAMING_STORE, res.replicas, 2);
    expect(res.cost).toBeCloseTo(counts.replicaMinutes * STREAMING_STORE.replicaCostPerMin + counts.scalingEvents * STREAMING_STORE.scalingEventCost, 9);
    expect(res.scalingEvents).toBe(counts.scalingEvents);
    // an M/M/c service given as a message; a load no count can carry is reported, planned at the most
    const nasa = await live.unary('PlanReplicas', { service: nasaService, windowLoads: [30, 600, 5000] });
    expect(nasa.replicas).toEqual(planReplicas(nasaService, [30, 600, 5000]).replicas);
    expect(nasa.unmetWindows).toEqual([2]);
    expect(nasa.replicas[2]).toBe(nasaService.maxReplicas);
  });

  it('PlanReplicas rejects bad fields by name', async () => {
    const bad = async (request: Msg, field: string, text: string) => {
      const err = await failure(live.unary('PlanReplicas', request));
      expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(fieldOf(err)).toBe(field);
      expect(err.details).toContain(text);
    };
    await bad({ windowLoads: [] }, 'window_loads', 'at least one window');
    await bad({ windowLoads: [3, -1] }, 'window_loads[1]', 'window_loads[1] = -1');
    await bad({ windowLoads: [3], currentReplicas: 41 }, 'current_replicas', 'at most max_replicas 40');
    await bad({ windowLoads: [3], service: { ...nasaService, maxReplicas: 0 } }, 'max_replicas', 'max_replicas = 0');
    await bad({ windowLoads: [3], service: { ...nasaService, serviceRatePerS: 0 } }, 'latency_table', 'give either a latency table or a service rate');
    await bad({ windowLoads: [3], service: { ...nasaService, violationCostPerMin: -0.5 } }, 'violation_cost_per_min', 'violation_cost_per_min = -0.5');
  });

  it('SimulateReplicas streams progress and answers what the same replay in process gives', async () => {
    const loads = surgery.slice(0, 9 * DAY);
    const { progress, result, error } = await live.stream('SimulateReplicas', { loads, startMinute: 7 * DAY, policy: 'REPLICA_POLICY_PLANNER', includeSeries: true });
    expect(error).toBeUndefined();
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]).toMatchObject({ phase: 'replaying', minutes: 2 * DAY });
    const want = simulateReplicas(STREAMING_STORE, loads, replicaPolicy('planner', STREAMING_STORE, seasonalNaive(), ORACLE), 7 * DAY, 9 * DAY, 1);
    expect(result).toMatchObject({ policy: 'planner', forecaster: 'seasonal', minutes: 2 * DAY, scalingEvents: want.scalingEvents, instanceMinutes: want.instanceMinutes });
    expect(result!.violationRate).toBeCloseTo(want.violationRate, 12);
    expect(result!.cost).toBeCloseTo(want.cost, 9);
    expect(result!.series.map((m: Msg) => m.replicas)).toEqual(want.series.map((m) => m.replicas));
    // the violation price crosses the wire; zero (the proto default) gets the quantile planner
    const plans: number[][] = [];
    for (const price of [0, 0.3]) {
      const local: ReplicaService = { ...STREAMING_STORE, violationCostPerMin: price || undefined };
      const got = await live.stream('SimulateReplicas', { loads, startMinute: 8 * DAY, policy: 'REPLICA_POLICY_PLANNER', service: { ...STREAMING_STORE, violationCostPerMin: price }, includeSeries: true });
      const wantPriced = simulateReplicas(local, loads, replicaPolicy('planner', local, seasonalNaive(), ORACLE), 8 * DAY, 9 * DAY, 1);
      expect(got.result!.series.map((m: Msg) => m.replicas)).toEqual(wantPriced.series.map((m) => m.replicas));
      expect(got.result!.cost).toBeCloseTo(wantPriced.cost, 9);
      plans.push(got.result!.series.map((m: Msg) => m.replicas));
    }
    expect(plans[1]).not.toEqual(plans[0]);
    const memory = await live.stream('SimulateReplicas', { loads, startMinute: 8 * DAY, policy: 'REPLICA_POLICY_MEMORY' });
    expect(memory.result).toMatchObject({ policy: 'memory', forecaster: 'none', minutes: DAY, series: [] });
  });

  it('SimulateReplicas rejects bad fields by name; cancelling stops the replay and frees the worker', async () => {
    const bad = async (request: Msg, field: string) => {
      const { error } = await live.stream('SimulateReplicas', request);
      expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(fieldOf(error!)).toBe(field);
    };
    await bad({ loads: [] }, 'loads');
    await bad({ loads: [1, 2, Number.NaN, 4], startMinute: 1 }, 'loads[2]');
    await bad({ loads: [1, 2, 3], startMinute: 3 }, 'start_minute');
    await bad({ loads: [1, 2, 3], firstWeekMinute: 10080 }, 'first_week_minute');
    await bad({ loads: [1, 2, 3], startMinute: 2, endMinute: 2 }, 'end_minute');
    await bad({ loads: surgery.slice(0, DAY), startMinute: 60, forecaster: 'LOAD_FORECASTER_LSTM' }, 'start_minute');
    await bad({ loads: [1, 2, 3], startMinute: 1, forecaster: 'LOAD_FORECASTER_LSTM', model: 'no-such-model' }, 'model');
    await bad({ loads: [1, 2, 3], startMinute: 1, model: '../etc' }, 'model');
    const t0 = Date.now();
    const { error } = await live.stream('SimulateReplicas', { loads: surgery, startMinute: 7 * DAY, policy: 'REPLICA_POLICY_PLANNER' }, (e, call) => {
      if (e.progress) call.cancel();
    });
    expect(error?.code).toBe(grpc.status.CANCELLED);
    const next = await live.stream('SimulateReplicas', { loads: surgery.slice(0, 2 * DAY), startMinute: DAY, policy: 'REPLICA_POLICY_REACTIVE' });
    expect(next.result?.minutes).toBe(DAY);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  /** Three services whose loads peak at different times, the capacity below where their own plans fit together. */
  const shared = (): SharedReplicaRequest => ({
    services: [0, 1, 2].map((k) => ({
      service: { ...STREAMING_STORE, name: `store-${k}` },
      windowLoads: Array.from({ length: 96 }, (_, t) => 60 + 50 * Math.sin((t + 30 * k) / 8)),
      capacityPerReplica: 1 + k,
    })),
    capacity: 53,
  });

  it('PlanSharedReplicas: a feasible plan within capacity, its figures recomputed by the evaluator, the same as in process', async () => {
    const request = shared();
    const res = await live.unary('PlanSharedReplicas', { ...request, method: 'RG_LS', budget: { seconds: 30, iterations: 3000 }, seed: 3 });
    const replicas = res.services.map((s: Msg) => s.replicas);
    const figures = evaluateSharedPlan(request, replicas);
    expect(res.feasible).toBe(true);
    expect(figures.feasible).toBe(true);
    expect(res.overCapacityWindows).toEqual([]);
    expect(res.cost).toBeCloseTo(figures.cost, 9);
    expect(res.lowerBound).toBeGreaterThan(res.ownPlansCost);
    expect(res.cost).toBeGreaterThanOrEqual(res.lowerBound - 1e-9);
    expect(res.services.map((s: Msg) => s.scalingEvents)).toEqual(figures.services.map((s) => s.scalingEvents));
    expect(res.stopReason).toBe('iterations');
    const here = planSharedReplicas(request, { method: 'rg+ls', seconds: 30, maxIterations: 3000, seed: 3 });
    expect(replicas).toEqual(here.services.map((s) => s.replicas));
  });

  it('PlanSharedReplicas rejects bad fields by name and answers before its deadline', async () => {
    const request = shared();
    const bad = async (patch: Msg, field: string) => {
      const err = await failure(live.unary('PlanSharedReplicas', { ...request, ...patch }));
      expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(fieldOf(err)).toBe(field);
    };
    await bad({ capacity: 0 }, 'capacity');
    await bad({ services: [] }, 'services');
    await bad({ services: [request.services[0], { ...request.services[1], windowLoads: [1, 2] }] }, 'services[1].window_loads');
    await bad({ services: [request.services[0], { ...request.services[1], service: { ...nasaService, maxReplicas: 0 } }] }, 'services[1].service.max_replicas');
    await bad({ method: 'EXACT' }, 'method');
    await bad({ budget: { seconds: -1 } }, 'budget.seconds');
    const t0 = Date.now();
    const res = await live.unary('PlanSharedReplicas', { ...request, budget: { seconds: 60 } }, 1500);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(res.stopReason).toBe('time');
    expect(res.feasible).toBe(true);
  });

  it('copt plan replicas prints the plan of a request file; a bad one names the field', () => {
    const cli = (...args: string[]) => spawnSync('node', [join(ROOT, 'bin', 'copt.js'), 'plan', 'replicas', ...args], { encoding: 'utf8' });
    const file = join(scratch, 'request.json');
    writeFileSync(file, JSON.stringify({ service: nasaService, windowLoads: [30, 600, 900, 20], currentReplicas: 1 }));
    const ok = cli(file);
    expect(ok.status, ok.stderr).toBe(0);
    const plan = JSON.parse(ok.stdout);
    const want = planReplicas(nasaService, [30, 600, 900, 20], 1);
    expect(plan).toMatchObject({ service: 'nasa-web', windows: 4, replicas: want.replicas, scaling_events: want.scalingEvents, unmet_windows: [] });
    expect(plan.cost).toBeCloseTo(want.cost, 9);
    writeFileSync(file, JSON.stringify({ windowLoads: [30, 'lots'] }));
    const bad = cli(file);
    expect(bad.status).toBe(2);
    // the file's own spelling of the field
    expect(bad.stderr).toBe(`copt: ${file}: windowLoads[1] = "lots": must be a number\n`);
    // a request with services and a capacity is a shared plan
    const request = shared();
    writeFileSync(file, JSON.stringify(request));
    const sharedOk = cli(file, '--seconds', '0.5');
    expect(sharedOk.status, sharedOk.stderr).toBe(0);
    const sharedPlan = JSON.parse(sharedOk.stdout);
    const figures = evaluateSharedPlan(request, sharedPlan.services.map((s: Msg) => s.replicas));
    expect(sharedPlan).toMatchObject({ windows: 96, feasible: true, over_capacity_windows: [] });
    expect(sharedPlan.cost).toBeCloseTo(figures.cost, 9);
    writeFileSync(file, JSON.stringify({ ...request, capacity: -2 }));
    const sharedBad = cli(file);
    expect(sharedBad.status).toBe(2);
    expect(sharedBad.stderr).toContain('capacity = -2');
  });
});
