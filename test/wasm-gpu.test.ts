import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baselineScheduler } from '../server/gpu/baselines.js';
import { encodeDecision, type EncodedDecision } from '../server/gpu/encode.js';
import { auditLog } from '../server/gpu/event-log.js';
import type { GpuInstance } from '../server/gpu/model.js';
import { gpuScheduler, type GpuMethod } from '../server/gpu/schedulers.js';
import { simulate, type Snapshot } from '../server/gpu/simulate.js';
import { validateGpuInstance } from '../server/gpu/validate.js';
import { GpuSolver, type GpuWasmDecision } from '../server/wasm/gpu-solver.js';
import { lcg } from './helpers/lcg.js';

const SUITE = join(import.meta.dirname, '..', 'instances', 'gpu', 'suite');
const load = (name: string): GpuInstance => validateGpuInstance(JSON.parse(readFileSync(join(SUITE, `${name}.json`), 'utf8')));

/** The first `count` decision snapshots with at least `minJobs` jobs of an EDF replay. */
function snapshots(inst: GpuInstance, count: number, minJobs: number): Snapshot[] {
  const out: Snapshot[] = [];
  const edf = baselineScheduler('edf');
  try {
    simulate(inst, (s) => {
      if (s.jobs.length >= minJobs) out.push(structuredClone({ ...s, instance: undefined }) as unknown as Snapshot);
      if (out.length >= count) throw new Error('enough');
      return edf(s);
    });
  } catch (err) {
    if ((err as Error).message !== 'enough') throw err;
  }
  return out.map((s) => ({ ...s, instance: inst }));
}

/**
 * The score written out independently of the wasm: each job what the encoding says its
 * configuration or its waiting costs, each node its idle GPUs at their share of the VM price over
 * the horizon; infeasibility is the GPUs used beyond each node's VM.
 */
function proxy(s: Snapshot, enc: EncodedDecision, d: GpuWasmDecision): { cost: number; excess: number } {
  const { instance } = s;
  // the encoding's last three float lists: run cost per configuration, wait cost per job, [horizon]
  const f = enc.floats;
  const horizon = f[f.length - 1];
  const J = enc.jobs.length;
  const waitStart = f.length - 2 - J;
  const runStart = waitStart - 1 - enc.configs.length;
  const nodes = new Map<number, { vm: number; used: number }>();
  let cost = 0;
  enc.jobs.forEach((_, i) => {
    if (d.jobNode[i] < 0) {
      cost += f[waitStart + i];
      return;
    }
    cost += f[runStart + d.jobConf[i]];
    const c = enc.configs[d.jobConf[i]];
    const n = nodes.get(d.jobNode[i]) ?? { vm: c.vmType, used: 0 };
    n.used += c.gpus;
    nodes.set(d.jobNode[i], n);
  });
  let excess = 0;
  for (const n of nodes.values()) {
    const vm = instance.vmTypes[n.vm];
    cost += (vm.pricePerHour / 3600) * (Math.max(0, vm.gpus - n.used) / vm.gpus) * horizon;
    excess += Math.max(0, n.used - vm.gpus);
  }
  return { cost, excess };
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

describe('wasm GPU decision', () => {
  const heavy = snapshots(load('n10-high-1'), 6, 8);

  it('scores random decisions as the proxy written out independently', () => {
    const rand = lcg(7);
    let checked = 0;
    let overbooked = 0;
    for (const s of heavy) {
      const enc = encodeDecision(s, 1800);
      const solver = new GpuSolver(enc);
      for (let k = 0; k < 30; k++) {
        // random nodes (a decision uses at most one a job, the limit the encoding keeps) and configurations;
        // types are made consistent by taking each node's first job's VM type
        const nodes = Math.min(s.instance.maxNodes, enc.jobs.length);
        const jobNode = new Int32Array(enc.jobs.length).map(() => rand(nodes + 1) - 1);
        const typeOf = new Map<number, number>();
        const jobConf = new Int32Array(enc.jobs.length).fill(-1);
        let start = 0;
        enc.jobs.forEach((job, i) => {
          const n = s.configs[job].length;
          if (jobNode[i] >= 0) {
            const want = typeOf.get(jobNode[i]);
            const options = Array.from({ length: n }, (_, c) => start + c).filter((c) => want === undefined || enc.configs[c].vmType === want);
            if (options.length === 0) jobNode[i] = -1;
            else {
              jobConf[i] = options[rand(options.length)];
              typeOf.set(jobNode[i], enc.configs[jobConf[i]].vmType);
            }
          }
          start += n;
        });
        const d = { jobNode, jobConf };
        const wasm = solver.evaluate(d);
        const ts = proxy(s, enc, d);
        expect(close(wasm.cost, ts.cost), `${wasm.cost} vs ${ts.cost}`).toBe(true);
        expect(wasm.infeasibility).toBe(ts.excess);
        checked++;
        if (ts.excess > 0) overbooked++;
      }
    }
    expect(checked).toBe(heavy.length * 30);
    expect(overbooked).toBeGreaterThan(0);
    expect(overbooked).toBeLessThan(checked);
  });

  it.each(['release', 'checked'] as const)('keeps incremental evaluation equal to full recomputation over random moves (%s build)', (build) => {
    const rand = lcg(11);
    let moves = 0;
    for (const s of heavy) {
      const solver = new GpuSolver(encodeDecision(s, 1800), 8, build);
      const m = solver.moves;
      m.setAssertMode(true);
      m.construct(3);
      for (let i = 0; i < 200; i++) {
        const n = m.list();
        if (n === 0) break;
        m.apply(rand(n));
        moves++;
        if (rand(3) === 0) m.undo();
      }
      expect(m.assertFailures()).toBe(0);
    }
    expect(moves).toBeGreaterThan(500);
  });

  it.each(['greedy', 'rg', 'pr', 'ls', 'ts', 'sa'] as const)('%s: every decision of a replay keeps the rules; costs recompute from the log; deterministic', (method: GpuMethod) => {
    for (const name of ['n10-high-2', 'n10-mixed-1']) {
      const inst = load(name);
      const opts = { seed: 5, iterations: 40, constructions: 10, seconds: 10 };
      const a = simulate(inst, gpuScheduler(method, opts));
      const audit = auditLog(inst, a.log);
      expect(audit.problems, `${name} ${method}`).toEqual([]);
      expect(close(audit.vmCost + audit.tardinessCost, a.totalCost)).toBe(true);
      const b = simulate(inst, gpuScheduler(method, opts));
      expect(b.totalCost).toBe(a.totalCost);
      expect(b.log).toEqual(a.log);
    }
  });

  it('the searches never answer a decision worse, by the proxy, than the reference greedy', () => {
    for (const s of heavy) {
      const enc = encodeDecision(s, 1800);
      const greedy = new GpuSolver(enc).solve({ method: 'rg', seed: 1, seconds: 10, maxIterations: 1 });
      for (const method of ['rg', 'pr', 'ts'] as const) {
        const r = new GpuSolver(enc).solve({ method, seed: 1, seconds: 10, maxIterations: 60, greedyIterations: 20 });
        expect(r.infeasibility).toBe(0);
        expect(r.cost).toBeLessThanOrEqual(greedy.cost * (1 + 1e-12));
      }
    }
  });

  it('descent fits a waiting job in beside a wide one: the greedy is no local optimum on a full cluster', () => {
    const full = snapshots(load('n10-high-1'), 40, 20).filter((s) => s.nodes.length === s.instance.maxNodes);
    let improved = 0;
    for (const s of full) {
      const enc = encodeDecision(s, 1800);
      const greedy = new GpuSolver(enc).solve({ method: 'rg', seed: 1, seconds: 10, maxIterations: 1 });
      const ls = new GpuSolver(enc).solve({ method: 'ls', seed: 1, seconds: 10 });
      const running = (d: GpuWasmDecision) => d.jobNode.filter((k) => k >= 0).length;
      if (ls.cost < greedy.cost * (1 - 1e-6) && running(ls) > running(greedy)) improved++;
    }
    expect(full.length).toBeGreaterThanOrEqual(10);
    expect(improved).toBeGreaterThanOrEqual(full.length / 2);
  });
});
