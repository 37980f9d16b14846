/** A request field that cannot be used: carries the field path and the offending value. */
export class InputError extends Error {
  constructor(
    readonly path: string,
    readonly value: unknown,
    readonly rule: string,
  ) {
    super(wellFormed(`${path} = ${formatValue(value)}: ${rule}`));
    this.name = 'InputError';
  }
}

/** A value as the user would write it, shortened: NaN and the infinities by name (JSON would say null). */
function formatValue(value: unknown): string {
  if (typeof value === 'string') return shorten(JSON.stringify(value));
  if (value === undefined) return '(missing)';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  let text: string;
  try {
    text = JSON.stringify(value, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : typeof v === 'bigint' ? String(v) : v)) ?? String(value);
  } catch {
    text = Array.isArray(value) ? `(a list of ${value.length})` : '(an object)';
  }
  return shorten(text);
}

function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A text with lone UTF-16 surrogates replaced (a name, or a value cut short, may split a pair): it then reads the same on every output. */
export function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}
