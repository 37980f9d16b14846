import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastEnactment, type Cluster, type EnactReport } from '../adapters/kubernetes/cluster.js';
import { Mapping, type WorkloadState } from '../adapters/kubernetes/mapping.js';
import type { PrometheusClient } from '../adapters/prometheus/client.js';
import { arrivalRate, responseTimes } from '../adapters/prometheus/queries.js';
import { parseSpace4aiSystem } from '../adapters/space4ai/system.js';
import { callUnary } from '../server/grpc/client.js';
import type { PlacementDecision, PlacementSystem } from '../server/placement/model.js';
import { appendAudit, type AuditLine } from './audit.js';
import type { ApplicationConfig, LoopConfig, Mode } from './config.js';
import { decide, fmt, violations, type AppState } from './decide.js';
import type { LoopMetrics } from './metrics.js';

type Msg = Record<string, any>;

/** A plan as `approve` mode writes it and `copt loop approve` enacts it. */
export interface PlanFile {
  id: string;
  app: string;
  createdAt: string;
  cause: string;
  /** the decision it was planned from: approval refuses a plan whose cluster has moved since */
  from: PlacementDecision;
  to: PlacementDecision;
  changes: unknown[];
  states: WorkloadState[];
}

export interface CycleDeps {
  prometheus: PrometheusClient;
  cluster: Cluster;
  optimizer: Msg;
  metrics: LoopMetrics;
  log: (line: string) => void;
}

const COMPAT: Record<ApplicationConfig['compat'], string> = { copt: 'COMPAT_COPT', 'space4ai-d': 'COMPAT_SPACE4AI_D', 'space4ai-r': 'COMPAT_SPACE4AI_R' };
const METHOD: Record<string, string> = { auto: 'AUTO', 'rg+ls': 'RG_LS', rg: 'RG', ls: 'LS', ts: 'TS', sa: 'SA', pr: 'PR' };

/** One application under the loop: reads, decides, re-optimizes, enacts, and records each cycle. */
export class ApplicationLoop {
  readonly system: PlacementSystem;
  readonly mapping: Mapping;
  private readonly systemText: string;
  private readonly sources: string[];
  /** the components with a local response-time limit */
  private readonly limited: string[];

  constructor(readonly config: LoopConfig, readonly app: ApplicationConfig, private readonly deps: CycleDeps, public state: AppState = { violationStreak: 0 }, public cycleNo = 0) {
    this.systemText = readFileSync(app.system, 'utf8');
    this.system = parseSpace4aiSystem(this.systemText);
    this.mapping = new Mapping(this.system, app.mapping, `applications.${app.name}.mapping`);
    const names = new Set(this.system.components.map((c) => c.name));
    const targets = new Set(this.system.edges.map((e) => e.to));
    this.sources = app.sources ?? this.system.components.map((c) => c.name).filter((c) => !targets.has(c));
    this.limited = this.system.components.filter((c) => c.localResTime !== undefined).map((c) => c.name);
    for (const s of this.sources) if (!names.has(s)) throw new Error(`applications.${app.name}.sources: ${s} is not a component of ${app.system}`);
  }

  /** One cycle; `mode` overrides the configured one; the audit line is appended and returned. */
  async cycle(mode: Mode = this.config.mode, now = Date.now()): Promise<AuditLine> {
    this.cycleNo++;
    const t0 = performance.now();
    const timings: Record<string, number> = {};
    const mark = (k: string, since: number) => { timings[k] = Math.round(performance.now() - since); };
    const line: AuditLine = { time: new Date(now).toISOString(), app: this.app.name, cycle: this.cycleNo, mode, inputs: {}, reason: '', outcome: 'steady', timings, state: this.state };
    await failureRecorded(line, () => this.run(line, mode, now, mark));
    mark('totalMs', t0);
    line.state = this.state;
    recordCycle(this.config, this.deps, line);
    return line;
  }

  private async run(line: AuditLine, mode: Mode, now: number, mark: (k: string, since: number) => void): Promise<void> {
    const { prometheus, cluster, optimizer } = this.deps;
    let t = performance.now();
    const lambda = await arrivalRate(prometheus, this.config.queries, this.app.name, this.sources);
    const times = lambda.ok ? await responseTimes(prometheus, this.config.queries, this.app.name, this.limited, this.system.globalConstraints) : lambda;
    mark('prometheusMs', t);
    if (!lambda.ok || !times.ok) {
      line.outcome = 'no-data';
      line.reason = `no data, no action: ${lambda.ok ? (times as { reason: string }).reason : lambda.reason}`;
      return;
    }
    line.inputs = { lambda: lambda.value, responseTimes: times.components, pathTimes: times.paths };
    t = performance.now();
    const live = await cluster.workloads(this.mapping.workloads().map((w) => w.ref));
    let current: PlacementDecision;
    try {
      const running = this.mapping.running(live);
      current = running.decision;
      if (running.notes.length) line.notes = running.notes;
    } catch (e) {
      line.outcome = 'no-data';
      line.reason = `the cluster's state is no placement, no action: ${(e as Error).message}`;
      return;
    }
    const enacted = lastEnactment(live);
    // the cluster's record of the last enactment outlives the audit log (a new log, another host)
    if (enacted && (this.state.lastEnactAt ?? 0) < enacted.at.getTime()) this.state = { ...this.state, lastEnactAt: enacted.at.getTime() };
    mark('clusterMs', t);
    line.inputs.running = current;
    t = performance.now();
    const max = await callUnary(optimizer, 'MaxSustainableLoad', { space4aiJson: this.systemText, decision: current, lambda: lambda.value, compat: COMPAT[this.app.compat] }, this.deadline(10));
    mark('maxLoadMs', t);
    const maxLambda = max.unbounded ? Infinity : max.maxLambda;
    line.inputs.maxLambda = maxLambda;
    const verdict = decide(this.app, this.state, { lambda: lambda.value, maxLambda, violations: violations(this.system, times) }, now);
    this.state = verdict.state;
    line.trigger = verdict.trigger;
    line.reason = verdict.reason;
    if (verdict.trigger) this.deps.metrics.triggers.inc({ app: this.app.name, trigger: verdict.trigger });
    if (!verdict.act) {
      line.outcome = verdict.trigger ? 'cooldown' : 'steady';
      return;
    }
    if (existsSync(this.config.pauseFile)) {
      line.outcome = 'paused';
      line.reason += `; paused (${this.config.pauseFile} exists)`;
      return;
    }
    t = performance.now();
    const m = this.app.migration;
    const answer = await callUnary(optimizer, 'ReoptimizePlacement', {
      space4aiJson: this.systemText, current, lambda: verdict.planLoad, compat: COMPAT[this.app.compat],
      method: METHOD[this.app.solve.method], budget: { seconds: this.app.solve.seconds }, seed: this.app.solve.seed,
      policy: m.policy === 'priced' ? 'PRICED' : 'SPACE4AI_R', prices: m.prices, ...(m.maxChanges === undefined ? {} : { maxChanges: m.maxChanges }),
    }, this.deadline(this.app.solve.seconds + 30));
    mark('solveMs', t);
    this.state = { ...this.state, lastPlanLambda: lambda.value, lastPlanAt: now };
    const ev = answer.solution.evaluation;
    line.decision = { verdict: answer.verdict, planLoad: verdict.planLoad, feasible: ev.feasible, costBefore: answer.costBefore, costAfter: answer.costAfter, migrationCost: answer.migrationCost, placement: answer.solution.decision };
    line.changes = answer.changes;
    if (answer.verdict === 'KEEP') {
      line.outcome = 'keep';
      return;
    }
    const states = this.mapping.desired(answer.solution.decision);
    const id = planId(this.app.name, states);
    const cause = `copt loop: ${verdict.reason}; ${answer.verdict} at load ${fmt(verdict.planLoad)} (${answer.changes.length} changes, cost ${fmt(answer.costBefore)} -> ${fmt(answer.costAfter)}, migration ${fmt(answer.migrationCost)})`;
    line.planId = id;
    if (mode === 'approve') {
      const file = this.writePlan({ id, app: this.app.name, createdAt: new Date(now).toISOString(), cause, from: current, to: answer.solution.decision, changes: answer.changes, states });
      line.outcome = 'awaiting-approval';
      line.reason += `; plan written to ${file} (copt loop approve ${file})`;
      return;
    }
    t = performance.now();
    const report = await cluster.enact({ id, cause, states }, mode === 'dry-run');
    mark('enactMs', t);
    this.take(line, report, now);
  }

  /** Enacts an approved plan if the cluster still runs the decision it was planned from. */
  async approve(plan: PlanFile, now = Date.now()): Promise<AuditLine> {
    this.cycleNo++;
    const t0 = performance.now();
    const line: AuditLine = { time: new Date(now).toISOString(), app: this.app.name, cycle: this.cycleNo, mode: 'approve', inputs: {}, reason: `approved plan ${plan.id}: ${plan.cause}`, planId: plan.id, changes: plan.changes, outcome: 'refused', timings: {}, state: this.state };
    const live = await this.deps.cluster.workloads(this.mapping.workloads().map((w) => w.ref));
    let running: PlacementDecision | undefined;
    try {
      running = this.mapping.running(live).decision;
    } catch (e) {
      line.error = `the cluster's state is no placement: ${(e as Error).message}`;
    }
    if (running && canonical(running) !== canonical(plan.from)) line.error = 'the cluster has changed since the plan was made; run the loop again for a new plan';
    if (!line.error) this.take(line, await this.deps.cluster.enact({ id: plan.id, cause: plan.cause, states: plan.states }), now);
    line.timings.totalMs = Math.round(performance.now() - t0);
    line.state = this.state;
    recordCycle(this.config, this.deps, line);
    return line;
  }

  /** The enactment's report into the line and the state. */
  private take(line: AuditLine, report: EnactReport, now: number): void {
    takeReport(line, report);
    if (report.outcome === 'enacted') this.state = { ...this.state, lastEnactAt: now, violationStreak: 0 };
  }

  private writePlan(plan: PlanFile): string {
    mkdirSync(this.config.plansDir, { recursive: true });
    const file = join(this.config.plansDir, `${plan.app}-${plan.id}.json`);
    writeFileSync(file, `${JSON.stringify(plan, null, 2)}\n`);
    return file;
  }

  private deadline(seconds: number): Date {
    return new Date(Date.now() + seconds * 1000);
  }
}

/** Runs a cycle's work; a failure becomes the line's error outcome, never a throw out of the loop. */
export async function failureRecorded(line: AuditLine, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (e) {
    line.outcome = 'error';
    line.error = (e as Error).message;
    line.reason ||= 'the cycle failed';
  }
}

/** An enactment's report into an audit line. */
export function takeReport(line: AuditLine, report: EnactReport): void {
  line.writes = report.writes;
  line.outcome = report.outcome;
  if (report.notes.length) line.notes = [...(line.notes ?? []), ...report.notes];
  if (report.error) line.error = report.error;
  if (report.undoFailures) line.error += `; not undone: ${report.undoFailures.join('; ')}`;
}

/** A cycle's audit line appended, the metrics updated and one log line. */
export function recordCycle(config: LoopConfig, deps: CycleDeps, line: AuditLine): void {
  appendAudit(config.audit, line);
  const { metrics, log } = deps;
  const app = line.app;
  metrics.cycles.inc({ app, outcome: line.outcome });
  metrics.cycleSeconds.observe({ app }, (line.timings.totalMs ?? 0) / 1000);
  if (line.outcome === 'enacted') metrics.enactments.inc({ app });
  if (['no-data', 'error', 'refused', 'undone', 'undo-incomplete'].includes(line.outcome)) metrics.failures.inc({ app, outcome: line.outcome });
  if (line.decision || line.outcome === 'steady') metrics.lastDecision.set({ app }, Date.parse(line.time) / 1000);
  const load = typeof line.inputs.lambda === 'number' ? ` load ${fmt(line.inputs.lambda)}` : typeof line.inputs.load === 'number' ? ` load ${fmt(line.inputs.load)}/min` : '';
  const max = typeof line.inputs.maxLambda === 'number' ? ` max ${fmt(line.inputs.maxLambda)}` : '';
  const replicas = typeof line.inputs.running === 'number' ? ` replicas ${line.inputs.running}` : '';
  const plan = line.planId ? ` plan ${line.planId} (${line.changes?.length ?? 0} changes, ${line.writes?.length ?? 0} writes)` : '';
  log(`copt loop: ${app} #${line.cycle} ${(line.timings.totalMs ?? 0) / 1000}s${load}${max}${replicas} ${line.outcome}${plan}: ${line.reason}${line.error ? ` (${line.error})` : ''}`);
}

/** The same wanted states, the same id: a plan enacted twice is one plan. */
function planId(app: string, states: WorkloadState[]): string {
  return createHash('sha256').update(JSON.stringify([app, states])).digest('hex').slice(0, 12);
}

/** A decision as comparable text: components and counts in name order. */
function canonical(d: PlacementDecision): string {
  const comps = [...d.components].sort((a, b) => a.component.localeCompare(b.component)).map((c) => [c.component, c.deployment, [...c.partitions].sort((a, b) => a.partition.localeCompare(b.partition)).map((p) => [p.partition, p.resource])]);
  const counts = d.counts.filter((c) => c.count > 0).sort((a, b) => a.resource.localeCompare(b.resource)).map((c) => [c.resource, c.count]);
  return JSON.stringify([comps, counts]);
}
