import { InputError } from './input-error.js';

/** How deep a JSON text may nest: far above any layout we read (a SPACE4AI solution nests 7 levels), far below what overflows a reader's stack. */
export const MAX_JSON_DEPTH = 100;

/** JSON.parse, refusing texts nested deeper than MAX_JSON_DEPTH; a failure is an InputError naming what the text was (`what`). */
export function parseJsonText(text: string, what: string): unknown {
  if (typeof text !== 'string') throw new InputError(`(${what})`, text, 'must be a JSON text');
  let value: unknown;
  try {
    // V8's parser does not recurse, so even a deep text parses; the readers after it would overflow
    value = JSON.parse(text);
  } catch (err) {
    throw new InputError(`(${what})`, text.slice(0, 40), `is not valid JSON: ${(err as Error).message}`);
  }
  checkDepth(value, what);
  return value;
}

/** A walk with a stack of its own (a recursive one would overflow on the texts it is there to refuse). */
function checkDepth(value: unknown, what: string): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > MAX_JSON_DEPTH) throw new InputError(`(${what})`, v, `nests deeper than ${MAX_JSON_DEPTH} levels`);
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
}
