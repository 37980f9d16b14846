import type { PlacementDecision, PlacementSystem } from '../server/placement/model.js';

/** What a re-optimization answer must respect, besides feasibility. */
export interface PolicyRules {
  policy: 'priced' | 'space4ai-r';
  pinned: string[];
  maxChanges?: number;
}

/** Instances of each edge/VM resource a decision's partitions run on. */
function inUse(system: PlacementSystem, d: PlacementDecision): Map<string, number> {
  const kind = new Map(system.resources.map((r) => [r.name, r.kind]));
  const given = new Map(d.counts.map((c) => [c.resource, c.count]));
  const out = new Map<string, number>();
  for (const a of d.components) for (const p of a.partitions) if (kind.get(p.resource) !== 'FAAS') out.set(p.resource, given.get(p.resource) ?? 0);
  return out;
}

/**
 * Every rule an answer breaks, checked from the named decisions alone (apart from the code that
 * enforces them): space4ai-r's edge devices and counts and VM types, pinned components, the cap on
 * changes (deployments changed, partitions moved within a deployment, resources whose instances changed).
 */
export function policyBreaches(system: PlacementSystem, current: PlacementDecision, answer: PlacementDecision, rules: PolicyRules): string[] {
  const out: string[] = [];
  const res = new Map(system.resources.map((r) => [r.name, r]));
  const before = inUse(system, current);
  const after = inUse(system, answer);
  if (rules.policy === 'space4ai-r') {
    const runningVm = new Map<string, Set<string>>();
    for (const r of before.keys()) if (res.get(r)!.kind === 'VM') runningVm.set(res.get(r)!.layer, new Set([...(runningVm.get(res.get(r)!.layer) ?? []), r]));
    for (const [r, n] of after) {
      const { kind, layer } = res.get(r)!;
      if (kind === 'EDGE' && !before.has(r)) out.push(`edge device ${r} is not in use now`);
      if (kind === 'EDGE' && before.has(r) && n > before.get(r)!) out.push(`edge device ${r} runs ${n} instances, ${before.get(r)} now`);
      if (kind === 'VM' && runningVm.has(layer) && !runningVm.get(layer)!.has(r)) out.push(`layer ${layer} runs ${r} instead of ${[...runningVm.get(layer)!].join(', ')}`);
    }
  }
  const was = new Map(current.components.map((a) => [a.component, a]));
  let changes = 0;
  for (const a of answer.components) {
    const b = was.get(a.component)!;
    const moved = a.deployment !== b.deployment ? 1 : a.partitions.filter((p) => b.partitions.find((q) => q.partition === p.partition)!.resource !== p.resource).length;
    if (rules.pinned.includes(a.component) && moved > 0) out.push(`pinned component ${a.component} changed`);
    changes += a.deployment !== b.deployment ? 1 : moved;
  }
  for (const r of new Set([...before.keys(), ...after.keys()])) if ((before.get(r) ?? 0) !== (after.get(r) ?? 0)) changes++;
  if (rules.maxChanges !== undefined && changes > rules.maxChanges) out.push(`${changes} changes, at most ${rules.maxChanges} allowed`);
  return out;
}
