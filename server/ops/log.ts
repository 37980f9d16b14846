/** Structured logs: one JSON object a line, on stdout, at or above a level. */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type Logger = Record<LogLevel, (msg: string, fields?: Record<string, unknown>) => void>;

/**
 * Writes to stdout once per turn of the event loop: a busy server logs a line per call, and one
 * write per line costs a system call each (stdout to a file or pipe is synchronous). Whatever is
 * pending is written when the process exits.
 */
function batchedStdout(): (line: string) => void {
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    process.stdout.write(text);
  };
  process.once('exit', flush);
  return (line) => {
    if (pending.push(line) === 1) setImmediate(flush);
  };
}

/** A logger writing lines at `level` and above through `write` (default stdout, batched per event-loop turn). */
export function jsonLogger(level: LogLevel = 'info', write: (line: string) => void = batchedStdout()): Logger {
  const least = LOG_LEVELS.indexOf(level);
  const at = (l: LogLevel) => (msg: string, fields: Record<string, unknown> = {}) => {
    if (LOG_LEVELS.indexOf(l) < least) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level: l, msg, ...fields }, errorsAsText)}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A logger that drops everything (library use and tests that do not read logs). */
export const SILENT: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** Errors serialize as their message and stack, not as {}. */
function errorsAsText(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
}
