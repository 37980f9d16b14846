import fc from 'fast-check';

// Mutations of valid inputs, as fast-check values: each names what it does and where (an index into
// the value's nodes, taken modulo their count), so a failing case shrinks and prints readably.

type Json = unknown;
type Path = (string | number)[];

/** One change to a JSON value or to its text. */
export type Mutation =
  | { op: 'set'; at: number; value: Json }
  | { op: 'delete'; at: number }
  | { op: 'rename'; at: number; name: string }
  | { op: 'repeat'; at: number; times: number }
  | { op: 'nest'; at: number; depth: number }
  | { op: 'truncate'; at: number }
  | { op: 'splice'; at: number; text: string }
  | { op: 'cell'; at: number; column: number; text: string }
  | { op: 'drop-line'; at: number }
  | { op: 'swap-lines'; at: number };

/** Names that break naive handling: Unicode, control characters, quotes, separators, empty, long. */
const NAMES = ['cé1', 'job\none', '\u0000', '\t', '"', "'", '.', '[0]', 'a.b', '', ' ', '💥', '\u202e', '\\', '%', 'x'.repeat(300), 'NaN', '__proto__', 'constructor'];

/** Numbers at and beyond the edges: zero, signs, fractions where whole numbers go, huge, tiny, non-finite (as proto JSON writes them). */
const NUMBERS: Json[] = [0, -0, -1, 1, 0.5, -0.5, 1.5, 2 ** 31, 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 53 + 2, 1e9, 1e15, 1e20, 1e300, -1e300, 5e-324, 1e-300, 'NaN', 'Infinity', '-Infinity', '1e400', '12'];

/** A value to put somewhere it does not belong. */
export const strangeValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(...NUMBERS),
  fc.constantFrom(...NAMES),
  fc.constantFrom(null, true, false, [], {}, [null], { '': 1 }),
  fc.double({ noDefaultInfinity: false }),
  fc.integer(),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Mutations of a JSON value: one to three changes at random nodes. */
export const valueMutations: fc.Arbitrary<Mutation[]> = fc.array(fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: strangeValue }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('rename' as const), at: fc.nat(), name: fc.oneof(fc.constantFrom(...NAMES), fc.string({ unit: 'grapheme', maxLength: 8 })) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('repeat' as const), at: fc.nat(), times: fc.integer({ min: 2, max: 60 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('nest' as const), at: fc.nat(), depth: fc.integer({ min: 1, max: 400 }) }) },
), { minLength: 1, maxLength: 3 });

/** Mutations of a text: cut it short, or splice characters in. */
export const textMutations: fc.Arbitrary<Mutation[]> = fc.array(fc.oneof(
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('splice' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom('{', '}', '[', ']', ',', '"', ':', '\\', '\u0000', 'null', '1e999', '-'), fc.string({ unit: 'binary', maxLength: 6 })) }),
), { minLength: 1, maxLength: 2 });

/** Mutations of a CSV text: a cell set to something else, a line dropped, two lines swapped, or text changes. */
export const csvMutations: fc.Arbitrary<Mutation[]> = fc.array(fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('cell' as const), at: fc.nat(), column: fc.nat(), text: fc.oneof(fc.constantFrom('', '-1', 'x', 'NaN', '1e400', 'not-a-date', '2026-13-40 25:61', '0', ' ', '"'), fc.string({ unit: 'binary', maxLength: 8 })) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('drop-line' as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('swap-lines' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: textMutations.map((m) => m[0]) },
), { minLength: 1, maxLength: 3 });

/** Every node's path, parents before children, at most `limit` of them. */
export function nodePaths(value: Json, limit = 5000): Path[] {
  const out: Path[] = [];
  const walk = (v: Json, path: Path) => {
    if (out.length >= limit) return;
    out.push(path);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(value, []);
  return out;
}

/** A copy of `value` with the mutations applied in turn (ones that do not apply where they land are skipped). */
export function mutateValue(value: Json, mutations: Mutation[]): Json {
  let root = structuredClone(value);
  for (const m of mutations) {
    const paths = nodePaths(root);
    const path = paths[m.at % paths.length];
    const parentPath = path.slice(0, -1);
    const key = path[path.length - 1];
    const parent = parentPath.length ? get(root, parentPath) as Record<string | number, Json> : undefined;
    const node = get(root, path);
    const replace = (v: Json) => {
      if (parent === undefined) root = v;
      else parent[key] = v;
    };
    if (m.op === 'set') replace(structuredClone(m.value));
    else if (m.op === 'delete' && parent !== undefined) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
    } else if (m.op === 'rename' && parent !== undefined && !Array.isArray(parent)) {
      // rebuilt so that the renamed key keeps its place
      const renamed = Object.fromEntries(Object.entries(parent).map(([k, v]) => [k === key ? m.name : k, v]));
      const grand = parentPath.length > 1 ? get(root, parentPath.slice(0, -1)) as Record<string | number, Json> : undefined;
      if (grand === undefined) root = renamed;
      else grand[parentPath[parentPath.length - 1]] = renamed;
    } else if (m.op === 'repeat' && Array.isArray(node) && node.length > 0) {
      replace(Array.from({ length: node.length * m.times }, (_, i) => structuredClone(node[i % node.length])));
    } else if (m.op === 'nest') {
      let v: Json = node;
      for (let d = 0; d < m.depth; d++) v = [v];
      replace(v);
    }
  }
  return root;
}

/** A text with the mutations applied in turn (the line and cell ones read it as CSV). */
export function mutateText(text: string, mutations: Mutation[]): string {
  let out = text;
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % (out.length + 1);
    if (m.op === 'truncate') out = out.slice(0, at);
    else if (m.op === 'splice') out = out.slice(0, at) + m.text + out.slice(at);
    else if (m.op === 'cell' || m.op === 'drop-line' || m.op === 'swap-lines') {
      const lines = out.split('\n');
      const k = m.at % lines.length;
      if (m.op === 'drop-line') lines.splice(k, 1);
      else if (m.op === 'swap-lines' && k + 1 < lines.length) [lines[k], lines[k + 1]] = [lines[k + 1], lines[k]];
      else if (m.op === 'cell') {
        const cells = lines[k].split(',');
        cells[m.column % cells.length] = m.text;
        lines[k] = cells.join(',');
      }
      out = lines.join('\n');
    }
  }
  return out;
}

function get(root: Json, path: Path): Json {
  let v = root as Record<string | number, Json> | undefined;
  for (const k of path) v = v?.[k] as Record<string | number, Json> | undefined;
  return v;
}
