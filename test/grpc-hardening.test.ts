import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { describe, expect, it } from 'vitest';
import { failure, liveServer, streamCall, unaryCall } from './helpers/grpc-calls.js';
import { optimizerClient } from '../server/grpc/client.js';
import { startServer, type OptimizerServer } from '../server/grpc/server.js';
import { instanceFiles } from './helpers/instances.js';

type Msg = Record<string, any>;

const file = instanceFiles().find((f) => f.includes('Strict/7-components/system_description3.json'))!;
const json = readFileSync(file, 'utf8');
const small = readFileSync(instanceFiles().find((f) => f.includes('Light/5-components/system_description1.json'))!, 'utf8');
const gpuJson = readFileSync(join(import.meta.dirname, '..', 'instances', 'gpu', 'suite', 'n10-mixed-1.json'), 'utf8');
const solve = (extra: Msg = {}): Msg => ({ space4aiJson: json, lambda: 1.8, compat: 'COMPAT_SPACE4AI_D', method: 'RG_LS', budget: { seconds: 0.2 }, seed: 7, ...extra });

/** A health check's status and how long it took. */
async function healthCheck(address: string): Promise<{ status: string; ms: number }> {
  const Health = grpc.makeClientConstructor(healthService, 'grpc.health.v1.Health');
  const health = new Health(address, grpc.credentials.createInsecure()) as Msg;
  const t0 = performance.now();
  try {
    const res = await new Promise<Msg>((resolve, reject) =>
      health.check({ service: 'copt.v1.Optimizer' }, { deadline: new Date(Date.now() + 2000) }, (err: Error | null, r: Msg) => (err ? reject(err) : resolve(r))));
    return { status: res.status, ms: performance.now() - t0 };
  } finally {
    health.close();
  }
}

/** A server of its own for a test that needs a particular worker count or queue, shut down afterwards. */
async function withServer<T>(options: { workers: number; maxQueue?: number }, body: (client: Msg, server: OptimizerServer) => Promise<T>): Promise<T> {
  const server = await startServer({ address: '127.0.0.1:0', ...options });
  const client = optimizerClient(server.address);
  try {
    return await body(client, server);
  } finally {
    client.close();
    await server.shutdown();
  }
}

describe('no request can kill the server', () => {
  const live = liveServer();

  it('an error naming a field with non-ASCII or control characters is INVALID_ARGUMENT, and the server lives on', async () => {
    const d = JSON.parse(json);
    // rename component c1 to cé1 throughout, and give one of its partitions a negative demand
    const renamed = JSON.parse(JSON.stringify(d).replaceAll('"c1"', '"cé1"'));
    const perf = renamed.Performance['cé1'];
    const [part] = Object.keys(perf);
    const [res] = Object.keys(perf[part]);
    perf[part][res].demand = -1;
    const err = await failure(live.unary('SolvePlacement', solve({ space4aiJson: JSON.stringify(renamed) })));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toContain('cé1');
    expect(err.details).toContain('= -1');
    // the trailer carries the path percent-encoded (UTF-8), as grpc-message is
    const field = String(err.metadata.get('field')[0]);
    expect(field).toContain('c%C3%A91');
    expect(decodeURIComponent(field)).toContain('cé1');

    const gpu = JSON.parse(gpuJson);
    gpu.jobs[0].id = 'job\none';
    gpu.jobs[0].deadline = -5;
    const gpuErr = await failure(live.unary('ScheduleGpuJobs', { instanceJson: JSON.stringify(gpu), time: 0 }));
    expect(gpuErr.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(gpuErr.details).toBe('jobs.job\none.deadline = -5: must be > 0');
    expect(String(gpuErr.metadata.get('field')[0])).toBe('jobs.job%0Aone.deadline');

    expect((await healthCheck(live.address)).status).toBe('SERVING');
    expect((await live.unary('SolvePlacement', solve())).evaluation.feasible).toBe(true);
  });

  it('bytes that do not decode are INVALID_ARGUMENT, not INTERNAL', async () => {
    const client = live.client as grpc.Client;
    const err = await new Promise<grpc.ServiceError>((resolve) => {
      client.makeUnaryRequest('/copt.v1.Optimizer/SolvePlacement', (b: Buffer) => b, (b: Buffer) => b, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]),
        (e) => resolve(e as grpc.ServiceError));
    });
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/^the request is not a valid SolvePlacement message: /);
  });

  it('deep nesting, a model of the wrong kind and oversized counts are INVALID_ARGUMENT naming the field', async () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const nested = await failure(live.unary('SolvePlacement', solve({ space4aiJson: deep })));
    expect(nested.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(nested.details).toMatch(/nests deeper than 100 levels/);
    const gpuDeep = await failure(live.unary('ScheduleGpuJobs', { instanceJson: `{"jobs": ${deep}}` }));
    expect(gpuDeep.details).toMatch(/nests deeper than 100 levels/);

    const wrongKind = await streamCall(live.client, 'SimulateReplicas', { loads: new Array(4 * 1440).fill(5), startMinute: 3 * 1440, policy: 'REPLICA_POLICY_PLANNER', forecaster: 'LOAD_FORECASTER_LSTM', model: 'exec-time' });
    expect(wrongKind.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(wrongKind.error?.details).toMatch(/^model = "exec-time": names a stored model of kind exec-time, not lstm-forecast/);

    const elite = await failure(live.unary('SolvePlacement', solve({ engine: { eliteSize: 10_000_000 } })));
    expect(elite.details).toBe('engine.elite_size = 10000000: must be a whole number from 1 to 1000');
    const gpuElite = await failure(live.unary('ScheduleGpuJobs', { instanceJson: gpuJson, budget: { eliteSize: 1e7 } }));
    expect(gpuElite.details).toBe('budget.elite_size = 10000000: must be a whole number from 1 to 1000');
    const gpus = JSON.parse(gpuJson);
    gpus.vmTypes[0].gpus = 1e9;
    expect((await failure(live.unary('ScheduleGpuJobs', { instanceJson: JSON.stringify(gpus) }))).details).toBe(`vmTypes.${gpus.vmTypes[0].name}.gpus = 1000000000: must be a whole number from 1 to 64`);
  });

  it('a GPU instance allowing a billion nodes is decided as quickly as one allowing ten', async () => {
    const many = JSON.parse(gpuJson);
    many.maxNodes = 1e9;
    const jobs = many.jobs.filter((j: Msg) => j.submission === 0).map((j: Msg) => ({ job: j.id }));
    const t0 = Date.now();
    const decision = await live.unary('ScheduleGpuJobs', { instanceJson: JSON.stringify(many), time: 0, jobs, method: 'GPU_METHOD_PR', budget: { seconds: 0.3 } }, 20_000);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const placed = decision.nodes.flatMap((n: Msg) => n.jobs.map((j: Msg) => j.job));
    expect(placed.length + decision.waiting.length).toBe(jobs.length);
  });

  it('validates first, then fits the budget to the deadline: a bad budget is refused with a deadline set', async () => {
    const negative = await failure(live.unary('SolvePlacement', solve({ budget: { seconds: -1 } }), 5000));
    expect(negative.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(negative.details).toBe('budget.seconds = -1: must be > 0');
    const nan = await failure(live.unary('ScheduleGpuJobs', { instanceJson: gpuJson, budget: { seconds: NaN } }, 5000));
    expect(nan.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(nan.details).toBe('budget.seconds = NaN: must be > 0');
    const unimproved = await failure(live.unary('SolvePlacement', solve({ budget: { seconds: 1, unimprovedSeconds: NaN } })));
    expect(unimproved.details).toBe('budget.unimproved_seconds = NaN: must be > 0');
    const shared = await failure(live.unary('PlanSharedReplicas', { capacity: 10, services: [{ windowLoads: [1, 2] }], budget: { seconds: NaN } }));
    expect(shared.details).toBe('budget.seconds = NaN: must be > 0');
  });
});

describe('replica plans run on the workers, bounded', () => {
  it('a plan too large for memory is refused by name; a large one runs on a worker while health answers', async () => {
    await withServer({ workers: 1 }, async (client, server) => {
      const service = { name: 'big', serviceRatePerS: 1, slo: { percentile: 95, boundMs: 5000 }, replicaCostPerMin: 0.01, maxReplicas: 10_000 };
      const t0 = Date.now();
      const huge = await failure(unaryCall(client, 'PlanReplicas', { service, windowLoads: new Array(100_000).fill(30) }));
      expect(huge.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(huge.details).toMatch(/^window_loads = "100000 windows": with max_replicas 10000 the plan takes 1000100000 cells/);
      const shared = await failure(unaryCall(client, 'PlanSharedReplicas', { capacity: 100, services: [{ service, windowLoads: new Array(100_000).fill(30) }] }));
      expect(shared.details).toMatch(/^services\[0\]\.window_loads = "100000 windows": with max_replicas 10000 its plan takes 1000100000 cells/);
      expect(Date.now() - t0).toBeLessThan(5000);

      // 4999 windows x 10001 counts: just under the limit, about half a second of work
      const loads = Array.from({ length: 4999 }, (_, t) => 300 + 200 * Math.sin(t / 20));
      const planned = unaryCall(client, 'PlanReplicas', { service, windowLoads: loads });
      const checks: number[] = [];
      let settled = false;
      planned.finally(() => { settled = true; }).catch(() => {});
      while (!settled && checks.length < 50) {
        const h = await healthCheck(server.address);
        expect(h.status).toBe('SERVING');
        checks.push(h.ms);
      }
      const plan = await planned;
      expect(plan.replicas).toHaveLength(4999);
      expect(checks.length).toBeGreaterThan(0);
      // a health check waits for no plan: at most one event-loop turn behind it
      expect(Math.max(...checks)).toBeLessThan(1000);

      // the same plan cannot be done within 50 ms: refused at once, not started and missed
      const t1 = Date.now();
      const late = await failure(unaryCall(client, 'PlanReplicas', { service, windowLoads: loads }, 50));
      expect([grpc.status.RESOURCE_EXHAUSTED, grpc.status.DEADLINE_EXCEEDED]).toContain(late.code);
      if (late.code === grpc.status.RESOURCE_EXHAUSTED) expect(late.details).toMatch(/leaves too little of the deadline/);
      expect(Date.now() - t1).toBeLessThan(1000);
    });
  });
});

describe('deadlines are kept from when work starts; the queue is bounded', () => {
  it('each call with a deadline is answered before it or refused at once, and the worker stays busy', async () => {
    await withServer({ workers: 1, maxQueue: 32 }, async (client) => {
      const outcomes = await Promise.all(Array.from({ length: 12 }, async () => {
        const sent = Date.now();
        try {
          const res = await unaryCall(client, 'SolvePlacement', solve({ space4aiJson: small }), 1000);
          return { ok: true, ms: Date.now() - sent, feasible: res.evaluation.feasible, stop: res.stats.stopReason };
        } catch (err) {
          return { ok: false, ms: Date.now() - sent, code: (err as grpc.ServiceError).code, details: (err as grpc.ServiceError).details };
        }
      }));
      const answered = outcomes.filter((o) => o.ok);
      const refused = outcomes.filter((o) => !o.ok);
      // 1 s of one worker holds about four 0.2 s searches; cut budgets may fit one more
      expect(answered.length).toBeGreaterThanOrEqual(3);
      for (const o of answered) expect(o.ms).toBeLessThan(1000);
      for (const o of refused) {
        expect(o.code, o.details).toBe(grpc.status.RESOURCE_EXHAUSTED);
        expect(o.ms).toBeLessThan(500);
      }
    });
  });

  it('a full queue answers RESOURCE_EXHAUSTED at once with a retry hint; queued calls run in turn', async () => {
    await withServer({ workers: 1, maxQueue: 2 }, async (client) => {
      const calls = Array.from({ length: 6 }, async () => {
        const sent = Date.now();
        try {
          await unaryCall(client, 'SolvePlacement', solve({ space4aiJson: small, budget: { seconds: 0.3 } }));
          return { ok: true, ms: Date.now() - sent };
        } catch (err) {
          const e = err as grpc.ServiceError;
          return { ok: false, ms: Date.now() - sent, code: e.code, details: e.details, pushback: Number(e.metadata.get('grpc-retry-pushback-ms')[0]) };
        }
      });
      const outcomes = await Promise.all(calls);
      expect(outcomes.filter((o) => o.ok)).toHaveLength(3);
      const refused = outcomes.filter((o) => !o.ok);
      expect(refused).toHaveLength(3);
      for (const o of refused) {
        expect(o.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
        expect(o.details).toMatch(/^the queue is full \(2 calls waiting for 1 worker\); retry in about [\d.]+ s$/);
        expect(o.pushback).toBeGreaterThan(0);
        expect(o.ms).toBeLessThan(500);
      }
    });
  });
});

describe('shutdown', () => {
  it('queued calls get UNAVAILABLE; the running search still answers its best', async () => {
    const server = await startServer({ address: '127.0.0.1:0', workers: 1 });
    const client = optimizerClient(server.address);
    const progress: Msg[] = [];
    const running = streamCall(client, 'SolvePlacementStream', solve({ budget: { seconds: 60 } }), (e) => { if (e.progress) progress.push(e.progress); });
    while (progress.length === 0) await new Promise((r) => setTimeout(r, 20));
    const queued = failure(unaryCall(client, 'SolvePlacement', solve({ budget: { seconds: 1 } })));
    await new Promise((r) => setTimeout(r, 100));
    await server.shutdown();
    const err = await queued;
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(err.details).toMatch(/shutting down.*not started/);
    const first = await running;
    expect(first.error).toBeUndefined();
    expect(first.result!.stats.stopReason).toBe('stopped');
    expect(first.result!.evaluation.feasible).toBe(true);
    client.close();
  });
});

describe('streams show a working search', () => {
  const live = liveServer();

  it('a long solve sends a heartbeat at least every second or so, its iterations growing', async () => {
    const { progress, result, error } = await live.stream('SolvePlacementStream', solve({ space4aiJson: small, budget: { seconds: 3.5 } }));
    expect(error).toBeUndefined();
    expect(result!.stats.elapsedS).toBeGreaterThan(3);
    const times = [0, ...progress.map((p) => p.elapsedS)];
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    // a heartbeat is due after 1 s without a report, checked every few iterations
    expect(Math.max(...gaps)).toBeLessThan(1.5);
    const late = progress.filter((p) => p.elapsedS > 1.5);
    expect(late.length).toBeGreaterThanOrEqual(2);
    expect(Number(late[late.length - 1].iteration)).toBeGreaterThan(Number(late[0].iteration));
  });
});

