import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliCases, cliReaders, judgeCli, runInProcess, runProcess, writeCase } from '../bench/fuzz/cli-fuzz.js';
import { grpcCases, grpcSeeds, judgeGrpc, sendCases } from '../bench/fuzz/grpc-fuzz.js';
import { settledRssMb, startServerProcess } from '../bench/fuzz/server-process.js';
import { optimizerClient } from '../server/grpc/client.js';
import { optimizerService } from '../server/grpc/contract.js';

// The CI-sized run of the fuzzers (`npm run bench -- fuzz` runs 10,000 of each): a fixed seed, so
// that a failure here is reproducible with the seed and case it prints.
const GRPC_CALLS = 400;
const CLI_INPUTS = 400;
const CLI_PROCESSES = 8;
const DEADLINE_MS = 3000;
const SEED = 20261201;

describe('fuzzed gRPC calls over a socket', () => {
  let server: { process: ChildProcess; address: string } | undefined;
  let client: grpc.Client;
  beforeAll(async () => {
    server = await startServerProcess(2);
    client = optimizerClient(server.address);
  });
  afterAll(() => {
    client?.close();
    server?.process.kill('SIGTERM');
  });

  it('starts from a valid request of every RPC of the contract', () => {
    expect(new Set(grpcSeeds().map((s) => s.method))).toEqual(new Set(Object.keys(optimizerService().service)));
  });

  it(`${GRPC_CALLS} calls: each answered, or refused naming its field, in time; the server healthy and its memory kept`, async () => {
    const seeds = grpcSeeds();
    // warm up with as many calls of another seed, so that the baseline holds the loaded modules and
    // the heaps' and allocator's working size (which the fuzzed calls' large inputs raise once)
    await sendCases(client, seeds, fc.sample(grpcCases(seeds.length), { numRuns: GRPC_CALLS, seed: SEED - 1 }), DEADLINE_MS);
    const before = await settledRssMb(server!.process.pid!);
    await fc.assert(fc.asyncProperty(fc.array(grpcCases(seeds.length), { minLength: 4, maxLength: 4 }), async (cases) => {
      for (const { c, o } of await sendCases(client, seeds, cases, DEADLINE_MS)) {
        const why = judgeGrpc(o, DEADLINE_MS);
        if (why) throw new Error(`${o.method}: ${why}\ncase: ${JSON.stringify(c)}`);
      }
      expect(server!.process.exitCode).toBeNull();
    }), { numRuns: GRPC_CALLS / 4, seed: SEED, endOnFailure: true });
    const [healthy] = await sendCases(client, seeds, [{ seed: 0, message: [], inner: null, bytes: [] }], DEADLINE_MS);
    expect(healthy.o.code).toBe(0);
    const after = await settledRssMb(server!.process.pid!);
    // memory back within 10% of where it settled after the warm-up
    expect(after).toBeLessThan(before * 1.1);
  }, 600_000);
});

describe('fuzzed command-line inputs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'copt-fuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`${CLI_INPUTS} inputs to every reader: each a result, or exit code 2 with one line naming the field`, async () => {
    const readers = cliReaders();
    let n = 0;
    await fc.assert(fc.asyncProperty(cliCases(readers.length), async (c) => {
      const reader = readers[c.reader];
      const caseDir = join(dir, String(n++));
      const argv = reader.argv(writeCase(reader, c, caseDir));
      const o = await runInProcess(argv, reader.name);
      rmSync(caseDir, { recursive: true, force: true });
      const why = judgeCli(o);
      if (why) throw new Error(`${reader.name}: ${why}\ncase: ${JSON.stringify(c)}`);
    }), { numRuns: CLI_INPUTS, seed: SEED, endOnFailure: true });
  }, 600_000);

  it(`${CLI_PROCESSES} of them through the real bin/copt.js, which answers as the in-process run does`, async () => {
    const readers = cliReaders();
    const cases = fc.sample(cliCases(readers.length), { numRuns: CLI_PROCESSES, seed: SEED + 1 });
    for (const [i, c] of cases.entries()) {
      const reader = readers[c.reader];
      const argv = reader.argv(writeCase(reader, c, join(dir, `p${i}`)));
      const spawned = runProcess(argv, reader.name);
      expect(judgeCli(spawned), JSON.stringify(c)).toBeNull();
      const inProcess = await runInProcess(argv, reader.name);
      expect(spawned.code).toBe(inProcess.code);
      if (spawned.code === 2) expect(spawned.stderr).toBe(inProcess.stderr);
    }
  }, 600_000);
});
