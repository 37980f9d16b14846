import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSpace4aiSolution } from '../adapters/space4ai/solution.js';
import { parseSpace4aiSystem } from '../adapters/space4ai/system.js';
import { withCounts } from '../bench/max-load.js';
import { policyBreaches } from '../bench/policy-rules.js';
import { copt } from './helpers/copt-process.js';
import { referenceDirs } from './helpers/instances.js';

const tmp = mkdtempSync(join(tmpdir(), 'copt-runtime-'));

const dir = referenceDirs().find((d) => d.endsWith(join('Strict', '10Components', 'Ins3')))!;
const sys = join(dir, 'system_description.json');
const cur = join(dir, 'best_sol_1.8.json');
const system = parseSpace4aiSystem(readFileSync(sys, 'utf8'));
const current = parseSpace4aiSolution(readFileSync(cur, 'utf8'));

/** Feasibility at a load, as `copt evaluate placement` reports it. */
async function feasibleAt(solution: string, lambda: number): Promise<boolean> {
  const r = await copt('evaluate', 'placement', sys, solution, '--lambda', String(lambda), '--compat', 'space4ai-r');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).feasible;
}

describe('copt reoptimize placement and copt max-load placement', () => {
  it('reoptimize prints the verdict, changes and a solution that evaluate confirms, within the policy', async () => {
    const out = join(tmp, 'answer.json');
    const r = await copt('reoptimize', 'placement', sys, cur, '--lambda', '2.16', '--policy', 'space4ai-r', '--seconds', '0.2', '--compat', 'space4ai-r', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const answer = JSON.parse(readFileSync(out, 'utf8'));
    expect(['KEEP', 'RESIZE', 'MIGRATE']).toContain(answer.verdict);
    expect(typeof answer.migration_cost).toBe('number');
    expect(answer.elapsed_s).toBeGreaterThan(0);
    expect(Array.isArray(answer.changes)).toBe(true);
    const solution = join(tmp, 'solution.json');
    writeFileSync(solution, JSON.stringify(answer.solution));
    expect(await feasibleAt(solution, 2.16)).toBe(answer.feasible);
    expect(policyBreaches(system, current, parseSpace4aiSolution(JSON.stringify(answer.solution)), { policy: 'space4ai-r', pinned: [] })).toEqual([]);
  });

  it('reoptimize --summary gives a readable account of what changes and why', async () => {
    const r = await copt('reoptimize', 'placement', sys, cur, '--lambda', '0.9', '--seconds', '0.2', '--compat', 'space4ai-r', '--move-cost', 'instance=0.01', '--pin', 'c1', '--summary');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^.*at lambda 0.9, policy priced\n\nverdict: (KEEP|RESIZE|MIGRATE): /);
    expect(r.stdout).toMatch(/running cost: [\d.]+ now -> [\d.]+ after/);
  });

  it('max-load agrees with a bisection by copt evaluate, both readings', async () => {
    for (const flag of [[], ['--at-max-counts']]) {
      const r = await copt('max-load', 'placement', sys, cur, '--lambda', '1.8', '--compat', 'space4ai-r', '--tolerance', '0.01', ...flag);
      expect(r.code, r.stderr).toBe(0);
      const m = JSON.parse(r.stdout);
      expect(m.binding.subject).toBeTruthy();
      if (flag.length) expect(m.counts).not.toEqual(current.counts.map((c) => ({ resource: c.resource, count: c.count })));
      const solution = join(tmp, `evaluated${flag.length}.json`);
      const counts = new Map<string, number>(m.counts.map((c: { resource: string; count: number }) => [c.resource, c.count]));
      writeFileSync(solution, JSON.stringify(withCounts(JSON.parse(readFileSync(cur, 'utf8')), counts)));
      let lo = 1.8;
      let hi = 1.8;
      while (await feasibleAt(solution, hi)) { lo = hi; hi *= 2; }
      while (hi > lo * 1.005) {
        const mid = (lo + hi) / 2;
        if (await feasibleAt(solution, mid)) lo = mid;
        else hi = mid;
      }
      expect(Math.abs(m.max_lambda - lo) / lo).toBeLessThanOrEqual(0.01);
    }
  });

  it('bad input exits 2 with one line naming it', async () => {
    const bad = join(tmp, 'bad-current.json');
    writeFileSync(bad, readFileSync(cur, 'utf8').replace('"c1"', '"zz"'));
    const cases: [string[], RegExp][] = [
      [['reoptimize', 'placement', sys, cur], /--lambda X is required/],
      [['reoptimize', 'placement', sys, cur, '--lambda', '-1'], /--lambda -1: must be > 0/],
      [['reoptimize', 'placement', sys, cur, '--lambda', '1', '--policy', 'greedy'], /--policy greedy: must be one of priced, space4ai-r/],
      [['reoptimize', 'placement', sys, cur, '--lambda', '1', '--move-cost', 'moves=1'], /--move-cost moves=1: moves=1 must be NAME=PRICE/],
      [['reoptimize', 'placement', sys, cur, '--lambda', '1', '--pin', 'c1,zz'], /pinned\[1\] = "zz": names no component/],
      [['reoptimize', 'placement', sys, cur, '--lambda', '1', '--method', 'exact'], /--method exact: must be one of/],
      [['reoptimize', 'placement', sys, bad, '--lambda', '1'], /bad-current\.json: .*zz.*names no component/],
      [['max-load', 'placement', sys, cur, '--tolerance', '2'], /--tolerance 2: must be in/],
    ];
    for (const [args, message] of cases) {
      const r = await copt(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const help = await copt('reoptimize', 'placement', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: copt reoptimize placement SYSTEM.json CURRENT.json --lambda X/);
    const unknown = await copt('constructor');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "constructor"/);
  });
});
