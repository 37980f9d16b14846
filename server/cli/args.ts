import { accessSync, constants, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { mappingErrors, MAX_MAGNITUDE } from '../fields.js';
import { InputError } from '../input-error.js';
import type { Profile } from '../placement/model.js';
import type { PlacementMethod } from '../placement/service.js';
import { readProtoJson } from '../proto-json.js';

/** The exit codes: done; no solution to answer (as an exact solve can end); bad input or usage. */
export const EXIT = { ok: 0, noSolution: 1, usage: 2 } as const;

/** A failure to report as one line and exit code 2. */
export class UsageError extends Error {}

/**
 * One command: its usage, shown by `copt COMMAND --help`, after a mistake in its options and in the
 * top-level usage, and its handler, which returns the exit code. Each family's module exports a
 * table of these by command name; main.ts joins the tables.
 */
export interface Command {
  usage: string;
  run(args: string[]): number | Promise<number>;
}

/** The command being run, named in hints. */
let current = '';

/** Names the command being run, for the hints of its errors. */
export function running(name: string): void {
  current = name;
}

/** The hint closing a usage error: where the running command's options are listed. */
export function helpHint(): string {
  return `see copt ${current} --help`;
}

export const PROFILES: Profile[] = ['copt', 'space4ai-d', 'space4ai-r'];

/** The options every placement command takes: the load and the reading of the model. */
export const PLACEMENT_FLAGS = {
  lambda: { type: 'string' },
  compat: { type: 'string' },
} as const;

/** The --lambda flag: a load > 0. */
export function lambdaFlag(value: string | undefined): number | undefined {
  return number(value, 'lambda', (x) => x > 0 && x <= MAX_MAGNITUDE, `must be > 0 and at most ${MAX_MAGNITUDE}`);
}

/** The --compat flag: a profile, copt when not given. */
export function profileFlag(value: string | undefined): Profile {
  return choice(value, 'compat', PROFILES, 'copt');
}

/** The --seed flag: a whole number, 1 when not given. */
export function seedFlag(value: string | undefined): number {
  return number(value, 'seed', (x) => Number.isSafeInteger(x) && x >= 0, 'must be a whole number >= 0') ?? 1;
}

/** The placement method names of the gRPC enums (solve over a server, shared replica plans). */
export const METHOD_ENUM: Record<PlacementMethod, string> = { rg: 'RG', ls: 'LS', 'rg+ls': 'RG_LS', ts: 'TS', sa: 'SA', pr: 'PR', auto: 'AUTO', exact: 'EXACT' };

/** Parses a command's arguments strictly against `spec`, with exactly `positionals` file arguments; mistakes are UsageErrors. */
export function options<S extends Record<string, { type: 'string' | 'boolean' }>>(args: string[], spec: S, positionals: number) {
  const hint = helpHint();
  let parsed;
  try {
    parsed = parseArgs({ args: negativeValues(args, spec), options: spec, allowPositionals: true, strict: true }) as unknown as {
      values: { [K in keyof S]?: S[K]['type'] extends 'boolean' ? boolean : string };
      positionals: string[];
    };
  } catch (err) {
    const e = err as Error & { code?: string };
    const option = /'(-[^']*)'/.exec(e.message)?.[1];
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${option ?? ''} (${hint})`);
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(`${option?.split(' ')[0] ?? 'an option'} needs a value (${hint})`);
    throw new UsageError(`${e.message.split('.')[0]} (${hint})`);
  }
  if (parsed.positionals.length !== positionals) {
    throw new UsageError(`expected ${positionals} file argument${positionals === 1 ? '' : 's'}, got ${parsed.positionals.length}${parsed.positionals.length ? ` (${parsed.positionals.join(' ')})` : ''} (${hint})`);
  }
  return parsed;
}

/** The arguments with a negative number after a value option joined to it (`--seconds -1` -> `--seconds=-1`), which parseArgs would take for an option. */
function negativeValues(args: string[], spec: Record<string, { type: 'string' | 'boolean' }>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const next = args[i + 1];
    if (a.startsWith('--') && !a.includes('=') && spec[a.slice(2)]?.type === 'string' && next !== undefined && /^-(\d|\.\d|Infinity)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/** A finite number flag passing `check` (else a UsageError stating `rule`); undefined when not given. */
export function number(value: string | undefined, flag: string, check: (x: number) => boolean, rule: string): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (!Number.isFinite(x) || !check(x)) throw new UsageError(`--${flag} ${value}: ${rule}`);
  return x;
}

/** A whole-number flag in [least, most]. */
export function wholeFlag(value: string | undefined, flag: string, least: number, most = 1e9): number | undefined {
  return number(value, flag, (x) => Number.isInteger(x) && x >= least && x <= most, most >= 1e9 ? `must be a whole number >= ${least}` : `must be a whole number from ${least} to ${most}`);
}

/** A flag that is one of `allowed`; `fallback` when not given. */
export function choice<T extends string>(value: string | undefined, flag: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw new UsageError(`--${flag} ${value}: must be one of ${allowed.join(', ')}`);
  return value as T;
}

/** A file's text; a file that cannot be read is a UsageError. */
export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Parses a file, naming it in any error. */
export function inFile<T>(file: string, parse: (text: string) => T): T {
  return naming(file, () => parse(readText(file)));
}

/**
 * Reads a JSON file (or its value, parsed already) in the proto3 JSON layout of a message and runs
 * `read` on the message; errors name the file and its own field names.
 */
export function protoFile<T>(file: string, type: string, read: (message: Record<string, any>) => T, value?: unknown): T {
  return naming(file, () => readProtoJson(type, value ?? readText(file), 'file').readWith(read));
}

/** Runs a reader of `file` (sync, or returning a promise); an InputError from it is a UsageError naming the file. */
export function naming<T>(file: string, read: () => T): T {
  return mappingErrors((err) => (err instanceof InputError ? new UsageError(`${file}: ${err.message}`) : err), read);
}

/** Fails now, before any work, when `file` (given with `flag`) could not be written: its folder missing or not writable, or it is a folder. */
export function writable(file: string | undefined, flag: string): void {
  if (file === undefined) return;
  const dir = dirname(resolve(file));
  try {
    if (!statSync(dir).isDirectory()) throw new UsageError(`--${flag} ${file}: ${dir} is not a folder`);
    accessSync(dir, constants.W_OK);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--${flag} ${file}: cannot write into ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (existsSync(file) && statSync(file).isDirectory()) throw new UsageError(`--${flag} ${file}: is a folder, not a file`);
}

/** Writes a command's JSON to a file when given, else to stdout. */
export function output(file: string | undefined, text: string): void {
  if (file) writeFileSync(file, text);
  else process.stdout.write(text);
}
