/** Predicts the load of the next `horizon` minutes from the minutes before `now`. */
export interface Forecaster {
  name: string;
  forecast(loads: number[], now: number, horizon: number): number[];
}

/** The load one season earlier (a week of minutes by default); the last value when history is shorter. */
export function seasonalNaive(seasonMin = 7 * 24 * 60): Forecaster {
  return {
    name: 'seasonal',
    forecast: (loads, now, horizon) => Array.from({ length: horizon }, (_, k) => {
      const t = now + k - seasonMin;
      return t >= 0 ? loads[t] : loads[Math.max(0, now - 1)];
    }),
  };
}

/** The truth: what the oracle policies see. */
export const ORACLE: Forecaster = { name: 'oracle', forecast: (loads, now, horizon) => loads.slice(now, now + horizon) };
