import { InputError } from '../../server/input-error.js';
import { parseJsonText } from './json.js';
import type { Candidate, Component, Deployment, PlacementSystem, Resource, ResourceKind } from '../../server/placement/model.js';
import { validateSystem } from '../../server/placement/validate.js';

type Obj = Record<string, unknown>;

const QUEUEING_MODELS = new Set(['QTedge', 'QTcloud', 'QT']);
const FAAS_MODELS = new Set(['PACSLTK', 'PACSLTKSTATIC']);

/** Reads a SPACE4AI system-description JSON text into a validated native placement system. */
export function parseSpace4aiSystem(text: string): PlacementSystem {
  const json = parseJsonText(text, 'system description');
  return validateSystem(space4aiToNative(object(json, '(system description)')));
}

function object(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InputError(path, v, 'must be an object');
  return v as Obj;
}

function entries(v: unknown, path: string): [string, Obj][] {
  if (v === undefined) return [];
  return Object.entries(object(v, path)).filter((e): e is [string, Obj] => typeof e[1] === 'object' && e[1] !== null && !Array.isArray(e[1]));
}

function space4aiToNative(d: Obj): unknown {
  const resources: Resource[] = [];
  const layerSets: [string, ResourceKind][] = [['EdgeResources', 'EDGE'], ['CloudResources', 'VM'], ['FaaSResources', 'FAAS']];
  for (const [key, kind] of layerSets) {
    for (const [layer, rs] of entries(d[key], key)) {
      for (const [name, r] of entries(rs, `${key}.${layer}`)) {
        resources.push({
          name, kind, layer,
          cost: r.cost as number,
          memory: r.memory as number,
          number: (r.number ?? 1) as number,
          idleTimeBeforeKill: r.idle_time_before_kill as number,
          description: typeof r.description === 'string' ? r.description : '',
        });
      }
    }
  }
  const compat = object(d.CompatibilityMatrix ?? {}, 'CompatibilityMatrix');
  const perf = object(d.Performance ?? {}, 'Performance');
  const local = object(d.LocalConstraints ?? {}, 'LocalConstraints');
  const components: Component[] = entries(d.Components, 'Components').map(([c, deps]) => {
    const limit = local[c] === undefined ? undefined : object(local[c], `LocalConstraints.${c}`).local_res_time;
    return {
      name: c,
      deployments: entries(deps, `Components.${c}`).map(([s, parts]) => deployment(c, s, parts, compat, perf)),
      ...(limit === undefined ? {} : { localResTime: limit as number }),
    };
  });
  const edges = entries(d.DirectedAcyclicGraph, 'DirectedAcyclicGraph').flatMap(([from, e]) => {
    const next = (e.next ?? []) as unknown[];
    const probs = (e.transition_probability ?? []) as unknown[];
    if (!Array.isArray(next) || !Array.isArray(probs) || probs.length !== next.length) {
      throw new InputError(`DirectedAcyclicGraph.${from}.transition_probability`, probs, 'must give one probability for each entry of next');
    }
    return next.map((to, i) => ({ from, to, probability: probs[i] }));
  });
  return {
    lambda: d.Lambda,
    time: d.Time ?? 1,
    components,
    edges,
    resources,
    networkDomains: entries(d.NetworkTechnology, 'NetworkTechnology').map(([name, n]) => ({
      name, layers: n.computationallayers, accessDelay: n.AccessDelay, bandwidth: n.Bandwidth,
    })),
    globalConstraints: entries(d.GlobalConstraints, 'GlobalConstraints').map(([name, g]) => ({
      name, components: g.components, globalResTime: g.global_res_time,
    })),
  };
}

function deployment(c: string, s: string, parts: Obj, compat: Obj, perf: Obj): Deployment {
  const path = `Components.${c}.${s}`;
  const byName = new Map(entries(parts, path));
  const named = new Set<string>();
  for (const p of byName.values()) for (const n of (Array.isArray(p.next) ? p.next : [])) named.add(n as string);
  const heads = [...byName.keys()].filter((h) => !named.has(h));
  if (heads.length !== 1) throw new InputError(path, [...byName.keys()], 'partitions must form one chain (exactly one partition that no other names in next)');
  const chain: string[] = [];
  for (let h: string | undefined = heads[0]; h !== undefined && byName.has(h); ) {
    if (chain.includes(h)) throw new InputError(`${path}.${h}.next`, byName.get(h)!.next, 'partitions form a cycle');
    chain.push(h);
    const next: unknown = byName.get(h)!.next;
    h = Array.isArray(next) && byName.has(next[0] as string) ? (next[0] as string) : undefined;
  }
  if (chain.length !== byName.size) throw new InputError(path, [...byName.keys()], `partitions must form one chain; reached only ${chain.join(' -> ')}`);
  return {
    name: s,
    partitions: chain.map((h) => {
      const p = byName.get(h)!;
      return {
        name: h,
        next: p.next as string[],
        dataSize: (p.data_size ?? []) as number[],
        earlyExitProbability: (p.early_exit_probability ?? 0) as number,
        candidates: candidates(c, h, compat, perf),
      };
    }),
  };
}

function candidates(c: string, h: string, compat: Obj, perf: Obj): Candidate[] {
  const list = compat[c] === undefined ? undefined : object(compat[c], `CompatibilityMatrix.${c}`)[h];
  if (!Array.isArray(list)) throw new InputError(`CompatibilityMatrix.${c}.${h}`, list, 'must list the resources partition may run on');
  return list.map((entry, i) => {
    const e = object(entry, `CompatibilityMatrix.${c}.${h}[${i}]`);
    const r = e.resource as string;
    const path = `Performance.${c}.${h}.${r}`;
    const p = object(object(object(perf[c] ?? {}, `Performance.${c}`)[h] ?? {}, `Performance.${c}.${h}`)[r], path);
    const model = p.model as string;
    if (QUEUEING_MODELS.has(model)) return { resource: r, memory: e.memory as number, queueing: { demand: p.demand as number } };
    if (FAAS_MODELS.has(model)) return { resource: r, memory: e.memory as number, faas: { warm: p.demandWarm as number, cold: p.demandCold as number } };
    if (typeof p.regressor_file === 'string') {
      throw new InputError(`${path}.regressor_file`, p.regressor_file,
        `component ${c}, partition ${h}, resource ${r}: performance model ${model} needs a pickled Python regressor, which cannot be loaded here; give a demand (model QTedge/QTcloud) or warm/cold times (PACSLTK) instead`);
    }
    throw new InputError(`${path}.model`, model, 'must be QTedge, QTcloud or PACSLTK');
  });
}
