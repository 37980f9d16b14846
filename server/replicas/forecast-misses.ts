/** A window that has passed: the peak its forecast promised, the load seen when forecasting, and what came. */
interface Outcome {
  forecast: number;
  last: number;
  loads: number[];
}

/**
 * What loads followed forecasts like a given one: a planner's model of its forecaster's misses,
 * learned online from the windows that have passed (nearest neighbours, so a miss at the morning ramp
 * does not widen the quiet night's forecast, as one error distribution for every window would).
 */
export class ForecastMisses {
  private readonly seen: Outcome[] = [];

  /** `neighbours`: how many past windows describe a forecast. */
  constructor(private readonly neighbours = 30) {}

  /** Windows recorded so far. */
  get size(): number {
    return this.seen.length;
  }

  /** Records a window that has passed: its forecast peak, the last load seen when forecasting it, its loads. */
  record(forecast: number, last: number, loads: number[]): void {
    this.seen.push({ forecast, last, loads });
  }

  /** Plausible loads of a window forecast at `forecast`: the loads of the windows with the closest forecasts, each moved by its forecast's difference; sorted. */
  around(forecast: number): number[] {
    return this.loadsOf((o) => Math.abs(o.forecast - forecast), (o) => forecast - o.forecast);
  }

  /**
   * The same for the window about to start, seen from the last load: windows whose last load and
   * forecast rise from it were closest, each moved by its last load's difference (the last load says
   * more about the next minutes than a forecast made from peaks).
   */
  next(forecast: number, last: number): number[] {
    const rise = forecast - last;
    return this.loadsOf((o) => Math.abs(o.last - last) + Math.abs(o.forecast - o.last - rise), (o) => last - o.last);
  }

  private loadsOf(distance: (o: Outcome) => number, shift: (o: Outcome) => number): number[] {
    const near = this.seen.map((o) => ({ o, d: distance(o) })).sort((a, b) => a.d - b.d).slice(0, this.neighbours);
    return near.flatMap(({ o }) => o.loads.map((l) => Math.max(0, l + shift(o)))).sort((a, b) => a - b);
  }
}

/** The share of sorted values above x. */
export function shareAbove(sorted: number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return sorted.length === 0 ? 0 : (sorted.length - lo) / sorted.length;
}
