import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { optimizerClient } from '../server/grpc/client.js';
import { projectRoot } from '../server/paths.js';
import { serverRssMb, settledRssMb, startServerProcess } from './fuzz/server-process.js';

type Msg = Record<string, any>;

/** One kind of call the clients make: its request and its deadline. */
interface CallKind {
  name: string;
  method: string;
  request: Msg;
  deadlineMs: number;
}

/** What became of one call. */
interface Sample {
  kind: string;
  /** OK, RESOURCE_EXHAUSTED, ... or LATE (answered after its deadline) */
  outcome: string;
  ms: number;
}

/** Figures of one phase. */
interface PhaseFigures {
  phase: string;
  clients: number;
  seconds: number;
  kinds: Record<string, {
    answered: number; perSecond: number; p50Ms: number; p95Ms: number; p99Ms: number;
    refused: number; refusedP99Ms: number; late: number; expired: number; other: Record<string, number>;
  }>;
  healthMaxMs: number;
  healthP99Ms: number;
}

const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const round = (x: number, d = 1) => Number(x.toFixed(d));

/**
 * The service under load, over loopback against `copt serve` in its own process: 64 clients for 60 s
 * of small solves only (against the machine's limit, workers / budget solves a second), then 64
 * clients for 60 s mixing small solves, evaluations, GPU decisions and replica plans, then a burst
 * of calls past the queue; a health check every 100 ms throughout; resident memory settled before
 * and after. Each call has a deadline: it must be answered before it, or refused at once; a refused
 * client waits what the server's retry hint says and tries again.
 */
export async function benchService(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: {
    clients: { type: 'string', default: '64' }, seconds: { type: 'string', default: '60' }, workers: { type: 'string', default: '2' },
    'max-queue': { type: 'string', default: '64' }, budget: { type: 'string', default: '0.2' }, out: { type: 'string', default: 'bench/results/service' },
  } });
  const clients = Number(values.clients);
  const seconds = Number(values.seconds);
  const workers = Number(values.workers);
  const maxQueue = Number(values['max-queue']);
  const budget = Number(values.budget);
  const kinds = callKinds(budget);
  const server = await startServerProcess(workers, ['--max-queue', String(maxQueue)]);
  const pid = server.process.pid!;
  const client = optimizerClient(server.address);
  const health = new (grpc.makeClientConstructor(healthService, 'grpc.health.v1.Health'))(server.address, grpc.credentials.createInsecure()) as unknown as Msg & grpc.Client;
  console.log(`copt serve on ${server.address}: ${workers} workers, queue ${maxQueue}; ${clients} clients, ${seconds} s a phase`);

  // the warm-up is at full load too: memory at the start is the working size under load (heaps and the
  // allocator keep what load raised), so that start and end compare like with like and growth is a leak
  await runPhase('warm-up', client, health, [kinds.solve, kinds.evaluate, kinds.gpu, kinds.plan], clients, 10);
  const rssStart = await settledRssMb(pid);
  const solves = await runPhase('small solves', client, health, [kinds.solve], clients, seconds);
  const mixed = await runPhase('mixed', client, health, [kinds.solve, kinds.evaluate, kinds.gpu, kinds.plan], clients, seconds);
  const burst = await runBurst(client, kinds.solve, 3 * (workers + maxQueue));
  const rssEnd = await settledRssMb(pid);
  const rssPeak = serverRssMb(pid);
  client.close();
  health.close();
  server.process.kill('SIGTERM');

  const limit = workers / budget;
  const result = {
    date: new Date().toISOString(), workers, maxQueue, clients, seconds, budgetS: budget,
    limitSolvesPerSecond: limit, solves, mixed, burst,
    rssMb: { start: round(rssStart), end: round(rssEnd), drift: round(rssEnd / rssStart - 1, 3), lastSeen: round(rssPeak) },
  };
  writeFileSync(join(projectRoot(), `${values.out}.json`), JSON.stringify(result, null, 1) + '\n');
  writeFileSync(join(projectRoot(), `${values.out}.md`), report(result));
  console.log(report(result));
}

/** The calls of the bench: small enough to be many, as an orchestrator's would be. */
function callKinds(budget: number): Record<'solve' | 'evaluate' | 'gpu' | 'plan', CallKind> {
  const root = projectRoot();
  const read = (...p: string[]) => readFileSync(join(root, ...p), 'utf8');
  const ref = ['instances', 'space4ai', 'reference-solutions', 'Strict', '7Components', 'Ins1'];
  const system = read(...ref, 'system_description.json');
  const gpu = JSON.parse(read('instances', 'gpu', 'suite', 'n10-mixed-1.json'));
  const arrived = gpu.jobs.filter((j: Msg) => j.submission <= 20_000).slice(0, 12).map((j: Msg) => ({ job: j.id }));
  const service = JSON.parse(read('instances', 'replicas', 'nasa-web.json'));
  const day = Array.from({ length: 96 }, (_, w) => 300 + 250 * Math.sin((2 * Math.PI * w) / 96));
  return {
    solve: { name: 'small solve', method: 'SolvePlacement', request: { space4aiJson: system, lambda: 1.8, compat: 'COMPAT_SPACE4AI_D', method: 'AUTO', budget: { seconds: budget } }, deadlineMs: 2000 },
    evaluate: { name: 'evaluation', method: 'EvaluatePlacement', request: { space4aiJson: system, lambda: 1.8, compat: 'COMPAT_SPACE4AI_D', space4aiSolutionJson: read(...ref, 'best_sol_1.8.json') }, deadlineMs: 1000 },
    gpu: { name: 'GPU decision', method: 'ScheduleGpuJobs', request: { instance: gpu, time: 20_000, jobs: arrived, method: 'GPU_METHOD_PR', budget: { seconds: budget } }, deadlineMs: 2000 },
    plan: { name: 'replica plan', method: 'PlanReplicas', request: { service, windowLoads: day, currentReplicas: 3 }, deadlineMs: 1000 },
  };
}

/** One call with its deadline; a refusal's retry hint comes back with it. */
function call(client: Msg, kind: CallKind): Promise<Sample & { retryMs: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    client[kind.method](kind.request, { deadline: new Date(Date.now() + kind.deadlineMs) }, (err: grpc.ServiceError | null) => {
      const ms = performance.now() - t0;
      if (!err) {
        resolve({ kind: kind.name, outcome: ms > kind.deadlineMs ? 'LATE' : 'OK', ms, retryMs: 0 });
        return;
      }
      const hint = Number(err.metadata?.get('grpc-retry-pushback-ms')[0] ?? 0);
      resolve({ kind: kind.name, outcome: grpc.status[err.code], ms, retryMs: hint });
    });
  });
}

/** Health checks every 100 ms until `stop` is set: their latencies. */
async function probe(health: Msg, stop: { done: boolean }): Promise<number[]> {
  const times: number[] = [];
  while (!stop.done) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => health.check({ service: 'copt.v1.Optimizer' }, { deadline: new Date(Date.now() + 2000) }, () => resolve()));
    times.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 100));
  }
  return times;
}

/** `clients` closed loops for `seconds`, each making the kinds' calls in turn (a refused one tried again after the server's hint). */
async function runPhase(phase: string, client: Msg, health: Msg, kinds: CallKind[], clients: number, seconds: number): Promise<PhaseFigures> {
  const samples: Sample[] = [];
  const until = performance.now() + seconds * 1000;
  const stop = { done: false };
  const probing = probe(health, stop);
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let k = c; performance.now() < until; k++) {
      const s = await call(client, kinds[k % kinds.length]);
      samples.push(s);
      // back off as the hint says, with jitter, as a well-behaved client does
      if (s.outcome === 'RESOURCE_EXHAUSTED') await new Promise((r) => setTimeout(r, Math.max(10, s.retryMs) * (1 + Math.random())));
    }
  }));
  stop.done = true;
  const healthMs = await probing;
  const figures: PhaseFigures = { phase, clients, seconds, kinds: {}, healthMaxMs: round(Math.max(...healthMs)), healthP99Ms: round(percentile(healthMs, 99)) };
  for (const kind of kinds) {
    const mine = samples.filter((s) => s.kind === kind.name);
    const ok = mine.filter((s) => s.outcome === 'OK').map((s) => s.ms);
    const refused = mine.filter((s) => s.outcome === 'RESOURCE_EXHAUSTED').map((s) => s.ms);
    const other: Record<string, number> = {};
    for (const s of mine) if (!['OK', 'RESOURCE_EXHAUSTED', 'LATE', 'DEADLINE_EXCEEDED'].includes(s.outcome)) other[s.outcome] = (other[s.outcome] ?? 0) + 1;
    figures.kinds[kind.name] = {
      answered: ok.length, perSecond: round(ok.length / seconds, 2),
      p50Ms: round(percentile(ok, 50)), p95Ms: round(percentile(ok, 95)), p99Ms: round(percentile(ok, 99)),
      refused: refused.length, refusedP99Ms: round(percentile(refused, 99)),
      late: mine.filter((s) => s.outcome === 'LATE').length, expired: mine.filter((s) => s.outcome === 'DEADLINE_EXCEEDED').length, other,
    };
  }
  console.log(`${phase}: ${JSON.stringify(figures.kinds)}`);
  return figures;
}

/**
 * `n` calls at once (no deadline): how many the queue takes and how fast the rest are refused (the
 * times include sending the burst's requests, one connection for all); then, while the queue is
 * still full, 40 calls 5 ms apart, each timed from its sending to its refusal.
 */
async function runBurst(client: Msg, kind: CallKind, n: number) {
  const burstKind = { ...kind, deadlineMs: 600_000 };
  const burst = Promise.all(Array.from({ length: n }, () => call(client, burstKind)));
  await new Promise((r) => setTimeout(r, 1000));
  // one every 5 ms, not waiting for answers: the first few take the places freed since, the rest meet a full queue
  const sent: Promise<Sample>[] = [];
  for (let i = 0; i < 40; i++) {
    sent.push(call(client, burstKind));
    await new Promise((r) => setTimeout(r, 5));
  }
  const probes = await Promise.all(sent);
  const samples = await burst;
  const refused = samples.filter((s) => s.outcome === 'RESOURCE_EXHAUSTED').map((s) => s.ms);
  const probeRefused = probes.filter((s) => s.outcome === 'RESOURCE_EXHAUSTED').map((s) => s.ms);
  const figures = {
    calls: n, answered: samples.filter((s) => s.outcome === 'OK').length, refused: refused.length,
    refusedMaxMs: round(Math.max(0, ...refused)), refusedP50Ms: round(percentile(refused, 50)),
    other: samples.filter((s) => s.outcome !== 'OK' && s.outcome !== 'RESOURCE_EXHAUSTED').length,
    probes: probes.length, probesRefused: probeRefused.length, probeMaxMs: round(Math.max(0, ...probeRefused)), probeP50Ms: round(percentile(probeRefused, 50)),
  };
  console.log(`burst: ${JSON.stringify(figures)}`);
  return figures;
}

function report(r: Msg): string {
  const lines = [
    '# Service under load',
    '',
    `\`npm run bench -- service\` (${r.date.slice(0, 10)}): \`copt serve\` in its own process with ${r.workers} workers and a queue of ${r.maxQueue}, ` +
    `${r.clients} clients over loopback for ${r.seconds} s a phase, each call with a deadline (solves and GPU decisions 2 s with a ${r.budgetS} s budget, ` +
    'evaluations and replica plans 1 s); a refused client waits the retry hint and tries again. A health check every 100 ms throughout.',
    '',
    `Machine limit for small solves: ${r.workers} workers / ${r.budgetS} s = ${r.limitSolvesPerSecond} a second.`,
    '',
    '| phase | call | answered/s | p50 ms | p95 ms | p99 ms | refused | refusal p99 ms | late | waited out | other |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const phase of [r.solves, r.mixed]) {
    for (const [name, k] of Object.entries<Msg>(phase.kinds)) {
      lines.push(`| ${phase.phase} | ${name} | ${k.perSecond} | ${k.p50Ms} | ${k.p95Ms} | ${k.p99Ms} | ${k.refused} | ${k.refusedP99Ms} | ${k.late} | ${k.expired} | ${JSON.stringify(k.other)} |`);
    }
  }
  const solve = r.solves.kinds['small solve'];
  lines.push('',
    `- Small solves alone: ${solve.perSecond} a second, ${round((100 * solve.perSecond) / r.limitSolvesPerSecond)}% of the limit.`,
    `- Health: the slowest check took ${r.solves.healthMaxMs} ms (small solves) and ${r.mixed.healthMaxMs} ms (mixed); p99 ${r.solves.healthP99Ms} and ${r.mixed.healthP99Ms} ms.`,
    `- Burst of ${r.burst.calls} calls at once (no deadline): ${r.burst.answered} answered, ${r.burst.refused} refused, the slowest refusal in ${r.burst.refusedMaxMs} ms (median ${r.burst.refusedP50Ms} ms, times that include sending the whole burst), other outcomes ${r.burst.other}.`,
    `- Then, the queue full, ${r.burst.probes} calls sent 5 ms apart: ${r.burst.probesRefused} refused (the others took places freed meanwhile), in ${r.burst.probeP50Ms} ms (median) and ${r.burst.probeMaxMs} ms at most.`,
    `- Resident memory, settled (the least over 20 s idle): ${r.rssMb.start} MB after a 10 s warm-up at full load, ${r.rssMb.end} MB at the end (${round(100 * r.rssMb.drift)}%).`,
    '');
  return lines.join('\n');
}
