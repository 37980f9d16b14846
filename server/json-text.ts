import { InputError } from './input-error.js';

/** How deep a JSON text may nest: far above any layout we read (a SPACE4AI solution nests 7 levels), far below what overflows a reader's stack. */
export const MAX_JSON_DEPTH = 100;

/** JSON.parse, refusing texts nested deeper than MAX_JSON_DEPTH; a failure is an InputError naming what the text was (`what`). */
export function parseJsonText(text: string, what: string): unknown {
  if (typeof text !== 'string') throw new InputError(`(${what})`, text, 'must be a JSON text');
  checkDepth(text, what);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`(${what})`, text.slice(0, 40), `is not valid JSON: ${(err as Error).message}`);
  }
}

/** One pass over the text counting brackets outside strings. */
function checkDepth(text: string, what: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) throw new InputError(`(${what})`, text.slice(Math.max(0, i - 12), i + 1), `nests deeper than ${MAX_JSON_DEPTH} levels (at character ${i})`);
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
}
