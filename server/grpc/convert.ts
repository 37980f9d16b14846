import { parseSpace4aiSolution } from '../../adapters/space4ai/solution.js';
import { parseSpace4aiSystem } from '../../adapters/space4ai/system.js';
import { own, snakeCase, unlessZero } from '../fields.js';
import { InputError } from '../input-error.js';
import type { PlacementDecision, PlacementSystem, Profile } from '../placement/model.js';
import { DEFAULT_SECONDS, type PlacementMethod, type PlacementProgress, type PlacementSolution, type SolvePlacementInput } from '../placement/service.js';
import type { EngineParams } from '../wasm/search.js';
import { validateSystem } from '../placement/validate.js';

type Msg = Record<string, any>;

const PROFILE: Record<string, Profile> = {
  COMPAT_UNSPECIFIED: 'copt', COMPAT_COPT: 'copt', COMPAT_SPACE4AI_D: 'space4ai-d', COMPAT_SPACE4AI_R: 'space4ai-r',
};
const METHOD: Record<string, PlacementMethod> = {
  PLACEMENT_METHOD_UNSPECIFIED: 'auto', RG: 'rg', LS: 'ls', RG_LS: 'rg+ls', TS: 'ts', SA: 'sa', PR: 'pr', AUTO: 'auto', EXACT: 'exact',
};
const COOLING: Record<string, EngineParams['saCooling']> = { SA_COOLING_UNSPECIFIED: undefined, SA_COOLING_GEOMETRIC: 'geometric', SA_COOLING_LINEAR: 'linear' };
const RELINK: Record<string, EngineParams['prDirection']> = {
  RELINK_DIRECTION_UNSPECIFIED: undefined, RELINK_FORWARD: 'forward', RELINK_BACKWARD: 'backward', RELINK_MIXED: 'mixed',
};

function engineOf(e: Msg | undefined): SolvePlacementInput['engine'] {
  if (!e) return undefined;
  const out: Msg = {};
  for (const k of ['eliteSize', 'greedyIterations', 'kickMoves', 'tabuTenure', 'candidateList', 'saStartTemperature', 'saAlpha', 'saReheatAfter']) {
    const v = optionalNumber(e, k);
    if (v !== undefined) out[k] = v;
  }
  if (e.saCooling !== undefined && !Object.hasOwn(COOLING, e.saCooling)) throw new InputError('engine.sa_cooling', e.saCooling, `must be one of ${Object.keys(COOLING).join(', ')}`);
  if (e.relinkDirection !== undefined && !Object.hasOwn(RELINK, e.relinkDirection)) throw new InputError('engine.relink_direction', e.relinkDirection, `must be one of ${Object.keys(RELINK).join(', ')}`);
  const cooling = own(COOLING, e.saCooling);
  const relink = own(RELINK, e.relinkDirection);
  if (cooling) out.saCooling = cooling;
  if (relink) out.prDirection = relink;
  return out;
}

/** The system of a request with a system_source: native (validated) or SPACE4AI JSON. */
export function systemOf(req: Msg): PlacementSystem {
  if (req.systemSource === 'space4aiJson') return parsedSystem(req.space4aiJson);
  if (req.systemSource === 'system') {
    const s = req.system;
    // proto3 cannot tell an absent local limit from 0 without presence; the loader marks presence.
    for (const c of s.components ?? []) if (c.localResTime === null || c._localResTime === undefined) delete c.localResTime;
    return validateSystem(s);
  }
  throw new InputError('system_source', undefined, 'must give system or space4ai_json');
}

/** Parsed systems kept, by their JSON text: at most this many, and texts of at most this many characters in all. */
const SYSTEM_CACHE = { entries: 32, chars: 32 * 2 ** 20 };
const parsedSystems = new Map<string, PlacementSystem>();
let cachedChars = 0;

/**
 * A SPACE4AI system text parsed and validated, from the cache when the same text came before: an
 * orchestrator sends one system with many decisions, and parsing is about half of an evaluation's
 * time. Least recently used texts go first; a cached system is frozen, so that no reader can change
 * what the next call gets. Texts that fail are not kept.
 */
export function parsedSystem(text: string): PlacementSystem {
  const hit = parsedSystems.get(text);
  if (hit) {
    parsedSystems.delete(text);
    parsedSystems.set(text, hit);
    return hit;
  }
  const system = deepFreeze(parseSpace4aiSystem(text));
  if (typeof text === 'string' && text.length <= SYSTEM_CACHE.chars) {
    parsedSystems.set(text, system);
    cachedChars += text.length;
    for (const [old] of parsedSystems) {
      if (parsedSystems.size <= SYSTEM_CACHE.entries && cachedChars <= SYSTEM_CACHE.chars) break;
      parsedSystems.delete(old);
      cachedChars -= old.length;
    }
  }
  return system;
}

function deepFreeze<T>(value: T): T {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || Object.isFrozen(v)) continue;
    Object.freeze(v);
    for (const child of Object.values(v)) stack.push(child);
  }
  return value;
}

/** An `optional` scalar field: its value when present. */
export function optionalNumber(req: Msg, field: string): number | undefined {
  return req[`_${field}`] === field ? req[field] : undefined;
}

/** The request's compat as a profile. */
export function profileOf(req: Msg): Profile {
  const p = own(PROFILE, req.compat);
  if (!p) throw new InputError('compat', req.compat, 'must be COMPAT_COPT, COMPAT_SPACE4AI_D or COMPAT_SPACE4AI_R');
  return p;
}

/** A SolvePlacementRequest as service input; throws InputError naming the bad field. */
export function solveInputOf(req: Msg): SolvePlacementInput {
  const method = own(METHOD, req.method);
  if (!method) throw new InputError('method', req.method, `must be one of ${Object.keys(METHOD).slice(1).join(', ')}`);
  const budget = req.budget ?? {};
  return {
    system: systemOf(req),
    lambda: optionalNumber(req, 'lambda'),
    profile: profileOf(req),
    method,
    seconds: unlessZero(budget.seconds) ?? DEFAULT_SECONDS,
    iterations: unlessZero(budget.iterations),
    unimprovedSeconds: unlessZero(budget.unimprovedSeconds),
    targetCost: optionalNumber(budget, 'targetCost'),
    seed: req.seed ?? 0,
    engine: engineOf(req.engine),
  };
}

/** An EvaluatePlacementRequest's parts (a MaxSustainableLoadRequest has the same). */
export function evaluateInputOf(req: Msg): { system: PlacementSystem; profile: Profile; decision: PlacementDecision; lambda?: number } {
  const system = systemOf(req);
  const decision = decisionOf(req, 'solutionSource', 'decision', 'space4aiSolutionJson');
  return { system, profile: profileOf(req), decision, lambda: optionalNumber(req, 'lambda') };
}

/** A decision given natively or as a SPACE4AI solution JSON text, by the fields of a oneof. */
export function decisionOf(req: Msg, oneof: string, native: string, json: string): PlacementDecision {
  if (req[oneof] === native) return req[native];
  if (req[oneof] === json) return parseSpace4aiSolution(req[json]);
  throw new InputError(snakeCase(oneof), undefined, `must give ${snakeCase(native)} or ${snakeCase(json)}`);
}

export function solutionMessage(s: PlacementSolution): Msg {
  return {
    decision: s.decision,
    evaluation: s.evaluation,
    stats: { ...s.stats, provenOptimal: s.stats.exact?.provenOptimal ?? false, exactSolver: s.stats.exact?.solver ?? '' },
    space4aiSolutionJson: JSON.stringify(s.space4ai),
  };
}

export function progressMessage(p: PlacementProgress): Msg {
  return { phase: p.phase, iteration: p.iteration, bestCost: p.bestCost, feasible: p.feasible, infeasibility: p.infeasibility, elapsedS: p.elapsedS, best: p.decision };
}
