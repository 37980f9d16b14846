import { list, object, positive } from '../fields.js';
import { InputError } from '../input-error.js';
import { ExecTimeModel, type ExecTimeQuery } from '../models/exec-time.js';
import { storedModelDir } from '../models/file-io.js';
import type { GpuInstance } from './model.js';
import { validateGpuInstance, validateVmTypes } from './validate.js';

/** The stored execution-time model a GPU instance uses when it names none. */
export const DEFAULT_TIME_MODEL = 'exec-time';

const loaded = new Map<string, Promise<ExecTimeModel>>();

/**
 * A validated GPU instance whose jobs may give features (images, epochs, batch size) instead of an
 * execution-time table: the stored model `time_model` predicts their table for every GPU type of the
 * VM catalog it knows, on 1 to the most GPUs any VM of that type has. Instances without features never
 * load TensorFlow.js.
 */
export async function resolveGpuInstance(raw: unknown): Promise<GpuInstance> {
  const s = object(raw, 'instance');
  const jobs = list(s.jobs, 'jobs');
  const wanting = jobs.map((j, i) => ({ j: object(j, `jobs[${i}]`), i })).filter(({ j }) => j.features !== undefined && j.features !== null);
  if (wanting.length === 0) return validateGpuInstance(raw);
  const name = s.timeModel === undefined || s.timeModel === '' ? DEFAULT_TIME_MODEL : s.timeModel;
  const model = await storedModel(name);
  const maxGpus = new Map<string, number>();
  for (const { gpuType, gpus } of validateVmTypes(s.vmTypes)) {
    if (model.gpuTypes.includes(gpuType)) maxGpus.set(gpuType, Math.max(maxGpus.get(gpuType) ?? 0, gpus));
  }
  if (maxGpus.size === 0) throw new InputError('time_model', name, `knows GPU types ${model.gpuTypes.join(', ')}, and no VM type has one of them`);
  const configs = [...maxGpus].flatMap(([gpuType, most]) => Array.from({ length: most }, (_, k) => ({ gpuType, gpus: k + 1 })));
  const filled = [...jobs];
  const queries: ExecTimeQuery[] = [];
  for (const { j, i } of wanting) {
    const at = `jobs[${i}]${typeof j.id === 'string' && j.id !== '' ? ` (${j.id})` : ''}`;
    if (list(j.times, `${at}.times`).length > 0 || (j.profile !== undefined && j.profile !== '')) {
      throw new InputError(`${at}.features`, j.features, 'give one of times, profile or features, not several');
    }
    const f = object(j.features, `${at}.features`);
    const features = { images: positive(f.images, `${at}.features.images`), epochs: positive(f.epochs, `${at}.features.epochs`), batchSize: positive(f.batchSize, `${at}.features.batch_size`) };
    queries.push(...configs.map((c) => ({ features, ...c })));
  }
  const seconds = model.predict(queries);
  wanting.forEach(({ j, i }, w) => {
    const times = configs.map((c, k) => ({ ...c, seconds: seconds[w * configs.length + k] }));
    filled[i] = { ...j, features: undefined, times };
  });
  return validateGpuInstance({ ...s, jobs: filled });
}

/** A stored model by name, loaded once per process. */
async function storedModel(name: unknown): Promise<ExecTimeModel> {
  const dir = storedModelDir('time_model', name, 'exec-time');
  if (!loaded.has(dir)) loaded.set(dir, ExecTimeModel.load(dir));
  return loaded.get(dir)!;
}
