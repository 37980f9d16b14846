import { join } from 'node:path';
import { DEFAULT_TIME_MODEL } from '../gpu/predicted-times.js';
import { ExecTimeModel, jobFolds, mape, readProfilingTable } from '../models/exec-time.js';
import { modelsFolder } from '../models/file-io.js';
import { projectRoot } from '../paths.js';
import { EXIT, number, options, readText, UsageError, type Command } from './args.js';

/** The model command: train the execution-time model the GPU scheduler predicts with. */
export const MODEL_COMMANDS: Record<string, Command> = {
  'train exec-time': {
    usage: 'copt train exec-time [--data CSV] [--out DIR] [--epochs N] [--seed N] [--folds N]',
    run: trainExecTime,
  },
};

/** Trains the execution-time model on a profiling table, reports its error on unseen jobs, and stores it. */
async function trainExecTime(args: string[]): Promise<number> {
  const { values } = options(args, {
    data: { type: 'string' }, out: { type: 'string' }, epochs: { type: 'string' }, seed: { type: 'string' }, folds: { type: 'string' },
  } as const, 0);
  const data = values.data ?? join(projectRoot(), 'instances', 'gpu', 'polimi', 'data_2d10d_filtered.csv');
  let rows;
  try {
    rows = readProfilingTable(readText(data));
  } catch (err) {
    throw new UsageError(`${data}: ${(err as Error).message}`);
  }
  const train = {
    epochs: number(values.epochs, 'epochs', (x) => Number.isInteger(x) && x >= 1, 'must be a whole number >= 1'),
    seed: number(values.seed, 'seed', (x) => Number.isSafeInteger(x) && x >= 0, 'must be a whole number >= 0'),
  };
  const jobs = new Set(rows.map((r) => r.job)).size;
  const folds = number(values.folds, 'folds', (x) => Number.isInteger(x) && x >= 2 && x <= jobs, `must be a whole number from 2 to the ${jobs} jobs`) ?? Math.min(5, jobs);
  const t0 = performance.now();
  const held = await jobFolds(rows, folds, train);
  const model = await ExecTimeModel.train(rows, train);
  const out = values.out ?? join(modelsFolder(), DEFAULT_TIME_MODEL);
  await model.save(out);
  const fitted = model.predict(rows.map((r) => ({ features: r, gpuType: r.gpuType, gpus: r.gpus })));
  const round = (x: number) => Number(x.toFixed(3));
  console.log(JSON.stringify({
    rows: rows.length, jobs, gpu_types: model.gpuTypes, folds,
    heldout_jobs_mape_pct: round(mape(held.map((h) => h.predicted), held.map((h) => h.row.seconds))),
    train_mape_pct: round(mape(fitted, rows.map((r) => r.seconds))),
    out, wall_s: round((performance.now() - t0) / 1000),
  }, null, 2));
  return EXIT.ok;
}
