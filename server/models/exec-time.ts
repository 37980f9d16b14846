import type * as TF from '@tensorflow/tfjs';
import { loadNetwork, saveNetwork } from './file-io.js';
import { loadTf } from './tf.js';

/** What a training job is: how many samples it reads per epoch, for how many epochs, in batches of what size. */
export interface JobFeatures {
  images: number;
  epochs: number;
  batchSize: number;
}

/** One measured run: a job on `gpus` GPUs of `gpuType`, and how long it took. */
export interface ProfilingRow extends JobFeatures {
  job: string;
  gpuType: string;
  gpus: number;
  seconds: number;
}

/** A question for the model: this job on this many GPUs of this type. */
export interface ExecTimeQuery {
  features: JobFeatures;
  gpuType: string;
  gpus: number;
}

/** Training settings; every field has a default. */
export interface TrainOptions {
  epochs?: number;
  hidden?: number;
  learningRate?: number;
  seed?: number;
}


/**
 * Rows of a profiling table in the layout of the reference GPU scheduler's `data_2d10d_filtered.csv`
 * (columns Jobs, Images, Epochs, Batchsize, GpuType, GpuNumber, ExecutionTime; others ignored).
 */
export function readProfilingTable(csv: string): ProfilingRow[] {
  const lines = csv.trim().split(/\r?\n/);
  const head = lines[0].split(',');
  const col = (name: string) => {
    const i = head.indexOf(name);
    if (i < 0) throw new Error(`profiling table: no column ${name} (columns: ${head.join(', ')})`);
    return i;
  };
  const c = { job: col('Jobs'), images: col('Images'), epochs: col('Epochs'), batchSize: col('Batchsize'), gpuType: col('GpuType'), gpus: col('GpuNumber'), seconds: col('ExecutionTime') };
  return lines.slice(1).map((line, i) => {
    const f = line.split(',');
    const row = {
      job: f[c.job], gpuType: f[c.gpuType], images: Number(f[c.images]), epochs: Number(f[c.epochs]),
      batchSize: Number(f[c.batchSize]), gpus: Number(f[c.gpus]), seconds: Number(f[c.seconds]),
    };
    for (const k of ['images', 'epochs', 'batchSize', 'gpus', 'seconds'] as const) {
      if (!(row[k] > 0)) throw new Error(`profiling table line ${i + 2}: ${k} ${f[c[k]]} must be a number > 0`);
    }
    return row;
  });
}

/** Mean absolute percentage error of predictions against the truth, in percent. */
export function mape(predicted: number[], truth: number[]): number {
  return (100 * predicted.reduce((s, p, i) => s + Math.abs(p - truth[i]) / truth[i], 0)) / truth.length;
}

interface Meta {
  kind: 'exec-time';
  gpuTypes: string[];
  /** mean and spread of log2 batch size, log2 GPU count, and of the target */
  scale: { batch: [number, number]; gpus: [number, number]; target: [number, number] };
  trainedOn: { rows: number; jobs: number; epochs: number };
}

/**
 * Execution time of a training job from its features, GPU type and GPU count. Training time is taken
 * as proportional to epochs x images (one pass per sample per epoch, as the profiling table shows
 * exactly); the network learns the log of the time per sample from the batch size, GPU type (one-hot)
 * and GPU count, so it answers for jobs of any length but only for the GPU types it was trained on.
 */
export class ExecTimeModel {
  private constructor(private readonly tf: typeof TF, private readonly net: TF.LayersModel, private readonly meta: Meta) {}

  /** The GPU types the model can answer for. */
  get gpuTypes(): readonly string[] {
    return this.meta.gpuTypes;
  }

  /** Trains a model on profiling rows; deterministic per seed. */
  static async train(rows: ProfilingRow[], options: TrainOptions = {}): Promise<ExecTimeModel> {
    if (rows.length === 0) throw new Error('cannot train an execution-time model on no rows');
    const tf = await loadTf();
    const epochs = options.epochs ?? 600;
    const seed = options.seed ?? 1;
    const hidden = options.hidden ?? 24;
    const gpuTypes = [...new Set(rows.map((r) => r.gpuType))].sort();
    const spread = (xs: number[]): [number, number] => {
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
      return [m, sd > 0 ? sd : 1];
    };
    const meta: Meta = {
      kind: 'exec-time', gpuTypes,
      scale: { batch: spread(rows.map((r) => Math.log2(r.batchSize))), gpus: spread(rows.map((r) => Math.log2(r.gpus))), target: spread(rows.map(target)) },
      trainedOn: { rows: rows.length, jobs: new Set(rows.map((r) => r.job)).size, epochs },
    };
    const init = (k: number) => tf.initializers.heNormal({ seed: seed * 7919 + k });
    const net = tf.sequential({ layers: [
      tf.layers.dense({ inputShape: [2 + gpuTypes.length], units: hidden, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.dense({ units: hidden, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 1, kernelInitializer: init(3) }),
    ] });
    net.compile({ optimizer: tf.train.adam(options.learningRate ?? 0.01), loss: 'meanSquaredError' });
    const model = new ExecTimeModel(tf, net, meta);
    const x = model.inputs(rows);
    const [m, sd] = meta.scale.target;
    const y = tf.tensor2d(rows.map((r) => [(target(r) - m) / sd]));
    // Full-batch and unshuffled: the table is small, and tfjs shuffles with Math.random.
    await net.fit(x, y, { epochs, batchSize: rows.length, shuffle: false, verbose: 0 });
    x.dispose();
    y.dispose();
    return model;
  }

  /** Loads a model saved by save(). */
  static async load(dir: string): Promise<ExecTimeModel> {
    const { tf, net, meta } = await loadNetwork<Meta>(dir, 'exec-time', 'execution-time model');
    return new ExecTimeModel(tf, net, meta);
  }

  /** Writes the network and its scaling beside each other in a folder. */
  async save(dir: string): Promise<void> {
    await saveNetwork(this.tf, this.net, this.meta, dir);
  }

  /** Predicted seconds for each query; a GPU type the model was not trained on is an error naming it. */
  predict(queries: ExecTimeQuery[]): number[] {
    if (queries.length === 0) return [];
    for (const q of queries) {
      if (!this.meta.gpuTypes.includes(q.gpuType)) throw new Error(`GPU type ${q.gpuType} is unknown to the model (it knows ${this.meta.gpuTypes.join(', ')})`);
    }
    const x = this.inputs(queries.map((q) => ({ ...q.features, gpuType: q.gpuType, gpus: q.gpus })));
    const out = this.net.predict(x) as TF.Tensor;
    const z = out.dataSync();
    x.dispose();
    out.dispose();
    const [m, sd] = this.meta.scale.target;
    return queries.map((q, i) => q.features.epochs * q.features.images * Math.exp(z[i] * sd + m));
  }

  private inputs(rows: (JobFeatures & { gpuType: string; gpus: number })[]): TF.Tensor2D {
    const { batch, gpus } = this.meta.scale;
    return this.tf.tensor2d(rows.map((r) => [
      (Math.log2(r.batchSize) - batch[0]) / batch[1],
      (Math.log2(r.gpus) - gpus[0]) / gpus[1],
      ...this.meta.gpuTypes.map((g) => (g === r.gpuType ? 1 : 0)),
    ]));
  }
}

/** The learned quantity: log of seconds per sample pass. */
function target(r: ProfilingRow): number {
  return Math.log(r.seconds / (r.epochs * r.images));
}

/** Held-out predictions of one split: the model trained without the rows `heldOut` selects. */
export async function heldOutPredictions(rows: ProfilingRow[], heldOut: (r: ProfilingRow) => boolean, options: TrainOptions = {}): Promise<{ row: ProfilingRow; predicted: number }[]> {
  const test = rows.filter(heldOut);
  if (test.length === 0) return [];
  const model = await ExecTimeModel.train(rows.filter((r) => !heldOut(r)), options);
  const predicted = model.predict(test.map((r) => ({ features: r, gpuType: r.gpuType, gpus: r.gpus })));
  return test.map((row, i) => ({ row, predicted: predicted[i] }));
}

/** Cross-validation over whole jobs: each fold holds out every k-th job, so its features are unseen. */
export async function jobFolds(rows: ProfilingRow[], folds: number, options: TrainOptions = {}): Promise<{ row: ProfilingRow; predicted: number }[]> {
  const jobs = [...new Set(rows.map((r) => r.job))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const out: { row: ProfilingRow; predicted: number }[] = [];
  for (let f = 0; f < folds; f++) out.push(...(await heldOutPredictions(rows, (r) => jobs.indexOf(r.job) % folds === f, options)));
  return out;
}
