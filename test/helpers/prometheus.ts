import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { serveMetrics } from '../../server/ops/metrics.js';

/** A free loopback port (bound and released). */
export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A registry's metrics served on a free loopback port. */
async function serveRegistry(registry: Registry): Promise<{ port: number; stop: () => Promise<void> }> {
  const { port, close } = await serveMetrics(registry, '127.0.0.1', 0);
  return { port, stop: close };
}

/** A small exporter on loopback: a request counter and a latency histogram by component, which the test drives. */
export async function startExporter() {
  const registry = new Registry();
  const requests = new Counter({ name: 'copt_test_requests_total', help: 'requests', labelNames: ['component'], registers: [registry] });
  const latency = new Histogram({ name: 'copt_test_request_seconds', help: 'latency', labelNames: ['component'], buckets: [0.01, 0.05, 0.1, 0.5], registers: [registry] });
  const { port, stop } = await serveRegistry(registry);
  return {
    port,
    requests,
    latency,
    stop,
  };
}

export interface PrometheusOptions {
  /** default 1s */
  scrapeInterval?: string;
  /** OpenMetrics text of past samples, written into the data folder with promtool before the start (a history to read) */
  backfill?: string;
}

/** A real Prometheus (Debian's package) on loopback with a temporary data folder, scraping `target` every second. */
export async function startPrometheus(target: string, options: PrometheusOptions = {}): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'copt-prometheus-'));
  const port = await freePort();
  if (options.backfill) {
    writeFileSync(join(dir, 'backfill.om'), options.backfill);
    execFileSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'backfill.om'), join(dir, 'data')], { stdio: 'pipe' });
  }
  const every = options.scrapeInterval ?? '1s';
  writeFileSync(join(dir, 'prometheus.yml'), [
    `global: { scrape_interval: ${every}, scrape_timeout: ${every}, evaluation_interval: ${every} }`,
    'scrape_configs:',
    `  - { job_name: app, static_configs: [ { targets: ["${target}"] } ] }`,
    '',
  ].join('\n'));
  const child: ChildProcess = spawn('prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
    // a backfilled history may reach weeks back: keep it
    '--storage.tsdb.retention.time=3650d',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (b: Buffer) => { log += b.toString(); });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(500) })).ok) return { url, stop };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stop();
  throw new Error(`prometheus did not become ready on ${url}: ${log.slice(-500)}`);
}

/**
 * An application's exporter, in the metric names the loop's default queries read: a request counter
 * and a latency histogram labelled app and component. `set` fixes a component's request rate and
 * mean latency; a driver ticking every 100 ms turns them into samples.
 */
export async function startAppExporter(app: string) {
  const registry = new Registry();
  const requests = new Counter({ name: 'copt_requests_total', help: 'requests', labelNames: ['app', 'component'], registers: [registry] });
  const latency = new Histogram({ name: 'copt_request_seconds', help: 'latency', labelNames: ['app', 'component'], buckets: [0.1, 1, 10, 100, 1000], registers: [registry] });
  const load = new Map<string, { rate: number; latencyS: number }>();
  const driver = setInterval(() => {
    for (const [component, { rate, latencyS }] of load) {
      if (rate > 0) requests.inc({ app, component }, rate / 10);
      latency.observe({ app, component }, latencyS);
    }
  }, 100);
  const { port, stop } = await serveRegistry(registry);
  return {
    port,
    /** a component's requests per second and mean latency from now on */
    set: (component: string, rate: number, latencyS: number) => { load.set(component, { rate, latencyS }); },
    stop: () => {
      clearInterval(driver);
      return stop();
    },
  };
}

/**
 * Per-minute service loads as a gauge `copt_service_load{service}` on loopback, for loops whose
 * minutes last `minuteS` seconds: `set` fixes a service's load from now on; `history` writes the
 * same gauge for past minutes in OpenMetrics (a sample in the middle of each minute of the clock
 * `floor(unix seconds / minuteS)`), for startPrometheus's backfill.
 */
export async function startServiceLoadExporter() {
  const registry = new Registry();
  const gauge = new Gauge({ name: 'copt_service_load', help: 'load per minute', labelNames: ['service'], registers: [registry] });
  const { port, stop } = await serveRegistry(registry);
  return {
    port,
    stop,
    set: (service: string, load: number) => gauge.set({ service }, load),
  };
}

/**
 * OpenMetrics text of services' loads, each for minutes first, first + 1, ... of a clock of
 * `minuteS`-second minutes, as scraped from `target` (startPrometheus's job and instance labels:
 * the history and the live samples are one series).
 */
export function serviceLoadHistory(histories: { service: string; first: number; loads: number[] }[], minuteS: number, target: string): string {
  const lines = ['# HELP copt_service_load load per minute', '# TYPE copt_service_load gauge'];
  for (const { service, first, loads } of histories) {
    loads.forEach((x, i) => lines.push(`copt_service_load{instance="${target}",job="app",service="${service}"} ${x} ${((first + i + 0.5) * minuteS).toFixed(3)}`));
  }
  return `${lines.join('\n')}\n# EOF\n`;
}
