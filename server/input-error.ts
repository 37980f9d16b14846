/** A request field that cannot be used: carries the field path and the offending value. */
export class InputError extends Error {
  constructor(
    readonly path: string,
    readonly value: unknown,
    readonly rule: string,
  ) {
    super(`${path} = ${formatValue(value)}: ${rule}`);
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
