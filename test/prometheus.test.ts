import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusClient } from '../adapters/prometheus/client.js';
import { arrivalRate, DEFAULT_QUERIES, fillQuery, loadHistory } from '../adapters/prometheus/queries.js';
import { freePort, startExporter, startPrometheus } from './helpers/prometheus.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the Prometheus adapter against a real Prometheus server', () => {
  let exporter: Awaited<ReturnType<typeof startExporter>>;
  let prometheus: Awaited<ReturnType<typeof startPrometheus>>;
  let driver: NodeJS.Timeout;
  let client: PrometheusClient;

  beforeAll(async () => {
    exporter = await startExporter();
    prometheus = await startPrometheus(`127.0.0.1:${exporter.port}`);
    client = new PrometheusClient({ url: prometheus.url, timeoutMs: 2000 });
    // component a: 20 requests a second of 30 ms; component b: 5 a second of 200 ms
    let tick = 0;
    driver = setInterval(() => {
      exporter.requests.inc({ component: 'a' });
      exporter.latency.observe({ component: 'a' }, 0.03);
      if (tick++ % 4 === 0) {
        exporter.requests.inc({ component: 'b' });
        exporter.latency.observe({ component: 'b' }, 0.2);
      }
    }, 50);
    // enough scrapes for a rate over 5 s (bounded: 15 s)
    for (let i = 0; i < 30; i++) {
      const r = await client.scalar('count_over_time(copt_test_requests_total{component="a"}[10s])');
      if (r.ok && r.value >= 6) break;
      await sleep(500);
    }
  }, 30_000);

  afterAll(async () => {
    clearInterval(driver);
    await prometheus?.stop();
    await exporter?.stop();
  });

  it('reads an arrival rate and a latency percentile from a histogram', async () => {
    const rate = await client.scalar('rate(copt_test_requests_total{component="a"}[5s])');
    expect(rate.ok, JSON.stringify(rate)).toBe(true);
    if (rate.ok) expect(rate.value).toBeGreaterThan(12);
    if (rate.ok) expect(rate.value).toBeLessThan(24);
    const p95 = await client.scalar('histogram_quantile(0.95, sum by (le) (rate(copt_test_request_seconds_bucket{component="b"}[5s])))');
    expect(p95.ok, JSON.stringify(p95)).toBe(true);
    if (p95.ok) expect(p95.value).toBeGreaterThan(0.1);
    if (p95.ok) expect(p95.value).toBeLessThanOrEqual(0.5);
  });

  it('reads a per-step series, by GET and by POST form alike', async () => {
    const end = Math.floor(Date.now() / 1000);
    const query = 'rate(copt_test_requests_total{component="a"}[3s])';
    const get = await client.series(query, end - 4, end, 1);
    const post = await new PrometheusClient({ url: prometheus.url, postAbove: 10 }).series(query, end - 4, end, 1);
    expect(get.ok, JSON.stringify(get)).toBe(true);
    expect(post).toEqual(get);
    if (get.ok) {
      expect(get.values).toHaveLength(5);
      expect(get.values.filter((v) => v !== null).length).toBeGreaterThanOrEqual(3);
    }
  });

  it('answers no data, with the reason, for an empty result, NaN, Inf, several series and a bad query', async () => {
    const reason = async (q: string) => {
      const r = await client.scalar(q);
      expect(r.ok, q).toBe(false);
      return r.ok ? '' : r.reason;
    };
    expect(await reason('copt_test_nothing_total')).toMatch(/^no series matches copt_test_nothing_total/);
    expect(await reason('0 / 0')).toMatch(/is NaN$/);
    expect(await reason('1 / 0')).toMatch(/is \+Inf$/);
    expect(await reason('copt_test_requests_total')).toMatch(/^2 series match copt_test_requests_total \(\{.*component="a".*\}.*\); one is expected$/);
    expect(await reason('rate(copt_test_requests_total)')).toMatch(/^Prometheus: bad_data: .*\(HTTP 400\)$/);
    const range = await client.series('copt_test_nothing_total', 1, 100, 10);
    expect(range.ok ? '' : range.reason).toMatch(/^no series matches/);
  });

  it('fills query templates and sums the arrival rate over the sources; a history shorter than asked is no data', async () => {
    const templates = { ...DEFAULT_QUERIES, arrivalRate: 'sum(rate(copt_test_requests_total{component="{component}"}[{window}]))' };
    const lambda = await arrivalRate(client, templates, 'shop', ['a', 'b'], '5s');
    expect(lambda.ok, JSON.stringify(lambda)).toBe(true);
    if (lambda.ok) expect(lambda.value).toBeGreaterThan(15);
    if (lambda.ok) expect(lambda.value).toBeLessThan(30);
    const missing = await arrivalRate(client, templates, 'shop', ['a', 'zz'], '5s');
    expect(missing.ok ? '' : missing.reason).toMatch(/^arrival rate of shop\/zz: no series matches/);
    const now = Math.floor(Date.now() / 1000);
    const short = await loadHistory(client, 'sum(rate(copt_test_requests_total[10s])) * 60', now, 5);
    expect(short.ok ? '' : short.reason).toMatch(/minutes have no sample|the first minute/);
    expect(() => fillQuery(DEFAULT_QUERIES.componentResponseTime, { app: 'shop', component: 'a' })).toThrow(/no value for \{window\}/);
  });

  it('answers no data once the target stops being scraped (stale), never its last value', async () => {
    const last = await client.scalar('copt_test_requests_total{component="a"}');
    expect(last.ok).toBe(true);
    await exporter.stop();
    let r = last;
    for (let i = 0; i < 20 && r.ok; i++) {
      await sleep(500);
      r = await client.scalar('copt_test_requests_total{component="a"}');
    }
    expect(r.ok ? 'still a number' : r.reason).toMatch(/^no series matches/);
    const end = Math.floor(Date.now() / 1000) + 10;
    const stale = await new PrometheusClient({ url: prometheus.url, stalenessS: 5 }).series('copt_test_requests_total{component="a"}', end - 30, end, 1);
    expect(stale.ok ? 'fresh' : stale.reason).toMatch(/the newest sample .* older than .*limit 5 s/);
  }, 20_000);
});

describe('the Prometheus adapter against servers that fail', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url!.includes('hang')) return; // never answers
      if (req.url!.includes('gappy')) {
        // minutes 0, 1 and 3 of 0..4 have samples: two gaps
        const start = Number(new URL(req.url!, 'http://x').searchParams.get('start'));
        const values = [0, 1, 3].map((k) => [start + 60 * k, String(10 * (k + 1))]);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values }] } }));
        return;
      }
      if (req.url!.includes('busy')) { res.writeHead(503).end('overloaded'); return; }
      if (req.url!.includes('heavy')) { res.writeHead(422, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'error', errorType: 'execution', error: 'query processing would load too many samples' })); return; }
      res.writeHead(200).end('<html>not prometheus</html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));

  it('turns 503, 422, a hang, a foreign page and a closed port into no data with the reason', async () => {
    const client = new PrometheusClient({ url, timeoutMs: 300 });
    const reason = async (c: PrometheusClient, q: string) => {
      const r = await c.scalar(q);
      return r.ok ? 'a number' : r.reason;
    };
    expect(await reason(client, 'busy')).toMatch(/answered HTTP 503$/);
    expect(await reason(client, 'heavy')).toBe('Prometheus: execution: query processing would load too many samples (HTTP 422)');
    const t0 = Date.now();
    expect(await reason(client, 'hang')).toBe(`${url} did not answer within 300 ms`);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await reason(client, 'up')).toMatch(/did not answer a Prometheus API envelope$/);
    const closed = `http://127.0.0.1:${await freePort()}`;
    expect(await reason(new PrometheusClient({ url: closed }), 'up')).toBe(`${closed} is unreachable (ECONNREFUSED)`);
  });

  it('fills a load history\'s missing minutes from the minute before, up to a limit, and never with zero', async () => {
    const client = new PrometheusClient({ url, stalenessS: 600 });
    const end = 1_800_000_000;
    const ok = await loadHistory(client, 'gappy', end, 5, 2);
    expect(ok).toEqual({ ok: true, startS: end - 240, loads: [10, 20, 20, 40, 40], filled: 2 });
    const strict = await loadHistory(client, 'gappy', end, 5, 1);
    expect(strict.ok ? '' : strict.reason).toBe('gappy: 2 of 5 minutes have no sample (at most 1 allowed)');
  });
});
