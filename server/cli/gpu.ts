import { statSync, writeFileSync } from 'node:fs';
import { readReferenceFolder } from '../../adapters/gpu-scheduler/reference-csv.js';
import type { GpuInstance } from '../gpu/model.js';
import { resolveGpuInstance } from '../gpu/predicted-times.js';
import { GPU_METHODS } from '../gpu/schedulers.js';
import { simulateGpu } from '../gpu/service.js';
import { MAX_ELITE } from '../limits.js';
import { choice, EXIT, naming, number, options, output, protoFile, seedFlag, UsageError, wholeFlag, writable, type Command } from './args.js';

/** The GPU command: schedule training jobs on GPU VMs. */
export const GPU_COMMANDS: Record<string, Command> = {
  'schedule gpu': {
    usage: `copt schedule gpu INSTANCE.json|FOLDER [--method greedy|rg|pr|ls|ts|sa|edf|fifo|priority] [--seed N]
                  [--iterations N] [--constructions N] [--seconds S] [--elite N] [--horizon S]
                  [--out FILE] [--log FILE]`,
    run: scheduleGpu,
  },
};

/** A GPU instance from our JSON (the GpuInstance message's JSON form), or from a folder in the reference scheduler's CSV layout. */
async function readGpuInstance(path: string): Promise<GpuInstance> {
  let folder: boolean;
  try {
    folder = statSync(path).isDirectory();
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return folder ? naming(path, () => readReferenceFolder(path)) : protoFile(path, 'copt.v1.GpuInstance', resolveGpuInstance);
}

/** Schedules the jobs of a GPU instance with a method and prints the costs and search figures. */
async function scheduleGpu(args: string[]): Promise<number> {
  const { values, positionals } = options(args, {
    method: { type: 'string' }, seed: { type: 'string' }, iterations: { type: 'string' }, constructions: { type: 'string' },
    seconds: { type: 'string' }, elite: { type: 'string' }, horizon: { type: 'string' }, out: { type: 'string' }, log: { type: 'string' },
  } as const, 1);
  const budget = {
    method: choice(values.method, 'method', GPU_METHODS, 'pr'),
    seed: seedFlag(values.seed),
    iterations: wholeFlag(values.iterations, 'iterations', 1),
    constructions: wholeFlag(values.constructions, 'constructions', 1),
    seconds: number(values.seconds, 'seconds', (x) => x > 0, 'must be > 0'),
    eliteSize: wholeFlag(values.elite, 'elite', 1, MAX_ELITE),
    horizonS: number(values.horizon, 'horizon', (x) => x > 0, 'must be > 0'),
  };
  writable(values.out, 'out');
  writable(values.log, 'log');
  const instance = await readGpuInstance(positionals[0]);
  const r = simulateGpu({ instance, ...budget });
  const text = JSON.stringify({
    instance: r.instance, method: r.method, seed: r.seed,
    total_cost: r.totalCost, vm_cost: r.vmCost, tardiness_cost: r.tardinessCost, total_tardiness_s: r.totalTardinessS,
    jobs: r.jobs, late_jobs: r.lateJobs, makespan_s: r.makespanS, decisions: r.decisions,
    decision_median_ms: r.decisionMedianS * 1000, decision_max_ms: r.decisionMaxS * 1000, wall_s: r.wallS,
    search: {
      moves_evaluated: r.search.movesEvaluated, relink_paths: r.search.relinkPaths,
      relink_improved_best: r.search.relinkImprovedBest, relink_entered_elite: r.search.relinkEnteredElite,
    },
  }, null, 2) + '\n';
  if (values.log) writeFileSync(values.log, r.log.map((e) => JSON.stringify(e)).join('\n') + '\n');
  output(values.out, text);
  return EXIT.ok;
}

