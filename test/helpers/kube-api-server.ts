// A loopback Kubernetes API server for tests: the REST paths, discovery, OpenAPI v3 index, Status
// errors, validation, server-side apply with managed fields, dry-run, optimistic concurrency and two
// simulated controllers (Deployment rollout, HPA bounds), all in memory. Bodies are JSON only.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';

export interface KubeObject { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: any }; [k: string]: any }
export interface RequestRecord { method: string; path: string; query: Record<string, string>; contentType?: string; status: number; dryRun: boolean; userAgent?: string }
export interface KubeApiServer {
  url: string;
  /** the same server over TLS (its own port): client-go sends credentials to https servers only, so the kubeconfig names this */
  httpsUrl: string;
  kubeconfig: string;
  token: string;
  requests: RequestRecord[];
  /** store an object directly (test setup), as if created by manager `managerName` (default "test-setup") */
  seed(obj: KubeObject, managerName?: string): KubeObject;
  /** the stored object (deep copy) or undefined */
  object(kind: string, namespace: string, name: string): KubeObject | undefined;
  /** all stored objects of a kind (deep copies) */
  objects(kind: string, namespace?: string): KubeObject[];
  /** writes (non-dry-run POST/PUT/PATCH/DELETE that succeeded) so far */
  writeCount(): number;
  /** the n-th non-dry-run write from now (1 = the next) fails with `status`, and `times` consecutive writes from it */
  failWrite(n: number, status: number, times?: number): void;
  /** delay before a Deployment's status catches up with its spec (0 = in the same tick as the write) */
  setRolloutDelay(ms: number): void;
  stop(): Promise<void>;
}

type Obj = Record<string, any>;
interface Def { group: string; version: string; plural: string; singular: string; kind: string; namespaced: boolean; short?: string[]; sub?: string[] }
interface Entry { manager: string; operation: 'Apply' | 'Update'; apiVersion: string; time: string; fieldsType: 'FieldsV1'; fieldsV1: Obj; subresource?: string }
interface Cause { reason: string; message: string; field: string }

const DEFS: Def[] = [
  { group: '', version: 'v1', plural: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, short: ['ns'] },
  { group: '', version: 'v1', plural: 'events', singular: 'event', kind: 'Event', namespaced: true, short: ['ev'] },
  { group: '', version: 'v1', plural: 'pods', singular: 'pod', kind: 'Pod', namespaced: true, short: ['po'] },
  { group: 'apps', version: 'v1', plural: 'deployments', singular: 'deployment', kind: 'Deployment', namespaced: true, short: ['deploy'], sub: ['scale', 'status'] },
  { group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers', singular: 'horizontalpodautoscaler', kind: 'HorizontalPodAutoscaler', namespaced: true, short: ['hpa'], sub: ['status'] },
  { group: 'serving.knative.dev', version: 'v1', plural: 'services', singular: 'service', kind: 'Service', namespaced: true, short: ['kservice', 'ksvc'], sub: ['status'] },
];
const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
const gvOf = (d: Def) => (d.group ? `${d.group}/${d.version}` : d.version);
const qualified = (d: Def) => (d.group ? `${d.plural}.${d.group}` : d.plural);
const defOf = (kind: string) => DEFS.find((d) => d.kind === kind);
// Lists that server-side apply merges by key (as the real schemas' x-kubernetes-list-map-keys); others are atomic.
const KEYED: Record<string, string> = {
  'spec.template.spec.containers': 'name', 'spec.template.spec.initContainers': 'name',
  'spec.template.spec.containers[].env': 'name', 'spec.template.spec.containers[].ports': 'containerPort',
  'status.conditions': 'type',
};
// Fields the server accepts per kind, for fieldValidation (top level, metadata and spec only).
const TOP = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];
const META = ['name', 'generateName', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields', 'selfLink'];
const SPEC: Record<string, string[]> = {
  Deployment: ['replicas', 'selector', 'template', 'strategy', 'minReadySeconds', 'revisionHistoryLimit', 'paused', 'progressDeadlineSeconds'],
  HorizontalPodAutoscaler: ['scaleTargetRef', 'minReplicas', 'maxReplicas', 'metrics', 'behavior'],
};
const SEP = '\u0001';
// A self-signed certificate for 127.0.0.1 (test fixture, valid 2024-2124). client-go drops a kubeconfig's
// user credentials for plain-http servers (clientcmd reads auth only "if we are secure"), so kubectl gets TLS.
const TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBtDCCAVqgAwIBAgIBATAKBggqhkjOPQQDAjAoMSYwJAYDVQQDDB1rdWJlLWFw
aS1zZXJ2ZXIgbG9vcGJhY2sgdGVzdDAgFw0yNDAxMDEwMDAwMDBaGA8yMTI0MDEw
MTAwMDAwMFowKDEmMCQGA1UEAwwda3ViZS1hcGktc2VydmVyIGxvb3BiYWNrIHRl
c3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAR4Zst6JCWKkGxl3bCR/kr5t/il
UFJE2GkpaEmH3cT4D4+Jnj7bpZN3+kCulMozlu81s+leQ6GFahhnrYNMGGFBo3Mw
cTAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwDwYDVR0TAQH/BAUwAwEB/zAO
BgNVHQ8BAf8EBAMCAoQwEwYDVR0lBAwwCgYIKwYBBQUHAwEwHQYDVR0OBBYEFObW
q1lhDJzSKl/muNEah9nZF5JXMAoGCCqGSM49BAMCA0gAMEUCIQCCNG6Tolv6Bykn
DCLCkLTnuplJr5kgo/K0RapXcXIdqwIgUiEMbK9SibPMKPCCjydqkxCG8sOLBqF8
YNjNYWfpmXQ=
-----END CERTIFICATE-----`;
const TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg1IhQe2mJnE+smHpB
80JFEqXcwrOAn0GnUeE3ARJj6pShRANCAAR4Zst6JCWKkGxl3bCR/kr5t/ilUFJE
2GkpaEmH3cT4D4+Jnj7bpZN3+kCulMozlu81s+leQ6GFahhnrYNMGGFB
-----END PRIVATE KEY-----`;
const OPENAPI_HASH = 'C0FFEE0123456789';
const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const NAME_MSG = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

const clone = <T>(v: T): T => (v === undefined ? v : structuredClone(v));
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
/** JSON with sorted keys, so equal values compare equal whatever their key order. */
const canon = (v: unknown): string =>
  Array.isArray(v) ? `[${v.map(canon).join(',')}]` : isObj(v) ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canon(v[k])}`).join(',')}}` : JSON.stringify(v) ?? 'null';
const goMap = (m: Obj) => `map[string]string{${Object.keys(m).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(m[k])}`).join(', ')}}`;
const goVal = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : isObj(v) ? goMap(v) : String(v));

/** An error answered as a Kubernetes Status. */
class ApiError extends Error {
  constructor(public code: number, public reason: string, message: string, public details?: Obj) { super(message); }
  body(): Obj { return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, ...(this.details ? { details: this.details } : {}), code: this.code }; }
}
const REASONS: Record<number, string> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 409: 'Conflict', 410: 'Expired', 413: 'RequestEntityTooLarge', 415: 'UnsupportedMediaType', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout' };
const notFound = (d: Def, name: string) => new ApiError(404, 'NotFound', `${qualified(d)} "${name}" not found`, { name, group: d.group, kind: d.plural });
const staleConflict = (d: Def, name: string) => new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(d)} "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, group: d.group, kind: d.plural });
const invalid = (kind: string, group: string, name: string, causes: Cause[]) => {
  const list = causes.map((c) => `${c.field}: ${c.message}`);
  const what = group ? `${kind}.${group}` : kind;
  return new ApiError(422, 'Invalid', `${what} "${name}" is invalid: ${list.length === 1 ? list[0] : `[${list.join(', ')}]`}`, { name, group, kind, causes });
};
const bad = (message: string) => new ApiError(400, 'BadRequest', message);

// ---- field sets: paths in the managedFields `f:`/`k:` notation, joined by SEP ----

/** The leaf fields of a value (maps granular, keyed lists by key, other lists atomic) with their values. */
function leaves(v: unknown, segs: string[] = [], sp = '', out = new Map<string, unknown>()): Map<string, unknown> {
  const key = KEYED[sp];
  if (isObj(v)) {
    if (!Object.keys(v).length && segs.length) out.set(segs.join(SEP), {});
    for (const [k, x] of Object.entries(v)) if (x !== undefined) leaves(x, [...segs, `f:${k}`], sp ? `${sp}.${k}` : k, out);
  } else if (Array.isArray(v) && key && v.every((i) => isObj(i) && i[key] !== undefined)) {
    for (const item of v) {
      const s = [...segs, `k:${JSON.stringify({ [key]: item[key] })}`];
      out.set([...s, '.'].join(SEP), true);
      leaves(item, s, `${sp}[]`, out);
    }
  } else out.set(segs.join(SEP), v);
  return out;
}
/** The parts of an object that field management tracks: without identity/system metadata (and status unless asked). */
function tracked(o: Obj, part: 'main' | 'status' | 'all'): Obj {
  if (part === 'status') return o.status === undefined ? {} : { status: clone(o.status) };
  const { apiVersion: _a, kind: _k, status, metadata = {}, ...rest } = o;
  const { name: _n, namespace: _ns, uid: _u, resourceVersion: _r, generation: _g, creationTimestamp: _c, managedFields: _m, selfLink: _s, deletionTimestamp: _d, ...meta } = metadata;
  return { ...clone(rest), ...(Object.keys(meta).length ? { metadata: clone(meta) } : {}), ...(part === 'all' && status !== undefined ? { status: clone(status) } : {}) };
}
const toTree = (set: Iterable<string>) => { const t: Obj = {}; for (const p of set) { let n = t; for (const s of p.split(SEP)) n = n[s] ??= {}; } return t; };
const fromTree = (t: Obj, pre: string[] = [], out = new Set<string>()) => {
  for (const [k, v] of Object.entries(t)) { const s = [...pre, k]; if (k === '.' || !Object.keys(v).length) out.add(s.join(SEP)); else fromTree(v, s, out); }
  return out;
};
/** A field path as the real server prints it: `.spec.template.spec.containers[name="app"].image`. */
const pathString = (p: string) => p.split(SEP).map((s) => s.startsWith('f:') ? `.${s.slice(2)}` : s.startsWith('k:') ? `[${Object.entries(JSON.parse(s.slice(2))).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]` : '').join('');
const managerString = (e: Entry) => `"${e.manager}"${e.subresource ? ` with subresource "${e.subresource}"` : ''}${e.operation === 'Update' ? ` using ${e.apiVersion}` : ''}`;
const sameEntry = (e: Entry, m: string, op: string, sub?: string) => e.manager === m && e.operation === op && (e.subresource ?? '') === (sub ?? '');

/** Removes one leaf path from an object (a keyed item with its `.` path), dropping maps it leaves empty. */
function removePath(o: Obj, segs: string[]): void {
  const [s, ...rest] = segs;
  if (s.startsWith('f:')) {
    const k = s.slice(2);
    if (!rest.length) { delete o[k]; return; }
    const child = o[k];
    if (isObj(child)) { removePath(child, rest); if (!Object.keys(child).length) delete o[k]; }
    else if (Array.isArray(child) && rest[0].startsWith('k:')) {
      const [[kk, kv]] = Object.entries(JSON.parse(rest[0].slice(2)));
      const i = child.findIndex((x) => isObj(x) && x[kk] === kv);
      if (i < 0) return;
      if (rest[1] === '.') child.splice(i, 1); else removePath(child[i], rest.slice(1));
    }
  }
}
/** Server-side apply's merge: maps recursively, keyed lists by key, everything else replaced. */
function applyMerge(live: unknown, cfg: unknown, sp = ''): unknown {
  if (isObj(live) && isObj(cfg)) {
    const out: Obj = clone(live);
    for (const [k, v] of Object.entries(cfg)) { if (v === null) delete out[k]; else out[k] = applyMerge(live[k], v, sp ? `${sp}.${k}` : k); }
    return out;
  }
  const key = KEYED[sp];
  if (key && Array.isArray(live) && Array.isArray(cfg)) {
    const out = clone(live);
    for (const item of cfg) { const i = out.findIndex((x: Obj) => isObj(x) && x[key] === item?.[key]); if (i >= 0) out[i] = applyMerge(out[i], item, `${sp}[]`); else out.push(clone(item)); }
    return out;
  }
  return clone(cfg);
}
/** RFC 7386 merge patch; `strategic` also merges the keyed lists by key (enough of strategic merge for us). */
function mergePatch(target: unknown, patch: unknown, strategic: boolean, sp = ''): unknown {
  if (!isObj(patch)) {
    const key = strategic ? KEYED[sp] : undefined;
    if (key && Array.isArray(target) && Array.isArray(patch)) return applyMerge(target, patch, sp);
    return clone(patch);
  }
  const out: Obj = isObj(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) { if (v === null) delete out[k]; else out[k] = mergePatch(out[k], v, strategic, sp ? `${sp}.${k}` : k); }
  return out;
}
/** RFC 6902 JSON patch (add, remove, replace, move, copy, test). */
function jsonPatch(doc: Obj, ops: unknown): Obj {
  if (!Array.isArray(ops)) throw bad('the patch must be a JSON array of operations');
  let out: any = clone(doc);
  const locate = (ptr: string) => {
    const parts = ptr.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop();
    let parent = out; for (const p of parts) { parent = parent?.[p]; if (parent === undefined) throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: doc is missing path: "${ptr}"`); }
    if (last === undefined) throw bad(`invalid JSON patch path "${ptr}"`);
    return { parent, last };
  };
  const get = (ptr: string) => { const { parent, last } = locate(ptr); return clone(parent[last]); };
  const put = (ptr: string, v: unknown, insert: boolean) => {
    const { parent, last } = locate(ptr);
    if (Array.isArray(parent)) { const i = last === '-' ? parent.length : Number(last); parent.splice(i, insert ? 0 : 1, v); } else parent[last] = v;
  };
  const del = (ptr: string) => { const { parent, last } = locate(ptr); if (Array.isArray(parent)) parent.splice(Number(last), 1); else delete parent[last]; };
  for (const op of ops as Obj[]) {
    if (op.op === 'add') put(op.path, clone(op.value), true);
    else if (op.op === 'remove') del(op.path);
    else if (op.op === 'replace') { del(op.path); put(op.path, clone(op.value), true); }
    else if (op.op === 'move') { const v = get(op.from); del(op.from); put(op.path, v, true); }
    else if (op.op === 'copy') put(op.path, get(op.from), true);
    else if (op.op === 'test') { if (canon(get(op.path)) !== canon(op.value)) throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: testing value ${op.path} failed`); }
    else throw bad(`unexpected JSON patch operation "${op.op}"`);
  }
  return out;
}

// ---- validation and defaults ----

function validateLabels(m: unknown, field: string, causes: Cause[], values = true): void {
  if (m === undefined) return;
  if (!isObj(m)) { causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${goVal(m)}: must be a map of strings` }); return; }
  for (const [k, v] of Object.entries(m)) {
    const slash = k.lastIndexOf('/');
    const prefix = slash >= 0 ? k.slice(0, slash) : '', name = slash >= 0 ? k.slice(slash + 1) : k;
    if (!NAME_PART.test(name)) causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(k)}: ${NAME_MSG}` });
    else if (name.length > 63) causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(k)}: name part must be no more than 63 characters` });
    if (slash >= 0 && (!DNS1123.test(prefix) || prefix.length > 253)) causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(k)}: prefix part ${DNS_MSG}` });
    if (!values) continue;
    if (typeof v !== 'string') causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${goVal(v)}: must be a string` });
    else if (v.length > 63) causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(v)}: must be no more than 63 characters` });
    else if (!LABEL_VALUE.test(v)) causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(v)}: ${LABEL_MSG}` });
  }
}
const intField = (v: unknown, field: string, min: number, causes: Cause[], msg = `must be greater than or equal to ${min}`) => {
  if (v !== undefined && (!Number.isInteger(v) || (v as number) < min)) causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${goVal(v)}: ${msg}` });
};
const required = (v: unknown, field: string, causes: Cause[]) => { if (v === undefined || v === '' || v === null) causes.push({ reason: 'FieldValueRequired', field, message: 'Required value' }); };

function validateContainers(cs: unknown, field: string, causes: Cause[], named = true): void {
  if (!Array.isArray(cs) || !cs.length) { causes.push({ reason: 'FieldValueRequired', field, message: 'Required value' }); return; }
  cs.forEach((c: Obj, i) => { if (named) required(c?.name, `${field}[${i}].name`, causes); required(c?.image, `${field}[${i}].image`, causes); });
}
/** The causes that make an object invalid, as the real validation names them ([] when valid). */
function validate(d: Def, o: Obj, before?: Obj): Cause[] {
  const causes: Cause[] = [];
  const name = o.metadata?.name;
  if (!name) causes.push({ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' });
  else if (name.length > 253) causes.push({ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: ${JSON.stringify(name)}: must be no more than 253 characters` });
  else if (!DNS1123.test(name)) causes.push({ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: ${JSON.stringify(name)}: ${DNS_MSG}` });
  validateLabels(o.metadata?.labels, 'metadata.labels', causes);
  validateLabels(o.metadata?.annotations, 'metadata.annotations', causes, false);
  const s = o.spec ?? {};
  if (d.kind === 'Deployment') {
    intField(s.replicas, 'spec.replicas', 0, causes);
    const sel = s.selector?.matchLabels;
    if (!s.selector) causes.push({ reason: 'FieldValueRequired', field: 'spec.selector', message: 'Required value' });
    else if (!isObj(sel) || !Object.keys(sel).length) causes.push({ reason: 'FieldValueInvalid', field: 'spec.selector', message: `Invalid value: ${canon(s.selector)}: empty selector is invalid for deployment` });
    else {
      validateLabels(sel, 'spec.selector.matchLabels', causes);
      const labels = s.template?.metadata?.labels ?? {};
      if (Object.entries(sel).some(([k, v]) => labels[k] !== v)) causes.push({ reason: 'FieldValueInvalid', field: 'spec.template.metadata.labels', message: `Invalid value: ${goMap(labels)}: \`selector\` does not match template \`labels\`` });
    }
    if (before && canon(before.spec?.selector) !== canon(s.selector)) causes.push({ reason: 'FieldValueInvalid', field: 'spec.selector', message: `Invalid value: ${canon(s.selector)}: field is immutable` });
    validateLabels(s.template?.metadata?.labels, 'spec.template.metadata.labels', causes);
    validateLabels(s.template?.spec?.nodeSelector, 'spec.template.spec.nodeSelector', causes);
    validateContainers(s.template?.spec?.containers, 'spec.template.spec.containers', causes);
  } else if (d.kind === 'HorizontalPodAutoscaler') {
    required(s.scaleTargetRef?.kind, 'spec.scaleTargetRef.kind', causes);
    required(s.scaleTargetRef?.name, 'spec.scaleTargetRef.name', causes);
    intField(s.maxReplicas ?? 0, 'spec.maxReplicas', 1, causes, 'must be greater than 0');
    intField(s.minReplicas, 'spec.minReplicas', 1, causes);
    if (Number.isInteger(s.minReplicas) && Number.isInteger(s.maxReplicas) && s.maxReplicas < s.minReplicas) causes.push({ reason: 'FieldValueInvalid', field: 'spec.maxReplicas', message: `Invalid value: ${s.maxReplicas}: must be greater than or equal to \`minReplicas\`` });
  } else if (d.kind === 'Service') validateContainers(s.template?.spec?.containers, 'spec.template.spec.containers', causes, false); // Knative names its one container
  return causes;
}
/** Defaulting as the real API does on every decode (the subset we rely on). */
function applyDefaults(d: Def, o: Obj): void {
  if (d.kind === 'Deployment') {
    const s = (o.spec ??= {});
    s.replicas ??= 1;
    s.strategy ??= { type: 'RollingUpdate' };
    if (s.strategy.type === 'RollingUpdate') s.strategy.rollingUpdate = { maxUnavailable: '25%', maxSurge: '25%', ...s.strategy.rollingUpdate };
    s.revisionHistoryLimit ??= 10;
    s.progressDeadlineSeconds ??= 600;
    for (const c of s.template?.spec?.containers ?? []) { c.terminationMessagePath ??= '/dev/termination-log'; c.terminationMessagePolicy ??= 'File'; c.imagePullPolicy ??= c.image?.endsWith(':latest') || !c.image?.includes(':') ? 'Always' : 'IfNotPresent'; }
    const ps = s.template?.spec;
    if (ps) { ps.restartPolicy ??= 'Always'; ps.terminationGracePeriodSeconds ??= 30; ps.dnsPolicy ??= 'ClusterFirst'; ps.securityContext ??= {}; ps.schedulerName ??= 'default-scheduler'; }
  } else if (d.kind === 'HorizontalPodAutoscaler' && o.spec) o.spec.minReplicas ??= 1;
}
/** Unknown fields (top level, metadata, spec) of a request body, as `spec.foo` paths. */
function unknownFields(d: Def, o: Obj): string[] {
  const out = SPEC[d.kind] ? Object.keys(o).filter((k) => !TOP.includes(k)) : [];
  if (isObj(o.metadata)) out.push(...Object.keys(o.metadata).filter((k) => !META.includes(k)).map((k) => `metadata.${k}`));
  if (SPEC[d.kind] && isObj(o.spec)) out.push(...Object.keys(o.spec).filter((k) => !SPEC[d.kind].includes(k)).map((k) => `spec.${k}`));
  return out;
}
function dropFields(o: Obj, paths: string[]): void { for (const p of paths) removePath(o, p.split('.').map((s) => `f:${s}`)); }

// ---- discovery and OpenAPI ----

const groups = () => [...new Set(DEFS.filter((d) => d.group).map((d) => d.group))].map((g) => {
  const versions = [...new Set(DEFS.filter((d) => d.group === g).map((d) => d.version))].map((v) => ({ groupVersion: `${g}/${v}`, version: v }));
  return { name: g, versions, preferredVersion: versions[0] };
});
function resourceList(group: string, version: string): Obj | undefined {
  const defs = DEFS.filter((d) => d.group === group && d.version === version);
  if (!defs.length) return undefined;
  const resources = defs.flatMap((d) => [
    { name: d.plural, singularName: d.singular, namespaced: d.namespaced, kind: d.kind, verbs: VERBS, ...(d.short ? { shortNames: d.short } : {}) },
    ...(d.sub ?? []).map((s) => s === 'scale'
      ? { name: `${d.plural}/scale`, singularName: '', namespaced: d.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] }
      : { name: `${d.plural}/${s}`, singularName: '', namespaced: d.namespaced, kind: d.kind, verbs: ['get', 'patch', 'update'] }),
  ]);
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}
// kubectl's --validate=strict asks OpenAPI v3 whether each kind's PATCH takes `fieldValidation`
// (cli-runtime queryParamVerifierV3); when it does, kubectl leaves validation to the server.
function openapiDoc(group: string, version: string): Obj | undefined {
  const defs = DEFS.filter((d) => d.group === group && d.version === version);
  if (!defs.length) return undefined;
  const param = (name: string, type = 'string') => ({ name, in: 'query', schema: { type, uniqueItems: true } });
  const paths: Obj = {};
  for (const d of defs) {
    const base = `/${group ? `apis/${group}` : 'api'}/${version}/${d.namespaced ? 'namespaces/{namespace}/' : ''}${d.plural}/{name}`;
    const op = (verb: string, gvk: Obj) => ({ operationId: `${verb}${d.kind}`, 'x-kubernetes-action': verb, 'x-kubernetes-group-version-kind': gvk, parameters: [param('dryRun'), param('fieldManager'), param('fieldValidation'), ...(verb === 'patch' ? [param('force', 'boolean')] : [])], responses: { '200': { description: 'OK' } } });
    const gvk = { group, version, kind: d.kind };
    paths[base] = { get: { ...op('get', gvk), parameters: [] }, put: op('put', gvk), patch: op('patch', gvk), delete: { ...op('delete', gvk), parameters: [param('dryRun')] } };
    for (const s of d.sub ?? []) { const g = s === 'scale' ? { group: 'autoscaling', version: 'v1', kind: 'Scale' } : gvk; paths[`${base}/${s}`] = { put: op('put', g), patch: op('patch', g) }; }
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.4' }, paths, components: { schemas: {} } };
}

// ---- the server ----

/** Starts the loopback API server on 127.0.0.1 (an ephemeral port) and writes its kubeconfig. */
export async function startKubeApiServer(options: { rolloutDelayMs?: number } = {}): Promise<KubeApiServer> {
  const dir = await mkdtemp(join(tmpdir(), 'kube-api-'));
  const token = randomBytes(16).toString('hex');
  const store = new Map<string, Obj>();
  const requests: RequestRecord[] = [];
  const faults = new Map<number, number>();
  const timers = new Set<NodeJS.Timeout>();
  const watches = new Set<http.ServerResponse>();
  let rv = 1, writes = 0, attempts = 0, rolloutDelay = options.rolloutDelayMs ?? 0;
  const keyOf = (kind: string, ns: string | undefined, name: string) => `${kind}/${ns ?? ''}/${name}`;
  const read = (d: Def, ns: string | undefined, name: string) => store.get(keyOf(d.kind, d.namespaced ? ns : undefined, name));

  interface Write { d: Def; ns?: string; before?: Obj; after: Obj; manager: string; op: 'Apply' | 'Update'; sub?: string; dry: boolean; applied?: Obj; force?: boolean }
  /** The one write path: merges an apply, defaults, validates, tracks managed fields, bumps versions, stores. */
  function commit(w: Write): Obj {
    const { d, before } = w;
    const part = w.sub === 'status' ? 'status' : 'main';
    let after: Obj = clone(w.after);
    let entries: Entry[] = clone(before?.metadata?.managedFields ?? []);
    const sets = new Map<Entry, Set<string>>(entries.map((e) => [e, fromTree(e.fieldsV1)]));
    let mine = entries.find((e) => sameEntry(e, w.manager, w.op, w.sub));
    const previous = mine ? new Set(sets.get(mine)) : new Set<string>();
    if (!mine) { mine = { manager: w.manager, operation: w.op, apiVersion: gvOf(d), time: now(), fieldsType: 'FieldsV1', fieldsV1: {}, ...(w.sub ? { subresource: w.sub } : {}) }; entries.push(mine); sets.set(mine, new Set()); }
    const others = () => entries.filter((e) => e !== mine);
    if (w.op === 'Apply') {
      const cfg = leaves(tracked(w.applied!, part));
      const live = before ? leaves(tracked(before, part)) : new Map<string, unknown>();
      const conflicts: { e: Entry; p: string }[] = [];
      for (const [p, v] of cfg) if (live.has(p) && canon(live.get(p)) !== canon(v)) for (const e of others()) if (sets.get(e)!.has(p)) conflicts.push({ e, p });
      if (conflicts.length && !w.force) {
        const byManager = new Map<string, string[]>();
        for (const c of conflicts) byManager.set(managerString(c.e), [...(byManager.get(managerString(c.e)) ?? []), pathString(c.p)]);
        const message = conflicts.length === 1 ? `Apply failed with 1 conflict: conflict with ${managerString(conflicts[0].e)}: ${pathString(conflicts[0].p)}`
          : `Apply failed with ${conflicts.length} conflicts: ${[...byManager].sort().map(([m, ps]) => [`conflicts with ${m}:`, ...ps.map((p) => `- ${p}`)].join('\n')).join('\n')}`;
        throw new ApiError(409, 'Conflict', message, { causes: conflicts.map((c) => ({ type: 'FieldManagerConflict', message: `conflict with ${managerString(c.e)}`, field: pathString(c.p) })) });
      }
      for (const c of conflicts) sets.get(c.e)!.delete(c.p);
      const merged = applyMerge(before ?? {}, part === 'status' ? { status: w.applied!.status } : { ...tracked(w.applied!, 'main'), metadata: { ...w.applied!.metadata } }) as Obj;
      const ownedByOthers = new Set(others().flatMap((e) => [...sets.get(e)!]));
      for (const p of previous) if (!cfg.has(p) && !ownedByOthers.has(p)) removePath(merged, p.split(SEP));
      after = merged;
      sets.set(mine, new Set(cfg.keys()));
    }
    // identity and system metadata come from the stored object, status only from status writes
    after.apiVersion = gvOf(d); after.kind = d.kind;
    const meta = (after.metadata = isObj(after.metadata) ? after.metadata : {});
    if (d.namespaced) meta.namespace = w.ns; else delete meta.namespace;
    for (const k of ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink']) { if (before?.metadata?.[k] !== undefined) meta[k] = before.metadata[k]; else delete meta[k]; }
    if (part === 'status') { const st = after.status; after = clone(before!); if (st === undefined) delete after.status; else after.status = st; }
    else if (before?.status !== undefined) after.status = clone(before.status); else delete after.status;
    applyDefaults(d, after);
    if (part === 'main') { const causes = validate(d, after, before); if (causes.length) throw invalid(d.kind, d.group, meta.name ?? '', causes); }
    // Update ownership: the writer takes what it added or changed, everybody loses what is gone
    const oldLeaves = before ? leaves(tracked(before, 'all')) : new Map<string, unknown>();
    const newLeaves = leaves(tracked(after, 'all'));
    if (w.op === 'Update') for (const [p, v] of newLeaves) if (!oldLeaves.has(p) || canon(oldLeaves.get(p)) !== canon(v)) { sets.get(mine)!.add(p); for (const e of others()) sets.get(e)!.delete(p); }
    for (const e of entries) for (const p of sets.get(e)!) if (!newLeaves.has(p)) sets.get(e)!.delete(p);
    const changed = canon(tracked(before ?? {}, 'all')) !== canon(tracked(after, 'all'));
    const mineChanged = canon([...previous].sort()) !== canon([...sets.get(mine)!].sort());
    entries = entries.filter((e) => sets.get(e)!.size > 0);
    for (const e of entries) e.fieldsV1 = toTree([...sets.get(e)!].sort());
    if (changed || mineChanged) mine.time = now();
    if (before && !changed && canon(entries) === canon(before.metadata.managedFields ?? [])) return clone(before);
    after.metadata.managedFields = entries;
    if (!before) { meta.uid = randomUUID(); meta.creationTimestamp = now(); meta.generation = 1; }
    else if (canon(before.spec) !== canon(after.spec)) meta.generation = (before.metadata.generation ?? 0) + 1;
    if (w.dry) { if (!before) delete meta.resourceVersion; return after; }
    meta.resourceVersion = String(++rv);
    store.set(keyOf(d.kind, w.ns, meta.name), after);
    return clone(after);
  }

  // ---- simulated controllers ----
  const depDef = defOf('Deployment')!, hpaDef = defOf('HorizontalPodAutoscaler')!;
  const upToDate = (o: Obj) => { const s = o.status ?? {}, r = o.spec?.replicas ?? 1; return s.observedGeneration === o.metadata.generation && [s.replicas, s.readyReplicas, s.updatedReplicas, s.availableReplicas].every((x) => (x ?? 0) === r) && s.conditions?.some((c: Obj) => c.type === 'Available' && c.status === 'True'); };
  function rollout(ns: string, name: string): void {
    const dep = read(depDef, ns, name);
    if (!dep || upToDate(dep)) return;
    const r = dep.spec.replicas ?? 1, t = now();
    const keep = (type: string) => dep.status?.conditions?.find((c: Obj) => c.type === type && c.status === 'True');
    const cond = (type: string, reason: string, message: string) => keep(type) ?? { type, status: 'True', lastUpdateTime: t, lastTransitionTime: t, reason, message };
    const status = { observedGeneration: dep.metadata.generation, replicas: r, updatedReplicas: r, readyReplicas: r, availableReplicas: r,
      conditions: [cond('Available', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'), cond('Progressing', 'NewReplicaSetAvailable', `ReplicaSet "${name}" has successfully progressed.`)] };
    commit({ d: depDef, ns, before: dep, after: { ...dep, status }, manager: 'kube-controller-manager', op: 'Update', sub: 'status', dry: false });
    hpaController();
  }
  function scheduleRollout(ns: string, name: string): void {
    if (rolloutDelay <= 0) { rollout(ns, name); return; }
    const t = setTimeout(() => { timers.delete(t); rollout(ns, name); }, rolloutDelay);
    timers.add(t);
  }
  let hpaRunning = false, hpaAgain = false;
  function hpaController(): void {
    if (hpaRunning) { hpaAgain = true; return; } // re-entered through a rollout: run once more afterwards
    hpaRunning = true;
    try { do { hpaAgain = false; hpaPass(); } while (hpaAgain); } finally { hpaRunning = false; }
  }
  function hpaPass(): void {
    for (const { metadata: { namespace: ns, name: hpaName } } of [...store.values()].filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
      const hpa = read(hpaDef, ns, hpaName);
      if (!hpa) continue;
      const ref = hpa.spec?.scaleTargetRef ?? {};
      let dep = ref.kind === 'Deployment' ? read(depDef, ns, ref.name) : undefined;
      if (!dep) continue;
      const min = hpa.spec.minReplicas ?? 1, max = hpa.spec.maxReplicas, cur = dep.spec.replicas ?? 1;
      const want = Math.min(max, Math.max(min, cur));
      if (want !== cur) {
        dep = commit({ d: depDef, ns, before: dep, after: { ...clone(dep), spec: { ...dep.spec, replicas: want } }, manager: 'horizontal-pod-autoscaler', op: 'Update', sub: 'scale', dry: false });
        scheduleRollout(ns, dep.metadata.name);
        dep = read(depDef, ns, dep.metadata.name)!;
      }
      const status = { ...hpa.status, currentReplicas: dep.status?.replicas ?? 0, desiredReplicas: want, ...(want !== cur ? { lastScaleTime: now() } : {}) };
      if (canon(status) !== canon(hpa.status)) commit({ d: hpaDef, ns, before: hpa, after: { ...hpa, status }, manager: 'kube-controller-manager', op: 'Update', sub: 'status', dry: false });
    }
  }
  function afterWrite(d: Def, o: Obj | undefined): void {
    if (d.kind === 'Deployment' && o) scheduleRollout(o.metadata.namespace, o.metadata.name);
    if (d.kind === 'Deployment' || d.kind === 'HorizontalPodAutoscaler') hpaController();
  }

  // ---- REST ----
  const scaleOf = (dep: Obj): Obj => ({
    kind: 'Scale', apiVersion: 'autoscaling/v1',
    metadata: { name: dep.metadata.name, namespace: dep.metadata.namespace, uid: dep.metadata.uid, resourceVersion: dep.metadata.resourceVersion, creationTimestamp: dep.metadata.creationTimestamp },
    spec: { replicas: dep.spec?.replicas ?? 0 },
    status: { replicas: dep.status?.replicas ?? 0, selector: Object.entries(dep.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') },
  });
  const age = (ts?: string) => { const s = Math.max(0, Math.round((Date.now() - Date.parse(ts ?? '')) / 1000)) || 0; return s < 120 ? `${s}s` : s < 7200 ? `${Math.floor(s / 60)}m` : s < 172800 ? `${Math.floor(s / 3600)}h` : `${Math.floor(s / 86400)}d`; };
  /** A meta.k8s.io/v1 Table (what `kubectl get` asks for) with a few real columns per kind. */
  function table(d: Def, items: Obj[]): Obj {
    const col = (name: string, format = '') => ({ name, type: 'string', format, description: name, priority: 0 });
    const extra: Record<string, [Obj[], (o: Obj) => unknown[]]> = {
      Deployment: [[col('Ready'), col('Up-to-date'), col('Available')], (o) => [`${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`, o.status?.updatedReplicas ?? 0, o.status?.availableReplicas ?? 0]],
      HorizontalPodAutoscaler: [[col('Reference'), col('MinPods'), col('MaxPods'), col('Replicas')], (o) => [`${o.spec?.scaleTargetRef?.kind}/${o.spec?.scaleTargetRef?.name}`, o.spec?.minReplicas ?? 1, o.spec?.maxReplicas, o.status?.currentReplicas ?? 0]],
    };
    const [cols, cells] = extra[d.kind] ?? [[], () => []];
    return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: String(rv) }, columnDefinitions: [col('Name', 'name'), ...cols, col('Age')],
      rows: items.map((o) => ({ cells: [o.metadata.name, ...cells(o), age(o.metadata.creationTimestamp)], object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata } })) };
  }
  const matches = (o: Obj, q: Record<string, string>) => {
    const labels = o.metadata.labels ?? {};
    const sel = (s: string | undefined, get: (k: string) => unknown) => !s || s.split(',').every((t) => { const [k, v] = t.split(/!?==?/); return t.includes('!=') ? get(k) !== v : v === undefined ? get(k) !== undefined : get(k) === v; });
    return sel(q.labelSelector, (k) => labels[k]) && sel(q.fieldSelector, (k) => k.split('.').reduce((x: any, p) => x?.[p], o));
  };
  const ensureNamespace = (ns: string | undefined) => {
    if (ns !== undefined && !store.has(keyOf('Namespace', undefined, ns))) throw new ApiError(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });
  };

  function handleResource(req: http.IncomingMessage, res: http.ServerResponse, rec: RequestRecord, send: (c: number, b: Obj, h?: Obj) => void, r: { d: Def; ns?: string; name?: string; sub?: string }, q: Record<string, string>, all: URLSearchParams, raw: string): void {
    const { d, ns, name, sub } = r;
    const method = req.method ?? 'GET';
    const wantsTable = /as=Table/.test(String(req.headers.accept ?? ''));
    if (sub && !(d.sub ?? []).includes(sub)) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    if (method === 'GET') {
      if (!name) {
        const items = [...store.values()].filter((o) => o.kind === d.kind && (ns === undefined || o.metadata.namespace === ns) && matches(o, q)).sort((a, b) => keyOf('', a.metadata.namespace, a.metadata.name).localeCompare(keyOf('', b.metadata.namespace, b.metadata.name)));
        if (q.watch === 'true' || q.watch === '1') { // no events are streamed: the watch stays open until its timeout or stop()
          rec.status = 200; res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }); res.flushHeaders();
          watches.add(res); res.on('close', () => watches.delete(res));
          const t = setTimeout(() => res.end(), Math.min(Number(q.timeoutSeconds) || 30, 60) * 1000); timers.add(t); res.on('close', () => { clearTimeout(t); timers.delete(t); });
          return;
        }
        return send(200, wantsTable ? table(d, items) : { kind: `${d.kind}List`, apiVersion: gvOf(d), metadata: { resourceVersion: String(rv) }, items: clone(items) });
      }
      const o = read(d, ns, name);
      if (!o) throw notFound(d, name);
      return send(200, sub === 'scale' ? scaleOf(o) : wantsTable && !sub ? table(d, [o]) : clone(o));
    }
    // writes: options, dry run, fault injection
    const dryRuns = all.getAll('dryRun');
    const optionsKind = ({ POST: 'CreateOptions', PUT: 'UpdateOptions', PATCH: 'PatchOptions', DELETE: 'DeleteOptions' } as Record<string, string>)[method];
    if (!optionsKind || (!name && method !== 'POST') || (name && method === 'POST') || (d.namespaced && ns === undefined)) throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    if (dryRuns.some((v) => v !== 'All')) throw new ApiError(422, 'Invalid', `${optionsKind}.meta.k8s.io "" is invalid: dryRun: Unsupported value: ${JSON.stringify(dryRuns)}: supported values: "All"`, { group: 'meta.k8s.io', kind: optionsKind, causes: [{ reason: 'FieldValueNotSupported', field: 'dryRun', message: `Unsupported value: ${JSON.stringify(dryRuns)}: supported values: "All"` }] });
    const dry = dryRuns.length > 0;
    const ctype = String(req.headers['content-type'] ?? '').split(';')[0].trim();
    const isApply = method === 'PATCH' && ctype === 'application/apply-patch+yaml';
    if (method === 'PATCH') {
      if (!['application/apply-patch+yaml', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json'].includes(ctype)) throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`);
      if (isApply && !q.fieldManager) throw invalid('PatchOptions', 'meta.k8s.io', '', [{ reason: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' }]);
      if (!isApply && q.force !== undefined) throw invalid('PatchOptions', 'meta.k8s.io', '', [{ reason: 'FieldValueForbidden', field: 'force', message: 'Forbidden: may not be specified for non-apply patch' }]);
    } else if (method !== 'DELETE' && ctype && ctype !== 'application/json') throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
    let parsed: unknown;
    try { parsed = raw.trim() ? JSON.parse(raw) : method === 'DELETE' ? {} : undefined; } catch { parsed = undefined; }
    if (parsed === undefined || (!Array.isArray(parsed) && !isObj(parsed)) || (Array.isArray(parsed) && ctype !== 'application/json-patch+json'))
      throw isApply ? new ApiError(415, 'UnsupportedMediaType', 'apply patches are accepted as JSON only by this test server (JSON is YAML): the body does not parse as a JSON object')
        : bad(`the body of the request does not parse as a JSON ${ctype === 'application/json-patch+json' ? 'array' : 'object'}`);
    const body: any = parsed;
    if (!dry) {
      attempts++;
      const code = faults.get(attempts);
      if (code !== undefined) { faults.delete(attempts); throw new ApiError(code, REASONS[code] ?? 'InternalError', code === 409 ? staleConflict(d, name ?? body?.metadata?.name ?? '').message : `injected fault: write ${attempts} fails with ${code}`, { name: name ?? body?.metadata?.name, group: d.group, kind: d.plural }); }
    }
    // field validation of object bodies (Strict fails, Warn warns, Ignore drops, as the server does; default Warn)
    const headers: Obj = {};
    const fv = q.fieldValidation ?? 'Warn';
    if (!['Strict', 'Warn', 'Ignore'].includes(fv)) throw invalid(optionsKind, 'meta.k8s.io', '', [{ reason: 'FieldValueNotSupported', field: 'fieldValidation', message: `Unsupported value: ${JSON.stringify(fv)}: supported values: "Ignore", "Strict", "Warn"` }]);
    if (method !== 'DELETE' && sub !== 'scale' && isObj(body) && ctype !== 'application/json-patch+json') {
      const unknown = unknownFields(d, body);
      if (unknown.length && fv === 'Strict') throw bad(isApply ? unknown.map((f) => `.${f}: field not declared in schema`).join(', ') : `strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
      if (unknown.length && fv === 'Warn') headers.warning = unknown.map((f) => `299 - "unknown field \\"${f}\\""`).join(', ');
      dropFields(body, unknown);
    }
    const manager = q.fieldManager || String(req.headers['user-agent'] ?? 'unknown').split('/')[0].slice(0, 128);
    const before = name ? read(d, ns, name) : undefined;
    const ok = (code: number, o: Obj | undefined, out: Obj) => { if (!dry) { writes++; afterWrite(d, o); } send(code, out, headers); };

    if (method === 'DELETE') {
      if (!before) throw notFound(d, name!);
      const pre = body.preconditions ?? {};
      if ((pre.resourceVersion && pre.resourceVersion !== before.metadata.resourceVersion) || (pre.uid && pre.uid !== before.metadata.uid)) throw staleConflict(d, name!);
      if (!dry) { store.delete(keyOf(d.kind, d.namespaced ? ns : undefined, name!)); rv++; }
      return ok(200, undefined, clone(before));
    }
    if (method === 'POST') {
      ensureNamespace(ns);
      if (body.apiVersion && body.apiVersion !== gvOf(d)) throw bad(`the API version in the data (${body.apiVersion}) does not match the expected API version (${gvOf(d)})`);
      if (d.namespaced && body.metadata?.namespace && body.metadata.namespace !== ns) throw bad('the namespace of the provided object does not match the namespace sent on the request');
      body.metadata ??= {};
      if (!body.metadata.name && body.metadata.generateName) body.metadata.name = body.metadata.generateName + randomBytes(3).toString('hex').slice(0, 5);
      const n = body.metadata.name ?? '';
      if (n && read(d, ns, n)) throw new ApiError(409, 'AlreadyExists', `${qualified(d)} "${n}" already exists`, { name: n, group: d.group, kind: d.plural });
      const o = commit({ d, ns, after: body, manager, op: 'Update', dry });
      return ok(201, o, o);
    }
    if (!before && (!isApply || sub)) throw notFound(d, name!);
    if (sub === 'scale' && before) {
      const scale = scaleOf(before!);
      let next: Obj;
      if (method === 'PUT') { next = body; if (body.metadata?.resourceVersion && body.metadata.resourceVersion !== before.metadata.resourceVersion) throw staleConflict(d, name!); }
      else if (isApply) next = body;
      else next = ctype === 'application/json-patch+json' ? jsonPatch(scale, body) : mergePatch(scale, body, false) as Obj;
      const replicas = next.spec?.replicas;
      if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 0)) throw invalid('Scale', 'autoscaling', name!, [{ reason: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${goVal(replicas)}: must be greater than or equal to 0` }]);
      const after = { ...clone(before), spec: { ...before.spec, replicas: replicas ?? before.spec.replicas } };
      const o = commit({ d, ns, before, after, manager, op: isApply ? 'Apply' : 'Update', sub: 'scale', dry, applied: replicas === undefined ? {} : { spec: { replicas } }, force: q.force === 'true' });
      return ok(200, o, scaleOf(o));
    }
    if (isApply) {
      if (body.kind !== d.kind || body.apiVersion !== gvOf(d)) throw bad(`the API version in the data (${body.apiVersion}) does not match the expected API version (${gvOf(d)})`);
      if (body.metadata?.name !== name) throw bad(`the name of the object (${body.metadata?.name}) does not match the name on the URL (${name})`);
      if (!before) ensureNamespace(ns);
      const o = commit({ d, ns, before, after: before ?? {}, manager, op: 'Apply', sub, dry, applied: body, force: q.force === 'true' });
      return ok(before ? 200 : 201, o, o);
    }
    let after: Obj;
    if (method === 'PUT') {
      if (body.metadata?.name && body.metadata.name !== name) throw bad(`the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
      after = { ...body, metadata: { ...body.metadata, name } };
    } else after = ctype === 'application/json-patch+json' ? jsonPatch(before!, body) : mergePatch(before, body, ctype === 'application/strategic-merge-patch+json') as Obj;
    const want = method === 'PUT' ? body.metadata?.resourceVersion : isObj(body) ? body.metadata?.resourceVersion : undefined;
    if (want && want !== before!.metadata.resourceVersion) throw staleConflict(d, name!);
    const o = commit({ d, ns, before, after, manager, op: 'Update', sub, dry });
    return ok(200, o, o);
  }

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const q = Object.fromEntries(url.searchParams);
      const rec: RequestRecord = { method: req.method ?? 'GET', path: url.pathname, query: q, contentType: req.headers['content-type'], status: 0, dryRun: url.searchParams.getAll('dryRun').includes('All'), userAgent: req.headers['user-agent'] };
      requests.push(rec);
      const send = (code: number, body: Obj | string, headers: Obj = {}) => {
        rec.status = code;
        res.writeHead(code, { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', ...headers });
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      };
      try {
        const p = url.pathname.replace(/\/+$/, '') || '/';
        if (['/healthz', '/readyz', '/livez'].includes(p)) return send(200, 'ok');
        if (p === '/version') return send(200, { major: '1', minor: '32', gitVersion: 'v1.32.4', gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean', buildDate: '2025-04-22T00:00:00Z', goVersion: 'go1.23.8', compiler: 'gc', platform: 'linux/amd64' });
        if (req.headers.authorization !== `Bearer ${token}`) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
        // discovery: legacy JSON documents; client-go falls back to them when the aggregated form is not offered
        if (p === '/api') return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: url.host }] });
        if (p === '/apis') return send(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: groups() });
        const segs = p.split('/').filter(Boolean);
        if (segs[0] === 'openapi') {
          if (p === '/openapi/v3') return send(200, { paths: Object.fromEntries([...new Set(DEFS.map(gvOf))].map((g) => { const k = g.includes('/') ? `apis/${g}` : `api/${g}`; return [k, { serverRelativeURL: `/openapi/v3/${k}?hash=${OPENAPI_HASH}` }]; })) });
          const doc = segs[1] === 'v3' && (segs[2] === 'api' ? openapiDoc('', segs[3]) : segs[2] === 'apis' && segs.length === 5 ? openapiDoc(segs[3], segs[4]) : undefined);
          if (doc) return send(200, doc);
          throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
        }
        if (segs[0] === 'apis' && segs.length === 2) { const g = groups().find((x) => x.name === segs[1]); if (g) return send(200, { kind: 'APIGroup', apiVersion: 'v1', ...g }); }
        const core = segs[0] === 'api', grouped = segs[0] === 'apis';
        const group = grouped ? segs[1] : '', version = core ? segs[1] : grouped ? segs[2] : '';
        const rest = core ? segs.slice(2) : grouped ? segs.slice(3) : [];
        if (version && !rest.length) { const list = resourceList(group, version); if (list) return send(200, list); }
        let ns: string | undefined, parts = rest;
        if (parts[0] === 'namespaces' && parts.length >= 3) { ns = parts[1]; parts = parts.slice(2); }
        const d = DEFS.find((x) => x.group === group && x.version === version && x.plural === parts[0]);
        if (!d || parts.length > 3 || (ns !== undefined && !d.namespaced)) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
        handleResource(req, res, rec, send, { d, ns, name: parts[1], sub: parts[2] }, q, url.searchParams, Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        const err = e instanceof ApiError ? e : new ApiError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`);
        if (!res.headersSent) send(err.code, err.body());
      }
    });
  };
  // the same handler over plain HTTP (url, for fetch) and TLS (httpsUrl, for kubectl)
  const servers = [http.createServer(handler), https.createServer({ cert: TLS_CERT, key: TLS_KEY }, handler)];
  const sockets = new Set<net.Socket>();
  const [port, tlsPort] = await Promise.all(servers.map((srv) => new Promise<number>((resolve) => {
    srv.on('connection', (s: net.Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
    srv.listen(0, '127.0.0.1', () => resolve((srv.address() as net.AddressInfo).port));
  })));
  const url = `http://127.0.0.1:${port}`, httpsUrl = `https://127.0.0.1:${tlsPort}`;
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, [
    'apiVersion: v1', 'kind: Config',
    'clusters:', '- name: loopback', '  cluster:', `    server: ${httpsUrl}`, `    certificate-authority-data: ${Buffer.from(TLS_CERT).toString('base64')}`,
    'users:', '- name: loopback', '  user:', `    token: ${token}`,
    'contexts:', '- name: loopback', '  context:', '    cluster: loopback', '    user: loopback', '    namespace: default',
    'current-context: loopback', '',
  ].join('\n'));

  const api: KubeApiServer = {
    url, httpsUrl, kubeconfig, token, requests,
    seed(obj, managerName = 'test-setup') {
      const d = defOf(obj.kind);
      if (!d) throw new Error(`kind ${obj.kind} is not served`);
      const ns = d.namespaced ? obj.metadata.namespace ?? 'default' : undefined;
      if (ns !== undefined && !store.has(keyOf('Namespace', undefined, ns))) api.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      const before = read(d, ns, obj.metadata.name);
      const o = commit({ d, ns, before, after: clone(obj), manager: managerName, op: 'Update', dry: false });
      if (obj.status !== undefined) commit({ d, ns, before: o, after: { ...o, status: clone(obj.status) }, manager: managerName, op: 'Update', sub: 'status', dry: false });
      afterWrite(d, o);
      return clone(read(d, ns, obj.metadata.name)!) as KubeObject;
    },
    object: (kind, namespace, name) => { const d = defOf(kind); return d ? clone(read(d, namespace, name)) as KubeObject | undefined : undefined; },
    objects: (kind, namespace) => [...store.values()].filter((o) => o.kind === kind && (namespace === undefined || o.metadata.namespace === namespace)).map((o) => clone(o) as KubeObject),
    writeCount: () => writes,
    failWrite(n, status, times = 1) { for (let i = 0; i < times; i++) faults.set(attempts + n + i, status); },
    setRolloutDelay(ms) { rolloutDelay = ms; },
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const w of watches) w.end();
      await Promise.all(servers.map((srv) => new Promise<void>((resolve) => srv.close(() => resolve()))).concat([...sockets].map(async (s) => { s.destroy(); })));
      await rm(dir, { recursive: true, force: true });
    },
  };
  api.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }, 'kube-apiserver');
  return api;
}
