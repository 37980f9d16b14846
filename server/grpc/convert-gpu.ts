import { jobConfigs, type GpuInstance } from '../gpu/model.js';
import type { GpuMethod } from '../gpu/schedulers.js';
import type { GpuDecisionResult, GpuSimulationInput, GpuSimulationSummary } from '../gpu/service.js';
import type { LogEntry, Snapshot } from '../gpu/simulate.js';
import { resolveGpuInstance } from '../gpu/predicted-times.js';
import { own, unlessZero } from '../fields.js';
import { InputError } from '../input-error.js';
import { readProtoJson } from '../proto-json.js';

type Msg = Record<string, any>;

const METHOD: Record<string, GpuMethod> = {
  GPU_METHOD_UNSPECIFIED: 'pr', GPU_METHOD_GREEDY: 'greedy', GPU_METHOD_RG: 'rg', GPU_METHOD_PR: 'pr', GPU_METHOD_LS: 'ls',
  GPU_METHOD_TS: 'ts', GPU_METHOD_SA: 'sa', GPU_METHOD_EDF: 'edf', GPU_METHOD_FIFO: 'fifo', GPU_METHOD_PRIORITY: 'priority',
};

/** The instance of a GPU request, as a message or as JSON in the layout of instances/gpu. */
export async function gpuInstanceOf(req: Msg): Promise<GpuInstance> {
  if (req.instanceSource === 'instance') return resolveGpuInstance(req.instance);
  if (req.instanceSource === 'instanceJson') {
    return readProtoJson('copt.v1.GpuInstance', req.instanceJson, 'instance_json').readWith(resolveGpuInstance);
  }
  throw new InputError('instance_source', undefined, 'must give instance or instance_json');
}

/** Method, seed and per-decision budget of a GPU request (0 takes the default). */
export function gpuOptionsOf(req: Msg): Omit<GpuSimulationInput, 'instance'> {
  const method = own(METHOD, req.method);
  if (!method) throw new InputError('method', req.method, `must be one of ${Object.keys(METHOD).slice(1).join(', ')}`);
  const b = req.budget ?? {};
  return {
    method,
    seed: req.seed ?? 0,
    iterations: unlessZero(b.iterations),
    constructions: unlessZero(b.constructions),
    seconds: unlessZero(b.seconds),
    eliteSize: unlessZero(b.eliteSize),
    horizonS: unlessZero(b.horizonS),
  };
}

/** The state a ScheduleGpuJobs request describes, checked against its instance. */
export function snapshotOf(req: Msg, instance: GpuInstance): Snapshot {
  const time = req.time ?? 0;
  if (!(Number.isFinite(time) && time >= 0)) throw new InputError('time', time, 'must be a finite number >= 0');
  const vmIndex = new Map(instance.vmTypes.map((v, i) => [v.name, i]));
  const jobIndex = new Map(instance.jobs.map((j, i) => [j.id, i]));
  const nodes = (req.nodes ?? []).map((n: Msg, i: number) => {
    const vmType = vmIndex.get(n.vmType);
    if (vmType === undefined) throw new InputError(`nodes[${i}].vm_type`, n.vmType, 'names no VM type of the instance');
    return { id: n.id as number, vmType };
  });
  const ids = new Set<number>();
  nodes.forEach((n: { id: number }, i: number) => {
    if (ids.has(n.id)) throw new InputError(`nodes[${i}].id`, n.id, 'is used twice');
    ids.add(n.id);
  });
  if (nodes.length > instance.maxNodes) throw new InputError('nodes', nodes.length, `more open nodes than max_nodes ${instance.maxNodes}`);
  const configs = instance.jobs.map((j) => jobConfigs(instance, j));
  const seen = new Set<number>();
  const jobs = (req.jobs ?? []).map((s: Msg, i: number) => {
    const at = `jobs[${i}]`;
    const job = jobIndex.get(s.job);
    if (job === undefined) throw new InputError(`${at}.job`, s.job, 'names no job of the instance');
    if (seen.has(job)) throw new InputError(`${at}.job`, s.job, 'is listed twice');
    seen.add(job);
    if (instance.jobs[job].submission > time) throw new InputError(`${at}.job`, s.job, `has not arrived at time ${time} (submission ${instance.jobs[job].submission})`);
    const remaining = s.remaining === 0 || s.remaining === undefined ? 1 : s.remaining;
    if (!(remaining > 0 && remaining <= 1)) throw new InputError(`${at}.remaining`, s.remaining, 'must be in (0, 1]');
    if (s.node === undefined || s.node === null) return { job, remaining };
    const node = nodes.find((n: { id: number }) => n.id === s.node);
    if (!node) throw new InputError(`${at}.node`, s.node, 'names no open node');
    if (!configs[job].some((c) => c.vmType === node.vmType && c.gpus === s.gpus)) {
      throw new InputError(`${at}.gpus`, s.gpus, `has no execution time on ${instance.vmTypes[node.vmType].name}`);
    }
    return { job, remaining, running: { node: node.id, vmType: node.vmType, gpus: s.gpus } };
  });
  return { time, instance, configs, jobs, nodes };
}

/** A decision as a GpuDecision message. */
export function gpuDecisionMessage(d: GpuDecisionResult, s: Snapshot): Msg {
  const { instance } = s;
  const remaining = new Map(s.jobs.map((v) => [v.job, v.remaining]));
  return {
    nodes: d.plans.map((p) => ({
      node: p.node,
      vmType: instance.vmTypes[p.vmType].name,
      jobs: p.jobs.map(({ job, gpus }) => {
        const seconds = s.configs[job].find((c) => c.vmType === p.vmType && c.gpus === gpus)!.seconds;
        return { job: instance.jobs[job].id, gpus, expectedFinish: s.time + remaining.get(job)! * seconds };
      }),
    })),
    waiting: d.waiting.map((j) => instance.jobs[j].id),
    closed: d.closed,
    proxyCost: d.proxyCost,
  };
}

/** A replay's figures as a GpuSimulationResult message. */
export function gpuResultMessage(r: GpuSimulationSummary, instance: GpuInstance, includeLog: boolean): Msg {
  const entry = (e: LogEntry): Msg => ({
    t: e.t, kind: e.kind,
    job: 'job' in e ? instance.jobs[e.job].id : '',
    node: 'node' in e ? e.node : 0,
    vmType: e.kind === 'open' ? instance.vmTypes[e.vmType].name : '',
    gpus: e.kind === 'run' ? e.gpus : 0,
  });
  return {
    instance: r.instance, method: r.method, seed: r.seed,
    totalCost: r.totalCost, vmCost: r.vmCost, tardinessCost: r.tardinessCost, totalTardinessS: r.totalTardinessS,
    jobs: r.jobs, lateJobs: r.lateJobs, makespanS: r.makespanS, decisions: r.decisions,
    decisionMedianS: r.decisionMedianS, decisionMaxS: r.decisionMaxS, wallS: r.wallS,
    movesEvaluated: r.search.movesEvaluated, relinkPaths: r.search.relinkPaths,
    relinkImprovedBest: r.search.relinkImprovedBest, relinkEnteredElite: r.search.relinkEnteredElite,
    log: includeLog ? r.log.map(entry) : [],
  };
}
