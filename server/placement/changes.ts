import type { IndexDecision } from './decision.js';
import type { MigrationPrices } from './encode.js';
import type { PlacementDecision } from './model.js';
import type { IndexedProblem } from './problem.js';

export type ChangeKind = 'RESOURCE_OPENED' | 'INSTANCES_ADDED' | 'DEPLOYMENT_CHANGED' | 'PARTITION_MOVED' | 'INSTANCES_REMOVED' | 'RESOURCE_CLOSED';

/**
 * One step from the running decision to the new one. Steps come make-before-break: resources open
 * and grow, then components change deployment or move partitions, then resources shrink and close.
 */
export interface PlacementChange {
  kind: ChangeKind;
  /** stable name of what changes: `component/<c>`, `partition/<c>/<h>` or `resource/<r>` */
  id: string;
  component?: string;
  fromDeployment?: string;
  toDeployment?: string;
  /** DEPLOYMENT_CHANGED: where the new deployment's partitions run */
  partitions?: { partition: string; resource: string }[];
  partition?: string;
  fromResource?: string;
  toResource?: string;
  /** RESOURCE_* and INSTANCES_*: the edge/VM resource and its instance counts */
  resource?: string;
  fromCount?: number;
  toCount?: number;
}

const ORDER: ChangeKind[] = ['RESOURCE_OPENED', 'INSTANCES_ADDED', 'DEPLOYMENT_CHANGED', 'PARTITION_MOVED', 'INSTANCES_REMOVED', 'RESOURCE_CLOSED'];

/** Instances per edge/VM resource that the decision's active partitions use (0 for the others). */
export function countsInUse(pb: IndexedProblem, d: IndexDecision): number[] {
  const used = new Set(activePartitions(pb, d).map((p) => d.resource[p]));
  return pb.resources.map((r, i) => (r.kind !== 'FAAS' && used.has(i) ? d.count[i] : 0));
}

function activePartitions(pb: IndexedProblem, d: IndexDecision): number[] {
  return pb.components.flatMap((c, ci) => c.deployments[d.deployment[ci]].partitions);
}

/** The changes from one decision to another, in the order to enact them (components in topological order, resources as listed). */
export function listChanges(pb: IndexedProblem, from: IndexDecision, to: IndexDecision): PlacementChange[] {
  const out: PlacementChange[] = [];
  const resName = (r: number) => pb.resources[r].name;
  pb.components.forEach((comp, ci) => {
    const was = comp.deployments[from.deployment[ci]];
    const now = comp.deployments[to.deployment[ci]];
    if (was !== now) {
      out.push({
        kind: 'DEPLOYMENT_CHANGED', id: `component/${comp.name}`, component: comp.name, fromDeployment: was.name, toDeployment: now.name,
        partitions: now.partitions.map((p) => ({ partition: pb.partitions[p].name, resource: resName(to.resource[p]) })),
      });
      return;
    }
    for (const p of now.partitions) {
      if (from.resource[p] === to.resource[p]) continue;
      const partition = pb.partitions[p].name;
      out.push({
        kind: 'PARTITION_MOVED', id: `partition/${comp.name}/${partition}`, component: comp.name, fromDeployment: now.name, toDeployment: now.name,
        partition, fromResource: resName(from.resource[p]), toResource: resName(to.resource[p]),
      });
    }
  });
  const before = countsInUse(pb, from);
  const after = countsInUse(pb, to);
  pb.resources.forEach((r, i) => {
    if (before[i] === after[i]) return;
    const kind: ChangeKind = before[i] === 0 ? 'RESOURCE_OPENED' : after[i] === 0 ? 'RESOURCE_CLOSED' : after[i] > before[i] ? 'INSTANCES_ADDED' : 'INSTANCES_REMOVED';
    out.push({ kind, id: `resource/${r.name}`, resource: r.name, fromCount: before[i], toCount: after[i] });
  });
  // a stable sort keeps each kind's own order
  return out.sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
}

/** The price of going from one decision to another (the same terms the wasm search adds to its cost), given its changes if listed already. */
export function migrationCost(pb: IndexedProblem, from: IndexDecision, to: IndexDecision, prices: MigrationPrices, changes = listChanges(pb, from, to)): number {
  let cost = 0;
  for (const c of changes) {
    if (c.kind === 'DEPLOYMENT_CHANGED') cost += prices.deployment;
    else if (c.kind === 'PARTITION_MOVED') cost += prices.partition;
    else cost += Math.abs(c.toCount! - c.fromCount!) * prices.instance;
  }
  const before = countsInUse(pb, from);
  const after = countsInUse(pb, to);
  pb.layers.forEach((_, l) => {
    const inLayer = pb.resources.flatMap((r, i) => (r.layer === l && r.kind !== 'FAAS' ? [i] : []));
    const was = inLayer.filter((i) => before[i] > 0);
    const now = inLayer.filter((i) => after[i] > 0);
    const running = was[was.length - 1];
    if (running !== undefined && !now.includes(running)) cost += prices.layerType * now.length;
  });
  return cost;
}

/** Applies changes, in order, to a named decision: what an enactment does, for checking that they lead to the new decision. */
export function applyChanges(decision: PlacementDecision, changes: PlacementChange[]): PlacementDecision {
  const components = decision.components.map((a) => ({ ...a, partitions: a.partitions.map((p) => ({ ...p })) }));
  const counts = new Map(decision.counts.map((c) => [c.resource, c.count]));
  for (const ch of changes) {
    if (ch.kind === 'DEPLOYMENT_CHANGED' || ch.kind === 'PARTITION_MOVED') {
      const a = components.find((x) => x.component === ch.component);
      if (!a || a.deployment !== ch.fromDeployment) throw new Error(`${ch.id}: the decision does not run ${ch.component} as ${ch.fromDeployment}`);
      if (ch.kind === 'DEPLOYMENT_CHANGED') {
        a.deployment = ch.toDeployment!;
        a.partitions = ch.partitions!.map((p) => ({ ...p }));
      } else {
        const p = a.partitions.find((x) => x.partition === ch.partition);
        if (!p || p.resource !== ch.fromResource) throw new Error(`${ch.id}: the decision does not run it on ${ch.fromResource}`);
        p.resource = ch.toResource!;
      }
    } else {
      if ((counts.get(ch.resource!) ?? 0) !== ch.fromCount) throw new Error(`${ch.id}: the decision does not run ${ch.fromCount} instances`);
      if (ch.toCount === 0) counts.delete(ch.resource!);
      else counts.set(ch.resource!, ch.toCount!);
    }
  }
  return { components, counts: [...counts].map(([resource, count]) => ({ resource, count })) };
}
