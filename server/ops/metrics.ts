import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the server shows on /metrics: calls, solve times and budgets, the queue, the workers, stopped searches, improvements, and Node's process metrics. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly calls = new Counter({ name: 'copt_grpc_calls_total', help: 'Calls answered, by method and status code', labelNames: ['method', 'code'], registers: [this.registry] });
  readonly callSeconds = new Histogram({
    name: 'copt_grpc_call_duration_seconds', help: 'Time from a call\'s arrival to its answer, by method', labelNames: ['method'],
    buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300], registers: [this.registry],
  });
  readonly budgetSeconds = new Histogram({
    name: 'copt_search_budget_seconds', help: 'Search seconds granted when a call starts on a worker (after its deadline cut), by method', labelNames: ['method'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300], registers: [this.registry],
  });
  readonly queueWaitSeconds = new Histogram({
    name: 'copt_queue_wait_seconds', help: 'Time a call waited for a worker', buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 30], registers: [this.registry],
  });
  readonly stopped = new Counter({ name: 'copt_searches_stopped_total', help: 'Work asked to stop before its budget ran out, by cause (cancelled, deadline, shutdown)', labelNames: ['cause'], registers: [this.registry] });
  readonly improvements = new Counter({ name: 'copt_search_improvements_total', help: 'Times a placement search reported a better best, by method', labelNames: ['method'], registers: [this.registry] });

  /** `queued` and `busy` are read at each scrape. */
  constructor(queued: () => number, busy: () => number) {
    new Gauge({ name: 'copt_queue_depth', help: 'Calls waiting for a worker', registers: [this.registry], collect() { this.set(queued()); } });
    new Gauge({ name: 'copt_busy_workers', help: 'Workers running a call', registers: [this.registry], collect() { this.set(busy()); } });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Serves GET /metrics on host:port (0: a free one). */
  serve(host: string, port: number): Promise<MetricsEndpoint> {
    return serveMetrics(this.registry, host, port);
  }
}

export interface MetricsEndpoint {
  port: number;
  close(): Promise<void>;
}

/** Serves a registry's metrics on GET /metrics at host:port (0: a free one); anything else is a 404. */
export async function serveMetrics(registry: Registry, host: string, port: number): Promise<MetricsEndpoint> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end('only GET /metrics is served here\n');
      return;
    }
    registry.metrics().then((text) => {
      res.setHeader('content-type', registry.contentType);
      res.end(text);
    }, (err: Error) => res.writeHead(500).end(`${err.message}\n`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { port: (server.address() as AddressInfo).port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
