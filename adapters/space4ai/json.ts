import { InputError } from '../../server/input-error.js';

/** JSON.parse whose failure is an InputError naming what the text was. */
export function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`(${what})`, text.slice(0, 40), `is not valid JSON: ${(err as Error).message}`);
  }
}
