import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { serveMetrics, type MetricsEndpoint } from '../server/ops/metrics.js';

/** The loop's own Prometheus metrics: cycles, triggers, enactments, failures, the time of the last decision. */
export class LoopMetrics {
  readonly registry = new Registry();
  readonly cycles = new Counter({ name: 'copt_loop_cycles_total', help: 'Cycles run, by application and outcome', labelNames: ['app', 'outcome'], registers: [this.registry] });
  readonly triggers = new Counter({ name: 'copt_loop_triggers_total', help: 'Triggers that held, by application and kind', labelNames: ['app', 'trigger'], registers: [this.registry] });
  readonly enactments = new Counter({ name: 'copt_loop_enactments_total', help: 'Plans enacted on the cluster, by application', labelNames: ['app'], registers: [this.registry] });
  readonly failures = new Counter({ name: 'copt_loop_failures_total', help: 'Cycles that failed (no data, an error, a plan refused or undone), by application and outcome', labelNames: ['app', 'outcome'], registers: [this.registry] });
  readonly lastDecision = new Gauge({ name: 'copt_loop_last_decision_timestamp_seconds', help: 'When the loop last decided for an application (Unix seconds)', labelNames: ['app'], registers: [this.registry] });
  readonly cycleSeconds = new Histogram({ name: 'copt_loop_cycle_seconds', help: 'Wall time of a cycle', labelNames: ['app'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [this.registry] });

  /** Serves /metrics on an address until closed. */
  serve(host: string, port: number): Promise<MetricsEndpoint> {
    return serveMetrics(this.registry, host, port);
  }
}
