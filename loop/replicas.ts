import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { WorkloadState } from '../adapters/kubernetes/mapping.js';
import { fillQuery, loadHistory } from '../adapters/prometheus/queries.js';
import { LstmForecaster } from '../server/models/lstm-forecast.js';
import { ORACLE, seasonalNaive, type Forecaster } from '../server/replicas/forecast.js';
import { replicaPolicy, type ReplicaPolicy } from '../server/replicas/policies.js';
import type { AuditLine } from './audit.js';
import type { LoopConfig, Mode, ReplicaServiceConfig } from './config.js';
import { failureRecorded, recordCycle, takeReport, type CycleDeps } from './cycle.js';

/** Monday 00:00 is four days after the Unix epoch (a Thursday): minute m of the loop's clock falls at this minute of the week. */
const weekMinute = (minute: number) => (((minute - 4 * 1440) % 10080) + 10080) % 10080;

/**
 * One replica service under the loop. Its load, one value a minute, comes from Prometheus: the
 * history at the first cycle (over which the policy replays, so that what it learns online is
 * learnt before it acts), then each cycle the minutes since. The policy is the one `copt simulate
 * replicas` replays, on the same minutes: minute m of the loop's clock is `floor(unix seconds /
 * minuteS)`, windows start where m is a multiple of the window, and the policy decides each minute
 * from the count that runs (read back from the Deployment, so a hand change is seen). A new count
 * is enacted through the scale subresource, or the HPA floor where an HPA scales the Deployment.
 * Approve mode dry-runs replica counts: a window's count is stale before anyone could approve it.
 */
export class ReplicaServiceLoop {
  readonly name: string;
  private readonly query: string;
  /** loads[i] is the load of minute origin + i of the loop's clock */
  private loads: number[] = [];
  private origin = 0;
  private policy?: ReplicaPolicy;
  /** the last minute the policy decided */
  private decided = -Infinity;
  /** the forecaster the policy reads (lstm: trained or loaded at the first cycle) */
  private forecasterName = '';

  constructor(readonly config: LoopConfig, readonly svc: ReplicaServiceConfig, private readonly deps: CycleDeps, public cycleNo = 0) {
    this.name = svc.name;
    this.query = fillQuery(config.queries.serviceLoad, { service: svc.name, window: `${svc.minuteS}s`, minuteS: svc.minuteS });
  }

  /** One cycle; `mode` overrides the configured one; the audit line is appended and returned. */
  async cycle(mode: Mode = this.config.mode, now = Date.now()): Promise<AuditLine> {
    this.cycleNo++;
    const t0 = performance.now();
    const timings: Record<string, number> = {};
    const line: AuditLine = { time: new Date(now).toISOString(), app: this.name, kind: 'replicas', cycle: this.cycleNo, mode, inputs: {}, reason: '', outcome: 'steady', timings };
    await failureRecorded(line, () => this.run(line, mode, now, timings));
    timings.totalMs = Math.round(performance.now() - t0);
    recordCycle(this.config, this.deps, line);
    return line;
  }

  private async run(line: AuditLine, mode: Mode, now: number, timings: Record<string, number>): Promise<void> {
    const { minuteS, workload } = this.svc;
    const service = this.svc.service;
    // the minute now running: the loads of the minutes before it are known
    const minute = Math.floor(now / 1000 / minuteS);
    let t = performance.now();
    const read = await this.readLoads(minute);
    timings.prometheusMs = Math.round(performance.now() - t);
    if (!read.ok) {
      line.outcome = 'no-data';
      line.reason = `no data, no action: ${read.reason}`;
      return;
    }
    line.inputs = { minute, load: this.loads[this.loads.length - 1], minutesRead: read.minutes, ...(read.filled ? { minutesFilled: read.filled } : {}), ...(read.historyFrom === undefined ? {} : { historyFrom: read.historyFrom }) };
    if (read.notes.length) line.notes = read.notes;
    t = performance.now();
    const [live] = await this.deps.cluster.workloads([workload]);
    timings.clusterMs = Math.round(performance.now() - t);
    const target = `Deployment ${workload.namespace}/${workload.name}`;
    if (!live.found) {
      line.outcome = 'no-data';
      line.reason = `no action: ${target} does not exist`;
      return;
    }
    line.inputs.running = live.replicas;
    t = performance.now();
    const policy = await this.policyFor(minute, timings);
    const W = service.windowMin;
    if (this.decided >= minute) {
      line.reason = `minute ${minute} was decided by an earlier cycle`;
      return;
    }
    const windowStarted = Math.floor(minute / W) * W > this.decided;
    // the minutes not decided yet, each from the count before it (what runs, for the first)
    let count = live.replicas;
    for (let m = this.decided + 1; m <= minute; m++) count = policy.decide(this.loads, m - this.origin, count);
    this.decided = minute;
    timings.decideMs = Math.round(performance.now() - t);
    line.decision = { policy: this.svc.policy, forecaster: this.forecasterName, replicas: count, window: Math.floor(minute / W) };
    if (count === live.replicas) {
      line.reason = windowStarted ? `${this.svc.policy} keeps ${count} replicas` : `within a window (${W} minutes; the next starts at minute ${(Math.floor(minute / W) + 1) * W})`;
      return;
    }
    line.trigger = 'window';
    line.reason = `${this.svc.policy} (${this.forecasterName}) at window ${Math.floor(minute / W)}: ${live.replicas} -> ${count} replicas (load ${round(this.loads[this.loads.length - 1])} a minute)`;
    this.deps.metrics.triggers.inc({ app: this.name, trigger: 'window' });
    if (existsSync(this.config.pauseFile)) {
      line.outcome = 'paused';
      line.reason += `; paused (${this.config.pauseFile} exists)`;
      return;
    }
    const states: WorkloadState[] = [{ ref: workload, component: this.name, partition: '', replicas: count, viaScale: true }];
    const id = createHash('sha256').update(JSON.stringify([this.name, minute, states])).digest('hex').slice(0, 12);
    line.planId = id;
    line.changes = [{ target, field: 'spec.replicas', from: live.replicas, to: count }];
    const dryRun = mode !== 'enact';
    if (mode === 'approve') line.notes = [...(line.notes ?? []), 'approve mode dry-runs replica counts (a window\'s count is stale before it could be approved)'];
    t = performance.now();
    const report = await this.deps.cluster.enact({ id, cause: `copt loop: ${line.reason}`, states }, dryRun);
    timings.enactMs = Math.round(performance.now() - t);
    takeReport(line, report);
  }

  /**
   * The minutes that ended since the last read, appended to the loads: at the first cycle the
   * history, later only the new minutes (a missing minute takes the one before it, noted; a
   * missing newest minute is no data, read again next cycle).
   */
  private async readLoads(minute: number): Promise<{ ok: true; minutes: number; filled: number; historyFrom?: number; notes: string[] } | { ok: false; reason: string }> {
    const { minuteS, historyMin } = this.svc;
    const W = this.svc.service.windowMin;
    const endAt = (m: number) => (m + 1) * minuteS;
    if (this.loads.length === 0) {
      // the history starts at a window, so that the policy's windows are the clock's
      const origin = Math.floor((minute - historyMin) / W) * W;
      const h = await loadHistory(this.deps.prometheus, this.query, endAt(minute - 1), minute - origin, undefined, minuteS);
      if (!h.ok) return { ok: false, reason: `the load history of ${this.name} (${minute - origin} minutes): ${h.reason}` };
      this.origin = origin;
      this.loads = h.loads;
      return { ok: true, minutes: h.loads.length, filled: h.filled, historyFrom: origin, notes: h.filled ? [`${h.filled} minutes of the history had no sample and took the minute before's load`] : [] };
    }
    const first = this.origin + this.loads.length;
    if (first > minute - 1) return { ok: true, minutes: 0, filled: 0, notes: [] };
    const s = await this.deps.prometheus.series(this.query, endAt(first), endAt(minute - 1), minuteS);
    if (!s.ok) return { ok: false, reason: `the load of ${this.name}: ${s.reason}` };
    if (s.values[s.values.length - 1] === null) return { ok: false, reason: `the load of ${this.name}: minute ${minute - 1} has no sample yet` };
    let filled = 0;
    for (const v of s.values) {
      if (v === null) filled++;
      this.loads.push(v ?? this.loads[this.loads.length - 1]);
    }
    return { ok: true, minutes: s.values.length, filled, notes: filled ? [`${filled} of the ${s.values.length} minutes read had no sample and took the minute before's load`] : [] };
  }

  /** The policy, made at the first cycle and replayed over the history after its first season (with the policy's own counts, as a replay runs). */
  private async policyFor(minute: number, timings: Record<string, number>): Promise<ReplicaPolicy> {
    if (this.policy) return this.policy;
    const { service, policy: name, seasonMin } = this.svc;
    const t = performance.now();
    const forecaster = await this.forecaster();
    timings.forecasterMs = Math.round(performance.now() - t);
    const policy = replicaPolicy(name, service, forecaster, ORACLE);
    const until = minute - this.origin - 1;
    const from = Math.min(until, Math.ceil(seasonMin / service.windowMin) * service.windowMin);
    let count = policy.initial(this.loads, from);
    for (let m = from; m <= until; m++) count = policy.decide(this.loads, m, count);
    this.policy = policy;
    this.decided = minute - 1;
    return policy;
  }

  private async forecaster(): Promise<Forecaster> {
    const { forecaster, model, seasonMin, policy } = this.svc;
    if (forecaster === 'seasonal' || (policy !== 'predictive' && policy !== 'planner')) {
      this.forecasterName = policy === 'predictive' || policy === 'planner' ? 'seasonal' : 'none';
      return seasonalNaive(seasonMin);
    }
    const lstm = model ? await LstmForecaster.load(model) : await LstmForecaster.train(this.loads, this.loads.length, { firstWeekMinute: weekMinute(this.origin) });
    this.forecasterName = model ? `lstm (${model})` : `lstm (trained on ${this.loads.length} minutes)`;
    const f = lstm.forecaster(weekMinute(this.origin));
    lstm.dispose();
    return f;
  }
}

const round = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));
