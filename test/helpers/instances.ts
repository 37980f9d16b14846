import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSpace4aiSystem } from '../../adapters/space4ai/system.js';
import { indexProblem } from '../../server/placement/problem.js';
import type { Profile } from '../../server/placement/model.js';

export const DATA = join(import.meta.dirname, '..', '..', 'instances', 'space4ai');

/** The 80 GeneralWorkflows instance files. */
export function instanceFiles(): string[] {
  const root = join(DATA, 'instances');
  return readdirSync(root).flatMap((set) => readdirSync(join(root, set)).flatMap((size) =>
    readdirSync(join(root, set, size)).map((f) => join(root, set, size, f))));
}

/** The folders holding a reference solution at lambda 1.8 and the system it belongs to. */
export function referenceDirs(): string[] {
  const root = join(DATA, 'reference-solutions');
  return readdirSync(root).flatMap((set) => readdirSync(join(root, set)).flatMap((size) =>
    readdirSync(join(root, set, size)).map((ins) => join(root, set, size, ins))));
}

export function loadProblem(file: string, profile: Profile = 'copt', lambda?: number) {
  return indexProblem(parseSpace4aiSystem(readFileSync(file, 'utf8')), profile, lambda);
}
