import type { PlacementSystem } from '../server/placement/model.js';
import type { ApplicationConfig } from './config.js';

/** Whether a cycle acts, from what it measured and what the loop remembers: the loop's one decision. */

export type Trigger = 'slo' | 'near-max' | 'load-change' | 'period';

/** What the loop remembers of an application between cycles (and across restarts, through the audit log). */
export interface AppState {
  /** checks in a row with an SLO violated */
  violationStreak: number;
  /** the load and time (ms) of the last plan made (kept or enacted) */
  lastPlanLambda?: number;
  lastPlanAt?: number;
  /** when a plan was last enacted (ms), for the cooldown */
  lastEnactAt?: number;
}

export interface Measured {
  lambda: number;
  /** the running placement's maximum sustainable load (Infinity when unbounded) */
  maxLambda: number;
  /** each SLO violated now, as text */
  violations: string[];
}

export interface Verdict {
  act: boolean;
  trigger?: Trigger;
  reason: string;
  /** the load to plan for: the measured one over the load fraction, so the new placement has headroom */
  planLoad: number;
  state: AppState;
}

/** The SLOs a measurement violates: each component's local limit and each path's global one. */
export function violations(system: PlacementSystem, times: { components: Record<string, number>; paths: Record<string, number> }): string[] {
  const out: string[] = [];
  for (const c of system.components) {
    const t = times.components[c.name];
    if (c.localResTime !== undefined && t !== undefined && t > c.localResTime) out.push(`${c.name} ${fmt(t)} s > ${fmt(c.localResTime)} s`);
  }
  for (const g of system.globalConstraints) {
    const t = times.paths[g.name];
    if (t !== undefined && t > g.globalResTime) out.push(`path ${g.name} ${fmt(t)} s > ${fmt(g.globalResTime)} s`);
  }
  return out;
}

/**
 * Acts on the first trigger that holds: an SLO violated for `violationChecks` checks in a row, the
 * load above `loadFraction` of the maximum sustainable load, the load moved by `loadChange` since
 * the last plan, or `periodS` since it. The last two are optional migrations: none within the
 * cooldown of the last enactment. The first cycle only takes its load as the reference.
 */
export function decide(app: ApplicationConfig, before: AppState, m: Measured, nowMs: number): Verdict {
  const t = app.triggers;
  const state: AppState = { ...before, violationStreak: m.violations.length ? before.violationStreak + 1 : 0 };
  const planLoad = m.lambda / t.loadFraction;
  // no requests: no placement to plan for (a load of zero is a reading, not a target)
  if (!(m.lambda > 0)) return { act: false, reason: `load ${fmt(m.lambda)}: nothing to plan for`, planLoad, state };
  if (state.lastPlanLambda === undefined || state.lastPlanAt === undefined) {
    state.lastPlanLambda = m.lambda;
    state.lastPlanAt = nowMs;
  }
  let trigger: Trigger | undefined;
  let reason: string;
  const change = Math.abs(m.lambda - state.lastPlanLambda) / Math.max(state.lastPlanLambda, 1e-12);
  if (state.violationStreak >= t.violationChecks) {
    trigger = 'slo';
    reason = `SLO violated ${state.violationStreak} checks in a row (${m.violations.join('; ')})`;
  } else if (m.lambda > t.loadFraction * m.maxLambda) {
    trigger = 'near-max';
    reason = `load ${fmt(m.lambda)} above ${t.loadFraction} of the placement's maximum ${fmt(m.maxLambda)}`;
  } else if (change > t.loadChange) {
    trigger = 'load-change';
    reason = `load ${fmt(m.lambda)} moved ${Math.round(change * 100)}% since the last plan (${fmt(state.lastPlanLambda)})`;
  } else if (nowMs - state.lastPlanAt >= t.periodS * 1000) {
    trigger = 'period';
    reason = `${Math.round((nowMs - state.lastPlanAt) / 1000)} s since the last plan (period ${t.periodS} s)`;
  } else {
    reason = m.violations.length
      ? `SLO violated ${state.violationStreak} of ${t.violationChecks} checks in a row (${m.violations.join('; ')})`
      : `load ${fmt(m.lambda)}, ${fmt(m.lambda / m.maxLambda * 100)}% of the placement's maximum; SLOs met`;
    return { act: false, reason, planLoad, state };
  }
  const optional = trigger === 'load-change' || trigger === 'period';
  const sinceEnact = state.lastEnactAt === undefined ? Infinity : (nowMs - state.lastEnactAt) / 1000;
  if (optional && sinceEnact < app.cooldownS) {
    return { act: false, trigger, reason: `${reason}; in cooldown (${Math.ceil(app.cooldownS - sinceEnact)} s left of ${app.cooldownS} s)`, planLoad, state };
  }
  return { act: true, trigger, reason, planLoad, state };
}

/** A number with four significant digits. */
export function fmt(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(4))) : String(x);
}
