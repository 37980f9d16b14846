import type { Client } from '@grpc/grpc-js';
import { Cluster } from '../adapters/kubernetes/cluster.js';
import { PrometheusClient } from '../adapters/prometheus/client.js';
import { optimizerClient } from '../server/grpc/client.js';
import { restoreState, type AuditLine } from './audit.js';
import type { LoopConfig, Mode } from './config.js';
import { ApplicationLoop } from './cycle.js';
import { LoopMetrics } from './metrics.js';
import { ReplicaServiceLoop } from './replicas.js';

/** The loop's parts, wired from its configuration; each application's state restored from the audit log. */
export function loopParts(config: LoopConfig, log: (line: string) => void = (l) => console.log(l)) {
  const metrics = new LoopMetrics();
  const optimizer = optimizerClient(config.server, config.serverSecurity);
  const deps = {
    prometheus: new PrometheusClient({ url: config.prometheus.url, timeoutMs: config.prometheus.timeoutS * 1000, stalenessS: config.prometheus.stalenessS }),
    cluster: new Cluster({ kubeconfig: config.kubernetes.kubeconfig, fieldManager: config.kubernetes.fieldManager, rolloutTimeoutMs: config.kubernetes.rolloutTimeoutS * 1000 }),
    optimizer,
    metrics,
    log,
  };
  const restored = restoreState(config.audit);
  const apps: (ApplicationLoop | ReplicaServiceLoop)[] = [
    ...config.applications.map((a) => new ApplicationLoop(config, a, deps, restored.get(a.name)?.state, restored.get(a.name)?.cycle)),
    ...config.replicaServices.map((s) => new ReplicaServiceLoop(config, s, deps, restored.get(s.name)?.cycle)),
  ];
  return { apps, metrics, close: () => (optimizer as unknown as Client).close() };
}

export interface RunOptions {
  mode?: Mode;
  /** cycles to run, then return (1 for --once); default until `signal` aborts */
  cycles?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/**
 * Runs cycles every `intervalS`, each application and replica service in turn, until the cycle count or the signal;
 * a cycle that overruns the interval makes the next start at once, never two at a time.
 */
export async function runLoop(config: LoopConfig, options: RunOptions = {}): Promise<AuditLine[]> {
  const { apps, metrics, close } = loopParts(config, options.log);
  const server = config.metricsPort ? await metrics.serve(config.metricsAddress, config.metricsPort) : undefined;
  const lines: AuditLine[] = [];
  try {
    for (let n = 0; options.cycles === undefined || n < options.cycles; n++) {
      const start = Date.now();
      for (const app of apps) {
        if (options.signal?.aborted) return lines;
        lines.push(await app.cycle(options.mode ?? config.mode));
      }
      if (options.cycles !== undefined && n + 1 >= options.cycles) break;
      const wait = Math.max(0, start + config.intervalS * 1000 - Date.now());
      if (!(await sleep(wait, options.signal))) break;
    }
    return lines;
  } finally {
    await server?.close();
    close();
  }
}

/** Sleeps; false when the signal aborted it. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
