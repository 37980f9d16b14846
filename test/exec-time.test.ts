import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveGpuInstance } from '../server/gpu/predicted-times.js';
import { ExecTimeModel, jobFolds, mape, readProfilingTable } from '../server/models/exec-time.js';

const ROOT = join(import.meta.dirname, '..');
const rows = readProfilingTable(readFileSync(join(ROOT, 'instances', 'gpu', 'polimi', 'data_2d10d_filtered.csv'), 'utf8'));
const scratch = mkdtempSync(join(tmpdir(), 'copt-exec-time-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const queries = (rs: typeof rows) => rs.map((r) => ({ features: r, gpuType: r.gpuType, gpus: r.gpus }));

describe('execution-time model (TensorFlow.js)', () => {
  it('reads the profiling table; a malformed one is an error naming the line or column', () => {
    expect(rows).toHaveLength(480);
    expect(new Set(rows.map((r) => r.job)).size).toBe(15);
    expect(rows[0]).toMatchObject({ job: 'J1', images: 130000, epochs: 500, batchSize: 128, gpuType: 'GTX 1080Ti', gpus: 1 });
    expect(() => readProfilingTable('Jobs,Images\nJ1,3')).toThrow('no column Epochs');
    expect(() => readProfilingTable('Jobs,Images,Epochs,Batchsize,GpuType,GpuNumber,ExecutionTime\nJ1,10,5,32,K80,0,100')).toThrow('line 2: gpus 0 must be a number > 0');
  });

  it('predicts unseen jobs within 15% MAPE (5 folds over whole jobs)', async () => {
    const held = await jobFolds(rows, 5);
    expect(held).toHaveLength(rows.length);
    const error = mape(held.map((h) => h.predicted), held.map((h) => h.row.seconds));
    expect(error).toBeLessThan(15);
    // and it learned something: a constant (the median time) is far worse
    const median = [...rows.map((r) => r.seconds)].sort((a, b) => a - b)[rows.length >> 1];
    expect(mape(rows.map(() => median), rows.map((r) => r.seconds))).toBeGreaterThan(3 * error);
  }, 60_000);

  it('saves and loads through the folder handler with identical predictions; training is deterministic per seed', async () => {
    const subset = rows.filter((r) => r.gpuType === 'K80');
    const a = await ExecTimeModel.train(subset, { epochs: 40, seed: 5 });
    const b = await ExecTimeModel.train(subset, { epochs: 40, seed: 5 });
    const c = await ExecTimeModel.train(subset, { epochs: 40, seed: 6 });
    const pa = a.predict(queries(subset));
    expect(b.predict(queries(subset))).toEqual(pa);
    expect(c.predict(queries(subset))).not.toEqual(pa);
    await a.save(join(scratch, 'k80'));
    const loaded = await ExecTimeModel.load(join(scratch, 'k80'));
    expect(loaded.gpuTypes).toEqual(['K80']);
    expect(loaded.predict(queries(subset))).toEqual(pa);
    expect(() => loaded.predict([{ features: rows[0], gpuType: 'V100', gpus: 1 }])).toThrow('GPU type V100 is unknown to the model (it knows K80)');
    await expect(ExecTimeModel.load(join(scratch, 'missing'))).rejects.toThrow('no execution-time model in');
  });

  it('fills the times of jobs that give features from the stored model, for every GPU count the VM types offer', async () => {
    const instance = await resolveGpuInstance({
      maxNodes: 2,
      vmTypes: [{ name: 'NC12', gpuType: 'K80', gpus: 2, pricePerHour: 1.8 }, { name: 'NV24', gpuType: 'M60', gpus: 4, pricePerHour: 4.56 }, { name: 'X', gpuType: 'V100', gpus: 1, pricePerHour: 3 }],
      jobs: [
        { id: 'a', deadline: 1e6, features: { images: 130000, epochs: 700, batchSize: 384 } },
        { id: 'b', deadline: 1e6, times: [{ gpuType: 'V100', gpus: 1, seconds: 10 }] },
      ],
    });
    const a = instance.jobs[0].times;
    expect(a.map((t) => `${t.gpus} x ${t.gpuType}`)).toEqual(['1 x K80', '2 x K80', '1 x M60', '2 x M60', '3 x M60', '4 x M60']);
    const bundled = await ExecTimeModel.load(join(ROOT, 'models', 'exec-time'));
    expect(a.map((t) => t.seconds)).toEqual(bundled.predict(a.map((t) => ({ features: { images: 130000, epochs: 700, batchSize: 384 }, gpuType: t.gpuType, gpus: t.gpus }))));
    // between the measured jobs of 500 and 1000 epochs at batch 256 and 512
    const k80 = (epochs: number, batch: number) => rows.find((r) => r.gpuType === 'K80' && r.gpus === 1 && r.epochs === epochs && r.batchSize === batch)!.seconds;
    expect(a[0].seconds).toBeGreaterThan(Math.min(k80(500, 512), k80(500, 256)));
    expect(a[0].seconds).toBeLessThan(Math.max(k80(1000, 512), k80(1000, 256)));
    expect(instance.jobs[1].times).toEqual([{ gpuType: 'V100', gpus: 1, seconds: 10 }]);
  });

  it('bad features or model names are errors naming the field and the value', async () => {
    const base = (job: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      maxNodes: 1, vmTypes: [{ name: 'NC6', gpuType: 'K80', gpus: 1, pricePerHour: 0.9 }], jobs: [{ id: 'j', deadline: 100, ...job }], ...extra,
    });
    const features = { images: 1000, epochs: 10, batchSize: 64 };
    await expect(resolveGpuInstance(base({ features: { ...features, epochs: -1 } }))).rejects.toThrow('jobs[0] (j).features.epochs = -1: must be > 0');
    await expect(resolveGpuInstance(base({ features, profile: 'p' }))).rejects.toThrow('jobs[0] (j).features');
    await expect(resolveGpuInstance(base({ features }, { timeModel: 'nope' }))).rejects.toThrow('time_model = "nope": names no stored model (stored models of kind exec-time: exec-time)');
    await expect(resolveGpuInstance(base({ features }, { timeModel: '../x' }))).rejects.toThrow('time_model = "../x": must be the name of a stored model');
    await expect(resolveGpuInstance({ ...base({ features }), vmTypes: [{ name: 'X', gpuType: 'V100', gpus: 1, pricePerHour: 1 }] })).rejects.toThrow('time_model = "exec-time": knows GPU types GTX 1080Ti, K80, M60, Quadro P600, and no VM type has one of them');
  });
});
