/** GPU scheduling with capacity allocation: the native instance, shaped like the copt.v1 proto messages (camelCase). */

/** A rentable VM: its GPU type and count, and its price while open. */
export interface VmType {
  name: string;
  gpuType: string;
  gpus: number;
  pricePerHour: number;
}

/** How long a job takes alone on `gpus` GPUs of `gpuType`. */
export interface ExecutionTime {
  gpuType: string;
  gpus: number;
  seconds: number;
}

export interface GpuJob {
  id: string;
  /** seconds from the start of the horizon */
  submission: number;
  /** absolute, in seconds from the start of the horizon */
  deadline: number;
  /** tardiness cost per second late */
  weight: number;
  /** after validation always filled in, from `profile` when the job names one */
  times: ExecutionTime[];
  profile?: string;
}

export interface GpuInstance {
  name: string;
  /** execution-time tables that jobs may name instead of listing their own (a generated suite shares them) */
  profiles?: { name: string; times: ExecutionTime[] }[];
  /** most nodes open at once; each node is one VM */
  maxNodes: number;
  vmTypes: VmType[];
  jobs: GpuJob[];
}

/** A job's configuration: VM type (index into vmTypes) and GPU count, with the time it takes. */
export interface JobConfig {
  vmType: number;
  gpus: number;
  seconds: number;
}

/** The configurations a job can run in: every (VM type, GPU count <= the VM's) its table covers. */
export function jobConfigs(instance: GpuInstance, job: GpuJob): JobConfig[] {
  const out: JobConfig[] = [];
  instance.vmTypes.forEach((vm, v) => {
    for (const t of job.times) {
      if (t.gpuType === vm.gpuType && t.gpus <= vm.gpus) out.push({ vmType: v, gpus: t.gpus, seconds: t.seconds });
    }
  });
  return out;
}
