import { InputError } from './input-error.js';

// Field readers for request validation: each returns the value or throws InputError naming the field path.

/** A lowerCamel field name in the `.proto` spelling (`windowLoads` -> `window_loads`). */
export const snakeCase = (camel: string) => camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A plain JSON object. */
export type Obj = Record<string, unknown>;

/** A table's entry for a key from a request: its own property only (a key such as constructor or __proto__ finds nothing). */
export function own<V>(table: Record<string, V>, key: unknown): V | undefined {
  return typeof key === 'string' && Object.hasOwn(table, key) ? table[key] : undefined;
}

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

/** The largest magnitude a number in a request may have: products of a few such numbers (rate x demand x time x cost) stay finite. */
export const MAX_MAGNITUDE = 1e15;

/** A finite number of magnitude at most MAX_MAGNITUDE. */
export function num(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(path, v, 'must be a finite number');
  if (Math.abs(v) > MAX_MAGNITUDE) throw new InputError(path, v, `must be at most ${MAX_MAGNITUDE} in magnitude`);
  return v;
}

/** A whole number in [least, most]. */
export function whole(v: unknown, path: string, least: number, most: number): number {
  if (!Number.isInteger(v) || (v as number) < least || (v as number) > most) {
    throw new InputError(path, v, most === Infinity ? `must be a whole number >= ${least}` : `must be a whole number from ${least} to ${most}`);
  }
  return v as number;
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
  return renamingPaths((path) => `${prefix}.${path}`, read);
}

/** Runs a reader (sync, or returning a promise); an InputError it throws or rejects with comes out at `rename(path)`, its value and rule the same. */
export function renamingPaths<T>(rename: (path: string) => string, read: () => T): T {
  return mappingErrors((e) => (e instanceof InputError ? new InputError(rename(e.path), e.value, e.rule) : e), read);
}

/** Runs `read` (sync, or returning a promise); what it throws or rejects with is `map`ped first. */
export function mappingErrors<T>(map: (err: unknown) => unknown, read: () => T): T {
  try {
    const out = read();
    return (out instanceof Promise ? out.catch((e) => { throw map(e); }) : out) as T;
  } catch (e) {
    throw map(e);
  }
}

/** A proto3 scalar whose zero means "take the default": undefined for 0 or absent, else the value as sent (NaN included, for its check to refuse). */
export function unlessZero<T>(v: T): T | undefined {
  return v === 0 || v === undefined || v === null ? undefined : v;
}
