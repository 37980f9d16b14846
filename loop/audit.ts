import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AppState } from './decide.js';

/** The audit log: one JSON line per cycle and application, appended; the loop's memory across restarts. */

export interface AuditLine {
  time: string;
  /** the application's or the replica service's name */
  app: string;
  /** a replica service's line; absent: an application's */
  kind?: 'replicas';
  cycle: number;
  mode: string;
  /** what the cycle read (load, response times, the running decision, its maximum load) or why it could not */
  inputs: Record<string, unknown>;
  trigger?: string;
  reason: string;
  /** the re-optimization's answer, when one was asked for */
  decision?: Record<string, unknown>;
  /** the plan's changes and the writes they made */
  changes?: unknown[];
  writes?: unknown[];
  planId?: string;
  /** no-data, error, steady, cooldown, paused, keep, enacted, unchanged, dry-run, awaiting-approval, refused, undone, undo-incomplete */
  outcome: string;
  error?: string;
  notes?: string[];
  timings: Record<string, number>;
  /** an application's trigger state after the cycle */
  state?: AppState;
}

/** Appends one line (creating the folder); a line is written whole or, on a crash, cut at its end. */
export function appendAudit(file: string, line: AuditLine): void {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(line)}\n`);
}

/** Each name's last recorded cycle number and (an application's) state, from the log's valid lines (a torn last line is skipped). */
export function restoreState(file: string): Map<string, { state?: AppState; cycle: number }> {
  const out = new Map<string, { state?: AppState; cycle: number }>();
  if (!existsSync(file)) return out;
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    if (!text.trim()) continue;
    try {
      const line = JSON.parse(text) as AuditLine;
      if (typeof line.app !== 'string') continue;
      const state = line.state && typeof line.state.violationStreak === 'number' ? line.state : undefined;
      out.set(line.app, { ...(state ? { state } : {}), cycle: line.cycle ?? 0 });
    } catch {
      // a line cut short by a crash: the ones before it stand
    }
  }
  return out;
}
