/**
 * Steady-state serverless model (Mahmoudi and Khazaei, IEEE TCC 2020) as the SPACE4AI tools use it:
 * a birth-death chain over the number of warm instances, with Erlang-B cold starts and idle expiry.
 */

export interface FaasModelInput {
  /** requests per second */
  arrivalRate: number;
  warmServiceTime: number;
  coldServiceTime: number;
  idleTimeBeforeKill: number;
  /** most concurrent instances (the reference uses 1000) */
  maxConcurrency?: number;
}

export interface FaasModelResult {
  avgResponseTime: number;
  coldStartProbability: number;
  avgWarmInstances: number;
}

const STATES_PAST_GROWTH = 30;

/** Mean response time, cold-start probability and warm-instance count of a FaaS function. */
export function faasSteadyState(input: FaasModelInput): FaasModelResult {
  const { arrivalRate: lambda, warmServiceTime: w, coldServiceTime: c, idleTimeBeforeKill: idle } = input;
  const maxM = input.maxConcurrency ?? 1000;
  const rho = lambda * w;
  const blocking = [1];
  const kill = [0];
  let mMax = Math.min(STATES_PAST_GROWTH, maxM);
  for (let m = 1; m <= mMax; m++) {
    const b = 1 / (1 + (m / rho) / blocking[m - 1]);
    blocking.push(b);
    const rate = lambda * (blocking[m - 1] - b);
    kill.push(kill[m - 1] + instanceKillRate(rate, idle, w));
    if (lambda * b > kill[m]) mMax = Math.min(m + STATES_PAST_GROWTH, maxM);
  }
  // r(M) = w: at full concurrency there are no cold starts.
  const coldAt = (m: number): number => (m === maxM ? 0 : blocking[m]);
  const pi = birthDeathSteadyState(mMax, (m) => {
    if (m === maxM) return 0;
    const b = lambda * blocking[m];
    return (b / c) / (b + 1 / c);
  }, (m) => kill[m]);
  let resp = 0;
  let cold = 0;
  let count = 0;
  for (let m = 0; m <= mMax; m++) {
    const pb = coldAt(m);
    resp += pi[m] * (pb * c + (1 - pb) * w);
    cold += pi[m] * pb;
    count += pi[m] * m;
  }
  return { avgResponseTime: resp, coldStartProbability: cold, avgWarmInstances: count };
}

/** 1 / expected lifetime of a warm instance that receives requests at `rate`. */
function instanceKillRate(rate: number, idle: number, w: number): number {
  if (rate <= 0) return 1 / idle;
  const q = Math.exp(-rate * idle);
  if (q <= 0) return 0;
  const u = idle + w;
  const gap = -u * Math.exp(-rate * u) + (1 - Math.exp(-rate * u)) / rate;
  return 1 / (idle + (1 / q - 1) * gap);
}

/** Stationary distribution of a birth-death chain on 0..n by detailed balance, rescaled against overflow. */
function birthDeathSteadyState(n: number, up: (m: number) => number, down: (m: number) => number): number[] {
  const weight = [1];
  for (let m = 0; m < n; m++) {
    const d = down(m + 1);
    if (d <= 0) {
      // State m+1 cannot be left downwards: everything below it drains into it.
      weight.fill(0);
      weight.push(1);
      continue;
    }
    let next = (weight[m] * up(m)) / d;
    if (next > 1e250) {
      for (let k = 0; k <= m; k++) weight[k] /= next;
      next = 1;
    }
    weight.push(next);
  }
  const total = weight.reduce((a, b) => a + b, 0);
  return weight.map((x) => Math.max(0, x / total));
}
