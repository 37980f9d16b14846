import type * as TF from '@tensorflow/tfjs';
import type { Forecaster } from '../replicas/forecast.js';
import { StoppedError } from '../stopped-error.js';
import { loadNetwork, saveNetwork } from './file-io.js';
import { loadTf } from './tf.js';

/** Training settings; every field has a default. */
export interface LstmOptions {
  /** minutes per step: the model sees and predicts step peaks */
  stepMin?: number;
  /** steps of history per input */
  lookback?: number;
  units?: number;
  epochs?: number;
  seed?: number;
  /** the minute of the week at loads[0] (0: Monday 00:00), which tells the network where weekends fall */
  firstWeekMinute?: number;
  /** polled after every batch: true ends the training with a StoppedError */
  shouldStop?: () => boolean;
  /** called after every batch with the epochs finished so far */
  onBatch?: (epochsDone: number, epochs: number) => void;
}

interface Meta {
  kind: 'lstm-forecast';
  /** what the network reads beside the load; models saved with other inputs cannot be run */
  inputs: typeof INPUTS;
  stepMin: number;
  lookback: number;
  /** loads are divided by this before the network sees them */
  scale: number;
}

const DAY_MIN = 24 * 60;
const INPUTS = 'load, time of day, weekend';

/**
 * A two-layer LSTM forecaster on step peaks (15 minutes by default, as whole minutes are too many
 * steps to train on two cores): it reads `lookback` steps of scaled load with the time of day (sine
 * and cosine) and whether the day is a weekend, and predicts the next step; further steps feed its
 * own predictions back (closed loop). Not the position in the week: one training week shows each
 * such position once, and the network learnt that week by heart (forecast errors 50% higher).
 */
export class LstmForecaster {
  private readonly weights: PlainWeights;

  private constructor(private readonly tf: typeof TF, private readonly net: TF.LayersModel, private readonly meta: Meta) {
    this.weights = plainWeights(net);
  }

  /** Trains on the minutes [from, until) of a load series; deterministic per seed. */
  static async train(loads: number[], until: number, options: LstmOptions = {}, from = 0): Promise<LstmForecaster> {
    const tf = await loadTf();
    const stepMin = options.stepMin ?? 15;
    const lookback = options.lookback ?? 48;
    const units = options.units ?? 15;
    const seed = options.seed ?? 1;
    const first = Math.ceil(from / stepMin);
    const steps = stepPeaks(loads, first, Math.floor(until / stepMin), stepMin);
    if (steps.length <= lookback + 1) throw new Error(`too little history to train: ${steps.length} steps of ${stepMin} min, need more than ${lookback + 1}`);
    const meta: Meta = { kind: 'lstm-forecast', inputs: INPUTS, stepMin, lookback, scale: Math.max(1e-9, ...steps) };
    const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 7919 + k });
    const net = tf.sequential({ layers: [
      tf.layers.lstm({ units, inputShape: [lookback, 4], returnSequences: true, kernelInitializer: init(1), recurrentInitializer: tf.initializers.orthogonal({ seed: seed * 7919 + 2, gain: 1 }) }),
      tf.layers.lstm({ units, kernelInitializer: init(3), recurrentInitializer: tf.initializers.orthogonal({ seed: seed * 7919 + 4, gain: 1 }) }),
      tf.layers.dense({ units: 1, kernelInitializer: init(5) }),
    ] });
    net.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
    const xs: number[][][] = [];
    const ys: number[][] = [];
    for (let end = lookback; end < steps.length; end++) {
      xs.push(stepInputs(meta, steps.slice(end - lookback, end), first + end - lookback, options.firstWeekMinute ?? 0));
      ys.push([steps[end] / meta.scale]);
    }
    const x = tf.tensor3d(xs);
    const y = tf.tensor2d(ys);
    const epochs = options.epochs ?? 30;
    let epochsDone = 0;
    let stopped = false;
    await net.fit(x, y, {
      epochs, batchSize: 32, shuffle: false, verbose: 0,
      callbacks: {
        onEpochEnd: async () => { epochsDone++; },
        onBatchEnd: async () => {
          options.onBatch?.(epochsDone, epochs);
          if (options.shouldStop?.()) { stopped = true; net.stopTraining = true; }
        },
      },
    });
    x.dispose();
    y.dispose();
    if (stopped) {
      net.dispose();
      throw new StoppedError(`the LSTM's training was stopped after ${epochsDone} of ${epochs} epochs`);
    }
    return new LstmForecaster(tf, net, meta);
  }

  /** Loads a forecaster saved by save(). */
  static async load(dir: string): Promise<LstmForecaster> {
    const { tf, net, meta } = await loadNetwork<Meta>(dir, 'lstm-forecast', 'LSTM forecaster');
    if (meta.inputs !== INPUTS) throw new Error(`${dir} holds an LSTM forecaster that reads other inputs (${meta.inputs ?? 'load, day and week position'}); train it again (--save-model)`);
    return new LstmForecaster(tf, net, meta);
  }

  /** Writes the network and its settings to a folder. */
  async save(dir: string): Promise<void> {
    await saveNetwork(this.tf, this.net, this.meta, dir);
  }

  /** The next `count` step peaks after step `at` (whole steps before it are history), closed loop; `firstWeekMinute` as in training. */
  predictSteps(loads: number[], at: number, count: number, firstWeekMinute = 0): number[] {
    const { stepMin, lookback, scale } = this.meta;
    const history = stepPeaks(loads, Math.max(0, at - lookback), at, stepMin);
    while (history.length < lookback) history.unshift(history[0] ?? 0);
    const out: number[] = [];
    for (let k = 0; k < count; k++) {
      const window = history.slice(history.length - lookback);
      const load = Math.max(0, runPlain(this.weights, stepInputs(this.meta, window, at + k - lookback, firstWeekMinute)) * scale);
      out.push(load);
      history.push(load);
    }
    return out;
  }

  /** As a forecaster for the policies: step peaks spread over their minutes (of loads whose first minute is `firstWeekMinute` into a week). */
  forecaster(firstWeekMinute = 0): Forecaster {
    const { stepMin } = this.meta;
    return {
      name: 'lstm',
      forecast: (loads, now, horizon) => {
        const at = Math.floor(now / stepMin);
        const skip = now - at * stepMin;
        const peaks = this.predictSteps(loads, at, Math.ceil((horizon + skip) / stepMin), firstWeekMinute);
        return Array.from({ length: horizon }, (_, k) => peaks[Math.floor((k + skip) / stepMin)]);
      },
    };
  }

  /** Frees the network's tensors (tfjs does not collect them): forecasts still run on the plain weights; save and predictWithTf no longer. */
  dispose(): void {
    this.net.dispose();
  }

  /** The network's own prediction for one input window (the check on the plain-arithmetic pass that forecasts use). */
  predictWithTf(window: number[], firstStep: number, firstWeekMinute = 0): number {
    return this.tf.tidy(() => (this.net.predict(this.tf.tensor3d([stepInputs(this.meta, window, firstStep, firstWeekMinute)])) as TF.Tensor).dataSync()[0]);
  }
}

/**
 * The network's input rows for a window of step peaks: scaled load, the time of day as sine and
 * cosine, and 1 on Saturdays and Sundays (loads[0] is `firstWeekMinute` into a week from Monday 00:00).
 */
function stepInputs(meta: Meta, window: number[], firstStep: number, firstWeekMinute: number): number[][] {
  const { stepMin, scale } = meta;
  return window.map((v, i) => {
    const minute = firstWeekMinute + (firstStep + i) * stepMin;
    const day = (2 * Math.PI * (minute % DAY_MIN)) / DAY_MIN;
    return [v / scale, Math.sin(day), Math.cos(day), Math.floor(minute / DAY_MIN) % 7 >= 5 ? 1 : 0];
  });
}

interface PlainLstm { inDim: number; units: number; kernel: Float32Array; recurrent: Float32Array; bias: Float32Array }
interface PlainWeights { lstms: PlainLstm[]; dense: Float32Array; denseBias: number }

/**
 * The trained weights as plain arrays: a closed-loop forecast is thousands of one-window predictions,
 * where tfjs's per-call overhead is about a hundred times the arithmetic.
 */
function plainWeights(net: TF.LayersModel): PlainWeights {
  const lstms: PlainLstm[] = [];
  let dense: Float32Array = new Float32Array(0);
  let denseBias = 0;
  for (const layer of net.layers) {
    const w = layer.getWeights().map((t) => t.dataSync() as Float32Array);
    if (layer.getClassName() === 'LSTM') {
      const units = Math.sqrt(w[1].length / 4); // the recurrent kernel is units x 4 units
      lstms.push({ inDim: w[0].length / (4 * units), units, kernel: w[0], recurrent: w[1], bias: w[2] });
    } else {
      dense = w[0];
      denseBias = w[1][0];
    }
  }
  return { lstms, dense, denseBias };
}

const hardSigmoid = (x: number) => Math.min(1, Math.max(0, 0.2 * x + 0.5));

/** The forward pass of the stacked LSTMs (tfjs's cell: gates i, f, c, o; hard-sigmoid gates, tanh) and the dense output. */
function runPlain(weights: PlainWeights, rows: number[][]): number {
  let sequence = rows;
  for (const { inDim, units, kernel, recurrent, bias } of weights.lstms) {
    const h = new Float64Array(units);
    const c = new Float64Array(units);
    const z = new Float64Array(4 * units);
    const out: number[][] = [];
    for (const x of sequence) {
      for (let j = 0; j < 4 * units; j++) {
        let sum = bias[j];
        for (let k = 0; k < inDim; k++) sum += x[k] * kernel[k * 4 * units + j];
        for (let k = 0; k < units; k++) sum += h[k] * recurrent[k * 4 * units + j];
        z[j] = sum;
      }
      for (let u = 0; u < units; u++) {
        const i = hardSigmoid(z[u]);
        const f = hardSigmoid(z[units + u]);
        c[u] = f * c[u] + i * Math.tanh(z[2 * units + u]);
        h[u] = hardSigmoid(z[3 * units + u]) * Math.tanh(c[u]);
      }
      out.push(Array.from(h));
    }
    sequence = out;
  }
  const last = sequence[sequence.length - 1];
  return last.reduce((a, v, k) => a + v * weights.dense[k], weights.denseBias);
}

/** The peak load of each step [from, to) of `stepMin` minutes. */
export function stepPeaks(loads: number[], from: number, to: number, stepMin: number): number[] {
  const out: number[] = [];
  for (let s = Math.max(0, from); s < to; s++) {
    let peak = 0;
    for (let m = s * stepMin; m < Math.min(loads.length, (s + 1) * stepMin); m++) peak = Math.max(peak, loads[m]);
    out.push(peak);
  }
  return out;
}
