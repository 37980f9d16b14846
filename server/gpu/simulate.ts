import { jobConfigs, type GpuInstance, type JobConfig } from './model.js';

/** An unfinished job that has arrived, as a scheduler sees it. */
export interface JobView {
  job: number;
  /** share of the job's work still to do, in (0, 1] */
  remaining: number;
  /** where it runs now, if it runs */
  running?: { node: number; vmType: number; gpus: number };
}

/** The state at an event: what a scheduler decides from. */
export interface Snapshot {
  time: number;
  instance: GpuInstance;
  /** every job's configurations (index = job) */
  configs: JobConfig[][];
  jobs: JobView[];
  /** open nodes */
  nodes: { id: number; vmType: number }[];
}

/** One node after the decision: its VM type and the jobs it runs with their GPU counts. */
export interface NodePlan {
  vmType: number;
  jobs: { job: number; gpus: number }[];
}

/** The nodes to keep or open and what runs on each; jobs left out wait, nodes left out close. */
export type Decision = NodePlan[];

export type Scheduler = (snapshot: Snapshot) => Decision;

export type LogEntry =
  | { t: number; kind: 'arrive'; job: number }
  | { t: number; kind: 'open'; node: number; vmType: number }
  | { t: number; kind: 'close'; node: number }
  | { t: number; kind: 'run'; job: number; node: number; gpus: number }
  | { t: number; kind: 'pause'; job: number }
  | { t: number; kind: 'finish'; job: number };

export interface SimulationResult {
  totalCost: number;
  vmCost: number;
  tardinessCost: number;
  totalTardinessS: number;
  jobs: number;
  lateJobs: number;
  makespanS: number;
  decisions: number;
  /** wall time spent inside the scheduler, per decision */
  decisionWallS: number[];
  log: LogEntry[];
}

/**
 * Replays an instance's arrivals: at every arrival and completion the scheduler decides what runs
 * where; a job moved or paused keeps its progress; a node pays its VM price per second while open;
 * a job's tardiness costs weight x (finish - deadline)+. Every change goes to the event log, from
 * which event-log.ts recomputes the costs independently. A decision that breaks a rule throws.
 */
export function simulate(instance: GpuInstance, scheduler: Scheduler): SimulationResult {
  const J = instance.jobs.length;
  const configs = instance.jobs.map((j) => jobConfigs(instance, j));
  const order = instance.jobs.map((_, i) => i).sort((a, b) => instance.jobs[a].submission - instance.jobs[b].submission || a - b);
  const remaining = new Array<number>(J).fill(1);
  const run: ({ node: number; gpus: number; seconds: number } | null)[] = new Array(J).fill(null);
  const finished = new Array<boolean>(J).fill(false);
  const nodes = new Map<number, number>();
  const log: LogEntry[] = [];
  const decisionWallS: number[] = [];
  let nextArrival = 0;
  let nextNode = 0;
  let vmCost = 0;
  let tardinessCost = 0;
  let totalTardinessS = 0;
  let lateJobs = 0;
  let done = 0;
  let t = J > 0 ? instance.jobs[order[0]].submission : 0;

  while (done < J) {
    while (nextArrival < J && instance.jobs[order[nextArrival]].submission <= t) log.push({ t, kind: 'arrive', job: order[nextArrival++] });
    const waiting = order.slice(0, nextArrival).filter((j) => !finished[j]);
    const snapshot: Snapshot = {
      time: t, instance, configs,
      jobs: waiting.map((j) => ({
        job: j, remaining: remaining[j],
        ...(run[j] ? { running: { node: run[j]!.node, vmType: nodes.get(run[j]!.node)!, gpus: run[j]!.gpus } } : {}),
      })),
      nodes: [...nodes].map(([id, vmType]) => ({ id, vmType })),
    };
    const started = performance.now();
    const decision = scheduler(snapshot);
    decisionWallS.push((performance.now() - started) / 1000);
    apply(decision, new Set(waiting));

    let next = nextArrival < J ? instance.jobs[order[nextArrival]].submission : Infinity;
    for (const j of waiting) if (run[j]) next = Math.min(next, t + remaining[j] * run[j]!.seconds);
    if (!Number.isFinite(next)) {
      throw new Error(`at t=${t} the scheduler left ${waiting.length} jobs waiting with nothing running and no arrival ahead`);
    }
    for (const vmType of nodes.values()) vmCost += ((next - t) * instance.vmTypes[vmType].pricePerHour) / 3600;
    for (const j of waiting) {
      const r = run[j];
      if (!r) continue;
      const end = t + remaining[j] * r.seconds;
      if (end <= next * (1 + 1e-12)) {
        finished[j] = true;
        remaining[j] = 0;
        run[j] = null;
        done++;
        log.push({ t: next, kind: 'finish', job: j });
        const late = Math.max(0, next - instance.jobs[j].deadline);
        if (late > 0) lateJobs++;
        totalTardinessS += late;
        tardinessCost += late * instance.jobs[j].weight;
      } else {
        remaining[j] -= (next - t) / r.seconds;
      }
    }
    t = next;
  }
  for (const id of nodes.keys()) log.push({ t, kind: 'close', node: id });

  return {
    totalCost: vmCost + tardinessCost, vmCost, tardinessCost, totalTardinessS, jobs: J, lateJobs,
    makespanS: J > 0 ? t - instance.jobs[order[0]].submission : 0,
    decisions: decisionWallS.length, decisionWallS, log,
  };

  /** Checks a decision, maps its plans onto open nodes (same type, most jobs in common), and logs every change. */
  function apply(decision: Decision, waiting: Set<number>): void {
    const at = `decision at t=${t}`;
    const plans = decision.filter((p) => p.jobs.length > 0);
    if (plans.length > instance.maxNodes) throw new Error(`${at}: ${plans.length} nodes, at most ${instance.maxNodes}`);
    const placed = new Set<number>();
    plans.forEach((p, k) => {
      const vm = instance.vmTypes[p.vmType];
      if (!vm) throw new Error(`${at}: node ${k} has no VM type ${p.vmType}`);
      let used = 0;
      for (const { job, gpus } of p.jobs) {
        if (!waiting.has(job)) throw new Error(`${at}: job ${job} has not arrived or has finished`);
        if (placed.has(job)) throw new Error(`${at}: job ${instance.jobs[job].id} runs twice`);
        placed.add(job);
        if (!configs[job].some((c) => c.vmType === p.vmType && c.gpus === gpus)) {
          throw new Error(`${at}: job ${instance.jobs[job].id} has no time for ${gpus} GPUs on ${vm.name}`);
        }
        used += gpus;
      }
      if (used > vm.gpus) throw new Error(`${at}: node ${k} (${vm.name}) runs jobs on ${used} GPUs, it has ${vm.gpus}`);
    });
    const ids = matchNodes(plans, nodes, (job) => run[job]?.node);
    const free = new Map(nodes);
    for (const id of ids) free.delete(id);
    for (const id of free.keys()) {
      for (const j of waiting) {
        if (run[j]?.node === id && !placed.has(j)) {
          run[j] = null;
          log.push({ t, kind: 'pause', job: j });
        }
      }
      nodes.delete(id);
      log.push({ t, kind: 'close', node: id });
    }
    for (const j of waiting) {
      if (run[j] && !placed.has(j)) {
        run[j] = null;
        log.push({ t, kind: 'pause', job: j });
      }
    }
    plans.forEach((p, k) => {
      let id = ids[k];
      if (id < 0) {
        id = nextNode++;
        nodes.set(id, p.vmType);
        log.push({ t, kind: 'open', node: id, vmType: p.vmType });
      }
      for (const { job, gpus } of p.jobs) {
        const r = run[job];
        if (r && r.node === id && r.gpus === gpus) continue;
        const seconds = configs[job].find((c) => c.vmType === p.vmType && c.gpus === gpus)!.seconds;
        run[job] = { node: id, gpus, seconds };
        log.push({ t, kind: 'run', job, node: id, gpus });
      }
    });
  }
}

/**
 * Which open node each plan keeps: one of its VM type, the one running most of the plan's jobs
 * (-1: the plan opens a new node). Keeping a node of the right type costs nothing and moves no job.
 */
export function matchNodes(plans: NodePlan[], open: Map<number, number>, runsOn: (job: number) => number | undefined): number[] {
  const free = new Map(open);
  return plans.map((p) => {
    let best = -1;
    let common = -1;
    for (const [id, vmType] of free) {
      if (vmType !== p.vmType) continue;
      const n = p.jobs.filter(({ job }) => runsOn(job) === id).length;
      if (n > common) [best, common] = [id, n];
    }
    if (best >= 0) free.delete(best);
    return best;
  });
}
