/** A load trace: one load value per minute, in order. */
export interface Trace {
  name: string;
  loads: number[];
  /** the minute of the week of the first row (0: Monday 00:00) when its time is a date, as `YYYY-MM-DD HH:MM` */
  firstWeekMinute?: number;
  /** dated rows more than a minute after the row before (they are read as consecutive minutes) and the longest such gap in minutes */
  gaps: { count: number; longestMin: number };
}

/**
 * A CSV trace with a header: a time column and a load column (the first two unless named), one row
 * per minute as in the WorldCup98 file. Times are dates (`YYYY-MM-DD HH:MM`, seconds allowed) or
 * minute numbers, the same kind on every row, strictly increasing; a missing or bad load or time is
 * an error naming the line. Dated rows further apart than a minute are counted in `gaps`.
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
  if (lines.length < 2) throw new Error(`${name}: no rows after the header`);
  const dated = dateMs(lines[1].split(',')[time]) !== undefined;
  const gaps = { count: 0, longestMin: 0 };
  let before = -Infinity;
  const loads = lines.slice(1).map((line, k) => {
    const cells = line.split(',');
    const at = `${name} line ${k + 2}`;
    const v = Number(cells[load]);
    if (cells[load] === undefined || cells[load].trim() === '' || !Number.isFinite(v) || v < 0) throw new Error(`${at}: load ${JSON.stringify(cells[load] ?? '')} must be a number >= 0`);
    const t = dated ? dateMs(cells[time]) : minuteNumber(cells[time]);
    if (t === undefined) {
      throw new Error(`${at}: time ${JSON.stringify(cells[time] ?? '')} must be ${dated ? 'a date written YYYY-MM-DD HH:MM, as on the first row' : 'a minute number, as on the first row (or every row a date written YYYY-MM-DD HH:MM)'}`);
    }
    if (!(t > before)) throw new Error(`${at}: time ${JSON.stringify(cells[time])} is not after the row before's: rows must be in time order, one per minute`);
    if (dated && k > 0 && t - before > 60_000) {
      gaps.count++;
      gaps.longestMin = Math.max(gaps.longestMin, (t - before) / 60_000);
    }
    before = t;
    return v;
  });
  return { name, loads, firstWeekMinute: weekMinute(lines[1].split(',')[time]), gaps };
}

/** Milliseconds of a time written `YYYY-MM-DD HH:MM` (a T instead of the space, and seconds, allowed), as UTC; undefined for anything else. */
function dateMs(time: string | undefined): number | undefined {
  const m = /^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?\s*$/.exec(time ?? '');
  if (!m) return undefined;
  const [y, mo, d, h, mi, sec] = m.slice(1).map((x) => Number(x ?? 0));
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, sec));
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || sec > 59) return undefined;
  return date.getTime();
}

/** A minute number (a finite number), or undefined. */
function minuteNumber(time: string | undefined): number | undefined {
  if (time === undefined || time.trim() === '') return undefined;
  const x = Number(time);
  return Number.isFinite(x) ? x : undefined;
}

/** The minute of the week (0: Monday 00:00) of a time written `YYYY-MM-DD HH:MM` (or with a T, seconds after); undefined for anything else. */
export function weekMinute(time: string): number | undefined {
  const ms = dateMs(time);
  if (ms === undefined) return undefined;
  const date = new Date(ms);
  return ((date.getUTCDay() + 6) % 7) * 1440 + date.getUTCHours() * 60 + date.getUTCMinutes();
}
