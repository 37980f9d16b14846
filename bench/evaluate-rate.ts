import http2 from 'node:http2';
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
 * (it shares the machine's cores with the server), `--inflight` calls in flight over 4 connections,
 * once from grpc-js and once from a bare HTTP/2 client.
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
  const rows: Row[] = [];
  for (const client of ['grpc-js', 'http2'] as const) {
    const server = await startServerProcess(Number(values.workers));
    const clients = client === 'grpc-js' ? grpcJsCallers(server.address, bytes) : http2Callers(server.address, bytes);
    try {
      for (let i = 0; i < 300; i++) await clients.call(i);
      const cpu0 = cpuSeconds(server.process.pid!);
      let answered = 0;
      const t0 = performance.now();
      const end = t0 + seconds * 1000;
      await Promise.all(Array.from({ length: inflight }, async (_, k) => {
        while (performance.now() < end) {
          await clients.call(k);
          answered++;
        }
      }));
      const wallS = (performance.now() - t0) / 1000;
      const serverCpuS = cpuSeconds(server.process.pid!) - cpu0;
      rows.push({ client, seconds: wallS, answered, callsPerSecond: answered / wallS, serverCpuMsPerCall: (1000 * serverCpuS) / answered });
      console.log(`evaluate-rate (${client} client): ${(answered / wallS).toFixed(0)} calls/s, server CPU ${((1000 * serverCpuS) / answered).toFixed(2)} ms a call`);
    } finally {
      clients.close();
      server.process.kill('SIGTERM');
    }
  }
  const date = new Date().toISOString();
  const dir = join(root, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'evaluate-rate.json'), `${JSON.stringify({ date, requestBytes: bytes.length, inflight, rows }, null, 2)}\n`);
  writeFileSync(join(dir, 'evaluate-rate.md'), [
    '# EvaluatePlacement throughput on one server',
    '',
    `\`npm run bench -- evaluate-rate\` (${date.slice(0, 10)}): \`copt serve\` (${values.workers} workers, JSON logs at info) in its own process on this 2-core machine;`,
    `the 7-component Strict/7Components/Ins1 system and its solution per call (${bytes.length} bytes, encoded once), ${inflight} calls in flight over 4 connections for ${seconds} s,`,
    'from a grpc-js client and from a bare HTTP/2 one that sends the encoded gRPC frame and reads the status trailer (a load generator in the manner of ghz: less of the two cores goes to the client).',
    '',
    '| client | calls/s | server CPU ms a call |',
    '|---|---:|---:|',
    ...rows.map((r) => `| ${r.client} | ${r.callsPerSecond.toFixed(0)} | ${r.serverCpuMsPerCall.toFixed(2)} |`),
    '',
    'The server\'s CPU a call is the measure that carries to a machine with cores to spare: the client here takes the rest of the two cores.',
    '',
  ].join('\n'));
}

interface Row { client: 'grpc-js' | 'http2'; seconds: number; answered: number; callsPerSecond: number; serverCpuMsPerCall: number }

/** EvaluatePlacement calls through grpc-js over 4 channels; call(k) uses channel k mod 4. */
function grpcJsCallers(address: string, bytes: Buffer) {
  const channels = Array.from({ length: 4 }, () => new grpc.Client(address, grpc.credentials.createInsecure()));
  return {
    call: (k: number) => new Promise<void>((resolve, reject) => {
      channels[k % channels.length].makeUnaryRequest('/copt.v1.Optimizer/EvaluatePlacement', (b: Buffer) => b, (b: Buffer) => b, bytes, (err) => (err ? reject(err) : resolve()));
    }),
    close: () => { for (const c of channels) c.close(); },
  };
}

/** EvaluatePlacement calls as bare HTTP/2 requests over 4 sessions: the length-prefixed message out, the grpc-status trailer checked. */
function http2Callers(address: string, bytes: Buffer) {
  const sessions = Array.from({ length: 4 }, () => http2.connect(`http://${address}`));
  const frame = Buffer.alloc(5 + bytes.length);
  frame.writeUInt32BE(bytes.length, 1);
  bytes.copy(frame, 5);
  return {
    call: (k: number) => new Promise<void>((resolve, reject) => {
      const req = sessions[k % sessions.length].request({
        ':method': 'POST', ':path': '/copt.v1.Optimizer/EvaluatePlacement', 'content-type': 'application/grpc', te: 'trailers',
      });
      let status: string | undefined;
      req.on('response', (h) => { status = (h['grpc-status'] as string | undefined) ?? status; });
      req.on('trailers', (h) => { status = h['grpc-status'] as string | undefined; });
      req.on('data', () => {});
      req.on('error', reject);
      req.on('close', () => (status === '0' ? resolve() : reject(new Error(`grpc-status ${status}`))));
      req.end(frame);
    }),
    close: () => { for (const s of sessions) s.close(); },
  };
}

/** A process's user and system CPU seconds so far (Linux /proc). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime, fields 14 and 15 of stat, in clock ticks (100 a second on Linux)
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
