import { randomBytes } from 'node:crypto';
import { AppsV1Api, CustomObjectsApi, KubeConfig, KubernetesObjectApi, PatchStrategy, setHeaderOptions, type KubernetesObject } from '@kubernetes/client-node';
import { refText, type LiveWorkload, type WorkloadRef, type WorkloadState } from './mapping.js';

/**
 * Reads workloads and enacts their desired states on a Kubernetes API server: server-side apply
 * under our field manager, touching only our fields (node selector, replicas, our annotations), a
 * dry run of every write before the first real one, make before break, and on a failure part way
 * the writes already made undone. It translates and decides nothing.
 */

type Obj = Record<string, any>;

export const PLAN_ANNOTATION = 'copt.io/plan-id';
export const ENACTED_ANNOTATION = 'copt.io/enacted-at';
export const ACTIVE_ANNOTATION = 'copt.io/active';
export const CAUSE_ANNOTATION = 'kubernetes.io/change-cause';

export interface ClusterOptions {
  /** a kubeconfig file; default the usual places (KUBECONFIG, ~/.kube/config, in-cluster) */
  kubeconfig?: string;
  /** default copt */
  fieldManager?: string;
  /** how long a make step may take to roll out before the plan is undone (default 120 s) */
  rolloutTimeoutMs?: number;
  /** attempts per write (default 4), waiting backoffMs, doubling, between them */
  attempts?: number;
  backoffMs?: number;
  /** per API call (default 10 s) */
  timeoutMs?: number;
}

/** A plan to enact: its id (the same plan, the same id), why, and the workload states it wants. */
export interface WorkloadPlan {
  id: string;
  cause: string;
  states: WorkloadState[];
}

/** One field a write changes. */
export interface FieldChange { field: string; from: unknown; to: unknown }

export interface WriteRecord {
  target: string;
  phase: 'make' | 'break';
  /** apply: server-side apply of the object; scale: the scale subresource; hpa-floor: the HPA's minReplicas instead of replicas */
  via: 'apply' | 'scale' | 'hpa-floor';
  changes: FieldChange[];
}

export type Outcome = 'unchanged' | 'enacted' | 'dry-run' | 'refused' | 'undone' | 'undo-incomplete';

export interface EnactReport {
  planId: string;
  outcome: Outcome;
  writes: WriteRecord[];
  /** what the record should say besides the writes (an HPA floor set instead of replicas, ...) */
  notes: string[];
  error?: string;
  /** writes that could not be undone (outcome undo-incomplete) */
  undoFailures?: string[];
}

/** A write ready to send: the object body to apply and the body that restores what was there. */
interface Step {
  record: WriteRecord;
  /** the workload the step is for (an HPA step's is the Deployment it scales); the object written is named by `body` */
  ref: WorkloadRef;
  apiVersion: string;
  kind: string;
  body: Obj;
  undo: Obj;
  /** a Deployment whose rollout the break phase waits for */
  waitFor?: WorkloadRef;
}

const API: Record<WorkloadRef['kind'], { apiVersion: string; kind: string }> = {
  Deployment: { apiVersion: 'apps/v1', kind: 'Deployment' },
  KnativeService: { apiVersion: 'serving.knative.dev/v1', kind: 'Service' },
};

/**
 * Kinds whose name a built-in kind also has: client-node's generic client types objects by version
 * and kind alone, so a Knative Service would go out and come back as a core Service, its template
 * dropped. These go through the untyped custom-objects client.
 */
const CUSTOM_KINDS: Record<string, { group: string; version: string; plural: string }> = {
  'serving.knative.dev/v1 Service': { group: 'serving.knative.dev', version: 'v1', plural: 'services' },
};
const customKind = (apiVersion: string, kind: string) => CUSTOM_KINDS[`${apiVersion} ${kind}`];

/** Kubernetes as our workloads see it. */
export class Cluster {
  private readonly objects: KubernetesObjectApi;
  private readonly apps: AppsV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly manager: string;
  private readonly rolloutTimeoutMs: number;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly timeoutMs: number;

  constructor(options: ClusterOptions = {}) {
    const kc = new KubeConfig();
    if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
    else kc.loadFromDefault();
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.manager = options.fieldManager ?? 'copt';
    this.rolloutTimeoutMs = options.rolloutTimeoutMs ?? 120_000;
    this.attempts = options.attempts ?? 4;
    this.backoffMs = options.backoffMs ?? 200;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** The live object, or undefined when there is none (404). */
  async read(ref: WorkloadRef): Promise<Obj | undefined> {
    return this.readAs(API[ref.kind].apiVersion, API[ref.kind].kind, ref.namespace, ref.name);
  }

  /** Each workload as it runs: its node selector, replicas, whether in use; `found: false` when missing. */
  async workloads(refs: WorkloadRef[]): Promise<LiveWorkload[]> {
    const out: LiveWorkload[] = [];
    for (const ref of refs) {
      const o = await this.read(ref);
      out.push({
        ref,
        found: o !== undefined,
        nodeSelector: { ...(o?.spec?.template?.spec?.nodeSelector ?? {}) },
        replicas: o?.spec?.replicas ?? 0,
        active: o !== undefined && o.metadata?.annotations?.[ACTIVE_ANNOTATION] !== 'false',
        annotations: { ...(o?.metadata?.annotations ?? {}) },
      });
    }
    return out;
  }

  /**
   * Enacts a plan: no write when every workload already holds it; otherwise a dry run of every
   * write, then the make steps, a wait for their rollouts, then the break steps. A failed write
   * (after retries) undoes the writes made, last first. `dryRun` stops after the dry run.
   */
  async enact(plan: WorkloadPlan, dryRun = false): Promise<EnactReport> {
    const notes: string[] = [];
    let steps: Step[];
    try {
      steps = await this.steps(plan, notes);
    } catch (e) {
      return { planId: plan.id, outcome: 'refused', writes: [], notes, error: message(e) };
    }
    const writes = steps.map((s) => s.record);
    if (steps.length === 0) return { planId: plan.id, outcome: 'unchanged', writes, notes };
    for (const s of steps) {
      try {
        await this.apply(s, s.body, 'All');
      } catch (e) {
        return { planId: plan.id, outcome: 'refused', writes, notes, error: `dry run of ${s.record.target} (${s.record.via}): ${message(e)}` };
      }
    }
    if (dryRun) return { planId: plan.id, outcome: 'dry-run', writes, notes };
    const done: Step[] = [];
    try {
      for (const phase of ['make', 'break'] as const) {
        for (const s of steps.filter((x) => x.record.phase === phase)) {
          await this.write(s);
          done.push(s);
        }
        if (phase === 'make') for (const ref of unique(steps.flatMap((s) => (s.waitFor ? [s.waitFor] : [])))) await this.rolledOut(ref);
      }
    } catch (e) {
      const undoFailures = await this.undo(done);
      await this.events(done, plan, 'Warning', 'EnactmentUndone', `plan ${plan.id} failed (${message(e)}); this change was undone`);
      return { planId: plan.id, outcome: undoFailures.length ? 'undo-incomplete' : 'undone', writes, notes, error: message(e), ...(undoFailures.length ? { undoFailures } : {}) };
    }
    await this.events(done, plan, 'Normal', 'Enacted', `plan ${plan.id}: ${plan.cause}`);
    return { planId: plan.id, outcome: 'enacted', writes, notes };
  }

  /** The writes a plan needs, in make-before-break order, from the live objects. */
  private async steps(plan: WorkloadPlan, notes: string[]): Promise<Step[]> {
    const hpas = new Map<string, Obj>();
    for (const ns of unique(plan.states.map((s) => s.ref.namespace))) {
      for (const h of (await this.call(() => this.objects.list('autoscaling/v2', 'HorizontalPodAutoscaler', ns))).items as Obj[]) {
        const t = h.spec?.scaleTargetRef;
        if (t?.kind === 'Deployment') hpas.set(`${ns}/${t.name}`, h);
      }
    }
    const make: Step[] = [];
    const brk: Step[] = [];
    const annotations = { [PLAN_ANNOTATION]: plan.id, [CAUSE_ANNOTATION]: plan.cause, [ENACTED_ANNOTATION]: new Date().toISOString() };
    for (const state of plan.states) {
      const live = await this.read(state.ref);
      const wanted = state.ref.kind === 'Deployment' ? (state.replicas ?? 0) > 0 : state.active;
      if (!live) {
        if (wanted) throw new Error(`${refText(state.ref)} does not exist: the plan runs ${state.component}/${state.partition} on ${state.resource} (create it, or name its workload in the mapping)`);
        continue;
      }
      const before = ownFields(live);
      const selector = state.nodeSelector ?? before.nodeSelector;
      const target = refText(state.ref);
      const { apiVersion, kind } = API[state.ref.kind];
      const base = { apiVersion, kind, metadata: { name: state.ref.name, namespace: state.ref.namespace } };
      const moved = selector !== undefined && !sameMap(selector, before.nodeSelector ?? {});
      const selectorChange: FieldChange = { field: 'spec.template.spec.nodeSelector', from: before.nodeSelector ?? {}, to: selector };
      if (state.ref.kind === 'KnativeService') {
        const on = state.active!;
        if (!moved && on === before.active) continue;
        const step: Step = {
          ref: state.ref, apiVersion, kind,
          record: { target, phase: on ? 'make' : 'break', via: 'apply', changes: [...(moved ? [selectorChange] : []), ...(on !== before.active ? [{ field: `metadata.annotations.${ACTIVE_ANNOTATION}`, from: before.active, to: on }] : [])] },
          body: { ...base, metadata: { ...base.metadata, annotations: { ...annotations, [ACTIVE_ANNOTATION]: String(on) } }, ...(selector ? { spec: { template: { spec: { nodeSelector: selector } } } } : {}) },
          undo: restore(base, before, false),
        };
        (on ? make : brk).push(step);
        continue;
      }
      const want = state.replicas ?? 0;
      const hpa = hpas.get(`${state.ref.namespace}/${state.ref.name}`);
      if (hpa) {
        // the HPA owns spec.replicas: move its floor instead, within its ceiling; it cannot go below 1
        const floor = Math.min(Math.max(want, 1), hpa.spec.maxReplicas);
        const was = hpa.spec.minReplicas ?? 1;
        if (floor !== want) notes.push(`${target}: HorizontalPodAutoscaler ${hpa.metadata.name} scales it; its minReplicas is set to ${floor} (${want} wanted, the HPA allows ${hpa.spec.minReplicas ?? 1}..${hpa.spec.maxReplicas} and at least 1)`);
        else notes.push(`${target}: HorizontalPodAutoscaler ${hpa.metadata.name} scales it; its minReplicas is set instead of replicas`);
        if (floor !== was) {
          const hbase = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: hpa.metadata.name, namespace: state.ref.namespace } };
          const hbefore = hpa.metadata?.annotations ?? {};
          (floor > was ? make : brk).push({
            ref: state.ref, apiVersion: hbase.apiVersion, kind: hbase.kind, waitFor: floor > was ? state.ref : undefined,
            record: { target: `HorizontalPodAutoscaler ${state.ref.namespace}/${hpa.metadata.name}`, phase: floor > was ? 'make' : 'break', via: 'hpa-floor', changes: [{ field: 'spec.minReplicas', from: was, to: floor }] },
            body: { ...hbase, metadata: { ...hbase.metadata, annotations }, spec: { minReplicas: floor } },
            undo: { ...hbase, metadata: { ...hbase.metadata, annotations: pick(hbefore) }, spec: { minReplicas: was } },
          });
        }
        if (moved) {
          make.push({
            ref: state.ref, apiVersion, kind, waitFor: state.ref,
            record: { target, phase: 'make', via: 'apply', changes: [selectorChange] },
            body: { ...base, metadata: { ...base.metadata, annotations }, spec: { template: { spec: { nodeSelector: selector } } } },
            undo: restore(base, before, false),
          });
        }
        continue;
      }
      if (!moved && want === before.replicas) continue;
      if (state.viaScale && !moved) {
        const scale = (replicas: number) => ({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: base.metadata, spec: { replicas } });
        const phase = want > before.replicas ? 'make' : 'break';
        (phase === 'make' ? make : brk).push(
          { ref: state.ref, apiVersion, kind, waitFor: phase === 'make' ? state.ref : undefined, record: { target, phase, via: 'scale', changes: [{ field: 'spec.replicas', from: before.replicas, to: want }] }, body: scale(want), undo: scale(before.replicas) },
          { ref: state.ref, apiVersion, kind, record: { target, phase, via: 'apply', changes: [{ field: `metadata.annotations.${PLAN_ANNOTATION}`, from: before.annotations[PLAN_ANNOTATION], to: plan.id }] }, body: { ...base, metadata: { ...base.metadata, annotations } }, undo: { ...base, metadata: { ...base.metadata, annotations: pick(before.annotations) } } },
        );
        continue;
      }
      const changes = (replicas: number): FieldChange[] => [
        ...(moved ? [selectorChange] : []),
        ...(replicas !== before.replicas ? [{ field: 'spec.replicas', from: before.replicas, to: replicas }] : []),
      ];
      const body = (replicas: number) => ({ ...base, metadata: { ...base.metadata, annotations }, spec: { replicas, ...(selector ? { template: { spec: { nodeSelector: selector } } } : {}) } });
      if (moved || want > before.replicas) {
        // a move rolls out at the larger count first; a smaller count follows once it has
        const first = Math.max(want, before.replicas);
        make.push({ ref: state.ref, apiVersion, kind, waitFor: state.ref, record: { target, phase: 'make', via: 'apply', changes: changes(first) }, body: body(first), undo: restore(base, before, true) });
        if (want < first) brk.push({ ref: state.ref, apiVersion, kind, record: { target, phase: 'break', via: 'apply', changes: [{ field: 'spec.replicas', from: first, to: want }] }, body: body(want), undo: restore(base, before, true) });
      } else {
        brk.push({ ref: state.ref, apiVersion, kind, record: { target, phase: 'break', via: 'apply', changes: changes(want) }, body: body(want), undo: restore(base, before, true) });
      }
    }
    return [...make, ...brk];
  }

  /** A real write, retried: a conflict (409) re-reads the object's version, a server error or a timeout backs off. */
  private async write(s: Step): Promise<void> {
    let wait = this.backoffMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const live = await this.readAs(s.apiVersion, s.kind, s.ref.namespace, s.body.metadata.name);
        // the version read just now: a change made since is a 409, not overwritten
        await this.apply(s, { ...s.body, metadata: { ...s.body.metadata, resourceVersion: live?.metadata?.resourceVersion } });
        return;
      } catch (e) {
        if (attempt >= this.attempts || !retryable(e)) throw new Error(`${s.record.target}: ${message(e)}${attempt > 1 ? ` (after ${attempt} attempts)` : ''}`);
        await sleep(wait);
        wait *= 2;
      }
    }
  }

  /** Undoes writes made, last first, each retried; answers the ones that failed. */
  private async undo(done: Step[]): Promise<string[]> {
    const failed: string[] = [];
    for (const s of [...done].reverse()) {
      let wait = this.backoffMs;
      for (let attempt = 1; ; attempt++) {
        try {
          await this.apply(s, s.undo);
          break;
        } catch (e) {
          if (attempt >= this.attempts * 2) {
            failed.push(`${s.record.target}: ${message(e)}`);
            break;
          }
          await sleep(wait);
          wait = Math.min(wait * 2, 5000);
        }
      }
    }
    return failed;
  }

  /** One server-side apply under our field manager, of the object or its scale subresource, forced: the fields we own are ours (as a controller's are). */
  private async apply(s: Step, body: Obj, dryRun?: 'All'): Promise<void> {
    if (s.record.via === 'scale') {
      await this.call(() => this.apps.patchNamespacedDeploymentScale(
        { name: s.ref.name, namespace: s.ref.namespace, body, fieldManager: this.manager, force: true, dryRun },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      ));
      return;
    }
    const custom = customKind(s.apiVersion, s.kind);
    if (custom) {
      await this.call(() => this.custom.patchNamespacedCustomObject(
        { ...custom, namespace: s.ref.namespace, name: s.ref.name, body, fieldManager: this.manager, force: true, dryRun },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      ));
      return;
    }
    await this.call(() => this.objects.patch(body as KubernetesObject, undefined, dryRun, this.manager, true, PatchStrategy.ServerSideApply));
  }

  /** Waits until a Deployment's controller has rolled out its spec: the generation observed, every replica updated and available. */
  private async rolledOut(ref: WorkloadRef): Promise<void> {
    const until = Date.now() + this.rolloutTimeoutMs;
    for (let wait = 50; ; wait = Math.min(wait * 2, 1000)) {
      const o = await this.read(ref);
      const want = o?.spec?.replicas ?? 0;
      const st = o?.status ?? {};
      if (o && (st.observedGeneration ?? 0) >= o.metadata.generation && (st.updatedReplicas ?? 0) >= want && (st.availableReplicas ?? 0) >= want) return;
      if (Date.now() > until) throw new Error(`${refText(ref)} did not roll out within ${this.rolloutTimeoutMs / 1000} s (${st.availableReplicas ?? 0} of ${want} replicas available)`);
      await sleep(wait);
    }
  }

  /** One Event per object written, as `kubectl describe` shows them; a failure to record one is not a failure of the plan. */
  private async events(done: Step[], plan: WorkloadPlan, type: 'Normal' | 'Warning', reason: string, text: string): Promise<void> {
    for (const s of done) {
      const o = await this.readAs(s.apiVersion, s.kind, s.ref.namespace, s.body.metadata.name).catch(() => undefined);
      const now = new Date().toISOString();
      const what = s.record.changes.map((c) => `${c.field} ${JSON.stringify(c.from)} -> ${JSON.stringify(c.to)}`).join(', ');
      await this.call(() => this.objects.create({
        apiVersion: 'v1', kind: 'Event',
        metadata: { name: `${s.body.metadata.name}.${plan.id}.${randomBytes(4).toString('hex')}`, namespace: s.ref.namespace },
        involvedObject: { apiVersion: s.apiVersion, kind: s.kind, name: s.body.metadata.name, namespace: s.ref.namespace, uid: o?.metadata?.uid, resourceVersion: o?.metadata?.resourceVersion },
        reason, type, message: `${text}: ${what}`.slice(0, 1024), action: s.record.via,
        source: { component: this.manager }, reportingComponent: this.manager, reportingInstance: this.manager,
        firstTimestamp: now, lastTimestamp: now, count: 1,
      } as KubernetesObject)).catch(() => undefined);
    }
  }

  private async readAs(apiVersion: string, kind: string, namespace: string, name: string): Promise<Obj | undefined> {
    const custom = customKind(apiVersion, kind);
    try {
      if (custom) return (await this.call(() => this.custom.getNamespacedCustomObject({ ...custom, namespace, name }))) as Obj;
      return await this.call(() => this.objects.read({ apiVersion, kind, metadata: { name, namespace } }));
    } catch (e) {
      if (status(e) === 404) return undefined;
      throw e;
    }
  }

  /** One API call under the per-call time limit. */
  private call<T>(fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout;
    return Promise.race([
      fn(),
      new Promise<T>((_, reject) => { timer = setTimeout(() => reject(Object.assign(new Error(`the API server did not answer within ${this.timeoutMs} ms`), { code: 504 })), this.timeoutMs); }),
    ]).finally(() => clearTimeout(timer));
  }
}

/** The most recent enactment recorded on the workloads (plan id and time), if any. */
export function lastEnactment(live: LiveWorkload[]): { planId: string; at: Date } | undefined {
  let last: { planId: string; at: Date } | undefined;
  for (const w of live) {
    const at = new Date(w.annotations[ENACTED_ANNOTATION] ?? NaN);
    if (w.annotations[PLAN_ANNOTATION] && !Number.isNaN(at.getTime()) && (!last || at > last.at)) last = { planId: w.annotations[PLAN_ANNOTATION], at };
  }
  return last;
}

/** The fields we own as they are now. */
function ownFields(o: Obj): { nodeSelector?: Record<string, string>; replicas: number; active: boolean; annotations: Record<string, string> } {
  return {
    nodeSelector: o.spec?.template?.spec?.nodeSelector,
    replicas: o.spec?.replicas ?? 0,
    active: o.metadata?.annotations?.[ACTIVE_ANNOTATION] !== 'false',
    annotations: o.metadata?.annotations ?? {},
  };
}

/** The apply body that puts our fields back as they were (a field absent then is left out, so the apply removes it). */
function restore(base: Obj, before: ReturnType<typeof ownFields>, replicas: boolean): Obj {
  const spec: Obj = {};
  if (replicas) spec.replicas = before.replicas;
  if (before.nodeSelector && Object.keys(before.nodeSelector).length) spec.template = { spec: { nodeSelector: before.nodeSelector } };
  return { ...base, metadata: { ...base.metadata, annotations: pick(before.annotations) }, ...(Object.keys(spec).length ? { spec } : {}) };
}

/** Our annotations out of an object's. */
function pick(annotations: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [PLAN_ANNOTATION, CAUSE_ANNOTATION, ENACTED_ANNOTATION, ACTIVE_ANNOTATION]) if (annotations[k] !== undefined) out[k] = annotations[k];
  return out;
}

function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

const unique = <T>(xs: T[]): T[] => [...new Map(xs.map((x) => [JSON.stringify(x), x])).values()];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The HTTP status of a failed call (0 when it did not reach the server). */
function status(e: unknown): number {
  return typeof (e as { code?: unknown })?.code === 'number' ? (e as { code: number }).code : 0;
}

/** Conflicts, throttling, server errors, time-outs and unreachable servers are worth another attempt; a refusal (400, 403, 404, 422) is not. */
function retryable(e: unknown): boolean {
  const code = status(e);
  return code === 0 || code === 409 || code === 429 || code >= 500;
}

/** The API server's own message (a Status object's), or the error's. */
export function message(e: unknown): string {
  const body = (e as { body?: unknown })?.body;
  let parsed: Obj | undefined;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
  } else if (body && typeof body === 'object') parsed = body as Obj;
  if (parsed?.message) return `${parsed.message} (HTTP ${status(e)}${parsed.reason ? ` ${parsed.reason}` : ''})`;
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}
