import { space4aiSolution } from '../../adapters/space4ai/solution.js';
import { snakeCase, whole } from '../fields.js';
import { InputError } from '../input-error.js';
import { MAX_CANDIDATE_LIST, MAX_ELITE, MAX_KICK_MOVES } from '../limits.js';
import type { SearchRunner } from '../pool.js';
import type { Progress } from '../wasm/placement-solver.js';
import type { EngineParams, EngineStats, SearchMethod, StopReason } from '../wasm/search.js';
import { nameDecision, resolveDecision, type IndexDecision } from './decision.js';
import type { ExactMethod } from './exact/result.js';
import { decodeDecision, encodePlacement, type WarmStart } from './encode.js';
import { evaluatePlacement, type PlacementEvaluation } from './evaluate.js';
import type { PlacementDecision, PlacementSystem, Profile } from './model.js';
import { indexProblem, type IndexedProblem } from './problem.js';
import { newStopFlag, stopRequested } from '../stop-flag.js';
import type { SearchTask } from './search-task.js';

export const DEFAULT_SECONDS = 2;

export type PlacementMethod = SearchMethod | 'exact';
export const PLACEMENT_METHODS: PlacementMethod[] = ['auto', 'rg+ls', 'rg', 'ls', 'ts', 'sa', 'pr', 'exact'];

/** An exact solve that has no feasible placement to answer: none exists, or none was found in time. */
export class NoSolutionError extends Error {
  override name = 'NoSolutionError';
}

export interface SolvePlacementInput {
  system: PlacementSystem;
  lambda?: number;
  profile: Profile;
  method: PlacementMethod;
  seconds: number;
  /** 0 or absent: unlimited */
  iterations?: number;
  /** stop after this long without a new best (absent: never) */
  unimprovedSeconds?: number;
  /** stop once a feasible solution costs at most this */
  targetCost?: number;
  seed: number;
  engine?: EngineParams & { eliteSize?: number };
}

export interface PlacementSolution {
  decision: PlacementDecision;
  evaluation: PlacementEvaluation;
  stats: {
    method: PlacementMethod; seed: number; iterations: number; elapsedS: number; stopReason: StopReason | 'optimal'; engine: EngineStats;
    /** searches only: the worker's wasm memory pages and resident set at the end */
    memory?: { wasmPages: number; rssBytes: number };
    /** method exact only: which exact solver ran, and whether it proved the answer optimal */
    exact?: { solver: ExactMethod; provenOptimal: boolean };
  };
  /** the solution in the SPACE4AI layout */
  space4ai: Record<string, unknown>;
}

export interface PlacementProgress {
  phase: string;
  iteration: number;
  bestCost: number;
  feasible: boolean;
  infeasibility: number;
  elapsedS: number;
  /** the best decision so far */
  decision: PlacementDecision;
}

/** Checks the numeric parts of a solve request (the system itself is validated when parsed). */
export function checkSolveInput(input: SolvePlacementInput): void {
  if (input.lambda !== undefined && !(Number.isFinite(input.lambda) && input.lambda > 0)) {
    throw new InputError('lambda', input.lambda, 'must be a finite number > 0');
  }
  if (!(Number.isFinite(input.seconds) && input.seconds > 0)) throw new InputError('budget.seconds', input.seconds, 'must be > 0');
  if (input.iterations !== undefined && !(Number.isInteger(input.iterations) && input.iterations >= 0)) {
    throw new InputError('budget.iterations', input.iterations, 'must be an integer >= 0');
  }
  if (!(Number.isInteger(input.seed) && input.seed >= 0 && input.seed <= Number.MAX_SAFE_INTEGER)) {
    throw new InputError('seed', input.seed, `must be an integer in 0..${Number.MAX_SAFE_INTEGER}`);
  }
  if (input.unimprovedSeconds !== undefined && !(input.unimprovedSeconds > 0)) {
    throw new InputError('budget.unimproved_seconds', input.unimprovedSeconds, 'must be > 0');
  }
  if (input.targetCost !== undefined && !Number.isFinite(input.targetCost)) throw new InputError('budget.target_cost', input.targetCost, 'must be a finite number');
  checkEngine(input.engine ?? {});
}

/** The range of each whole-number engine parameter (limits.ts says why the bounded ones are bounded). */
const ENGINE_COUNTS: Partial<Record<keyof EngineParams | 'eliteSize', [number, number]>> = {
  eliteSize: [1, MAX_ELITE], greedyIterations: [1, 1e9], kickMoves: [2, MAX_KICK_MOVES], tabuTenure: [1, 1e9],
  candidateList: [1, MAX_CANDIDATE_LIST], saReheatAfter: [1, 1e9],
};

/** Engine parameters: counts whole and within their ranges, rates in range. */
function checkEngine(e: EngineParams & { eliteSize?: number }): void {
  for (const [k, [least, most]] of Object.entries(ENGINE_COUNTS)) {
    const v = e[k as keyof typeof e];
    if (v !== undefined) whole(v, `engine.${snakeCase(k)}`, least, most);
  }
  if (e.saStartTemperature !== undefined && !(e.saStartTemperature > 0 && Number.isFinite(e.saStartTemperature))) {
    throw new InputError('engine.sa_start_temperature', e.saStartTemperature, 'must be > 0');
  }
  if (e.saAlpha !== undefined && !(e.saAlpha > 0 && e.saAlpha < 1)) throw new InputError('engine.sa_alpha', e.saAlpha, 'must be in (0, 1)');
}


/**
 * Solves a placement: index, encode, search on the runner, decode, and evaluate the result with the
 * TypeScript evaluator. `stop` ends the search early; the best so far is still returned.
 */
export async function solvePlacement(input: SolvePlacementInput, runner: SearchRunner, hooks: PlacementHooks = {}): Promise<PlacementSolution> {
  checkSolveInput(input);
  const pb = indexProblem(input.system, input.profile, input.lambda);
  if (input.method === 'exact') return solveExactly(input, pb, runner, hooks.stop ?? newStopFlag());
  const { index, stats } = await searchPlacement(input, pb, runner, hooks);
  return answer(pb, index, stats);
}

/** Where a solve reports its progress, and the flag that stops it. */
export interface PlacementHooks { onProgress?: (p: PlacementProgress) => void; stop?: SharedArrayBuffer }

/** The heuristic search of a checked solve input on an indexed problem (with a warm start when re-optimizing). */
export async function searchPlacement(
  input: SolvePlacementInput, pb: IndexedProblem, runner: SearchRunner, hooks: PlacementHooks, warm?: WarmStart,
): Promise<{ index: IndexDecision; stats: PlacementSolution['stats'] }> {
  const task: SearchTask = {
    encoded: encodePlacement(pb, warm),
    options: {
      ...input.engine,
      method: input.method as SearchMethod,
      seed: input.seed,
      seconds: input.seconds,
      maxIterations: input.iterations ? input.iterations : undefined,
      maxUnimprovedSeconds: input.unimprovedSeconds,
      targetCost: input.targetCost,
    },
    stop: hooks.stop ?? newStopFlag(),
  };
  const onProgress = hooks.onProgress;
  const result = await runner.run(task, (p: Progress) => onProgress?.({
    phase: p.phase,
    iteration: p.iteration,
    bestCost: p.cost,
    feasible: p.infeasibility === 0,
    infeasibility: p.infeasibility,
    elapsedS: p.elapsedMs / 1000,
    decision: nameDecision(pb, decodeDecision(pb, p.best.dep, p.best.cand, p.best.cnt)),
  }));
  return {
    index: decodeDecision(pb, result.dep, result.cand, result.cnt),
    stats: { method: input.method, seed: input.seed, iterations: result.iterations, elapsedS: result.elapsedMs / 1000, stopReason: result.stopReason, engine: result.stats, memory: result.memory },
  };
}

const NO_ENGINE: EngineStats = {
  movesEvaluated: 0, restarts: 0, relinkPaths: 0, relinkImprovedBest: 0, relinkEnteredElite: 0, tabuAspirations: 0, saAcceptedWorse: 0, saReheats: 0,
};

/** Method exact: the MILP or enumeration on the runner, within the time budget; iterations count its nodes. */
async function solveExactly(input: SolvePlacementInput, pb: IndexedProblem, runner: SearchRunner, stop: SharedArrayBuffer): Promise<PlacementSolution> {
  // Enumeration starts from what auto finds in a tenth of the budget (at most a second), so that
  // an unfinished enumeration still answers well; the MILP ignores it.
  const warmSeconds = Math.min(1, input.seconds / 10);
  const warmStart: SearchTask = { encoded: encodePlacement(pb), options: { method: 'auto', seed: input.seed, seconds: warmSeconds }, stop };
  const result = await runner.runExact({ problem: pb, seconds: input.seconds, stop, warmStart });
  const stopped = stopRequested(stop);
  if (!result.decision) {
    throw new NoSolutionError(result.proven
      ? `no feasible placement exists (proven by ${result.method})`
      : `the exact search (${result.method}) found no feasible placement in ${input.seconds} s; give it more time or use method auto`);
  }
  return answer(pb, result.decision, {
    method: 'exact', seed: input.seed, iterations: result.nodes, elapsedS: result.elapsedS,
    stopReason: result.proven ? 'optimal' : stopped ? 'stopped' : 'time', engine: NO_ENGINE,
    exact: { solver: result.method, provenOptimal: result.proven },
  });
}

/** A solution from an index decision: named, evaluated by the TypeScript evaluator, and in the SPACE4AI layout. */
export function answer(pb: IndexedProblem, index: IndexDecision, stats: PlacementSolution['stats']): PlacementSolution {
  const decision = nameDecision(pb, index);
  const evaluation = evaluatePlacement(pb, index);
  return { decision, evaluation, stats, space4ai: space4aiSolution(pb, decision, evaluation) };
}

/** Indexed forms of a system per profile and load, so that evaluating many decisions against one system indexes it once. */
const indexedProblems = new WeakMap<PlacementSystem, Map<string, IndexedProblem>>();
const INDEXED_PER_SYSTEM = 8;

/** The system indexed for a profile and load, from the cache when the same system object was indexed so before (callers must not change it). */
function cachedProblem(system: PlacementSystem, profile: Profile, lambda: number | undefined): IndexedProblem {
  let bySystem = indexedProblems.get(system);
  if (!bySystem) indexedProblems.set(system, (bySystem = new Map()));
  const key = `${profile} ${lambda ?? system.lambda}`;
  const hit = bySystem.get(key);
  if (hit) {
    bySystem.delete(key);
    bySystem.set(key, hit);
    return hit;
  }
  const problem = indexProblem(system, profile, lambda);
  bySystem.set(key, problem);
  if (bySystem.size > INDEXED_PER_SYSTEM) bySystem.delete(bySystem.keys().next().value!);
  return problem;
}

/** Evaluates a named decision against a system. */
export function evaluateDecision(system: PlacementSystem, profile: Profile, decision: PlacementDecision, lambda?: number): { problem: IndexedProblem; evaluation: PlacementEvaluation } {
  if (lambda !== undefined && !(Number.isFinite(lambda) && lambda > 0)) throw new InputError('lambda', lambda, 'must be a finite number > 0');
  const problem = cachedProblem(system, profile, lambda);
  return { problem, evaluation: evaluatePlacement(problem, resolveDecision(problem, decision)) };
}
