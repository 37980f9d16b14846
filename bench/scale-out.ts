import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { callUnary, optimizerClient } from '../server/grpc/client.js';
import { projectRoot } from '../server/paths.js';
import { startServerProcess } from './fuzz/server-process.js';

type Msg = Record<string, any>;

interface ScaleRun {
  servers: number;
  wallS: number;
  solvesPerSecond: number;
  perServer: number;
  /** instances whose decision or cost differ from the one-server run's: must be 0 */
  different: number;
}

/**
 * The 80 GeneralWorkflows instances solved through 1, 2 and 3 `copt serve` processes (one worker
 * each) behind grpc-js's client-side round_robin over their addresses, as many calls in flight as
 * servers, at fixed seeds and iteration budgets: the answers must not depend on which server gave
 * them, and the throughput shows what a server adds.
 */
export async function benchScaleOut(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { iterations: { type: 'string', default: '5000' }, max: { type: 'string', default: '3' } } });
  const iterations = Number(values.iterations);
  const root = join(projectRoot(), 'instances', 'space4ai', 'reference-solutions');
  const files = readdirSync(root).flatMap((set) => readdirSync(join(root, set)).flatMap((size) => readdirSync(join(root, set, size)).map((ins) => join(root, set, size, ins, 'system_description.json')))).sort();
  const requests = files.map((f, i) => ({ space4aiJson: readFileSync(f, 'utf8'), method: 'RG_LS', budget: { iterations, seconds: 600 }, seed: i + 1 }));
  const runs: ScaleRun[] = [];
  let reference: Msg[] | undefined;
  for (let n = 1; n <= Number(values.max); n++) {
    const servers = await Promise.all(Array.from({ length: n }, () => startServerProcess(1)));
    const client = optimizerClient(servers.map((s) => s.address).join(','));
    try {
      // every server connected before the clock starts: round_robin spreads over connected ones
      for (let i = 0; i < 10 * n; i++) await callUnary(client, 'PlanReplicas', { windowLoads: [10] });
      const answers: Msg[] = new Array(requests.length);
      let next = 0;
      const t0 = performance.now();
      await Promise.all(Array.from({ length: n }, async () => {
        while (next < requests.length) {
          const k = next++;
          answers[k] = await callUnary(client, 'SolvePlacement', requests[k]);
        }
      }));
      const wallS = (performance.now() - t0) / 1000;
      reference ??= answers;
      const different = answers.filter((a, k) => JSON.stringify(a.decision) !== JSON.stringify(reference![k].decision) || a.evaluation.totalCost !== reference![k].evaluation.totalCost).length;
      const run = { servers: n, wallS, solvesPerSecond: requests.length / wallS, perServer: requests.length / wallS / n, different };
      console.log(`scale-out: ${n} server(s): ${wallS.toFixed(1)} s, ${run.solvesPerSecond.toFixed(2)} solves/s, ${different} answers differ from one server's`);
      runs.push(run);
    } finally {
      client.close();
      for (const s of servers) s.process.kill('SIGTERM');
    }
  }
  const base = runs[0].solvesPerSecond;
  const dir = join(projectRoot(), 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'scale-out.json'), `${JSON.stringify({ date: new Date().toISOString(), instances: files.map((f) => relative(projectRoot(), f)), iterations, runs }, null, 2)}\n`);
  writeFileSync(join(dir, 'scale-out.md'), [
    '# Scale-out: servers behind client-side round_robin',
    '',
    `\`npm run bench -- scale-out\`: the ${files.length} GeneralWorkflows instances (instances/space4ai/reference-solutions), each solved once (rg+ls, ${iterations} iterations, seed = its`,
    'index), through N `copt serve` processes with one worker each on this 2-core machine, the client round-robin over their addresses',
    '(grpc-js `round_robin`, as a headless Service\'s DNS gives them) with N calls in flight.',
    '',
    '| servers | wall s | solves/s | per server | speed-up | answers different from one server\'s |',
    '|---:|---:|---:|---:|---:|---:|',
    ...runs.map((r) => `| ${r.servers} | ${r.wallS.toFixed(1)} | ${r.solvesPerSecond.toFixed(2)} | ${r.perServer.toFixed(2)} | ${(r.solvesPerSecond / base).toFixed(2)} | ${r.different} |`),
    '',
    'The answers do not depend on the server that gave them (same seed, same iteration budget, same decision and cost), so replicas',
    'share nothing and a cluster scales by adding them. On this machine the gain stops at its two cores, the client and gRPC sharing them',
    'with the servers: past two servers, more processes only take turns. In a cluster where each replica has its own cores, the figures',
    'predict throughput linear in the replicas at about the one-server figure each, less the client-side share (one core here carried',
    'the client and a server).',
    '',
  ].join('\n'));
}
