import { InputError } from './input-error.js';

// Field readers for request validation: each returns the value or throws InputError naming the field path.

/** A plain JSON object. */
export type Obj = Record<string, unknown>;

/** An object, else InputError at path. */
export function object(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InputError(path, v, 'must be an object');
  return v as Obj;
}

/** A list (absent means empty), else InputError at path. */
export function list(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new InputError(path, v, 'must be a list');
  return v;
}

/** A non-empty string. */
export function str(v: unknown, path: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new InputError(path, v, 'must be a non-empty string');
  return v;
}

/** A finite number. */
export function num(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(path, v, 'must be a finite number');
  return v;
}

/** A finite number > 0. */
export function positive(v: unknown, path: string): number {
  const x = num(v, path);
  if (!(x > 0)) throw new InputError(path, v, 'must be > 0');
  return x;
}

/** A finite number >= 0. */
export function nonNegative(v: unknown, path: string): number {
  const x = num(v, path);
  if (x < 0) throw new InputError(path, v, 'must be >= 0');
  return x;
}

/** Names used once each; else InputError naming the repeated one. */
export function unique(names: string[], path: string, field: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new InputError(`${path}.${n}.${field}`, n, 'is used twice; names must be unique');
    seen.add(n);
  }
}

/** Runs a reader of a nested message; an InputError it throws gets the message's path in front of its field. */
export function within<T>(prefix: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof InputError) throw new InputError(`${prefix}.${e.path}`, e.value, e.rule);
    throw e;
  }
}
