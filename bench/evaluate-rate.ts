import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { projectRoot } from '../server/paths.js';
import { startServerProcess } from './fuzz/server-process.js';

/**
 * EvaluatePlacement calls a second that one `copt serve` answers over loopback: a 7-component
 * SPACE4AI system and its solution per call (64 KB), encoded once so that the client costs little
 * (it shares the machine's cores with the server), `--inflight` calls in flight over 4 channels.
 */
export async function benchEvaluateRate(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { seconds: { type: 'string', default: '10' }, inflight: { type: 'string', default: '16' }, workers: { type: 'string', default: '2' } } });
  const seconds = Number(values.seconds);
  const inflight = Number(values.inflight);
  const root = projectRoot();
  const ref = join(root, 'instances/space4ai/reference-solutions/Strict/7Components/Ins1');
  const type = protobuf.loadSync(join(root, 'proto/copt/v1/optimizer.proto')).lookupType('copt.v1.EvaluatePlacementRequest');
  const request = {
    space4aiJson: readFileSync(join(ref, 'system_description.json'), 'utf8'), lambda: 1.8, compat: 'COMPAT_SPACE4AI_D',
    space4aiSolutionJson: readFileSync(join(ref, 'best_sol_1.8.json'), 'utf8'),
  };
  const bytes = Buffer.from(type.encode(type.fromObject(request)).finish());
  const server = await startServerProcess(Number(values.workers));
  const channels = Array.from({ length: 4 }, () => new grpc.Client(server.address, grpc.credentials.createInsecure()));
  const call = (c: grpc.Client) => new Promise<void>((resolve, reject) => {
    c.makeUnaryRequest('/copt.v1.Optimizer/EvaluatePlacement', (b: Buffer) => b, (b: Buffer) => b, bytes, (err) => (err ? reject(err) : resolve()));
  });
  try {
    for (let i = 0; i < 300; i++) await call(channels[i % channels.length]);
    const cpu0 = cpuSeconds(server.process.pid!);
    let answered = 0;
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    await Promise.all(Array.from({ length: inflight }, async (_, k) => {
      while (performance.now() < end) {
        await call(channels[k % channels.length]);
        answered++;
      }
    }));
    const wallS = (performance.now() - t0) / 1000;
    const serverCpuS = cpuSeconds(server.process.pid!) - cpu0;
    const result = { date: new Date().toISOString(), requestBytes: bytes.length, inflight, seconds: wallS, answered, callsPerSecond: answered / wallS, serverCpuMsPerCall: (1000 * serverCpuS) / answered };
    console.log(`evaluate-rate: ${result.callsPerSecond.toFixed(0)} calls/s, server CPU ${result.serverCpuMsPerCall.toFixed(2)} ms a call`);
    const dir = join(root, 'bench/results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'evaluate-rate.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(dir, 'evaluate-rate.md'), [
      '# EvaluatePlacement throughput on one server',
      '',
      `\`npm run bench -- evaluate-rate\` (${result.date.slice(0, 10)}): \`copt serve\` (${values.workers} workers, JSON logs at info) in its own process on this 2-core machine;`,
      `the 7-component Strict/7Components/Ins1 system and its solution per call (${bytes.length} bytes, encoded once), ${inflight} calls in flight over 4 channels for ${seconds} s.`,
      '',
      '| calls/s | server CPU ms a call |',
      '|---:|---:|',
      `| ${result.callsPerSecond.toFixed(0)} | ${result.serverCpuMsPerCall.toFixed(2)} |`,
      '',
      'The server\'s CPU a call is the measure that carries to a machine with cores to spare: the client here takes the rest of the two cores.',
      '',
    ].join('\n'));
  } finally {
    for (const c of channels) c.close();
    server.process.kill('SIGTERM');
  }
}

/** A process's user and system CPU seconds so far (Linux /proc). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime, fields 14 and 15 of stat, in clock ticks (100 a second on Linux)
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
