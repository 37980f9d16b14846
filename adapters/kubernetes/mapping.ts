import { InputError } from '../../server/input-error.js';
import type { PlacementDecision, PlacementSystem, ResourceKind } from '../../server/placement/model.js';

/**
 * Which workload runs each component partition and which nodes each resource is: the translation
 * between a placement decision and the objects of a cluster. It decides nothing.
 */

/** The workloads we write: a Deployment for an edge/VM partition, a Knative Service for a FaaS one. */
export type WorkloadKind = 'Deployment' | 'KnativeService';

export interface WorkloadRef { kind: WorkloadKind; namespace: string; name: string }

/** The mapping as a configuration file writes it; every part has a default. */
export interface MappingConfig {
  /** default "default" */
  namespace?: string;
  /** the node label that names a resource (default copt.io/resource): resource r selects `{label: r}` */
  resourceLabel?: string;
  /** per resource name: the node selector that picks its nodes, instead of the label */
  resources?: Record<string, { nodeSelector: Record<string, string> }>;
  /** per `component/partition`: the workload names, instead of `<component>-<partition>` lowercased */
  partitions?: Record<string, { deployment?: string; knativeService?: string }>;
}

/** The desired state of one workload, in the fields we own. */
export interface WorkloadState {
  ref: WorkloadRef;
  component: string;
  partition: string;
  /** the resource the partition runs on, or undefined when the partition is not in use */
  resource?: string;
  /** the node selector of that resource; undefined when not in use (the live one is kept) */
  nodeSelector?: Record<string, string>;
  /** Deployment: instances of its resource (0 when not in use); Knative: absent (it scales itself) */
  replicas?: number;
  /** Knative: whether the function is in use */
  active?: boolean;
  /** replicas through the scale subresource (a replica plan's write), not in the applied object */
  viaScale?: boolean;
}

/** A partition's workload as read from the cluster; `found: false` when there is no such object. */
export interface LiveWorkload {
  ref: WorkloadRef;
  found: boolean;
  nodeSelector: Record<string, string>;
  replicas: number;
  active: boolean;
  /** the object's annotations (our plan id and enactment time among them) */
  annotations: Record<string, string>;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The mapping of one application, checked against its system: names that are not Kubernetes names or not in the system are errors naming the key. */
export class Mapping {
  readonly namespace: string;
  private readonly selectors = new Map<string, Record<string, string>>();
  private readonly kinds = new Map<string, ResourceKind>();
  private readonly all: { component: string; partition: string; ref: WorkloadRef }[];

  constructor(readonly system: PlacementSystem, private readonly config: MappingConfig = {}, readonly path = 'mapping') {
    this.namespace = config.namespace ?? 'default';
    if (!NAME.test(this.namespace)) throw new InputError(`${path}.namespace`, this.namespace, 'must be a Kubernetes namespace name (lowercase letters, digits and -)');
    const label = config.resourceLabel ?? 'copt.io/resource';
    for (const r of system.resources) {
      this.kinds.set(r.name, r.kind);
      this.selectors.set(r.name, config.resources?.[r.name]?.nodeSelector ?? { [label]: r.name });
    }
    for (const name of Object.keys(config.resources ?? {})) {
      if (!this.kinds.has(name)) throw new InputError(`${path}.resources.${name}`, name, `is not a resource of the system (known: ${[...this.kinds.keys()].join(', ')})`);
    }
    const known = new Set(this.partitionKeys());
    for (const [key, names] of Object.entries(config.partitions ?? {})) {
      if (!known.has(key)) throw new InputError(`${path}.partitions`, key, `is not a component/partition of the system (e.g. ${[...known][0]})`);
      for (const [field, name] of Object.entries(names)) {
        if (typeof name !== 'string' || !NAME.test(name)) throw new InputError(`${path}.partitions.${key}.${field}`, name, 'must be a Kubernetes object name (lowercase letters, digits, - and .)');
      }
    }
    this.all = this.listWorkloads();
  }

  /** The node selector that picks a resource's nodes. */
  selector(resource: string): Record<string, string> {
    return this.selectors.get(resource)!;
  }

  /** Every partition's workloads: its Deployment when some candidate is an edge node or VM, its Knative Service when some is FaaS. */
  workloads(): { component: string; partition: string; ref: WorkloadRef }[] {
    return this.all;
  }

  private listWorkloads(): { component: string; partition: string; ref: WorkloadRef }[] {
    const out: { component: string; partition: string; ref: WorkloadRef }[] = [];
    for (const c of this.system.components) {
      for (const d of c.deployments) {
        for (const p of d.partitions) {
          const kinds = new Set(p.candidates.map((x) => this.kinds.get(x.resource)));
          const names = this.config.partitions?.[`${c.name}/${p.name}`] ?? {};
          const base = defaultName(c.name, p.name);
          if (kinds.has('EDGE') || kinds.has('VM')) out.push({ component: c.name, partition: p.name, ref: { kind: 'Deployment', namespace: this.namespace, name: names.deployment ?? base } });
          if (kinds.has('FAAS')) out.push({ component: c.name, partition: p.name, ref: { kind: 'KnativeService', namespace: this.namespace, name: names.knativeService ?? base } });
        }
      }
    }
    return out;
  }

  /** The state each workload should be in for a decision: a partition in use runs where the decision says, every other one is idle. */
  desired(decision: PlacementDecision): WorkloadState[] {
    const where = new Map<string, string>();
    for (const a of decision.components) for (const p of a.partitions) where.set(`${a.component}/${p.partition}`, p.resource);
    const counts = new Map(decision.counts.map((c) => [c.resource, c.count]));
    return this.workloads().map(({ component, partition, ref }) => {
      const resource = where.get(`${component}/${partition}`);
      const faas = resource !== undefined && this.kinds.get(resource) === 'FAAS';
      const here = resource !== undefined && (ref.kind === 'KnativeService') === faas;
      const state: WorkloadState = { ref, component, partition, resource: here ? resource : undefined, nodeSelector: here ? this.selector(resource!) : undefined };
      if (ref.kind === 'Deployment') state.replicas = here ? counts.get(resource!) ?? 0 : 0;
      else state.active = here;
      return state;
    });
  }

  /**
   * The decision that runs, read from the workloads: per component the one deployment whose
   * partitions all run, each partition's resource by its node selector, each resource's count by
   * its Deployments' replicas. What no decision can say (no deployment or two running, a selector
   * that picks no candidate) is an error naming the workload.
   */
  running(live: LiveWorkload[]): { decision: PlacementDecision; notes: string[] } {
    const notes: string[] = [];
    const byKey = new Map<string, LiveWorkload[]>();
    for (const w of live) {
      const key = this.keyOf(w.ref);
      byKey.set(key, [...(byKey.get(key) ?? []), w]);
    }
    const replicas = new Map<string, number[]>();
    const decision: PlacementDecision = { components: [], counts: [] };
    for (const c of this.system.components) {
      const running = c.deployments.filter((d) => d.partitions.every((p) => (byKey.get(`${c.name}/${p.name}`) ?? []).some(isRunning)));
      if (running.length !== 1) {
        const seen = c.deployments.flatMap((d) => d.partitions.flatMap((p) => (byKey.get(`${c.name}/${p.name}`) ?? []).filter(isRunning).map((w) => refText(w.ref))));
        throw new Error(`component ${c.name}: ${running.length === 0 ? 'no deployment has all its partitions running' : `deployments ${running.map((d) => d.name).join(' and ')} both run`} (running: ${seen.join(', ') || 'none'})`);
      }
      const dep = running[0];
      const partitions = dep.partitions.map((p) => {
        const w = byKey.get(`${c.name}/${p.name}`)!.find(isRunning)!;
        const fits = p.candidates.map((x) => x.resource).filter((r) => (this.kinds.get(r) === 'FAAS') === (w.ref.kind === 'KnativeService') && matches(w.nodeSelector, this.selector(r)));
        if (fits.length === 0) throw new Error(`${refText(w.ref)}: node selector ${JSON.stringify(w.nodeSelector)} picks none of the resources of ${c.name}/${p.name} (${p.candidates.map((x) => x.resource).join(', ')})`);
        if (w.ref.kind === 'Deployment') replicas.set(fits[0], [...(replicas.get(fits[0]) ?? []), w.replicas]);
        return { partition: p.name, resource: fits[0] };
      });
      decision.components.push({ component: c.name, deployment: dep.name, partitions });
    }
    for (const [resource, rs] of replicas) {
      const count = Math.max(...rs);
      if (rs.some((r) => r !== count)) notes.push(`${resource}: its Deployments run ${rs.join(', ')} replicas; read as ${count} instances`);
      decision.counts.push({ resource, count });
    }
    return { decision, notes };
  }

  private keyOf(ref: WorkloadRef): string {
    const w = this.workloads().find((x) => x.ref.kind === ref.kind && x.ref.name === ref.name);
    return `${w!.component}/${w!.partition}`;
  }

  private partitionKeys(): string[] {
    return this.system.components.flatMap((c) => c.deployments.flatMap((d) => d.partitions.map((p) => `${c.name}/${p.name}`)));
  }
}

const isRunning = (w: LiveWorkload) => w.found && (w.ref.kind === 'Deployment' ? w.replicas > 0 : w.active);

/** Whether a live node selector holds every pair of a resource's selector. */
function matches(live: Record<string, string>, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([k, v]) => live[k] === v);
}

/** `<component>-<partition>`, lowercased, with what a Kubernetes name cannot hold turned into `-`. */
export function defaultName(component: string, partition: string): string {
  return `${component}-${partition}`.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '');
}

/** `Deployment default/c1-h1`. */
export function refText(ref: WorkloadRef): string {
  return `${ref.kind} ${ref.namespace}/${ref.name}`;
}
