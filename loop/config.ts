import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { MappingConfig, WorkloadRef } from '../adapters/kubernetes/mapping.js';
import { DEFAULT_QUERIES, type QueryTemplates } from '../adapters/prometheus/queries.js';
import { serviceFields } from '../server/grpc/convert-replicas.js';
import { parseTokens, type ClientSecurity } from '../server/grpc/security.js';
import { InputError } from '../server/input-error.js';
import { readProtoJson } from '../server/proto-json.js';
import { STREAMING_STORE, type ReplicaService } from '../server/replicas/model.js';
import type { PolicyName } from '../server/replicas/policies.js';
import { FORECASTERS, type ForecasterName } from '../server/replicas/service.js';
import { validateReplicaService } from '../server/replicas/validate.js';

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

/** The replica policies the loop runs (the oracle needs the future). */
export const LOOP_POLICIES = ['reactive', 'memory', 'hpa', 'predictive', 'planner'] as const;

export interface ReplicaServiceConfig {
  /** names the service in the load query ({service}), the metrics and the audit log */
  name: string;
  /** the service's model: a copt.v1.ReplicaService in JSON (file relative to the config); default the bundled streaming store */
  service: ReplicaService;
  /** the Deployment whose replicas the loop sets (default: the service's name in namespace default) */
  workload: WorkloadRef;
  policy: Exclude<PolicyName, 'oracle'>;
  forecaster: ForecasterName;
  /** a stored LSTM forecaster (copt models); absent with the lstm forecaster: trained on the history at the first cycle */
  model?: string;
  /** the seasonal forecast's season, minutes (default a week) */
  seasonMin: number;
  /** minutes of load history read at the first cycle (default two seasons); the policy replays those after the first season */
  historyMin: number;
  /** seconds a load minute lasts: 60, lower only to replay a trace faster */
  minuteS: number;
}

export interface LoopConfig {
  /** the copt serve address the loop calls */
  server: string;
  /** TLS and the bearer token for it (files read when the configuration is) */
  serverSecurity: ClientSecurity;
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
  replicaServices: ReplicaServiceConfig[];
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
  const r = obj(raw, '(config)', ['server', 'serverSecurity', 'prometheus', 'kubernetes', 'intervalS', 'mode', 'plansDir', 'audit', 'pauseFile', 'metricsPort', 'metricsAddress', 'queries', 'applications', 'replicaServices']);
  const prom = obj(r.prometheus ?? {}, 'prometheus', ['url', 'timeoutS', 'stalenessS']);
  const kube = obj(r.kubernetes ?? {}, 'kubernetes', ['kubeconfig', 'fieldManager', 'rolloutTimeoutS']);
  const queries = obj(r.queries ?? {}, 'queries', [...Object.keys(DEFAULT_QUERIES), 'pathResponseTime']);
  const apps = r.applications ?? [];
  const services = r.replicaServices ?? [];
  if (!Array.isArray(apps)) throw new InputError('applications', apps, 'must be a list of applications');
  if (!Array.isArray(services)) throw new InputError('replicaServices', services, 'must be a list of replica services');
  if (apps.length + services.length === 0) throw new InputError('applications', apps, 'and replicaServices: at least one application or replica service is needed');
  const path = (v: unknown, field: string) => resolve(base, str(v, field));
  const kubeconfig = kube.kubeconfig === undefined ? undefined : path(kube.kubeconfig, 'kubernetes.kubeconfig');
  const config: LoopConfig = {
    server: str(r.server ?? '127.0.0.1:50051', 'server'),
    serverSecurity: serverSecurity(r.serverSecurity ?? {}, path),
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
    replicaServices: services.map((v, i) => replicaService(v, `replicaServices[${i}]`, path)),
  };
  for (const [k, v] of Object.entries(queries)) (config.queries as unknown as Record<string, string>)[k] = str(v, `queries.${k}`);
  const names = [...config.applications, ...config.replicaServices].map((a) => a.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new InputError(names.lastIndexOf(twice) < config.applications.length ? 'applications' : 'replicaServices', twice, 'is the name of two applications or services (names label the metrics and the audit log)');
  return config;
}

/** The files of `serverSecurity`, read: a CA for TLS, a client certificate and key for mutual TLS, a file whose first token is sent. */
function serverSecurity(raw: unknown, path: (v: unknown, field: string) => string): ClientSecurity {
  const r = obj(raw, 'serverSecurity', ['ca', 'cert', 'key', 'tokenFile']);
  const read = (k: string) => {
    if (r[k] === undefined) return undefined;
    try {
      return readFileSync(path(r[k], `serverSecurity.${k}`));
    } catch (e) {
      throw new InputError(`serverSecurity.${k}`, r[k], `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  const [ca, cert, key, tokens] = ['ca', 'cert', 'key', 'tokenFile'].map(read);
  if ((cert === undefined) !== (key === undefined)) throw new InputError(`serverSecurity.${cert ? 'key' : 'cert'}`, undefined, 'must be given with serverSecurity.' + (cert ? 'cert' : 'key'));
  if (cert && !ca) throw new InputError('serverSecurity.ca', undefined, 'must be given with a client certificate (mutual TLS is TLS first)');
  const token = tokens && parseTokens(tokens.toString('utf8'))[0];
  if (tokens && !token) throw new InputError('serverSecurity.tokenFile', r.tokenFile, 'holds no token');
  return { ...(ca ? { ca } : {}), ...(cert ? { cert, key } : {}), ...(token ? { token } : {}) };
}

/** A name that labels metrics and names files. */
function label(v: unknown, at: string): string {
  const name = str(v, at);
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new InputError(at, name, 'must be letters, digits, _ . or - (it names plan files and metric labels)');
  return name;
}

function replicaService(raw: unknown, at: string, path: (v: unknown, field: string) => string): ReplicaServiceConfig {
  const r = obj(raw, at, ['name', 'service', 'workload', 'policy', 'forecaster', 'model', 'seasonMin', 'historyMin', 'minuteS']);
  const name = label(r.name, `${at}.name`);
  let service = STREAMING_STORE;
  if (r.service !== undefined) {
    const file = path(r.service, `${at}.service`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new InputError(`${at}.service`, r.service, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    try {
      service = readProtoJson('copt.v1.ReplicaService', text, 'service').readWith((m) => validateReplicaService(serviceFields(m)));
    } catch (e) {
      if (e instanceof InputError) throw new InputError(`${at}.service`, r.service, `is not a valid replica service: ${e.message}`);
      throw e;
    }
  }
  const w = obj(r.workload ?? {}, `${at}.workload`, ['kind', 'namespace', 'name']);
  oneOf(w.kind ?? 'Deployment', `${at}.workload.kind`, ['Deployment'] as const);
  const workload: WorkloadRef = { kind: 'Deployment', namespace: str(w.namespace ?? 'default', `${at}.workload.namespace`), name: str(w.name ?? name.toLowerCase(), `${at}.workload.name`) };
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(workload.name)) throw new InputError(`${at}.workload.name`, workload.name, 'must be a Kubernetes name (lower-case letters, digits and -)');
  const whole = (v: unknown, field: string, least: number) => num(v, `${at}.${field}`, (x) => Number.isInteger(x) && x >= least, `must be a whole number >= ${least}`);
  const seasonMin = whole(r.seasonMin ?? 7 * 1440, 'seasonMin', 1);
  const historyMin = whole(r.historyMin ?? 2 * seasonMin, 'historyMin', seasonMin + 1);
  const forecaster = oneOf(r.forecaster ?? 'seasonal', `${at}.forecaster`, FORECASTERS);
  if (forecaster === 'lstm' && r.model === undefined && historyMin < 2 * 1440) throw new InputError(`${at}.historyMin`, historyMin, 'must be at least 2880 (two days) to train the LSTM on, or name a stored model');
  return {
    name, service, workload,
    policy: oneOf(r.policy ?? 'planner', `${at}.policy`, LOOP_POLICIES),
    forecaster,
    ...(r.model === undefined ? {} : { model: path(r.model, `${at}.model`) }),
    seasonMin, historyMin,
    minuteS: num(r.minuteS ?? 60, `${at}.minuteS`, (x) => x > 0 && x <= 60, 'must be in (0, 60]'),
  };
}

function application(raw: unknown, at: string, path: (v: unknown, field: string) => string): ApplicationConfig {
  const a = obj(raw, at, ['name', 'system', 'compat', 'sources', 'mapping', 'triggers', 'cooldownS', 'migration', 'solve']);
  const t = obj(a.triggers ?? {}, `${at}.triggers`, ['violationChecks', 'loadFraction', 'loadChange', 'periodS']);
  const m = obj(a.migration ?? {}, `${at}.migration`, ['policy', 'prices', 'maxChanges']);
  const p = obj(m.prices ?? {}, `${at}.migration.prices`, ['deployment', 'partition', 'layerType', 'instance']);
  const s = obj(a.solve ?? {}, `${at}.solve`, ['method', 'seconds', 'seed']);
  const price = (k: string) => num(p[k] ?? 0, `${at}.migration.prices.${k}`, (x) => x >= 0, 'must be >= 0');
  const name = label(a.name, `${at}.name`);
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
