import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LstmForecaster, stepPeaks } from '../server/models/lstm-forecast.js';
import { parseTrace } from '../server/replicas/trace.js';

const ROOT = join(import.meta.dirname, '..');
const trace = parseTrace('surgery', readFileSync(join(ROOT, 'instances', 'traces', 'surgery', 'streams_per_minute.csv'), 'utf8'));
const WEEK = 7 * 24 * 60;
const scratch = mkdtempSync(join(tmpdir(), 'copt-lstm-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('LSTM forecaster (TensorFlow.js)', () => {
  it('training reports its batches and stops at the stop flag with a StoppedError', async () => {
    const batches: number[] = [];
    const options = { stepMin: 60, lookback: 24, units: 5, epochs: 50, seed: 3, onBatch: (done: number) => batches.push(done), shouldStop: () => batches.length >= 3 };
    const t0 = performance.now();
    await expect(LstmForecaster.train(trace.loads, WEEK, options)).rejects.toThrow(/^the LSTM's training was stopped after [01] of 50 epochs$/);
    expect(batches).toHaveLength(3);
    expect(performance.now() - t0).toBeLessThan(20_000);
  });

  it('trained on one week, beats a constant predictor on the next; saves and loads to the same forecasts', async () => {
    const options = { stepMin: 60, lookback: 24, units: 10, epochs: 40, seed: 3 };
    const model = await LstmForecaster.train(trace.loads, WEEK, options);
    const steps = WEEK / 60;
    const truth = stepPeaks(trace.loads, steps, 2 * steps, 60);
    const oneStep = truth.map((_, k) => model.predictSteps(trace.loads, steps + k, 1)[0]);
    const mae = (p: number[]) => p.reduce((a, v, k) => a + Math.abs(v - truth[k]), 0) / truth.length;
    const train = stepPeaks(trace.loads, 0, steps, 60);
    const constant = train.reduce((a, b) => a + b, 0) / train.length;
    expect(mae(oneStep)).toBeLessThan(0.6 * mae(truth.map(() => constant)));
    // closed loop: a day ahead from the Monday midnight after training, fed its own predictions
    const day = model.predictSteps(trace.loads, steps, 24);
    // forecasts run on plain arithmetic: it must agree with the network's own prediction
    const history = stepPeaks(trace.loads, steps - 24, steps, 60);
    expect(day[0]).toBeCloseTo(Math.max(0, model.predictWithTf(history, steps - 24)) * Math.max(...stepPeaks(trace.loads, 0, steps, 60)), 3);
    expect(day[10]).toBeGreaterThan(3 * Math.max(day[0], 1)); // daytime far above the night
    // told that the trace started on a Saturday, the same Monday reads as a quiet weekend day
    const asWeekend = model.predictSteps(trace.loads, steps, 24, 5 * 1440);
    expect(Math.max(...asWeekend)).toBeLessThan(0.5 * Math.max(...day)); // measured: 7 against 31 streams
    await model.save(join(scratch, 'lstm'));
    const loaded = await LstmForecaster.load(join(scratch, 'lstm'));
    expect(loaded.predictSteps(trace.loads, steps, 24)).toEqual(day);
    const f = loaded.forecaster().forecast(trace.loads, WEEK + 30, 90);
    expect(f).toHaveLength(90);
    expect(f[0]).toBe(day[0]);
    expect(f[30]).toBe(day[1]);
    await expect(LstmForecaster.load(join(scratch, 'none'))).rejects.toThrow('no LSTM forecaster in');
    // a model that read other inputs (the week's position, before) cannot run on these
    const metaFile = join(scratch, 'lstm', 'meta.json');
    writeFileSync(metaFile, JSON.stringify({ ...JSON.parse(readFileSync(metaFile, 'utf8')), inputs: undefined }));
    await expect(LstmForecaster.load(join(scratch, 'lstm'))).rejects.toThrow('reads other inputs (load, day and week position); train it again');
  }, 120_000);
});
