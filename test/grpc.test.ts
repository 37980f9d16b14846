import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { service as healthService } from 'grpc-health-check';
import { describe, expect, it } from 'vitest';
import { failure, liveServer } from './helpers/grpc-calls.js';
import { parseSpace4aiSystem } from '../adapters/space4ai/system.js';
import { optimizerClient, solveOverStream } from '../server/grpc/client.js';
import { startServer } from '../server/grpc/server.js';
import { evaluateDecision } from '../server/placement/service.js';
import { instanceFiles } from './helpers/instances.js';

type Msg = Record<string, any>;

const file = instanceFiles().find((f) => f.includes('Strict/7-components/system_description3.json'))!;
const json = readFileSync(file, 'utf8');
const system = parseSpace4aiSystem(json);

const live = liveServer();
const unary = live.unary;

const request = (extra: Msg = {}): Msg => ({
  space4aiJson: json, lambda: 1.8, compat: 'COMPAT_SPACE4AI_D', method: 'RG_LS', budget: { seconds: 0.5 }, seed: 7, ...extra,
});

describe('gRPC Optimizer over a socket', () => {
  it('SolvePlacement answers a feasible solution whose cost an independent evaluation confirms', async () => {
    const res = await unary('SolvePlacement', request());
    expect(res.evaluation.feasible).toBe(true);
    expect(res.stats.method).toBe('rg+ls');
    const check = evaluateDecision(system, 'space4ai-d', res.decision, 1.8).evaluation;
    expect(check.feasible).toBe(true);
    expect(check.totalCost).toBeCloseTo(res.evaluation.totalCost, 9);
    const remote = await unary('EvaluatePlacement', { space4aiJson: json, lambda: 1.8, compat: 'COMPAT_SPACE4AI_D', decision: res.decision });
    expect(remote.totalCost).toBeCloseTo(res.evaluation.totalCost, 9);
    const layout = JSON.parse(res.space4aiSolutionJson);
    expect(Number(layout.total_cost)).toBeCloseTo(res.evaluation.totalCost, 9);
    const again = await unary('EvaluatePlacement', { space4aiJson: json, lambda: 1.8, compat: 'COMPAT_SPACE4AI_D', space4aiSolutionJson: res.space4aiSolutionJson });
    expect(again.totalCost).toBeCloseTo(res.evaluation.totalCost, 9);
  });

  it('takes native messages and answers as for the same system in JSON (same seed, same iterations)', async () => {
    const budget = { seconds: 30, iterations: 1500 };
    const viaJson = await unary('SolvePlacement', request({ budget }));
    const viaNative = await unary('SolvePlacement', { ...request({ budget }), space4aiJson: undefined, system });
    expect(viaNative.stats.stopReason).toBe('iterations');
    expect(viaNative.decision).toEqual(viaJson.decision);
    expect(viaNative.evaluation.totalCost).toBe(viaJson.evaluation.totalCost);
  });

  it('SolvePlacementStream sends progress (best never worse) and then the solution', async () => {
    const events: Msg[] = [];
    const solution = await solveOverStream(live.client, request({ budget: { seconds: 1 } }), (p) => events.push(p));
    expect(events.length).toBeGreaterThan(1);
    for (let i = 1; i < events.length; i++) {
      const [a, b] = [events[i - 1], events[i]];
      expect(b.infeasibility < a.infeasibility || (b.infeasibility === a.infeasibility && b.bestCost <= a.bestCost)).toBe(true);
    }
    const last = events[events.length - 1];
    expect(last.phase).toBe('done');
    expect(last.bestCost).toBeCloseTo(solution.evaluation.totalCost, 9);
  });

  it('cancel mid-solve stops the search; the client keeps the best decision of the last event', async () => {
    const events: Msg[] = [];
    const call = live.client.SolvePlacementStream(request({ budget: { seconds: 60 } }));
    const ended = new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
    await new Promise<void>((resolve) => call.on('data', (e: Msg) => {
      if (e.progress) events.push(e.progress);
      if (events.length === 2) resolve();
    }));
    const t0 = Date.now();
    call.cancel();
    expect((await ended).code).toBe(grpc.status.CANCELLED);
    const best = events[events.length - 1];
    const check = evaluateDecision(system, 'space4ai-d', best.best, 1.8).evaluation;
    expect(check.totalCost).toBeCloseTo(best.bestCost, 9);
    // the single worker is free again: a short solve is answered at once, not after 60 s
    const next = await unary('SolvePlacement', request({ budget: { seconds: 0.2 } }));
    expect(next.evaluation.feasible).toBe(true);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('a deadline shortens the search and the best so far is answered in time', async () => {
    const t0 = Date.now();
    const res = await unary('SolvePlacement', request({ budget: { seconds: 60 } }), 1500);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(res.stats.stopReason).toBe('time');
    expect(res.evaluation.feasible).toBe(true);
    const events: Msg[] = [];
    const streamed = await solveOverStream(live.client, request({ budget: { seconds: 60 } }), (p) => events.push(p), new Date(Date.now() + 1500));
    expect(streamed.stats.stopReason).toBe('time');
  });

  it('EXACT proves the optimum on a worker thread (MILP, enumeration) and says when there is no feasible placement', async () => {
    const smallDir = join(import.meta.dirname, '..', 'instances', 'placement', 'small');
    const optima: Msg[] = JSON.parse(readFileSync(join(smallDir, 'optima.json'), 'utf8')).instances;
    for (const o of [optima.find((x) => x.linear)!, optima.find((x) => !x.linear)!]) {
      const res = await unary('SolvePlacement', { space4aiJson: readFileSync(join(smallDir, o.instance), 'utf8'), method: 'EXACT', budget: { seconds: 20 } });
      expect(res.stats).toMatchObject({ method: 'exact', stopReason: 'optimal', provenOptimal: true, exactSolver: o.linear ? 'milp' : 'enumeration' });
      expect(res.evaluation.totalCost).toBeCloseTo(o.optimum, 9);
    }
    const impossible = structuredClone(system);
    for (const c of impossible.components) c.localResTime = 1e-6;
    const err = await failure(unary('SolvePlacement', { ...request({ method: 'EXACT' }), space4aiJson: undefined, system: impossible }));
    expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(err.details).toBe('no feasible placement exists (proven by enumeration)');
  });

  it('bad input is INVALID_ARGUMENT naming the field and the value', async () => {
    const bad = structuredClone(system);
    bad.components[1].deployments[0].partitions[0].dataSize[0] = -4;
    const c = bad.components[1];
    const err = await failure(unary('SolvePlacement', { ...request(), space4aiJson: undefined, system: bad }));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    const path = `components.${c.name}.deployments.${c.deployments[0].name}.partitions.${c.deployments[0].partitions[0].name}.data_size[0]`;
    expect(err.details).toBe(`${path} = -4: must be >= 0`);
    expect(err.metadata.get('field')).toEqual([path]);

    const none = await failure(unary('SolvePlacement', { method: 'RG_LS' }));
    expect(none.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(none.details).toMatch(/^system_source/);
    const broken = await failure(unary('SolvePlacement', request({ space4aiJson: '{"Lambda": ' })));
    expect(broken.details).toMatch(/not valid JSON/);
    const lambda = await failure(unary('SolvePlacement', request({ lambda: -1 })));
    expect(lambda.details).toBe('lambda = -1: must be a finite number > 0');
    const budget = await failure(unary('SolvePlacement', request({ budget: { seconds: -2 } })));
    expect(budget.details).toBe('budget.seconds = -2: must be > 0');
    const decision = await failure(unary('EvaluatePlacement', {
      space4aiJson: json, decision: { components: [{ component: 'nope', deployment: 's1', partitions: [] }] },
    }));
    expect(decision.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(decision.details).toBe('decision.components[0].component = "nope": names no component');
  });

  it('serves health and reflection', async () => {
    const Health = grpc.makeClientConstructor(healthService, 'grpc.health.v1.Health');
    const health = new Health(live.address, grpc.credentials.createInsecure()) as Msg;
    const status = await new Promise<Msg>((resolve, reject) =>
      health.check({ service: 'copt.v1.Optimizer' }, (err: Error | null, res: Msg) => (err ? reject(err) : resolve(res))));
    expect(status.status).toBe('SERVING');
    health.close();

    const require = createRequire(import.meta.url);
    const protoFile = require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto');
    const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(protoFile, { keepCase: true })) as Msg;
    const reflection = new pkg.grpc.reflection.v1.ServerReflection(live.address, grpc.credentials.createInsecure());
    const services = await new Promise<string[]>((resolve, reject) => {
      const call = reflection.ServerReflectionInfo();
      call.on('data', (res: Msg) => { resolve(res.list_services_response.service.map((s: Msg) => s.name)); call.end(); });
      call.on('error', reject);
      call.write({ list_services: '' });
    });
    expect(services).toContain('copt.v1.Optimizer');
    reflection.close();
  });
});

describe('graceful shutdown', () => {
  it('asks running searches for their best, answers them, then closes', async () => {
    const own = await startServer({ address: '127.0.0.1:0', workers: 1 });
    const c = optimizerClient(own.address);
    const events: Msg[] = [];
    const answered = solveOverStream(c, request({ budget: { seconds: 60 } }), (p) => events.push(p));
    while (events.length === 0) await new Promise((r) => setTimeout(r, 20));
    const t0 = Date.now();
    await own.shutdown();
    const solution = await answered;
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(solution.stats.stopReason).toBe('stopped');
    expect(solution.evaluation.feasible).toBe(true);
    (c as unknown as grpc.Client).close();
  });
});
