import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type OptimizerServer } from '../server/grpc/server.js';
import { projectRoot } from '../server/paths.js';

const run = promisify(execFile);

/** examples/client.mjs, the README's client, run as a user runs it against a server. */
describe('the example gRPC client', () => {
  let server: OptimizerServer;
  beforeAll(async () => {
    server = await startServer({ address: '127.0.0.1:0', workers: 1, tokens: ['example-token'] });
  });
  afterAll(async () => {
    await server?.shutdown();
  });

  it('asks health, then solves a placement with its token and prints the decision', async () => {
    const { stdout } = await run('node', [join(projectRoot(), 'examples/client.mjs'), server.address, '--token', 'example-token'], { timeout: 30_000 });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('health: SERVING');
    expect(lines[1]).toMatch(/^solved: cost \d+\.\d{4}, feasible, 5 components placed in \d+\.\d\d s$/);
    expect(lines.slice(2)).toHaveLength(5);
    await expect(run('node', [join(projectRoot(), 'examples/client.mjs'), server.address], { timeout: 30_000 })).rejects.toMatchObject({ stderr: expect.stringMatching(/UNAUTHENTICATED/) });
  }, 60_000);
});
