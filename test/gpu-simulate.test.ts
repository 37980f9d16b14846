import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readReferenceFolder } from '../adapters/gpu-scheduler/reference-csv.js';
import { baselineScheduler } from '../server/gpu/baselines.js';
import { auditLog } from '../server/gpu/event-log.js';
import type { GpuInstance } from '../server/gpu/model.js';
import { simulate, type Scheduler } from '../server/gpu/simulate.js';
import { validateGpuInstance } from '../server/gpu/validate.js';
import { simulateGpu } from '../server/gpu/service.js';
import { costHull, costLowerBound, finishCost, type ConfigPoint } from '../server/gpu/value.js';

/** One VM type with 2 GPUs at 3.6 $/h (0.001 $/s); A: 100 s on 1 GPU, due at 50; B arrives at 10, 20 s, due at 100. */
function twoJobs(maxNodes: number): GpuInstance {
  return validateGpuInstance({
    name: 'two jobs', maxNodes,
    vmTypes: [{ name: 'V2', gpuType: 'G', gpus: 2, pricePerHour: 3.6 }],
    jobs: [
      { id: 'A', submission: 0, deadline: 50, weight: 1, times: [{ gpuType: 'G', gpus: 1, seconds: 100 }, { gpuType: 'G', gpus: 2, seconds: 60 }] },
      { id: 'B', submission: 10, deadline: 100, weight: 2, times: [{ gpuType: 'G', gpus: 1, seconds: 20 }] },
    ],
  });
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

function expectAudited(instance: GpuInstance, r: ReturnType<typeof simulate>) {
  const audit = auditLog(instance, r.log);
  expect(audit.problems).toEqual([]);
  expect(close(audit.vmCost, r.vmCost), `vm ${audit.vmCost} vs ${r.vmCost}`).toBe(true);
  expect(close(audit.tardinessCost, r.tardinessCost)).toBe(true);
  expect(close(audit.totalTardinessS, r.totalTardinessS)).toBe(true);
}

describe('GPU simulator, by hand', () => {
  it('FIFO with two nodes: each job on its own VM, costs as computed by hand', () => {
    const inst = twoJobs(2);
    const r = simulate(inst, baselineScheduler('fifo'));
    // A takes its cheapest configuration (the deadline is out of reach: the fastest, 2 GPUs, 60 s)
    expect(r.log.filter((e) => e.kind === 'finish')).toEqual([{ t: 30, kind: 'finish', job: 1 }, { t: 60, kind: 'finish', job: 0 }]);
    expect(close(r.vmCost, 0.06 + 0.02)).toBe(true);
    expect(close(r.tardinessCost, 10)).toBe(true);
    expect(close(r.totalCost, 10.08)).toBe(true);
    expect(r.lateJobs).toBe(1);
    expectAudited(inst, r);
  });

  it('FIFO with one node: B waits for A, and the node stays open in between', () => {
    const inst = twoJobs(1);
    const r = simulate(inst, baselineScheduler('fifo'));
    expect(r.log.filter((e) => e.kind === 'open')).toHaveLength(1);
    expect(close(r.vmCost, 0.08)).toBe(true); // open from 0 to 80
    expect(close(r.tardinessCost, 10 * 1)).toBe(true); // B finishes at 80 <= 100
    expectAudited(inst, r);
  });

  it('a job moved to fewer GPUs keeps its progress', () => {
    const inst = twoJobs(1);
    // A runs on 2 GPUs; when B arrives A shrinks to 1 GPU beside it
    const share: Scheduler = (s) => (s.time < 10
      ? [{ vmType: 0, jobs: [{ job: 0, gpus: 2 }] }]
      : [{ vmType: 0, jobs: s.jobs.map((v) => ({ job: v.job, gpus: 1 })) }]);
    const r = simulate(inst, share);
    // A does 10/60 of its work by t=10, then 5/6 x 100 s more on 1 GPU: it finishes at 10 + 83.33
    const finishA = r.log.find((e) => e.kind === 'finish' && e.job === 0)!.t;
    expect(close(finishA, 10 + (5 / 6) * 100)).toBe(true);
    expect(r.log.some((e) => e.kind === 'run' && e.job === 0 && e.gpus === 1)).toBe(true);
    expectAudited(inst, r);
  });

  it('refuses decisions that break the rules, naming what', () => {
    const inst = twoJobs(1);
    expect(() => simulate(inst, () => [{ vmType: 0, jobs: [{ job: 0, gpus: 2 }] }, { vmType: 0, jobs: [] }, { vmType: 0, jobs: [{ job: 0, gpus: 1 }] }]))
      .toThrow(/2 nodes, at most 1/);
    expect(() => simulate(twoJobs(2), (s) => s.jobs.length === 2 ? [{ vmType: 0, jobs: [{ job: 0, gpus: 2 }, { job: 1, gpus: 1 }] }] : [{ vmType: 0, jobs: [{ job: 0, gpus: 1 }] }]))
      .toThrow(/runs jobs on 3 GPUs, it has 2/);
    expect(() => simulate(inst, () => [{ vmType: 0, jobs: [{ job: 1, gpus: 1 }] }])).toThrow(/has not arrived/);
    expect(() => simulate(inst, () => [{ vmType: 0, jobs: [{ job: 0, gpus: 3 }] }])).toThrow(/no time for 3 GPUs on V2/);
    expect(() => simulate(inst, () => [])).toThrow('at t=10 the scheduler left 2 jobs waiting with nothing running and no arrival ahead');
  });

  it('the audit catches a log that overbooks a node or never finishes a job', () => {
    const inst = twoJobs(2);
    const r = simulate(inst, baselineScheduler('fifo'));
    // B onto A's node, where A already uses both GPUs
    const forged = r.log.map((e) => (e.kind === 'run' && e.job === 1 ? { ...e, node: 0 } : e));
    expect(auditLog(inst, forged).problems).toEqual(['t=10: node 0 runs 3 GPUs, its VM has 2']);
    expect(auditLog(inst, r.log.filter((e) => e.kind !== 'finish')).problems.join('\n')).toMatch(/2 jobs never finish/);
  });
});

describe('GPU instance validation', () => {
  const base = () => ({
    maxNodes: 2,
    vmTypes: [{ name: 'V2', gpuType: 'G', gpus: 2, pricePerHour: 3.6 }],
    profiles: [{ name: 'p', times: [{ gpuType: 'G', gpus: 1, seconds: 10 }] }],
    jobs: [{ id: 'A', submission: 0, deadline: 50, weight: 1, profile: 'p' }],
  });
  it('resolves profiles and names the bad field and value', () => {
    expect(validateGpuInstance(base()).jobs[0].times).toEqual([{ gpuType: 'G', gpus: 1, seconds: 10 }]);
    const cases: [(x: any) => void, string][] = [
      [(x) => { x.maxNodes = 0; }, 'max_nodes = 0: must be a whole number from 1 to 1000000000'],
      [(x) => { x.vmTypes[0].gpus = 1.5; }, 'vm_types.V2.gpus = 1.5: must be a whole number from 1 to 64'],
      [(x) => { x.jobs[0].deadline = -1; }, 'jobs.A.deadline = -1: must be > 0'],
      [(x) => { x.jobs[0].submission = 60; }, 'jobs.A.deadline = 50: must be after the submission time 60'],
      [(x) => { x.jobs[0].profile = 'q'; }, 'jobs.A.profile = "q": names no profile'],
      [(x) => { x.profiles[0].times[0].gpuType = 'H'; }, 'profiles.p.times[0].gpu_type = "H": names no GPU type of any VM type (G)'],
      [(x) => { x.profiles[0].times[0].gpus = 4; }, 'jobs.A.times = ["4 x G"]: no VM type offers any of these configurations'],
      [(x) => { x.jobs.push({ ...x.jobs[0] }); }, 'jobs.A.id = "A": is used twice; names must be unique'],
    ];
    for (const [edit, message] of cases) {
      const x = base();
      edit(x);
      expect(() => validateGpuInstance(x)).toThrow(message);
    }
  });
});

describe('the reference scheduler\'s CSV layout', () => {
  it('reads a folder (jobs, times repeated per VM type, nodes) and replays it to costs worked out by hand', () => {
    const inst = readReferenceFolder(join(import.meta.dirname, 'fixtures', 'gpu-reference'));
    expect(inst.maxNodes).toBe(2);
    expect(inst.vmTypes.map((v) => [v.name, v.gpuType, v.gpus, v.pricePerHour])).toEqual([['Standard_NC6', 'K80', 1, 0.56], ['Standard_NC12', 'K80', 2, 1.13]]);
    expect(inst.jobs.map((j) => [j.id, j.submission, j.deadline, j.weight, j.times.length])).toEqual([
      ['JJ1', 0, 150000, 0.005, 2], ['JJ2', 1200.5, 90000, 0.012, 2], ['JJ3', 5000, 80000, 0.003, 2],
    ]);
    // EDF: JJ1 and JJ2 on NC6 at once; JJ3 waits for JJ2 (61200.5), is too late for any configuration
    // and takes the fastest (2 GPUs of an NC12, 83999.9 s): 65200.4 s late at 0.003/s
    const r = simulate(inst, baselineScheduler('edf'));
    expect(close(r.vmCost, (84777.9 * 0.56 + 60000 * 0.56 + 83999.9 * 1.13) / 3600)).toBe(true);
    expect(close(r.tardinessCost, 65200.4 * 0.003)).toBe(true);
    expectAudited(inst, r);
  });

  it('names the file, the row and the column of bad data', () => {
    const dir = mkdtempSync(join(tmpdir(), 'copt-gpu-'));
    const fixture = join(import.meta.dirname, 'fixtures', 'gpu-reference');
    for (const f of ['Lof_Selectjobs.csv', 'SelectJobs_times.csv', 'tNodes.csv']) writeFileSync(join(dir, f), readFileSync(join(fixture, f)));
    writeFileSync(join(dir, 'Lof_Selectjobs.csv'), readFileSync(join(fixture, 'Lof_Selectjobs.csv'), 'utf8').replace('150000.0', 'soon'));
    expect(() => readReferenceFolder(dir)).toThrow('Lof_Selectjobs.csv[1].Deadline = "soon": must be a number');
    rmSync(join(dir, 'tNodes.csv'));
    expect(() => readReferenceFolder(dir)).toThrow(/tNodes.csv = \(missing\): is missing from/);
  });
});

describe('least cost to finish a job (value.ts)', () => {
  /** Every single configuration and every pair mixed at its ends or where it meets the deadline exactly. */
  function bruteForce(points: ConfigPoint[], r: number, slack: number, w: number): number {
    const f = (s: number, c: number) => r * c + w * Math.max(0, r * s - slack);
    let best = Infinity;
    for (const a of points) {
      best = Math.min(best, f(a.seconds, a.cost));
      for (const b of points) {
        if (a.seconds === b.seconds) continue;
        const alpha = (slack / r - b.seconds) / (a.seconds - b.seconds);
        if (alpha > 0 && alpha < 1) best = Math.min(best, f(alpha * a.seconds + (1 - alpha) * b.seconds, alpha * a.cost + (1 - alpha) * b.cost));
      }
    }
    return best;
  }

  it('equals the best single configuration or two-configuration mix, tardiness included', () => {
    let x = 12345;
    const rand = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
    let mixed = 0;
    for (let k = 0; k < 2000; k++) {
      const points = Array.from({ length: 1 + Math.floor(rand() * 8) }, () => ({ seconds: 100 + rand() * 1000, cost: 1 + rand() * 50 }));
      const r = 0.05 + rand() * 0.95;
      const slack = -200 + rand() * 1400;
      const w = rand() < 0.3 ? 0 : rand() * 0.2;
      const got = finishCost(costHull(points), r, slack, w);
      const want = bruteForce(points, r, slack, w);
      expect(Math.abs(got - want), `case ${k}: ${got} vs ${want}`).toBeLessThan(1e-9 * Math.max(1, want));
      if (points.every((p) => Math.abs(r * p.cost + w * Math.max(0, r * p.seconds - slack) - want) > 1e-9)) mixed++;
    }
    expect(mixed).toBeGreaterThan(100); // many optima are true mixes
  });

  it('no replay costs less than the lower bound, worked out by hand for a lone job', () => {
    const inst = validateGpuInstance(JSON.parse(readFileSync(join(import.meta.dirname, '..', 'instances', 'gpu', 'suite', 'n10-low-1.json'), 'utf8')));
    const bound = costLowerBound(inst);
    for (const method of ['edf', 'greedy', 'pr'] as const) expect(simulateGpu({ instance: inst, method, seed: 1 }).totalCost).toBeGreaterThanOrEqual(bound);
    // A alone, due at 80: half its work on 1 GPU (0.05 $ for all of it) and half on 2 (0.06 $) meets the
    // deadline for 0.055 $, with the idle GPU paid by nobody; a replay pays the whole VM: 0.06 $ on 2 GPUs
    const lone = twoJobs(1);
    lone.jobs = [{ ...lone.jobs[0], deadline: 80 }];
    expect(costLowerBound(lone)).toBeCloseTo(0.055, 12);
    expect(simulateGpu({ instance: lone, method: 'pr', seed: 1 }).totalCost).toBeCloseTo(0.06, 12);
  });

  it('the reference-mix suite is the reference generator\'s mix: AlexNet jobs only, 10 N of them, arrivals 75000 / N s (light) or 20000 / N s (heavy) apart', () => {
    const dir = join(import.meta.dirname, '..', 'instances', 'gpu', 'reference-mix');
    for (const n of [10, 20, 50]) {
      for (const [load, lambda] of [['light', 75000], ['heavy', 20000]] as const) {
        const gaps: number[] = [];
        for (const k of [1, 2, 3]) {
          const inst = validateGpuInstance(JSON.parse(readFileSync(join(dir, `n${n}-${load}-${k}.json`), 'utf8')));
          expect(inst.maxNodes).toBe(n);
          expect(inst.jobs).toHaveLength(10 * n);
          expect(inst.jobs.every((j) => j.profile?.startsWith('alexnet-'))).toBe(true);
          gaps.push(inst.jobs[inst.jobs.length - 1].submission / (inst.jobs.length - 1));
        }
        // the mean gap over 30 N - 3 exponential draws: within 25% of lambda / N
        const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
        expect(Math.abs(mean / (lambda / n) - 1)).toBeLessThan(0.25);
      }
    }
  });
});
