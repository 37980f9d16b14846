import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callUnary, channelTarget, optimizerClient } from '../server/grpc/client.js';
import { startServer, type OptimizerServer } from '../server/grpc/server.js';
import { projectRoot } from '../server/paths.js';

type Msg = Record<string, any>;
const SYSTEM = readFileSync(join(projectRoot(), 'instances/space4ai/instances/Strict/7-components/system_description3.json'), 'utf8');
/** an iteration budget (and a time limit far beyond it) at a fixed seed: the same answer on any server */
const SOLVE = (seed: number) => ({ space4aiJson: SYSTEM, method: 'RG_LS', budget: { iterations: 400, seconds: 60 }, seed });

/** A server's count of answered calls of a method, from its metrics. */
async function callsOf(server: OptimizerServer, method: string): Promise<number> {
  const m = await server.metrics.calls.get();
  return m.values.filter((v) => v.labels.method === method).reduce((a, v) => a + v.value, 0);
}

describe('scale-out: stateless servers behind client-side round_robin', () => {
  const servers: OptimizerServer[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) servers.push(await startServer({ address: '127.0.0.1:0', workers: 1 }));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.shutdown()));
  });

  it('reads a list of addresses as one round-robin target', () => {
    expect(channelTarget('127.0.0.1:1,127.0.0.1:2')).toBe('ipv4:127.0.0.1:1,127.0.0.1:2');
    expect(channelTarget('[::1]:1,[::1]:2')).toBe('ipv6:[::1]:1,[::1]:2');
    expect(channelTarget('dns:///copt-serve-headless:50051')).toBe('dns:///copt-serve-headless:50051');
    expect(channelTarget('127.0.0.1:50051')).toBe('127.0.0.1:50051');
  });

  it('spreads calls evenly over three servers, and each answers as one server alone does', async () => {
    const one = optimizerClient(servers[0].address);
    const alone: Msg[] = [];
    for (const seed of [1, 2, 3]) alone.push(await callUnary(one, 'SolvePlacement', SOLVE(seed)));
    one.close();
    const many = optimizerClient(servers.map((s) => s.address).join(','));
    // round_robin picks among connected servers: cheap calls until each has answered one (bounded)
    for (let i = 0; i < 30 && (await Promise.all(servers.map((s) => callsOf(s, 'PlanReplicas')))).some((n) => n === 0); i++) {
      await callUnary(many, 'PlanReplicas', { windowLoads: [10] });
    }
    const before = await Promise.all(servers.map((s) => callsOf(s, 'SolvePlacement')));
    const spread: Msg[] = [];
    for (const seed of [1, 2, 3, 1, 2, 3]) spread.push(await callUnary(many, 'SolvePlacement', SOLVE(seed)));
    many.close();
    const after = await Promise.all(servers.map((s) => callsOf(s, 'SolvePlacement')));
    expect(after.map((a, i) => a - before[i])).toEqual([2, 2, 2]);
    spread.forEach((r, i) => {
      expect(r.decision).toEqual(alone[i % 3].decision);
      expect(r.evaluation.totalCost).toBe(alone[i % 3].evaluation.totalCost);
    });
  }, 60_000);
});
