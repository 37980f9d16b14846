import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { MappingConfig } from '../adapters/kubernetes/mapping.js';
import { DEFAULT_QUERIES, type QueryTemplates } from '../adapters/prometheus/queries.js';
import { InputError } from '../server/input-error.js';

/** The loop's configuration, as `copt loop --config FILE` reads it (YAML or JSON; the example is examples/loop.yaml). */

export const MODES = ['enact', 'dry-run', 'approve'] as const;
export type Mode = (typeof MODES)[number];

export interface Triggers {
  /** act on an SLO violated this many checks in a row (default 3) */
  violationChecks: number;
  /** act when the load passes this fraction of the placement's maximum sustainable load (default 0.9); plans are made for load / fraction */
  loadFraction: number;
  /** act when the load moved this much (relative) since the last plan (default 0.25) */
  loadChange: number;
  /** act at least this often, seconds (default 3600) */
  periodS: number;
}

export interface ApplicationConfig {
  name: string;
  /** the SPACE4AI system description file (path relative to the config file) */
  system: string;
  compat: 'copt' | 'space4ai-d' | 'space4ai-r';
  /** components whose arrival rate is the application's load; default the system's sources */
  sources?: string[];
  mapping: MappingConfig;
  triggers: Triggers;
  /** no optional migration (a load change, the period) within this many seconds of the last one (default 600) */
  cooldownS: number;
  migration: { policy: 'priced' | 'space4ai-r'; prices: { deployment: number; partition: number; layerType: number; instance: number }; maxChanges?: number };
  solve: { method: string; seconds: number; seed: number };
}

export interface LoopConfig {
  /** the copt serve address the loop calls */
  server: string;
  prometheus: { url: string; timeoutS: number; stalenessS: number };
  kubernetes: { kubeconfig?: string; fieldManager: string; rolloutTimeoutS: number };
  intervalS: number;
  mode: Mode;
  /** approve mode: where plans are written */
  plansDir: string;
  /** one JSON line per cycle */
  audit: string;
  /** while this file exists the loop reads and records but acts on nothing */
  pauseFile: string;
  /** the loop's own metrics on this port (127.0.0.1; 0: none) */
  metricsPort: number;
  metricsAddress: string;
  queries: QueryTemplates;
  applications: ApplicationConfig[];
}

type Obj = Record<string, unknown>;

/** Reads and checks a loop configuration; paths in it are resolved against its folder. Errors name the file, the field and the value. */
export function readLoopConfig(file: string): LoopConfig {
  let raw: unknown;
  const text = readFileSync(file, 'utf8');
  try {
    raw = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new Error(`${file}: not ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    return loopConfig(raw, dirname(resolve(file)));
  } catch (e) {
    if (e instanceof InputError) throw new Error(`${file}: ${e.message}`);
    throw e;
  }
}

/** A configuration object checked and completed with the defaults. */
export function loopConfig(raw: unknown, base = process.cwd()): LoopConfig {
  const r = obj(raw, '(config)', ['server', 'prometheus', 'kubernetes', 'intervalS', 'mode', 'plansDir', 'audit', 'pauseFile', 'metricsPort', 'metricsAddress', 'queries', 'applications']);
  const prom = obj(r.prometheus ?? {}, 'prometheus', ['url', 'timeoutS', 'stalenessS']);
  const kube = obj(r.kubernetes ?? {}, 'kubernetes', ['kubeconfig', 'fieldManager', 'rolloutTimeoutS']);
  const queries = obj(r.queries ?? {}, 'queries', [...Object.keys(DEFAULT_QUERIES), 'pathResponseTime']);
  const apps = r.applications;
  if (!Array.isArray(apps) || apps.length === 0) throw new InputError('applications', apps, 'must be a list of at least one application');
  const path = (v: unknown, field: string) => resolve(base, str(v, field));
  const kubeconfig = kube.kubeconfig === undefined ? undefined : path(kube.kubeconfig, 'kubernetes.kubeconfig');
  const config: LoopConfig = {
    server: str(r.server ?? '127.0.0.1:50051', 'server'),
    prometheus: {
      url: str(prom.url ?? 'http://127.0.0.1:9090', 'prometheus.url'),
      timeoutS: num(prom.timeoutS ?? 5, 'prometheus.timeoutS', (x) => x > 0, 'must be > 0'),
      stalenessS: num(prom.stalenessS ?? 120, 'prometheus.stalenessS', (x) => x > 0, 'must be > 0'),
    },
    kubernetes: {
      ...(kubeconfig ? { kubeconfig } : {}),
      fieldManager: str(kube.fieldManager ?? 'copt-loop', 'kubernetes.fieldManager'),
      rolloutTimeoutS: num(kube.rolloutTimeoutS ?? 120, 'kubernetes.rolloutTimeoutS', (x) => x > 0, 'must be > 0'),
    },
    intervalS: num(r.intervalS ?? 60, 'intervalS', (x) => x > 0, 'must be > 0'),
    mode: oneOf(r.mode ?? 'dry-run', 'mode', MODES),
    plansDir: path(r.plansDir ?? 'plans', 'plansDir'),
    audit: path(r.audit ?? 'copt-loop.audit.jsonl', 'audit'),
    pauseFile: path(r.pauseFile ?? 'copt-loop.pause', 'pauseFile'),
    metricsPort: num(r.metricsPort ?? 0, 'metricsPort', (x) => Number.isInteger(x) && x >= 0 && x <= 65535, 'must be a port number (0: no metrics)'),
    metricsAddress: str(r.metricsAddress ?? '127.0.0.1', 'metricsAddress'),
    queries: { ...DEFAULT_QUERIES },
    applications: apps.map((a, i) => application(a, `applications[${i}]`, path)),
  };
  for (const [k, v] of Object.entries(queries)) (config.queries as unknown as Record<string, string>)[k] = str(v, `queries.${k}`);
  const names = config.applications.map((a) => a.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new InputError('applications', twice, 'names an application twice');
  return config;
}

function application(raw: unknown, at: string, path: (v: unknown, field: string) => string): ApplicationConfig {
  const a = obj(raw, at, ['name', 'system', 'compat', 'sources', 'mapping', 'triggers', 'cooldownS', 'migration', 'solve']);
  const t = obj(a.triggers ?? {}, `${at}.triggers`, ['violationChecks', 'loadFraction', 'loadChange', 'periodS']);
  const m = obj(a.migration ?? {}, `${at}.migration`, ['policy', 'prices', 'maxChanges']);
  const p = obj(m.prices ?? {}, `${at}.migration.prices`, ['deployment', 'partition', 'layerType', 'instance']);
  const s = obj(a.solve ?? {}, `${at}.solve`, ['method', 'seconds', 'seed']);
  const price = (k: string) => num(p[k] ?? 0, `${at}.migration.prices.${k}`, (x) => x >= 0, 'must be >= 0');
  const name = str(a.name, `${at}.name`);
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new InputError(`${at}.name`, name, 'must be letters, digits, _ . or - (it names plan files and metric labels)');
  return {
    name,
    system: path(a.system, `${at}.system`),
    compat: oneOf(a.compat ?? 'copt', `${at}.compat`, ['copt', 'space4ai-d', 'space4ai-r'] as const),
    ...(a.sources === undefined ? {} : { sources: list(a.sources, `${at}.sources`) }),
    mapping: obj(a.mapping ?? {}, `${at}.mapping`, ['namespace', 'resourceLabel', 'resources', 'partitions']) as MappingConfig,
    triggers: {
      violationChecks: num(t.violationChecks ?? 3, `${at}.triggers.violationChecks`, (x) => Number.isInteger(x) && x >= 1, 'must be a whole number >= 1'),
      loadFraction: num(t.loadFraction ?? 0.9, `${at}.triggers.loadFraction`, (x) => x > 0 && x <= 1, 'must be in (0, 1]'),
      loadChange: num(t.loadChange ?? 0.25, `${at}.triggers.loadChange`, (x) => x > 0, 'must be > 0'),
      periodS: num(t.periodS ?? 3600, `${at}.triggers.periodS`, (x) => x > 0, 'must be > 0'),
    },
    cooldownS: num(a.cooldownS ?? 600, `${at}.cooldownS`, (x) => x >= 0, 'must be >= 0'),
    migration: {
      policy: oneOf(m.policy ?? 'priced', `${at}.migration.policy`, ['priced', 'space4ai-r'] as const),
      prices: { deployment: price('deployment'), partition: price('partition'), layerType: price('layerType'), instance: price('instance') },
      ...(m.maxChanges === undefined ? {} : { maxChanges: num(m.maxChanges, `${at}.migration.maxChanges`, (x) => Number.isInteger(x) && x >= 0, 'must be a whole number >= 0') }),
    },
    solve: {
      method: oneOf(s.method ?? 'auto', `${at}.solve.method`, ['auto', 'rg+ls', 'rg', 'ls', 'ts', 'sa', 'pr'] as const),
      seconds: num(s.seconds ?? 1, `${at}.solve.seconds`, (x) => x > 0 && x <= 600, 'must be in (0, 600]'),
      seed: num(s.seed ?? 1, `${at}.solve.seed`, (x) => Number.isInteger(x) && x >= 0, 'must be a whole number >= 0'),
    },
  };
}

function obj(v: unknown, at: string, keys: string[]): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InputError(at, v, 'must be a mapping (an object)');
  for (const k of Object.keys(v)) if (!keys.includes(k)) throw new InputError(`${at === '(config)' ? '' : `${at}.`}${k}`, (v as Obj)[k], `is not a field here (known: ${keys.join(', ')})`);
  return v as Obj;
}

function str(v: unknown, at: string): string {
  if (typeof v !== 'string' || v === '') throw new InputError(at, v, 'must be a non-empty string');
  return v;
}

function num(v: unknown, at: string, ok: (x: number) => boolean, rule: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new InputError(at, v, typeof v === 'number' ? rule : `must be a number (${rule.replace(/^must be /, '')})`);
  return v;
}

function oneOf<T extends string>(v: unknown, at: string, options: readonly T[]): T {
  if (!options.includes(v as T)) throw new InputError(at, v, `must be one of ${options.join(', ')}`);
  return v as T;
}

function list(v: unknown, at: string): string[] {
  if (!Array.isArray(v) || v.length === 0) throw new InputError(at, v, 'must be a list of names');
  return v.map((x, i) => str(x, `${at}[${i}]`));
}
