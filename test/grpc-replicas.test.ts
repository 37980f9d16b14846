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
    expect(result!.series.map((m: Msg) => m.replicas)).toEqual(want.series.map((m) => m.replicas));
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
    expect(bad.stderr).toContain('window_loads[1] = "lots"');
  });
});
