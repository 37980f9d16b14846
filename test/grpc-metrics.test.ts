import * as grpc from '@grpc/grpc-js';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optimizerClient } from '../server/grpc/client.js';
import { startServer, type OptimizerServer } from '../server/grpc/server.js';
import { jsonLogger } from '../server/ops/log.js';
import { projectRoot } from '../server/paths.js';

type Msg = Record<string, any>;
const SYSTEM = readFileSync(join(projectRoot(), 'instances/space4ai/instances/Strict/7-components/system_description3.json'), 'utf8');
const COPT = join(projectRoot(), 'bin', 'copt.js');

/** One unary call with metadata: the answer (or error) and the response's initial metadata. */
function call(client: Msg, method: string, request: Msg, metadata: Record<string, string> = {}): Promise<{ err?: grpc.ServiceError; res?: Msg; requestId?: string }> {
  return new Promise((resolve) => {
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(metadata)) md.set(k, v);
    let requestId: string | undefined;
    const c = client[method](request, md, { deadline: new Date(Date.now() + 20_000) }, (err: grpc.ServiceError | null, res: Msg) => resolve({ err: err ?? undefined, res, requestId }));
    c.on('metadata', (m: grpc.Metadata) => { requestId = String(m.get('x-request-id')[0]); });
  });
}

/** A sample's value from Prometheus text (the first series whose name and labels start so), NaN when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(series));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}

describe('metrics and structured logs of copt serve', () => {
  let server: OptimizerServer;
  let client: grpc.Client & Msg;
  const lines: Msg[] = [];
  let endpoint: Awaited<ReturnType<OptimizerServer['metrics']['serve']>>;

  beforeAll(async () => {
    server = await startServer({ address: '127.0.0.1:0', workers: 1, log: jsonLogger('info', (l) => lines.push(JSON.parse(l))) });
    client = optimizerClient(server.address);
    endpoint = await server.metrics.serve('127.0.0.1', 0);
  });

  afterAll(async () => {
    client?.close();
    await endpoint?.close();
    await server?.shutdown();
  });

  it('logs one JSON line per call with its method, status, duration, queue wait and request id, echoed back', async () => {
    const solved = await call(client, 'SolvePlacement', { space4aiJson: SYSTEM, budget: { seconds: 0.3 }, seed: 3 }, { 'x-request-id': 'req-42' });
    expect(solved.err).toBeUndefined();
    expect(solved.requestId).toBe('req-42');
    const bad = await call(client, 'PlanReplicas', { windowLoads: [-1] });
    expect(bad.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const solveLine = lines.find((l) => l.requestId === 'req-42')!;
    expect(solveLine).toMatchObject({ level: 'info', msg: 'call', method: 'SolvePlacement', code: 'OK', budgetS: expect.any(Number), queueWaitMs: expect.any(Number) });
    expect(solveLine.durationMs).toBeGreaterThanOrEqual(200);
    expect(solveLine.requestBytes).toBeGreaterThan(SYSTEM.length);
    expect(Date.parse(solveLine.time)).toBeGreaterThan(0);
    const badLine = lines.find((l) => l.requestId === bad.requestId)!;
    expect(badLine).toMatchObject({ method: 'PlanReplicas', code: 'INVALID_ARGUMENT', size: { windows: 1 } });
    expect(badLine.details).toMatch(/window_loads\[0\]/);
  }, 30_000);

  it('serves /metrics: calls by method and code, durations, budgets, queue, workers, stops, improvements, process metrics', async () => {
    // a search cancelled on its worker counts as stopped by cancel
    const long = client.SolvePlacement({ space4aiJson: SYSTEM, budget: { seconds: 20 }, seed: 1 }, () => {});
    await new Promise((resolve) => setTimeout(resolve, 500));
    const during = await (await fetch(`http://127.0.0.1:${endpoint.port}/metrics`)).text();
    expect(sample(during, 'copt_busy_workers')).toBe(1);
    expect(sample(during, 'copt_queue_depth')).toBe(0);
    long.cancel();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const res = await fetch(`http://127.0.0.1:${endpoint.port}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(sample(text, 'copt_grpc_calls_total{method="SolvePlacement",code="OK"}')).toBe(1);
    expect(sample(text, 'copt_grpc_calls_total{method="PlanReplicas",code="INVALID_ARGUMENT"}')).toBe(1);
    expect(sample(text, 'copt_grpc_calls_total{method="SolvePlacement",code="CANCELLED"}')).toBe(1);
    expect(sample(text, 'copt_grpc_call_duration_seconds_count{method="SolvePlacement"}')).toBe(2);
    expect(sample(text, 'copt_search_budget_seconds_count{method="SolvePlacement"}')).toBe(2);
    expect(sample(text, 'copt_queue_wait_seconds_count')).toBe(2);
    expect(sample(text, 'copt_searches_stopped_total{cause="cancelled"}')).toBe(1);
    expect(sample(text, 'copt_search_improvements_total{method="SolvePlacement"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'copt_busy_workers')).toBe(0);
    expect(sample(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect((await fetch(`http://127.0.0.1:${endpoint.port}/other`)).status).toBe(404);
  }, 30_000);

  it('copt serve --metrics-port logs JSON from the start and serves the metrics', async () => {
    const child = spawn('node', [COPT, 'serve', '--port', '0', '--workers', '1', '--metrics-port', '0', '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const first = await new Promise<Msg>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (b: Buffer) => {
          out += b.toString();
          if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
        });
        child.once('exit', (code) => reject(new Error(`copt serve exited with ${code}`)));
      });
      expect(first).toMatchObject({ level: 'info', msg: expect.stringMatching(/^serving copt\.v1\.Optimizer on 127\.0\.0\.1:\d+ \(plaintext; health and reflection on; metrics on http:\/\/127\.0\.0\.1:\d+\/metrics\)$/) });
      const text = await (await fetch(`http://127.0.0.1:${first.metricsPort}/metrics`)).text();
      expect(text).toMatch(/^# HELP copt_grpc_calls_total/m);
    } finally {
      child.kill('SIGTERM');
    }
  }, 30_000);
});
