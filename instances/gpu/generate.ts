import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import type { ExecutionTime, GpuInstance, VmType } from '../../server/gpu/model.js';
import { DEFAULT_TIME_MODEL } from '../../server/gpu/predicted-times.js';
import { modelsFolder } from '../../server/models/file-io.js';
import { validateGpuInstance } from '../../server/gpu/validate.js';
import { ExecTimeModel } from '../../server/models/exec-time.js';
import { projectRoot } from '../../server/paths.js';
import { random, type Rng } from '../random.js';

export const SIZES = [10, 20, 50, 100];
export const SCENARIOS = ['exponential', 'low', 'high', 'mixed'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** Mean inter-arrival time x N, in seconds, of the exponential scenario (the seed's lambda). */
const LAMBDA = 75000;
/** The reference tool's own job mix (AlexNet rows only, exponential arrivals): its light and heavy loads, and sizes. */
const REFERENCE_MIX = { sizes: [10, 20, 50], loads: [{ label: 'light', lambda: LAMBDA }, { label: 'heavy', lambda: 20000 }] };
/** The seed's custom rates: a cluster of 10 jobs arrives at 1.3 x (N x 8 GPUs / fastest one-GPU time) / 12 (low) or / 3 (high). */
const CLUSTER = 10;
const RATE_FACTOR = { low: 1.3 / 12, high: 1.3 / 3 };
/** Gavel jobs run this many steps: ten hours alone on one K80. */
const GAVEL_HOURS_ON_ONE_K80 = 10;

const DATA = () => join(projectRoot(), 'instances', 'gpu');

/** The Azure NC (K80) and NV (M60) VM types of GPU-cost.csv, with the hypothetical 8-GPU ones; the in-house servers are left out, as in the seed. */
export function azureVmTypes(): VmType[] {
  const rows = readFileSync(join(DATA(), 'polimi', 'GPU-cost.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  return rows.filter(([name]) => name.startsWith('Standard_'))
    .map(([name, gpuType, gpus, cost]) => ({ name, gpuType, gpus: Number(gpus), pricePerHour: Number(cost) }));
}

/** Execution-time profiles: the 15 AlexNet jobs of the profiling table (K80, M60, 1-8 GPUs) and Gavel's models on K80. */
export function profiles(): { name: string; times: ExecutionTime[] }[] {
  const out = new Map<string, ExecutionTime[]>();
  const lines = readFileSync(join(DATA(), 'polimi', 'data_2d10d_filtered.csv'), 'utf8').trim().split('\n');
  const head = lines[0].split(',');
  const col = (k: string) => head.indexOf(k);
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    const gpuType = f[col('GpuType')];
    if (gpuType !== 'K80' && gpuType !== 'M60') continue;
    const name = `alexnet-${f[col('Jobs')]}`;
    if (!out.has(name)) out.set(name, []);
    out.get(name)!.push({ gpuType, gpus: Number(f[col('GpuNumber')]), seconds: Number(f[col('ExecutionTime')]) });
  }
  const gavel: Record<string, Record<string, { null: number }>> = JSON.parse(readFileSync(join(DATA(), 'gavel', 'simulation_throughputs.json'), 'utf8'));
  const byModel = new Map<string, { gpus: number; stepsPerS: number }[]>();
  for (const [key, v] of Object.entries(gavel.k80)) {
    const m = /^\('(.+)', (\d+)\)$/.exec(key);
    if (!m || !(v.null > 0)) continue;
    if (!byModel.has(m[1])) byModel.set(m[1], []);
    byModel.get(m[1])!.push({ gpus: Number(m[2]), stepsPerS: v.null });
  }
  for (const [model, rates] of byModel) {
    const one = rates.find((r) => r.gpus === 1);
    if (!one) continue;
    const steps = one.stepsPerS * GAVEL_HOURS_ON_ONE_K80 * 3600;
    const slug = model.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/-$/, '');
    out.set(`gavel-${slug}`, rates.sort((a, b) => a.gpus - b.gpus).map((r) => ({ gpuType: 'K80', gpus: r.gpus, seconds: steps / r.stepsPerS })));
  }
  return [...out].map(([name, times]) => ({ name, times }));
}

/**
 * One instance as the seed sets it up: N nodes, 10 N jobs drawn from the profiles; arrivals either
 * exponential with mean lambda / N s (lambda 75000 unless given), or the seed's clusters (job k joins cluster k mod C, C = N; a
 * cluster arrives at the mean of its jobs' rates N x 8 / fastest one-GPU time, times 1.3 / 12 for
 * "low" and 1.3 / 3 for "high", alternating high and low clusters for "mixed");
 * deadline = submission + U(1, 3) x the fastest time, weight = 2 x U(0.0015, 0.0075) per second.
 */
export function generateGpuInstance(rng: Rng, n: number, scenario: Scenario, name: string, shared = profiles(), lambda = LAMBDA): GpuInstance {
  const vmTypes = azureVmTypes();
  const table = shared.map((p) => ({ ...p, times: p.times.map((x) => ({ ...x, seconds: Math.round(x.seconds * 10) / 10 })) }));
  const maxGpus = Math.max(...vmTypes.map((v) => v.gpus));
  const drawn = Array.from({ length: 10 * n }, () => rng.pick(table));
  const submissions = new Array<number>(drawn.length).fill(0);
  if (scenario === 'exponential') {
    for (let i = 1; i < drawn.length; i++) submissions[i] = submissions[i - 1] + rng.exponential(lambda / n);
  } else {
    const clusters = Math.round(drawn.length / CLUSTER);
    let t = 0;
    let order = 0;
    for (let k = 0; k < clusters; k++) {
      const members = drawn.map((_, i) => i).filter((i) => i % clusters === k);
      const load = scenario === 'mixed' ? (k % 2 === 0 ? 'high' : 'low') : scenario;
      const oneGpu = (i: number) => Math.min(...drawn[i].times.filter((x) => x.gpus === 1).map((x) => x.seconds));
      const rate = members.reduce((a, i) => a + (n * maxGpus) / oneGpu(i), 0) / members.length * RATE_FACTOR[load];
      for (const i of members) {
        if (order++ > 0) t += rng.exponential(1 / rate);
        submissions[i] = t;
      }
    }
  }
  const jobs = drawn.map((profile, i) => ({ profile, submission: submissions[i] }))
    .sort((a, b) => a.submission - b.submission)
    .map(({ profile, submission: t }, i) => {
      const fastest = Math.min(...profile.times.map((x) => x.seconds));
      // rounded to tenths of a second and 7 decimals of weight: the files stay small and exact
      const submission = Math.round(t * 10) / 10;
      return {
        id: `j${i + 1}`, submission, deadline: Math.round((submission + rng.uniform(1, 3) * fastest) * 10) / 10,
        weight: Math.round(2 * rng.uniform(0.0015, 0.0075) * 1e7) / 1e7, times: [], profile: profile.name,
      };
    });
  return validateGpuInstance({ name, maxNodes: n, vmTypes, profiles: table, jobs });
}

/**
 * AlexNet jobs the profiling table never measured (130,000 images, 500 to 2,000 epochs, batch 128 to
 * 1,024), their K80 and M60 tables predicted by the stored execution-time model; Gavel's as measured.
 */
export async function predictedProfiles(rng: Rng, count: number): Promise<{ name: string; times: ExecutionTime[] }[]> {
  const model = await ExecTimeModel.load(join(modelsFolder(), DEFAULT_TIME_MODEL));
  const configs = ['K80', 'M60'].flatMap((gpuType) => Array.from({ length: 8 }, (_, k) => ({ gpuType, gpus: k + 1 })));
  const out = new Map<string, ExecutionTime[]>();
  while (out.size < count) {
    const features = { images: 130000, epochs: 100 * Math.floor(rng.uniform(5, 21)), batchSize: 2 ** Math.floor(rng.uniform(7, 11)) };
    const name = `alexnet-e${features.epochs}-b${features.batchSize}`;
    const seconds = model.predict(configs.map((c) => ({ features, ...c })));
    out.set(name, configs.map((c, k) => ({ ...c, seconds: seconds[k] })));
  }
  return [...out, ...profiles().filter((p) => p.name.startsWith('gavel-')).map((p): [string, ExecutionTime[]] => [p.name, p.times])]
    .map(([name, times]) => ({ name, times }));
}

/** Writes the fixed suite (3 instances per size and scenario, from one seed), with --predicted N a suite on predicted tables, with --reference-mix the reference tool's own mix. */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seed: { type: 'string', default: '2026' }, predicted: { type: 'string' }, out: { type: 'string' }, 'reference-mix': { type: 'boolean' } } });
  const seed = Number(values.seed);
  if (values['reference-mix']) {
    referenceMix(seed, values.out ?? join(DATA(), 'reference-mix'));
    return;
  }
  const predicted = values.predicted === undefined ? undefined : Number(values.predicted);
  if (predicted !== undefined && !(Number.isInteger(predicted) && predicted >= 1 && predicted <= 64)) throw new Error(`--predicted ${values.predicted}: must be a whole number from 1 to 64`);
  const dir = values.out ?? join(DATA(), predicted === undefined ? 'suite' : 'predicted');
  emptySuite(dir);
  const rng = random(seed);
  const shared = predicted === undefined ? profiles() : await predictedProfiles(rng, predicted);
  for (const n of SIZES) {
    for (const scenario of SCENARIOS) {
      for (let k = 1; k <= 3; k++) {
        const name = `n${n}-${scenario}-${k}`;
        const inst = generateGpuInstance(rng, n, scenario, name, shared);
        writeInstance(dir, inst);
        console.log(`${name}: ${inst.jobs.length} jobs over ${(inst.jobs[inst.jobs.length - 1].submission / 3600).toFixed(1)} h`);
      }
    }
  }
  writeFileSync(join(dir, 'README.md'), [
    '# GPU scheduling suite',
    '',
    `Made by \`instances/gpu/generate.ts\` with seed ${seed} (\`npm run generate:gpu${predicted === undefined ? '' : ` -- --predicted ${predicted}`}\` after \`npm run build\`): for N in`,
    `${SIZES.join(', ')} nodes and the scenarios ${SCENARIOS.join(', ')}, three instances each of 10 N jobs.`,
    'VM types are the Azure NC (K80) and NV (M60) rows of `../polimi/GPU-cost.csv` with the hypothetical',
    '8-GPU types at twice the 4-GPU price. Execution times: ' + (predicted === undefined
      ? 'the 15 AlexNet jobs of'
      : `${predicted} AlexNet jobs of random epochs and batch size, their tables predicted by \`models/${DEFAULT_TIME_MODEL}\` (trained on`),
    '`../polimi/data_2d10d_filtered.csv` (Apache-2.0, `../polimi/LICENSE-Apache-2.0.txt`)' + (predicted === undefined ? '' : ')') + ' and Gavel\'s',
    `K80 throughputs (\`../gavel/simulation_throughputs.json\`, MIT, \`../gavel/LICENSE\`) for a job of ${GAVEL_HOURS_ON_ONE_K80} h on one K80.`,
    'Arrivals: exponential with mean 75000 / N s (exponential), or the reference generator\'s clusters of',
    '10 jobs whose rate is the mean of N x 8 / (fastest one-GPU time) over the cluster, times 1.3 / 12 (low),',
    '1.3 / 3 (high), or alternating high and low clusters (mixed). Deadline = submission + U(1, 3) x fastest',
    'time; tardiness weight = 2 x U(0.0015, 0.0075) per second. Jobs name a shared profile instead of',
    'listing their times.',
  ].join('\n') + '\n');
  console.log(`wrote ${SIZES.length * SCENARIOS.length * 3} instances to ${relative(process.cwd(), dir)}`);
}

/**
 * The suite on which the reference tool's figures were measured: its generator draws only the
 * AlexNet rows of the profiling table, with exponential arrivals of mean 75000 / N s (light) or
 * 20000 / N s (heavy), N = 10, 20, 50; three instances each.
 */
function referenceMix(seed: number, dir: string): void {
  emptySuite(dir);
  const rng = random(seed);
  const alexnet = profiles().filter((p) => p.name.startsWith('alexnet-'));
  for (const n of REFERENCE_MIX.sizes) {
    for (const { label, lambda } of REFERENCE_MIX.loads) {
      for (let k = 1; k <= 3; k++) {
        const inst = generateGpuInstance(rng, n, 'exponential', `n${n}-${label}-${k}`, alexnet, lambda);
        writeInstance(dir, inst);
      }
    }
  }
  writeFileSync(join(dir, 'README.md'), [
    '# GPU scheduling: the reference tool\'s own job mix',
    '',
    `Made by \`instances/gpu/generate.ts\` with seed ${seed} (\`npm run generate:gpu -- --reference-mix\` after \`npm run build\`),`,
    'as the reference scheduler\'s generator draws them: 10 N jobs from the 15 AlexNet jobs of',
    '`../polimi/data_2d10d_filtered.csv` (K80 and M60 rows; Apache-2.0, `../polimi/LICENSE-Apache-2.0.txt`) on the',
    'Azure NC and NV VM types of `../polimi/GPU-cost.csv` (8-GPU types at twice the 4-GPU price), exponential',
    `arrivals with mean ${REFERENCE_MIX.loads.map((l) => `${l.lambda} / N s (${l.label})`).join(' or ')}, N = ${REFERENCE_MIX.sizes.join(', ')}; three instances each.`,
    'Deadline = submission + U(1, 3) x fastest time; tardiness weight = 2 x U(0.0015, 0.0075) per second.',
  ].join('\n') + '\n');
  console.log(`wrote ${REFERENCE_MIX.sizes.length * REFERENCE_MIX.loads.length * 3} instances to ${relative(process.cwd(), dir)}`);
}

/** Makes the folder if needed and deletes the instances in it. */
function emptySuite(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f.endsWith('.json')) rmSync(join(dir, f));
}

/** Writes an instance as NAME.json, its jobs naming their shared profile instead of listing times. */
function writeInstance(dir: string, inst: GpuInstance): void {
  writeFileSync(join(dir, `${inst.name}.json`), JSON.stringify({ ...inst, jobs: inst.jobs.map(({ times: _, ...j }) => j) }) + '\n');
}

if (process.argv[1]?.endsWith('generate.js')) await main();
