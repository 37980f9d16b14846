import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionTime, GpuInstance, VmType } from '../../server/gpu/model.js';
import { validateGpuInstance } from '../../server/gpu/validate.js';
import { InputError } from '../../server/input-error.js';

type Row = Record<string, string>;

/** A CSV table with a header; fields hold no commas in this layout. */
function table(dir: string, file: string): Row[] {
  const path = join(dir, file);
  if (!existsSync(path)) throw new InputError(file, undefined, `is missing from ${dir}`);
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new InputError(file, '', 'is empty: it needs a header row');
  const head = lines[0].split(',').map((h) => h.trim());
  return lines.slice(1).map((l) => {
    const f = l.split(',');
    return Object.fromEntries(head.map((h, i) => [h, (f[i] ?? '').trim()]));
  });
}

/** The first of the named columns that the table has (the layouts of the reference tool's versions differ). */
function column(rows: Row[], file: string, names: string[]): string {
  const found = names.find((n) => rows.length === 0 || n in rows[0]);
  if (!found) throw new InputError(file, Object.keys(rows[0]), `has no column ${names.join(' or ')}`);
  return found;
}

function number(row: Row, key: string, file: string, i: number): number {
  const x = Number(row[key]);
  if (row[key] === '' || !Number.isFinite(x)) throw new InputError(`${file}[${i + 1}].${key}`, row[key], 'must be a number');
  return x;
}

/**
 * Reads a folder in the reference GPU scheduler's CSV layout, as its generator writes it:
 * Lof_Selectjobs.csv (jobs: id, submission time, deadline, tardiness weight), SelectJobs_times.csv
 * (execution time per job, GPU type and GPU count, with the VM type and its price in the older
 * layout), tNodes.csv (one row per node), and GPU-costs.csv (the VM catalog) in the newer layout.
 */
export function readReferenceFolder(dir: string): GpuInstance {
  const JOBS = 'Lof_Selectjobs.csv';
  const TIMES = 'SelectJobs_times.csv';
  const jobs = table(dir, JOBS);
  const times = table(dir, TIMES);
  const nodes = table(dir, 'tNodes.csv');
  const jobId = column(jobs, JOBS, ['UniqueJobsID', 'ID']);
  const weight = column(jobs, JOBS, ['Tardinessweight', 'TardinessWeight']);
  const timeId = column(times, TIMES, ['UniqueJobsID', 'ID']);

  const vmTypes = new Map<string, VmType>();
  const costs = existsSync(join(dir, 'GPU-costs.csv')) ? table(dir, 'GPU-costs.csv') : null;
  if (costs) {
    const f = 'GPU-costs.csv';
    const [name, gpuType, gpus] = [column(costs, f, ['VMtype', 'VMType']), column(costs, f, ['GPUtype', 'GpuType']), column(costs, f, ['nGPUs', 'GpuNumber'])];
    costs.forEach((r, i) => vmTypes.set(r[name], { name: r[name], gpuType: r[gpuType], gpus: number(r, gpus, f, i), pricePerHour: number(r, 'cost', f, i) }));
  } else {
    const vm = column(times, TIMES, ['VMtype']);
    times.forEach((r, i) => {
      if (!vmTypes.has(r[vm])) vmTypes.set(r[vm], { name: r[vm], gpuType: r.GPUtype, gpus: number(r, 'max_nGPUs', TIMES, i), pricePerHour: number(r, 'cost', TIMES, i) });
    });
  }

  const byJob = new Map<string, ExecutionTime[]>();
  times.forEach((r, i) => {
    const list = byJob.get(r[timeId]) ?? [];
    const t = { gpuType: r.GPUtype, gpus: number(r, 'nGPUs', TIMES, i), seconds: number(r, 'ExecutionTime', TIMES, i) };
    const same = list.find((x) => x.gpuType === t.gpuType && x.gpus === t.gpus);
    // the older layout repeats a job's times once per VM type of the GPU type
    if (same && same.seconds !== t.seconds) throw new InputError(`${TIMES}[${i + 1}].ExecutionTime`, t.seconds, `differs from ${same.seconds} given earlier for ${r[timeId]} on ${t.gpus} x ${t.gpuType}`);
    if (!same) list.push(t);
    byJob.set(r[timeId], list);
  });

  return validateGpuInstance({
    name: dir.split(/[\\/]/).filter(Boolean).pop(),
    maxNodes: nodes.length,
    vmTypes: [...vmTypes.values()],
    jobs: jobs.map((r, i) => {
      const id = r[jobId];
      if (!byJob.has(id)) throw new InputError(`${JOBS}[${i + 1}].${jobId}`, id, `has no rows in ${TIMES}`);
      return {
        id,
        submission: number(r, 'SubmissionTime', JOBS, i),
        deadline: number(r, 'Deadline', JOBS, i),
        weight: number(r, weight, JOBS, i),
        times: byJob.get(id),
      };
    }),
  });
}
