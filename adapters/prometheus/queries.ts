import type { PrometheusClient, Reading } from './client.js';

/**
 * PromQL templates with `{name}` placeholders, filled per application, component or service. The
 * defaults assume a counter `copt_requests_total` and a histogram `copt_request_seconds` labelled by
 * app, component and service; a configuration replaces any of them.
 */
export interface QueryTemplates {
  /** requests per second entering a component */
  arrivalRate: string;
  /** a component's response time, in seconds (SPACE4AI's limits are on the mean) */
  componentResponseTime: string;
  /** requests per minute of a replica service, `{window}` its minute (e.g. 60s) and `{minuteS}` that in seconds */
  serviceLoad: string;
  /** a path's response time (`{path}` is the global constraint's name); absent: the sum of its components' */
  pathResponseTime?: string;
}

export const DEFAULT_QUERIES: QueryTemplates = {
  arrivalRate: 'sum(rate(copt_requests_total{app="{app}",component="{component}"}[{window}]))',
  componentResponseTime: 'sum(rate(copt_request_seconds_sum{app="{app}",component="{component}"}[{window}])) / sum(rate(copt_request_seconds_count{app="{app}",component="{component}"}[{window}]))',
  serviceLoad: 'sum(rate(copt_requests_total{service="{service}"}[{window}])) * {minuteS}',
};

/** A template with its placeholders filled; a placeholder without a value is an error naming it. */
export function fillQuery(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (all, name: string) => {
    // PromQL's own braces hold matchers (`{app="x"}`), never a bare name: only those are placeholders
    if (!Object.hasOwn(values, name)) throw new Error(`query ${template}: no value for {${name}} (known: ${Object.keys(values).join(', ')})`);
    return String(values[name]);
  });
}

/** A per-minute load history: the loads, or no data with the reason (too many minutes missing). */
export type LoadHistory = { ok: true; startS: number; loads: number[]; filled: number } | { ok: false; reason: string };

/**
 * The last `minutes` minutes of a service's load, one value a minute (of `minuteS` seconds, 60
 * unless a trace is replayed faster), the last at `endS`. A minute without a sample takes the one
 * before it (counted in `filled`); more than `maxMissing` of them (default a tenth), or a missing
 * first minute, is no data: a gap is never read as zero load.
 */
export async function loadHistory(client: PrometheusClient, query: string, endS: number, minutes: number, maxMissing = Math.floor(minutes / 10), minuteS = 60): Promise<LoadHistory> {
  const startS = endS - (minutes - 1) * minuteS;
  const s = await client.series(query, startS, endS, minuteS);
  if (!s.ok) return s;
  const missing = s.values.filter((v) => v === null).length;
  if (missing > maxMissing) return { ok: false, reason: `${query}: ${missing} of ${minutes} minutes have no sample (at most ${maxMissing} allowed)` };
  if (s.values[0] === null) return { ok: false, reason: `${query}: the first minute (${new Date(startS * 1000).toISOString()}) has no sample` };
  const loads: number[] = [];
  for (const v of s.values) loads.push(v ?? loads[loads.length - 1]);
  return { ok: true, startS, loads, filled: missing };
}

/** The arrival rate entering each of an application's source components, summed: lambda, or no data naming the component that has none. */
export async function arrivalRate(client: PrometheusClient, templates: QueryTemplates, app: string, sources: string[], window = '1m'): Promise<Reading> {
  let total = 0;
  let at = Infinity;
  for (const component of sources) {
    const r = await client.scalar(fillQuery(templates.arrivalRate, { app, component, window }));
    if (!r.ok) return { ok: false, reason: `arrival rate of ${app}/${component}: ${r.reason}` };
    total += r.value;
    at = Math.min(at, r.at);
  }
  return { ok: true, value: total, at };
}

/** Measured response times, in seconds, per component and per path; or no data naming the first one missing. */
export type ResponseTimes = { ok: true; components: Record<string, number>; paths: Record<string, number> } | { ok: false; reason: string };

/**
 * The response times of an application's components and paths: each path by its own query when
 * the templates have one, else as the sum of its components' (as SPACE4AI reckons a path).
 */
export async function responseTimes(client: PrometheusClient, templates: QueryTemplates, app: string, components: string[], paths: { name: string; components: string[] }[], window = '1m'): Promise<ResponseTimes> {
  const wanted = new Set([...components, ...(templates.pathResponseTime ? [] : paths.flatMap((p) => p.components))]);
  const byComponent: Record<string, number> = {};
  for (const component of wanted) {
    const r = await client.scalar(fillQuery(templates.componentResponseTime, { app, component, window }));
    if (!r.ok) return { ok: false, reason: `response time of ${app}/${component}: ${r.reason}` };
    byComponent[component] = r.value;
  }
  const byPath: Record<string, number> = {};
  for (const p of paths) {
    if (!templates.pathResponseTime) {
      byPath[p.name] = p.components.reduce((t, c) => t + byComponent[c], 0);
      continue;
    }
    const r = await client.scalar(fillQuery(templates.pathResponseTime, { app, path: p.name, window }));
    if (!r.ok) return { ok: false, reason: `response time of ${app} path ${p.name}: ${r.reason}` };
    byPath[p.name] = r.value;
  }
  return { ok: true, components: byComponent, paths: byPath };
}
