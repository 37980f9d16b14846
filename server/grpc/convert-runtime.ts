import { own, unlessZero } from '../fields.js';
import { InputError } from '../input-error.js';
import { DEFAULT_TOLERANCE, type MaxLoad, type MaxLoadInput } from '../placement/max-load.js';
import type { MigrationPolicy, ReoptimizeInput, Reoptimization } from '../placement/reoptimize.js';
import { decisionOf, evaluateInputOf, optionalNumber, solutionMessage, solveInputOf } from './convert.js';

type Msg = Record<string, any>;

const POLICY: Record<string, MigrationPolicy> = { MIGRATION_POLICY_UNSPECIFIED: 'priced', PRICED: 'priced', SPACE4AI_R: 'space4ai-r' };

/** A ReoptimizePlacementRequest as service input; throws InputError naming the bad field. */
export function reoptimizeInputOf(req: Msg): ReoptimizeInput {
  const policy = own(POLICY, req.policy);
  if (!policy) throw new InputError('policy', req.policy, 'must be PRICED or SPACE4AI_R');
  if (!(typeof req.lambda === 'number' && Number.isFinite(req.lambda) && req.lambda > 0)) throw new InputError('lambda', req.lambda, 'must be the new load, a finite number > 0');
  const prices = req.prices ?? {};
  return {
    ...solveInputOf(req),
    lambda: req.lambda,
    current: decisionOf(req, 'currentSource', 'current', 'currentSpace4aiJson'),
    policy,
    prices: { deployment: prices.deployment ?? 0, partition: prices.partition ?? 0, layerType: prices.layerType ?? 0, instance: prices.instance ?? 0 },
    maxChanges: optionalNumber(req, 'maxChanges'),
    pinned: req.pinned ?? [],
  };
}

/** A re-optimization as its proto message. */
export function reoptimizationMessage(r: Reoptimization): Msg {
  return {
    solution: solutionMessage(r.solution),
    verdict: r.verdict,
    changes: r.changes,
    migrationCost: r.migrationCost,
    costBefore: r.costBefore,
    costAfter: r.costAfter,
    current: r.current,
  };
}

/** A MaxSustainableLoadRequest as service input. */
export function maxLoadInputOf(req: Msg): MaxLoadInput {
  return { ...evaluateInputOf(req), atMaxCounts: req.atMaxCounts === true, tolerance: unlessZero(req.tolerance) ?? DEFAULT_TOLERANCE };
}

/** A maximum sustainable load as its proto message. */
export function sustainableLoadMessage(m: MaxLoad): Msg {
  return { ...m, binding: m.binding ?? null };
}
