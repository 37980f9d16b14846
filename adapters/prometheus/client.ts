/**
 * A client of the Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`) that answers a number
 * or "no data, because ...": it translates and decides nothing. An error envelope, an HTTP error, an
 * empty result, NaN or Inf, more series than one and a sample older than the staleness limit are all
 * no data with their reason, never a number.
 */

/** A reading: a value at a time, or no data and why. */
export type Reading = { ok: true; value: number; at: number } | { ok: false; reason: string };

/** A per-step series: each step's value, or null where it has none; or no data and why. */
export type SeriesReading = { ok: true; start: number; stepS: number; values: (number | null)[] } | { ok: false; reason: string };

export interface PrometheusOptions {
  /** base URL, e.g. http://127.0.0.1:9090 */
  url: string;
  /** per call (default 5 s) */
  timeoutMs?: number;
  /** a sample older than this many seconds is no data (default 120) */
  stalenessS?: number;
  /** queries longer than this go as a POST form (default 2000 characters) */
  postAbove?: number;
}

type Json = Record<string, any>;

/** The most points Prometheus answers in one range query. */
const MAX_POINTS = 11_000;

/** Asks one Prometheus server; every answer is a reading, every failure a reason. */
export class PrometheusClient {
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly stalenessS: number;
  private readonly postAbove: number;

  constructor(options: PrometheusOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.stalenessS = options.stalenessS ?? 120;
    this.postAbove = options.postAbove ?? 2000;
  }

  /** One number: an instant query that must give exactly one series (or a scalar), fresh and finite. */
  async scalar(query: string, atS?: number): Promise<Reading> {
    const body = await this.call('query', { query, ...(atS === undefined ? {} : { time: String(atS) }) });
    if (!body.ok) return body;
    const { resultType, result } = body.data;
    let sample: [number, string] | undefined;
    if (resultType === 'scalar') sample = result;
    else if (resultType === 'vector') {
      if (result.length === 0) return { ok: false, reason: `no series matches ${query}` };
      if (result.length > 1) return { ok: false, reason: `${result.length} series match ${query} (${result.slice(0, 3).map((s: Json) => labels(s.metric)).join(', ')}${result.length > 3 ? ', ...' : ''}); one is expected` };
      sample = result[0].value;
    } else return { ok: false, reason: `${query} gives a ${resultType}; a number is expected` };
    return this.sampleOf(query, sample!, atS ?? Date.now() / 1000);
  }

  /**
   * One series over [startS, endS] at a step: range queries that must each give one series (a range
   * longer than Prometheus's 11,000 points per query is asked in parts); steps without a sample are null.
   */
  async series(query: string, startS: number, endS: number, stepS: number): Promise<SeriesReading> {
    const steps = Math.floor((endS - startS) / stepS + 1e-9) + 1;
    const values: (number | null)[] = new Array(steps).fill(null);
    let newest = -Infinity;
    for (let first = 0; first < steps; first += MAX_POINTS) {
      const from = startS + first * stepS;
      const to = startS + (Math.min(steps, first + MAX_POINTS) - 1) * stepS;
      const body = await this.call('query_range', { query, start: String(from), end: String(to), step: String(stepS) });
      if (!body.ok) return body;
      const { resultType, result } = body.data;
      if (resultType !== 'matrix') return { ok: false, reason: `${query} gives a ${resultType}; a series is expected` };
      if (result.length > 1) return { ok: false, reason: `${result.length} series match ${query}; one is expected` };
      for (const [t, v] of (result[0]?.values ?? []) as [number, string][]) {
        const k = Math.round((t - startS) / stepS);
        const x = Number(v);
        if (k < 0 || k >= steps || !Number.isFinite(x)) continue;
        values[k] = x;
        newest = Math.max(newest, t);
      }
    }
    if (!Number.isFinite(newest)) return { ok: false, reason: `no series matches ${query} with a finite sample between ${iso(startS)} and ${iso(endS)}` };
    if (endS - newest > this.stalenessS) return { ok: false, reason: `${query}: the newest sample (${iso(newest)}) is ${Math.round(endS - newest)} s older than ${iso(endS)} (limit ${this.stalenessS} s)` };
    return { ok: true, start: startS, stepS, values };
  }

  /** A sample as a reading: finite, and no older than the staleness limit at `nowS`. */
  private sampleOf(query: string, [t, v]: [number, string], nowS: number): Reading {
    const value = Number(v);
    if (!Number.isFinite(value)) return { ok: false, reason: `${query} is ${v}` };
    if (nowS - t > this.stalenessS) return { ok: false, reason: `${query}: the sample at ${iso(t)} is ${Math.round(nowS - t)} s old (limit ${this.stalenessS} s)` };
    return { ok: true, value, at: t };
  }

  /** One API call: its `data`, or the reason there is none (unreachable, timed out, an HTTP error, an error envelope). */
  private async call(endpoint: string, params: Record<string, string>): Promise<{ ok: true; data: Json } | { ok: false; reason: string }> {
    const form = new URLSearchParams(params).toString();
    const target = `${this.url}/api/v1/${endpoint}`;
    const post = params.query.length > this.postAbove;
    let res: Response;
    try {
      res = await fetch(post ? target : `${target}?${form}`, {
        method: post ? 'POST' : 'GET',
        headers: post ? { 'content-type': 'application/x-www-form-urlencoded' } : undefined,
        body: post ? form : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      if (e.name === 'TimeoutError') return { ok: false, reason: `${this.url} did not answer within ${this.timeoutMs} ms` };
      return { ok: false, reason: `${this.url} is unreachable (${e.cause?.code ?? e.message})` };
    }
    let body: Json | undefined;
    try {
      body = (await res.json()) as Json;
    } catch {
      body = undefined;
    }
    if (body?.status === 'error') return { ok: false, reason: `Prometheus: ${body.errorType ?? 'error'}: ${body.error ?? 'no message'} (HTTP ${res.status})` };
    if (!res.ok) return { ok: false, reason: `${target} answered HTTP ${res.status}` };
    if (body?.status !== 'success' || typeof body.data !== 'object' || body.data === null) return { ok: false, reason: `${target} did not answer a Prometheus API envelope` };
    return { ok: true, data: body.data };
  }
}

const labels = (metric: Json) => `{${Object.entries(metric).map(([k, v]) => `${k}="${v}"`).join(',')}}`;
const iso = (s: number) => new Date(s * 1000).toISOString();
