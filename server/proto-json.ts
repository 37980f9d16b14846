import { join } from 'node:path';
import protobuf from 'protobufjs';
import { LOADER_OPTIONS } from './grpc/contract.js';
import { renamingPaths, snakeCase } from './fields.js';
import { InputError } from './input-error.js';
import { parseJsonText } from './json-text.js';
import { projectRoot } from './paths.js';

type Obj = Record<string, unknown>;

/** A request read from its proto3 JSON form: the message as gRPC handlers see it, and error paths as the text spelled them. */
export interface ProtoJson {
  /** the message as @grpc/proto-loader hands it to a handler (camelCase fields, defaults filled, enum names) */
  message: Record<string, any>;
  /** Runs a reader of the message; an InputError it throws names its field as the text spelled it. */
  readWith<T>(read: (message: Record<string, any>) => T): T;
}

let root: protobuf.Root | undefined;

/** The contract's types, loaded as @grpc/proto-loader loads them (camelCase field names). */
function contractRoot(): protobuf.Root {
  if (!root) {
    const loaded = new protobuf.Root();
    loaded.resolvePath = (_origin, target) => join(projectRoot(), 'proto', target);
    loaded.loadSync('copt/v1/optimizer.proto', { keepCase: false });
    loaded.resolveAll();
    root = loaded;
  }
  return root;
}

/** The .proto spelling of a camelCase field name. */

/**
 * Reads a JSON text (or an already parsed value) as the proto3 JSON form of message `type` (e.g.
 * `copt.v1.GpuInstance`), strictly: each field under its lowerCamel or its .proto name, no unknown
 * field, each value of its field's type (numbers as numbers or numeric strings, "NaN" and the
 * infinities for doubles; enums by name or number; null for absent). `what` names the text in errors.
 */
export function readProtoJson(type: string, input: string | unknown, what: string): ProtoJson {
  const value = typeof input === 'string' ? parseJsonText(input, what) : input;
  const messageType = contractRoot().lookupType(type);
  const spelled = new Map<string, string>();
  // a field path with proto field names, written with the names as the text gave them (lowerCamel or as in the .proto)
  const respell = (path: string) => path.replace(/[a-z][a-z0-9]*(?:_[a-z0-9]+)+/g, (name) => spelled.get(name) ?? name);
  const message = renamingPaths((path) => respell(path || `(${what})`), () =>
    messageType.toObject(messageType.fromObject(checkMessage(messageType, value, '', spelled)), LOADER_OPTIONS));
  return { message, readWith: (read) => renamingPaths(respell, () => read(message)) };
}

/** A message's fields, checked and keyed by their camelCase names. */
function checkMessage(type: protobuf.Type, value: unknown, path: string, spelled: Map<string, string>): Obj {
  const at = (name: string) => (path ? `${path}.${name}` : name);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError(path, value, `must be an object (a ${type.name} message)`);
  const out: Obj = {};
  const given = new Map<string, string>();
  for (const [key, v] of Object.entries(value as Obj)) {
    // own properties only: a key such as __proto__ or constructor names no field
    const field = Object.hasOwn(type.fields, key) ? type.fields[key] : Object.hasOwn(type.fields, camel(key)) ? type.fields[camel(key)] : undefined;
    if (!field || (key !== field.name && key !== snakeCase(field.name))) {
      throw new InputError(at(key), v, `is not a field of ${type.name} (its fields: ${type.fieldsArray.map((f) => f.name).join(', ')})`);
    }
    const name = snakeCase(field.name);
    if (given.has(field.name)) throw new InputError(at(name), v, `is given twice (as ${given.get(field.name)} and as ${key})`);
    given.set(field.name, key);
    if (key !== name) spelled.set(name, key);
    if (v === null) continue;
    const oneof = field.partOf;
    if (oneof && !oneof.name.startsWith('_')) {
      const other = oneof.fieldsArray.find((f) => f !== field && out[f.name] !== undefined);
      if (other) throw new InputError(at(name), v, `cannot be given with ${snakeCase(other.name)}: they are alternatives (${oneof.name})`);
    }
    out[field.name] = field.repeated
      ? list(v, at(name)).map((item, i) => checkValue(field, item, `${at(name)}[${i}]`, spelled))
      : checkValue(field, v, at(name), spelled);
  }
  return out;
}

function list(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw new InputError(path, v, 'must be a list');
  return v;
}

const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

const INT_RANGE: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1], sint32: [-(2 ** 31), 2 ** 31 - 1], sfixed32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1], fixed32: [0, 2 ** 32 - 1],
  int64: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], sint64: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  sfixed64: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], uint64: [0, Number.MAX_SAFE_INTEGER], fixed64: [0, Number.MAX_SAFE_INTEGER],
};

/** One value of a field (an element, for a repeated one). */
function checkValue(field: protobuf.Field, v: unknown, path: string, spelled: Map<string, string>): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return checkMessage(resolved, v, path, spelled);
  if (resolved instanceof protobuf.Enum) {
    if (typeof v === 'string' && Object.hasOwn(resolved.values, v)) return v;
    if (Number.isInteger(v) && resolved.valuesById[v as number] !== undefined) return resolved.valuesById[v as number];
    throw new InputError(path, v, `must be one of ${Object.keys(resolved.values).join(', ')}`);
  }
  switch (field.type) {
    case 'double':
    case 'float': {
      const x = typeof v === 'string' ? numberText(v) : v;
      if (typeof x !== 'number') throw new InputError(path, v, 'must be a number');
      return x;
    }
    case 'bool':
      if (typeof v !== 'boolean') throw new InputError(path, v, 'must be true or false');
      return v;
    case 'string':
      if (typeof v !== 'string') throw new InputError(path, v, 'must be a string');
      return v;
    case 'bytes':
      if (typeof v !== 'string') throw new InputError(path, v, 'must be a base64 string');
      return v;
    default: {
      const range = INT_RANGE[field.type];
      const x = typeof v === 'string' ? numberText(v) : v;
      if (!range || !Number.isInteger(x)) throw new InputError(path, v, 'must be a whole number');
      if ((x as number) < range[0] || (x as number) > range[1]) throw new InputError(path, v, `must be a whole number from ${range[0]} to ${range[1]}`);
      return x;
    }
  }
}

/** A number written as a JSON string (proto3 JSON allows it), or undefined. */
function numberText(s: string): number | undefined {
  if (s === 'NaN') return NaN;
  if (s === 'Infinity') return Infinity;
  if (s === '-Infinity') return -Infinity;
  const x = s.trim() === '' ? NaN : Number(s);
  return Number.isNaN(x) ? undefined : x;
}
