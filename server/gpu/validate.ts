import { list, nonNegative, object, positive, str, unique, whole } from '../fields.js';
import { InputError } from '../input-error.js';
import { MAX_VM_GPUS } from '../limits.js';
import { jobConfigs, type ExecutionTime, type GpuInstance, type GpuJob, type VmType } from './model.js';

/** Checks every field of a GPU scheduling instance; throws InputError naming the first bad field (proto field names). */
export function validateGpuInstance(raw: unknown): GpuInstance {
  const s = object(raw, 'instance');
  const maxNodes = whole(s.maxNodes, 'max_nodes', 1, 1e9);
  const vmTypes = validateVmTypes(s.vmTypes);
  const gpuTypes = new Set(vmTypes.map((v) => v.gpuType));
  const profiles = list(s.profiles, 'profiles').map((raw, i) => {
    const p = object(raw, `profiles[${i}]`);
    const name = str(p.name, `profiles[${i}].name`);
    return { name, times: times(p.times, `profiles.${name}.times`, gpuTypes) };
  });
  unique(profiles.map((p) => p.name), 'profiles', 'name');
  const byName = new Map(profiles.map((p) => [p.name, p.times]));
  const instance: GpuInstance = {
    name: s.name === undefined ? '' : String(s.name),
    maxNodes,
    vmTypes,
    ...(profiles.length > 0 ? { profiles } : {}),
    jobs: list(s.jobs, 'jobs').map((j, i) => job(j, i, gpuTypes, byName)),
  };
  unique(instance.jobs.map((j) => j.id), 'jobs', 'id');
  for (const j of instance.jobs) {
    if (jobConfigs(instance, j).length === 0) {
      throw new InputError(`jobs.${j.id}.times`, j.times.map((t) => `${t.gpus} x ${t.gpuType}`), 'no VM type offers any of these configurations');
    }
  }
  return instance;
}

/** Checks an instance's VM catalog: at least one type, names unique. */
export function validateVmTypes(raw: unknown): VmType[] {
  const vmTypes = list(raw, 'vm_types').map((v, i) => vmType(v, `vm_types[${i}]`));
  if (vmTypes.length === 0) throw new InputError('vm_types', [], 'must list at least one VM type');
  unique(vmTypes.map((v) => v.name), 'vm_types', 'name');
  return vmTypes;
}

function vmType(raw: unknown, at: string): VmType {
  const v = object(raw, at);
  const name = str(v.name, `${at}.name`);
  const path = `vm_types.${name}`;
  const gpus = whole(v.gpus, `${path}.gpus`, 1, MAX_VM_GPUS);
  return { name, gpuType: str(v.gpuType, `${path}.gpu_type`), gpus, pricePerHour: nonNegative(v.pricePerHour, `${path}.price_per_hour`) };
}

function job(raw: unknown, i: number, gpuTypes: Set<string>, profiles: Map<string, ExecutionTime[]>): GpuJob {
  const j = object(raw, `jobs[${i}]`);
  const id = str(j.id, `jobs[${i}].id`);
  const path = `jobs.${id}`;
  const submission = nonNegative(j.submission ?? 0, `${path}.submission`);
  const deadline = positive(j.deadline, `${path}.deadline`);
  if (deadline <= submission) throw new InputError(`${path}.deadline`, deadline, `must be after the submission time ${submission}`);
  const weight = nonNegative(j.weight ?? 0, `${path}.weight`);
  if (j.profile === undefined || j.profile === '') return { id, submission, deadline, weight, times: times(j.times, `${path}.times`, gpuTypes) };
  const profile = str(j.profile, `${path}.profile`);
  if (j.times !== undefined && list(j.times, `${path}.times`).length > 0) throw new InputError(`${path}.times`, j.times, 'must be empty when the job names a profile');
  const table = profiles.get(profile);
  if (!table) throw new InputError(`${path}.profile`, profile, 'names no profile');
  return { id, submission, deadline, weight, times: table, profile };
}

function times(raw: unknown, path: string, gpuTypes: Set<string>): ExecutionTime[] {
  const out = list(raw, path).map((t, k) => time(t, `${path}[${k}]`, gpuTypes));
  const seen = new Set<string>();
  out.forEach((t, k) => {
    const key = `${t.gpus} x ${t.gpuType}`;
    if (seen.has(key)) throw new InputError(`${path}[${k}]`, key, 'is given twice');
    seen.add(key);
  });
  return out;
}

function time(raw: unknown, at: string, gpuTypes: Set<string>): ExecutionTime {
  const t = object(raw, at);
  const gpuType = str(t.gpuType, `${at}.gpu_type`);
  if (!gpuTypes.has(gpuType)) throw new InputError(`${at}.gpu_type`, gpuType, `names no GPU type of any VM type (${[...gpuTypes].join(', ')})`);
  return { gpuType, gpus: whole(t.gpus, `${at}.gpus`, 1, MAX_VM_GPUS), seconds: positive(t.seconds, `${at}.seconds`) };
}
