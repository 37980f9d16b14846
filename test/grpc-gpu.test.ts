import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { failure, liveServer } from './helpers/grpc-calls.js';
import { readReferenceFolder } from '../adapters/gpu-scheduler/reference-csv.js';
import { simulateGpu } from '../server/gpu/service.js';
import { validateGpuInstance } from '../server/gpu/validate.js';
import { ExecTimeModel } from '../server/models/exec-time.js';

type Msg = Record<string, any>;

const SUITE = join(import.meta.dirname, '..', 'instances', 'gpu', 'suite');
const suiteJson = (name: string) => readFileSync(join(SUITE, `${name}.json`), 'utf8');

const live = liveServer();
const unary = live.unary;


/** A SimulateGpuSchedule stream: its progress events and its result (or its error). */
const simulateStream = (request: Msg, onEvent?: (e: Msg, call: grpc.ClientReadableStream<Msg>) => void) => live.stream('SimulateGpuSchedule', request, onEvent);

describe('GPU scheduling over gRPC', () => {
  it('SimulateGpuSchedule streams progress and answers what the same replay in process gives', async () => {
    const { progress, result, error } = await simulateStream({
      instanceJson: suiteJson('n20-high-1'), method: 'GPU_METHOD_PR', seed: 3, includeLog: true,
    });
    expect(error).toBeUndefined();
    expect(progress.length).toBeGreaterThan(0);
    // decisions never fall; between two decisions a heartbeat may repeat the count with a later time
    expect(progress.every((p, i) => i === 0 || (p.decisions >= progress[i - 1].decisions && p.elapsedS >= progress[i - 1].elapsedS))).toBe(true);
    expect(progress[progress.length - 1].decisions).toBeGreaterThan(progress[0].decisions);
    const local = simulateGpu({ instance: validateGpuInstance(JSON.parse(suiteJson('n20-high-1'))), method: 'pr', seed: 3 });
    expect(result!.totalCost).toBe(local.totalCost);
    expect(result!.decisions).toBe(local.decisions);
    expect(result!.log.length).toBe(local.log.length);
    expect(result!.log.filter((e: Msg) => e.kind === 'finish')).toHaveLength(200);
    expect(result!.relinkPaths).toBe(local.search.relinkPaths);
  });

  it('ScheduleGpuJobs decides a snapshot: nodes kept by id, waiting jobs named, GPUs within each VM', async () => {
    const instance = readReferenceFolder(join(import.meta.dirname, 'fixtures', 'gpu-reference'));
    const request = {
      instanceJson: JSON.stringify(instance), time: 5000,
      jobs: [{ job: 'JJ1', remaining: 0.95, node: 0, gpus: 1 }, { job: 'JJ2', remaining: 0.9, node: 1, gpus: 1 }, { job: 'JJ3' }],
      nodes: [{ id: 0, vmType: 'Standard_NC6' }, { id: 1, vmType: 'Standard_NC6' }],
    };
    const edf = await unary('ScheduleGpuJobs', { ...request, method: 'GPU_METHOD_EDF' });
    expect(edf.waiting).toEqual(['JJ3']);
    expect(edf.closed).toEqual([]);
    expect(edf.nodes.map((n: Msg) => [n.node, n.vmType, n.jobs[0].job])).toEqual([[0, 'Standard_NC6', 'JJ1'], [1, 'Standard_NC6', 'JJ2']]);
    expect(edf.nodes[0].jobs[0].expectedFinish).toBeCloseTo(5000 + 0.95 * 84777.9, 6);
    for (const method of ['GPU_METHOD_GREEDY', 'GPU_METHOD_PR']) {
      const d = await unary('ScheduleGpuJobs', { ...request, method });
      expect(d.nodes.length).toBeLessThanOrEqual(2);
      for (const n of d.nodes) {
        const vm = instance.vmTypes.find((v) => v.name === n.vmType)!;
        expect(n.jobs.reduce((a: number, j: Msg) => a + j.gpus, 0)).toBeLessThanOrEqual(vm.gpus);
      }
      expect(d.nodes.flatMap((n: Msg) => n.jobs.map((j: Msg) => j.job)).length + d.waiting.length).toBe(3);
      expect(d.proxyCost).toBeGreaterThan(0);
    }
  });

  it('ScheduleGpuJobs with jobs that give features instead of times uses the stored execution-time model', async () => {
    const features = { images: 130000, epochs: 800, batchSize: 256 };
    const instance = {
      maxNodes: 2, vmTypes: [{ name: 'Standard_NC24', gpuType: 'K80', gpus: 4, pricePerHour: 3.6 }],
      jobs: [{ id: 'f1', deadline: 1e7, weight: 0.01, features }, { id: 'f2', submission: 10, deadline: 2e5, weight: 0.01, features: { ...features, epochs: 1600 } }],
    };
    const d = await unary('ScheduleGpuJobs', { instance, time: 100, jobs: [{ job: 'f1' }, { job: 'f2' }], method: 'GPU_METHOD_GREEDY' });
    const model = await ExecTimeModel.load(join(import.meta.dirname, '..', 'models', 'exec-time'));
    const placed = d.nodes.flatMap((n: Msg) => n.jobs);
    expect(placed.map((j: Msg) => j.job).sort()).toEqual(['f1', 'f2']);
    for (const j of placed) {
      const epochs = j.job === 'f1' ? 800 : 1600;
      const [seconds] = model.predict([{ features: { ...features, epochs }, gpuType: 'K80', gpus: j.gpus }]);
      expect(j.expectedFinish - 100).toBeCloseTo(seconds, 3);
    }
    const err = await failure(unary('ScheduleGpuJobs', { instance: { ...instance, timeModel: 'none-such' }, time: 100 }));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toBe('time_model = "none-such": names no stored model (stored models of kind exec-time: exec-time)');
  });

  it('bad input is INVALID_ARGUMENT naming the field and the value', async () => {
    const json = JSON.stringify(readReferenceFolder(join(import.meta.dirname, 'fixtures', 'gpu-reference')));
    const cases: [Msg, string][] = [
      [{ instanceJson: json, jobs: [{ job: 'JJ9' }], time: 5000 }, 'jobs[0].job = "JJ9": names no job of the instance'],
      [{ instanceJson: json, jobs: [{ job: 'JJ3' }], time: 10 }, 'jobs[0].job = "JJ3": has not arrived at time 10 (submission 5000)'],
      [{ instanceJson: json, jobs: [{ job: 'JJ1', node: 4, gpus: 1 }], time: 10 }, 'jobs[0].node = 4: names no open node'],
      [{ instanceJson: json, jobs: [{ job: 'JJ1', remaining: 1.5 }], time: 10 }, 'jobs[0].remaining = 1.5: must be in (0, 1]'],
      [{ instanceJson: json, jobs: [], budget: { iterations: -3 } }, 'budget.iterations = -3: must be a whole number from 1 to 1000000000'],
      [{ instanceJson: '{"maxNodes": 0}' }, 'maxNodes = 0: must be a whole number from 1 to 1000000000'],
      [{}, 'instance_source = (missing): must give instance or instance_json'],
    ];
    for (const [request, details] of cases) {
      const err = await failure(unary('ScheduleGpuJobs', request));
      expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err.details).toBe(details);
    }
    const { error } = await simulateStream({ instanceJson: suiteJson('n10-low-1'), method: 99 });
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('cancelling a replay stops it between decisions; the worker is free again at once', async () => {
    const t0 = Date.now();
    const { error } = await simulateStream({ instanceJson: suiteJson('n100-high-1'), method: 'GPU_METHOD_PR' }, (e, call) => {
      if (e.progress) call.cancel();
    });
    expect(error?.code).toBe(grpc.status.CANCELLED);
    const next = await simulateStream({ instanceJson: suiteJson('n10-low-1'), method: 'GPU_METHOD_GREEDY' });
    expect(next.result?.jobs).toBe(100);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });
});
