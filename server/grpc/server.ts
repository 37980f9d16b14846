import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { inSolutionFile } from '../../adapters/space4ai/solution.js';
import { HealthImplementation } from 'grpc-health-check';
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Admission } from '../admission.js';
import { checkGpuOptions } from '../gpu/service.js';
import { INLINE_PLAN_CELLS, planSeconds } from '../limits.js';
import { unlessZero } from '../fields.js';
import { DEFAULT_SECONDS, evaluateDecision, solvePlacement, type PlacementProgress, type SolvePlacementInput } from '../placement/service.js';
import { maxSustainableLoad } from '../placement/max-load.js';
import { reoptimizePlacement } from '../placement/reoptimize.js';
import { SILENT, type Logger } from '../ops/log.js';
import { ServerMetrics } from '../ops/metrics.js';
import { WorkerPool, type SearchRunner } from '../pool.js';
import { planCells, planReplicas } from '../replicas/plan.js';
import { newStopFlag } from '../stop-flag.js';
import { loadContract, optimizerService } from './contract.js';
import { evaluateInputOf, progressMessage, solutionMessage, solveInputOf } from './convert.js';
import { maxLoadInputOf, reoptimizationMessage, reoptimizeInputOf, sustainableLoadMessage } from './convert-runtime.js';
import { gpuDecisionMessage, gpuInstanceOf, gpuOptionsOf, gpuResultMessage, snapshotOf } from './convert-gpu.js';
import { planInputOf, replicaPlanMessage, replicaResultMessage, sharedPlanInputOf, sharedPlanMessage, simulationInputOf } from './convert-replicas.js';
import { serverCredentials, TokenCheck, type ServerTls } from './security.js';
import { asStatus, UndecodableError } from './status.js';

export const DEFAULT_ADDRESS = '127.0.0.1:50051';
/** Calls waiting for a worker, beyond which a call is refused at once. */
export const DEFAULT_MAX_QUEUE = 64;
const SERVICE = 'copt.v1.Optimizer';

export interface ServerOptions {
  /** host:port to listen on (port 0 picks a free one) */
  address?: string;
  /** worker threads that run searches, replays and plans (default: one per core) */
  workers?: number;
  /** calls that may wait for a worker (default 64) */
  maxQueue?: number;
  /** where the work runs (default: a pool of `workers` threads); tests pass their own */
  runner?: SearchRunner;
  /** TLS (mutual with a client CA); absent: plaintext */
  tls?: ServerTls;
  /** bearer tokens the Optimizer service's calls must carry (health and reflection stay open); absent: none asked */
  tokens?: string[];
  /** one line per call (default: none) */
  log?: Logger;
  /** host:port of a plaintext server of the health service alone, for probes that speak no TLS (Kubernetes' gRPC probes) */
  healthAddress?: string;
}

export interface OptimizerServer {
  /** host:port actually bound */
  address: string;
  /** the figures /metrics shows (served by the caller: `copt serve --metrics-port`) */
  metrics: ServerMetrics;
  /** host:port of the health-only server, when one was asked for */
  healthAddress?: string;
  /** Stops accepting calls, refuses queued ones (UNAVAILABLE), asks running searches to return their best, and waits for them. */
  shutdown(): Promise<void>;
}

type Call = grpc.ServerUnaryCall<any, any> | grpc.ServerWritableStream<any, any>;
type Msg = Record<string, any>;

/** Starts the gRPC server with the Optimizer, health and reflection services. */
export async function startServer(options: ServerOptions = {}): Promise<OptimizerServer> {
  const address = options.address ?? DEFAULT_ADDRESS;
  const workers = options.workers ?? Math.max(1, availableParallelism());
  const runner = options.runner ?? new WorkerPool(workers);
  const log = options.log ?? SILENT;
  const metrics = new ServerMetrics(() => admission.queued, () => admission.busy);
  const admission = new Admission(workers, options.maxQueue ?? DEFAULT_MAX_QUEUE, (cause) => metrics.stopped.inc({ cause }));
  /** what the log line and the metrics of a call gather while it runs */
  const records = new WeakMap<Call, CallRecord>();
  const contract = loadContract();
  const server = new grpc.Server();
  const health = new HealthImplementation({ '': 'SERVING', [SERVICE]: 'SERVING' });
  const tokens = options.tokens ? new TokenCheck(options.tokens) : undefined;
  const hooks: CallHooks = {
    // the request id first (the answer carries it), then credentials (an unauthenticated caller learns nothing of its request), then the request's bytes
    admit: (call) => {
      const requestId = String(call.metadata.get('x-request-id')[0] ?? '').slice(0, 128) || randomUUID();
      records.set(call, { method: call.getPath().split('/').pop() ?? '?', requestId, startedAt: performance.now() });
      const md = new grpc.Metadata();
      md.set('x-request-id', requestId);
      call.sendMetadata(md);
      tokens?.check(call.metadata);
      decoded(call);
    },
    done: (call, code, details) => {
      const r = records.get(call);
      if (!r) return;
      const seconds = (performance.now() - r.startedAt) / 1000;
      const codeName = grpc.status[code] ?? String(code);
      metrics.calls.inc({ method: r.method, code: codeName });
      metrics.callSeconds.observe({ method: r.method }, seconds);
      const fields = {
        method: r.method, code: codeName, durationMs: Math.round(seconds * 1000), requestId: r.requestId, requestBytes: requestBytes.get(call.request as object),
        size: sizeOf(call.request as Msg), ...(r.queueWaitMs === undefined ? {} : { queueWaitMs: r.queueWaitMs, budgetS: r.budgetS }),
        ...(code === grpc.status.OK ? {} : { details }),
      };
      if (code === grpc.status.INTERNAL) log.error('call', fields);
      else log.info('call', fields);
    },
  };
  const unary = (work: (call: grpc.ServerUnaryCall<any, any>) => Promise<unknown>) => unaryHandler(hooks, work);
  const streaming = (work: (call: grpc.ServerWritableStream<any, any>) => Promise<object>) => streamingHandler(hooks, work);

  /**
   * The runner one call's work goes through: admitted to the workers in arrival order, its budget
   * cut to the call's deadline when it starts; cancelling the call withdraws or stops it.
   */
  const admitted = (call: Call, stop: SharedArrayBuffer): SearchRunner => {
    call.on('cancelled', () => admission.cancel(stop));
    const deadline = deadlineOf(call);
    const record = records.get(call);
    const queuedAt = performance.now();
    // the wait and the budget granted, noted when the work starts on a worker
    const started = <T>(start: (s: number) => Promise<T>) => (s: number) => {
      const waitMs = performance.now() - queuedAt;
      metrics.queueWaitSeconds.observe(waitMs / 1000);
      if (Number.isFinite(s)) metrics.budgetSeconds.observe({ method: record?.method ?? '?' }, s);
      if (record) Object.assign(record, { queueWaitMs: Math.round(waitMs), budgetS: Number.isFinite(s) ? s : null });
      return start(s);
    };
    const search = <T>(seconds: number, start: (s: number) => Promise<T>) => admission.submit({ seconds, cuttable: true, deadline, stop, start: started(start) });
    const whole = <T>(seconds: number, start: () => Promise<T>) => admission.submit({ seconds, cuttable: false, deadline, stop, start: started(start) });
    // a better best: less infeasible, or as feasible and cheaper
    let best = { infeasibility: Infinity, cost: Infinity };
    const improved = (p: { infeasibility: number; cost: number }) => {
      if (p.infeasibility < best.infeasibility || (p.infeasibility === best.infeasibility && p.cost < best.cost)) {
        metrics.improvements.inc({ method: record?.method ?? '?' });
        best = { infeasibility: p.infeasibility, cost: p.cost };
      }
    };
    return {
      run: (task, onProgress) => search(task.options.seconds, (s) => runner.run({ ...task, options: { ...task.options, seconds: s } }, (p) => {
        improved(p);
        onProgress(p);
      })),
      runExact: (task) => search(task.seconds, (s) => runner.runExact({
        ...task, seconds: s, warmStart: task.warmStart && { ...task.warmStart, options: { ...task.warmStart.options, seconds: Math.min(task.warmStart.options.seconds, s / 10) } },
      })),
      decideGpu: (task) => search(task.options.seconds ?? 1, (s) => runner.decideGpu({ ...task, options: { ...task.options, seconds: s } })),
      simulateGpu: (task, onProgress) => whole(Infinity, () => runner.simulateGpu(task, onProgress)),
      simulateReplicas: (task, onProgress) => whole(Infinity, () => runner.simulateReplicas(task, onProgress)),
      planReplicas: (task) => whole(planSeconds(planCells(task.service, task.windowLoads.length)), () => runner.planReplicas(task)),
      // the search, then the lower bound, each within half of what it is granted
      planSharedReplicas: (task) => search(2 * task.options.seconds, (s) => runner.planSharedReplicas({ ...task, options: { ...task.options, seconds: s / 2 }, boundSeconds: s / 2 })),
      close: async () => {},
    };
  };

  /** Sheds load before the request is read: refused at once if its place in the queue could not serve it (see Admission.refuseEarly). */
  const early = (call: Call, seconds: number, cuttable = true) => admission.refuseEarly({ seconds, cuttable, deadline: deadlineOf(call) });

  const handlers: grpc.UntypedServiceImplementation = {
    SolvePlacement: unary(async (call) => {
      early(call, unlessZero(call.request.budget?.seconds) ?? DEFAULT_SECONDS);
      const stop = newStopFlag();
      return solutionMessage(await solvePlacement(solveInputOf(call.request), admitted(call, stop), { stop }));
    }),
    SolvePlacementStream: streaming(async (call) => {
      early(call, unlessZero(call.request.budget?.seconds) ?? DEFAULT_SECONDS);
      const stop = newStopFlag();
      const input: SolvePlacementInput = solveInputOf(call.request);
      const solution = await solvePlacement(input, admitted(call, stop), { stop, onProgress: progressTo(call) });
      return { solution: solutionMessage(solution) };
    }),
    EvaluatePlacement: unary(async (call) => {
      const req = evaluateInputOf(call.request);
      return inSolutionFile(req.decision, () => evaluateDecision(req.system, req.profile, req.decision, req.lambda)).evaluation;
    }),
    ReoptimizePlacement: unary(async (call) => {
      early(call, unlessZero(call.request.budget?.seconds) ?? DEFAULT_SECONDS);
      const stop = newStopFlag();
      return reoptimizationMessage(await reoptimizePlacement(reoptimizeInputOf(call.request), admitted(call, stop), { stop }));
    }),
    ReoptimizePlacementStream: streaming(async (call) => {
      early(call, unlessZero(call.request.budget?.seconds) ?? DEFAULT_SECONDS);
      const stop = newStopFlag();
      const result = await reoptimizePlacement(reoptimizeInputOf(call.request), admitted(call, stop), { stop, onProgress: progressTo(call) });
      return { result: reoptimizationMessage(result) };
    }),
    // a bisection of some tens of evaluations: answered here, as an evaluation is
    MaxSustainableLoad: unary(async (call) => sustainableLoadMessage(maxSustainableLoad(maxLoadInputOf(call.request)))),
    ScheduleGpuJobs: unary(async (call) => {
      early(call, unlessZero(call.request.budget?.seconds) ?? 1);
      const instance = await gpuInstanceOf(call.request);
      const snapshot = snapshotOf(call.request, instance);
      const options = gpuOptionsOf(call.request);
      checkGpuOptions(options);
      const stop = newStopFlag();
      return gpuDecisionMessage(await admitted(call, stop).decideGpu({ snapshot, options, stop }), snapshot);
    }),
    SimulateGpuSchedule: streaming(async (call) => {
      early(call, Infinity, false);
      const instance = await gpuInstanceOf(call.request);
      const input = { instance, ...gpuOptionsOf(call.request) };
      checkGpuOptions(input);
      const stop = newStopFlag();
      const summary = await admitted(call, stop).simulateGpu({ input, stop }, (p) => {
        if (!call.cancelled) call.write({ progress: { decisions: p.decisions, timeS: p.timeS, elapsedS: p.elapsedS } });
      });
      return { result: gpuResultMessage(summary, instance, call.request.includeLog === true) };
    }),
    PlanReplicas: unary(async (call) => {
      const { service, windowLoads, current } = planInputOf(call.request);
      // a small plan takes about a millisecond, as an evaluation does: not worth a worker or a place in the queue
      if (planCells(service, windowLoads.length) <= INLINE_PLAN_CELLS) return replicaPlanMessage(planReplicas(service, windowLoads, current));
      const stop = newStopFlag();
      return replicaPlanMessage(await admitted(call, stop).planReplicas({ service, windowLoads, current, stop }));
    }),
    PlanSharedReplicas: unary(async (call) => {
      early(call, 2 * (unlessZero(call.request.budget?.seconds) ?? 2));
      const { request, options } = sharedPlanInputOf(call.request);
      const stop = newStopFlag();
      return sharedPlanMessage(await admitted(call, stop).planSharedReplicas({ request, options, stop }));
    }),
    SimulateReplicas: streaming(async (call) => {
      early(call, Infinity, false);
      const input = simulationInputOf(call.request);
      const stop = newStopFlag();
      const summary = await admitted(call, stop).simulateReplicas({ input, stop }, (p) => {
        if (!call.cancelled) call.write({ progress: p });
      });
      return { result: replicaResultMessage(summary, call.request.includeSeries === true) };
    }),
  };
  server.addService(decodingChecked(optimizerService(contract).service), handlers);
  health.addToServer(server);
  new ReflectionService(contract).addToServer(server);

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, serverCredentials(options.tls), (err, p) => (err ? reject(err) : resolve(p))));
  const host = address.slice(0, address.lastIndexOf(':'));
  let healthOnly: grpc.Server | undefined;
  let healthAddress: string | undefined;
  if (options.healthAddress) {
    healthOnly = new grpc.Server();
    health.addToServer(healthOnly);
    const at = options.healthAddress;
    const bound = await new Promise<number>((resolve, reject) => healthOnly!.bindAsync(at, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)))).catch(async (err) => {
      server.forceShutdown();
      await runner.close();
      throw new Error(`the health address ${at}: ${(err as Error).message}`);
    });
    healthAddress = `${at.slice(0, at.lastIndexOf(':'))}:${bound}`;
  }
  return {
    address: `${host}:${port}`,
    metrics,
    ...(healthAddress ? { healthAddress } : {}),
    shutdown: async () => {
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(SERVICE, 'NOT_SERVING');
      await admission.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      if (healthOnly) await new Promise<void>((resolve) => healthOnly!.tryShutdown(() => resolve()));
      await runner.close();
    },
  };
}

/** Writes a placement search's progress events to a stream while its client listens. */
function progressTo(call: grpc.ServerWritableStream<any, any>): (p: PlacementProgress) => void {
  return (p) => {
    if (!call.cancelled) call.write({ progress: progressMessage(p) });
  };
}

/** A call's deadline in epoch milliseconds; Infinity without one. */
function deadlineOf(call: Call): number {
  const raw = call.getDeadline();
  const at = raw instanceof Date ? raw.getTime() : raw;
  return Number.isFinite(at) ? at : Infinity;
}

/** A call's figures while it runs, for its log line and the metrics. */
interface CallRecord {
  method: string;
  requestId: string;
  startedAt: number;
  queueWaitMs?: number;
  budgetS?: number | null;
}

/** What every handler runs before its work (`admit` throws to refuse) and after its answer. */
interface CallHooks {
  admit(call: Call): void;
  done(call: Call, code: grpc.status, details?: string): void;
}

/** The size of a request in its own terms: counts of the lists it carries natively (a JSON text is counted in requestBytes). */
function sizeOf(request: Msg | undefined): Record<string, number> | undefined {
  if (!request) return undefined;
  const counts: Record<string, number> = {};
  const count = (name: string, v: unknown) => { if (Array.isArray(v) && v.length > 0) counts[name] = v.length; };
  count('components', request.system?.components);
  count('resources', request.system?.resources);
  count('jobs', request.jobs ?? request.instance?.jobs);
  count('windows', request.windowLoads);
  count('services', request.services);
  count('loads', request.loads);
  return Object.keys(counts).length ? counts : undefined;
}

/** Each decoded request's size on the wire. */
const requestBytes = new WeakMap<object, number>();

/** Marks a request that failed to decode; the handler answers it INVALID_ARGUMENT. */
const UNDECODABLE = Symbol('undecodable');

/** The service with every request decoder caught: bytes that do not decode become a marked request instead of grpc-js's INTERNAL. */
function decodingChecked(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  return Object.fromEntries(Object.entries(service).map(([name, method]) => [name, {
    ...method,
    requestDeserialize: (bytes: Buffer) => {
      try {
        const request = method.requestDeserialize(bytes);
        if (typeof request === 'object' && request !== null) requestBytes.set(request, bytes.length);
        return request;
      } catch (err) {
        return { [UNDECODABLE]: `the request is not a valid ${method.path.split('/')[2]} message: ${(err as Error).message}` };
      }
    },
  }])) as grpc.ServiceDefinition;
}

/** The request of a call, refused when it did not decode. */
function decoded(call: Call): void {
  const reason = (call.request as Msg | undefined)?.[UNDECODABLE as unknown as string];
  if (reason) throw new UndecodableError(reason);
}

/** A unary handler: admitted by the hooks, its work's value is the answer, any failure its status; nothing it does can throw out of it. */
function unaryHandler(hooks: CallHooks, work: (call: grpc.ServerUnaryCall<any, any>) => Promise<unknown>): grpc.handleUnaryCall<any, any> {
  return (call, done) => {
    settle(async () => {
      hooks.admit(call);
      return work(call);
    }, (value) => {
      done(null, value);
      hooks.done(call, call.cancelled ? grpc.status.CANCELLED : grpc.status.OK);
    }, (status) => {
      done(status);
      hooks.done(call, status.code ?? grpc.status.UNKNOWN, status.details);
    });
  };
}

/** A server-streaming handler: admitted by the hooks, its work writes progress and returns the last message, which ends the stream; a failure is its status. */
function streamingHandler(hooks: CallHooks, work: (call: grpc.ServerWritableStream<any, any>) => Promise<object>): grpc.handleServerStreamingCall<any, any> {
  return (call) => {
    settle(async () => {
      hooks.admit(call);
      return work(call);
    }, (last) => {
      if (!call.cancelled) call.write(last);
      call.end();
      hooks.done(call, call.cancelled ? grpc.status.CANCELLED : grpc.status.OK);
    }, (status) => {
      call.emit('error', status);
      hooks.done(call, status.code ?? grpc.status.UNKNOWN, status.details);
    });
  };
}

/** Runs work and reports its outcome; if reporting throws (a status grpc-js refuses), a plain INTERNAL status is sent instead. */
function settle<T>(work: () => Promise<T>, ok: (value: T) => void, fail: (status: Partial<grpc.StatusObject>) => void): void {
  const failed = (err: unknown) => {
    try {
      fail(asStatus(err));
    } catch (again) {
      console.error('copt: could not send a status:', again);
      try {
        fail({ code: grpc.status.INTERNAL, details: 'the server could not encode its answer' });
      } catch {
        // the call is gone: nothing left to tell its client
      }
    }
  };
  work().then((value) => {
    try {
      ok(value);
    } catch (err) {
      failed(err);
    }
  }, failed);
}
