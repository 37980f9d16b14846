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

function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return '(missing)';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
