import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpace4aiSolution } from '../adapters/space4ai/solution.js';
import { parseSpace4aiSystem } from '../adapters/space4ai/system.js';
import { startServer, type OptimizerServer } from '../server/grpc/server.js';
import { evaluateDecision, solvePlacement } from '../server/placement/service.js';
import { inThreadRunner } from '../server/pool.js';
import { copt } from './helpers/copt-process.js';
import { instanceFiles } from './helpers/instances.js';

const tmp = mkdtempSync(join(tmpdir(), 'copt-cli-'));

const files = instanceFiles();

describe('copt solve/evaluate placement', () => {
  it('solves at the file\'s own lambda and evaluate agrees (three sizes)', async () => {
    for (const f of files.filter((x) => /Light\/(5|10|15)-components\/system_description4\.json$/.test(x))) {
      const out = join(tmp, 'sol.json');
      const solved = await copt('solve', 'placement', f, '--seconds', '0.3', '--out', out);
      expect(solved.code, solved.stderr).toBe(0);
      const sol = JSON.parse(readFileSync(out, 'utf8'));
      expect(sol.feasible).toBe(true);
      const ev = await copt('evaluate', 'placement', f, out);
      expect(ev.code, ev.stderr).toBe(0);
      const report = JSON.parse(ev.stdout);
      expect(report.feasible).toBe(true);
      expect(report.violations).toEqual([]);
      expect(report.total_cost).toBeCloseTo(Number(sol.total_cost), 9);
    }
  });

  it('every one of the 80 files at its own lambda gets a feasible solution that evaluation confirms', async () => {
    let feasible = 0;
    for (const f of files) {
      const system = parseSpace4aiSystem(readFileSync(f, 'utf8'));
      const res = await solvePlacement({ system, profile: 'copt', method: 'rg+ls', seconds: 5, iterations: 1500, seed: 1 }, inThreadRunner);
      const reread = parseSpace4aiSolution(JSON.stringify(res.space4ai));
      const ev = evaluateDecision(system, 'copt', reread).evaluation;
      expect(ev.totalCost).toBeCloseTo(res.evaluation.totalCost, 9);
      if (ev.feasible && res.evaluation.feasible) feasible++;
    }
    expect(feasible).toBe(80);
  }, 300_000);

  it('--method exact prints the proven optimum of a small instance', async () => {
    const dir = join(import.meta.dirname, '..', 'instances', 'placement', 'small');
    const o = JSON.parse(readFileSync(join(dir, 'optima.json'), 'utf8')).instances[4];
    const solved = await copt('solve', 'placement', join(dir, o.instance), '--method', 'exact', '--seconds', '20');
    expect(solved.code, solved.stderr).toBe(0);
    expect(Number(JSON.parse(solved.stdout).total_cost)).toBeCloseTo(o.optimum, 9);
    const summary = await copt('solve', 'placement', join(dir, o.instance), '--method', 'exact', '--summary');
    expect(summary.stdout).toMatch(/search: exact \(enumeration\), \d+ nodes in [\d.]+ s, stopped: optimal \(proven\)/);
  });

  it('schedule gpu replays a suite file or a reference CSV folder and prints the figures', async () => {
    const suite = join(import.meta.dirname, '..', 'instances', 'gpu', 'suite', 'n10-mixed-1.json');
    const r = await copt('schedule', 'gpu', suite, '--method', 'rg', '--seed', '2', '--iterations', '30');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    for (const k of ['total_cost', 'vm_cost', 'tardiness_cost', 'total_tardiness_s', 'jobs', 'wall_s']) expect(out).toHaveProperty(k);
    expect(out.total_cost).toBeCloseTo(out.vm_cost + out.tardiness_cost, 9);
    expect(out.jobs).toBe(100);
    const folder = await copt('schedule', 'gpu', join(import.meta.dirname, 'fixtures', 'gpu-reference'), '--method', 'edf');
    expect(JSON.parse(folder.stdout).total_cost).toBeCloseTo((84777.9 * 0.56 + 60000 * 0.56 + 83999.9 * 1.13) / 3600 + 65200.4 * 0.003, 9);
    const bad = await copt('schedule', 'gpu', suite, '--iterations', '0');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('copt: --iterations 0: must be a whole number >= 1\n');
    const missing = await copt('schedule', 'gpu', join(tmp, 'none.json'));
    expect(missing.stderr).toMatch(/^copt: cannot read .*none.json: ENOENT\n$/);
  });

  it('reports bad input on one line naming the file, the field and the value, exit code 2', async () => {
    const d = JSON.parse(readFileSync(files[0], 'utf8'));
    d.Lambda = -3;
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify(d));
    const r = await copt('solve', 'placement', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`copt: ${bad}: Lambda = -3: must be > 0\n`);
    expect((await copt('solve', 'placement', files[0], '--method', 'magic')).stderr).toMatch(/^copt: --method magic: must be one of auto, rg\+ls, rg, ls, ts, sa, pr, exact\n$/);
    expect((await copt('evaluate', 'placement', files[0], bad)).stderr).toMatch(new RegExp(`^copt: ${bad}: components`));
    expect((await copt('solve', 'placement', join(tmp, 'missing.json'))).stderr).toMatch(/cannot read .*missing\.json: ENOENT/);
    expect((await copt('frobnicate')).code).toBe(2);
  });

  describe('with --server', () => {
    let server: OptimizerServer;
    beforeAll(async () => { server = await startServer({ address: '127.0.0.1:0', workers: 1 }); });
    afterAll(async () => { await server.shutdown(); });

    it('solves through a running server', async () => {
      const f = files.find((x) => x.includes('Light/7-components/system_description2.json'))!;
      const r = await copt('solve', 'placement', f, '--server', server.address, '--seconds', '0.3', '--lambda', '1.8');
      expect(r.code, r.stderr).toBe(0);
      const sol = JSON.parse(r.stdout);
      expect(sol.feasible).toBe(true);
      expect(sol.Lambda).toBe(1.8);
    });
  });
});
