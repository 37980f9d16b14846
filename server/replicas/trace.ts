/** A load trace: one load value per minute, in order. */
export interface Trace {
  name: string;
  loads: number[];
  /** the minute of the week of the first row (0: Monday 00:00) when its time is a date, as `YYYY-MM-DD HH:MM` */
  firstWeekMinute?: number;
}

/**
 * A CSV trace with a header: a time column and a load column (the first two unless named), one row
 * per minute as in the WorldCup98 file; a missing or bad load is an error naming the line.
 */
export function parseTrace(name: string, csv: string, timeCol?: string, loadCol?: string): Trace {
  const lines = csv.trim().split(/\r?\n/);
  const head = lines[0].split(',').map((h) => h.trim());
  const column = (want: string | undefined, fallback: number, flag: string) => {
    if (want === undefined) {
      if (head.length <= fallback) throw new Error(`${name}: the header has ${head.length} column(s); a trace needs a time and a load column`);
      return fallback;
    }
    const i = head.indexOf(want);
    if (i < 0) throw new Error(`${name}: ${flag} ${want} names no column (columns: ${head.join(', ')})`);
    return i;
  };
  const time = column(timeCol, 0, '--time-col');
  const load = column(loadCol, 1, '--load-col');
  const loads = lines.slice(1).map((line, k) => {
    const v = Number(line.split(',')[load]);
    if (!Number.isFinite(v) || v < 0) throw new Error(`${name} line ${k + 2}: load ${JSON.stringify(line.split(',')[load])} must be a number >= 0`);
    return v;
  });
  if (loads.length === 0) throw new Error(`${name}: no rows after the header`);
  return { name, loads, firstWeekMinute: weekMinute(lines[1].split(',')[time]) };
}

/** The minute of the week (0: Monday 00:00) of a time written `YYYY-MM-DD HH:MM` (or with a T, seconds after); undefined for anything else. */
export function weekMinute(time: string): number | undefined {
  const m = /^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})/.exec(time);
  if (!m) return undefined;
  const [y, mo, d, h, mi] = m.slice(1).map(Number);
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi));
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59) return undefined;
  return ((date.getUTCDay() + 6) % 7) * 1440 + h * 60 + mi;
}
