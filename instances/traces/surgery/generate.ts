import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../../../server/paths.js';
import { random, type Rng } from '../../random.js';

const ROOMS = 10;
const WEEKS = 8;
const DAY = 24 * 60;

/**
 * Concurrent video streams from surgery rooms, minute by minute over `weeks` weeks from a Monday:
 * on weekdays every room runs back-to-back operations from about 7:30 to 18:00 (durations lognormal
 * around 100 min, 20-40 min turnovers), on weekends two rooms from about 9:00 to 15:00 (weekend peaks
 * come to about a fifth of weekday peaks); an operation streams 2-4 cameras, one in ten two more (a 3D endoscope).
 */
export function surgeryTrace(rng: Rng, weeks = WEEKS): number[] {
  const streams = new Array<number>(weeks * 7 * DAY).fill(0);
  const add = (from: number, to: number, k: number) => {
    for (let m = Math.max(0, from); m < Math.min(streams.length, to); m++) streams[m] += k;
  };
  const cameras = () => rng.int(2, 4) + (rng.next() < 0.1 ? 2 : 0);
  for (let day = 0; day < weeks * 7; day++) {
    const base = day * DAY;
    const weekend = day % 7 >= 5;
    for (let room = 0; room < ROOMS; room++) {
      // weekends: two rooms, a shorter day
      if (weekend && room >= 2) continue;
      let t = base + Math.round(weekend ? rng.uniform(9 * 60, 10 * 60) : rng.uniform(7 * 60 + 15, 8 * 60));
      while (t < base + (weekend ? 15 : 18) * 60) {
        const length = Math.round(lognormal(rng, 100, 0.45));
        add(t, t + length, cameras());
        t += length + rng.int(20, 40);
      }
    }
  }
  return streams;
}

function lognormal(rng: Rng, median: number, sigma: number): number {
  const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  return median * Math.exp(sigma * z);
}

function main(): void {
  const { values } = parseArgs({ options: { seed: { type: 'string', default: '2026' }, weeks: { type: 'string', default: String(WEEKS) } } });
  const seed = Number(values.seed);
  const loads = surgeryTrace(random(seed), Number(values.weeks));
  const dir = join(projectRoot(), 'instances', 'traces', 'surgery');
  mkdirSync(dir, { recursive: true });
  // a Monday, so that day k of the trace is weekday k mod 7
  const t0 = Date.UTC(2026, 0, 5);
  const rows = loads.map((v, m) => `${new Date(t0 + m * 60_000).toISOString().slice(0, 16).replace('T', ' ')},${v}`);
  writeFileSync(join(dir, 'streams_per_minute.csv'), ['period,streams', ...rows].join('\n') + '\n');
  const weekdayPeak = Math.max(...loads.filter((_, m) => Math.floor(m / DAY) % 7 < 5));
  const weekendPeak = Math.max(...loads.filter((_, m) => Math.floor(m / DAY) % 7 >= 5));
  console.log(`wrote ${loads.length} minutes (seed ${seed}): weekday peak ${weekdayPeak}, weekend peak ${weekendPeak} (${((100 * weekendPeak) / weekdayPeak).toFixed(0)}%)`);
}

if (process.argv[1]?.endsWith('generate.js')) main();
