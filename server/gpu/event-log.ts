import { jobConfigs, type GpuInstance } from './model.js';
import type { LogEntry } from './simulate.js';

export interface LogAudit {
  vmCost: number;
  tardinessCost: number;
  totalTardinessS: number;
  /** every broken rule found, empty when the schedule is sound */
  problems: string[];
}

/**
 * Recomputes a simulation's costs from its event log alone and checks the schedule: a job runs only
 * after it arrived, on an open node, in a configuration its table has; no node runs more GPUs than
 * its VM has; at most max_nodes nodes are open; every job finishes exactly when its work is done.
 */
export function auditLog(instance: GpuInstance, log: LogEntry[]): LogAudit {
  const problems: string[] = [];
  const open = new Map<number, { vmType: number; since: number }>();
  const running = new Map<number, { node: number; gpus: number; seconds: number; since: number }>();
  const arrived = new Set<number>();
  const work = new Array<number>(instance.jobs.length).fill(0);
  const finished = new Set<number>();
  let vmCost = 0;
  let tardinessCost = 0;
  let totalTardinessS = 0;
  let last = -Infinity;

  const stop = (job: number, t: number) => {
    const r = running.get(job);
    if (!r) return;
    work[job] += (t - r.since) / r.seconds;
    running.delete(job);
  };
  const checkInstant = (t: number) => {
    if (open.size > instance.maxNodes) problems.push(`t=${t}: ${open.size} nodes open, at most ${instance.maxNodes}`);
    const used = new Map<number, number>();
    for (const r of running.values()) used.set(r.node, (used.get(r.node) ?? 0) + r.gpus);
    for (const [node, gpus] of used) {
      const n = open.get(node);
      if (!n) problems.push(`t=${t}: a job runs on node ${node}, which is not open`);
      else if (gpus > instance.vmTypes[n.vmType].gpus) problems.push(`t=${t}: node ${node} runs ${gpus} GPUs, its VM has ${instance.vmTypes[n.vmType].gpus}`);
    }
  };

  for (const e of log) {
    if (e.t < last) problems.push(`the log goes back in time at t=${e.t}`);
    if (e.t > last && last > -Infinity) checkInstant(last);
    last = e.t;
    switch (e.kind) {
      case 'arrive':
        arrived.add(e.job);
        break;
      case 'open':
        open.set(e.node, { vmType: e.vmType, since: e.t });
        break;
      case 'close': {
        const n = open.get(e.node);
        if (!n) problems.push(`t=${e.t}: node ${e.node} closes but is not open`);
        else vmCost += ((e.t - n.since) * instance.vmTypes[n.vmType].pricePerHour) / 3600;
        open.delete(e.node);
        break;
      }
      case 'run': {
        if (!arrived.has(e.job) || finished.has(e.job)) problems.push(`t=${e.t}: job ${e.job} runs before it arrived or after it finished`);
        const n = open.get(e.node);
        const config = n && jobConfigs(instance, instance.jobs[e.job]).find((c) => c.vmType === n.vmType && c.gpus === e.gpus);
        if (!config) {
          problems.push(`t=${e.t}: job ${e.job} runs on ${e.gpus} GPUs of node ${e.node}, which is not open or offers no such configuration`);
          break;
        }
        stop(e.job, e.t);
        running.set(e.job, { node: e.node, gpus: e.gpus, seconds: config.seconds, since: e.t });
        break;
      }
      case 'pause':
        stop(e.job, e.t);
        break;
      case 'finish': {
        stop(e.job, e.t);
        if (Math.abs(work[e.job] - 1) > 1e-6) problems.push(`t=${e.t}: job ${e.job} finishes having done ${work[e.job]} of its work`);
        finished.add(e.job);
        const late = Math.max(0, e.t - instance.jobs[e.job].deadline);
        totalTardinessS += late;
        tardinessCost += late * instance.jobs[e.job].weight;
        break;
      }
    }
  }
  if (last > -Infinity) checkInstant(last);
  if (open.size > 0) problems.push(`${open.size} nodes are still open at the end`);
  const unfinished = instance.jobs.length - finished.size;
  if (unfinished > 0) problems.push(`${unfinished} jobs never finish`);
  return { vmCost, tardinessCost, totalTardinessS, problems };
}
