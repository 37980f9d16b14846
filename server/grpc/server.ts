import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { checkGpuOptions } from '../gpu/service.js';
import { InputError } from '../input-error.js';
import { evaluateDecision, NoSolutionError, solvePlacement, type PlacementProgress, type SolvePlacementInput } from '../placement/service.js';
import { newStopFlag, requestStop, stopRequested } from '../stop-flag.js';
import { WorkerPool, type SearchRunner } from '../pool.js';
import { StoppedError } from '../stopped-error.js';
import { loadContract, optimizerService } from './contract.js';
import { evaluateInputOf, progressMessage, solutionMessage, solveInputOf } from './convert.js';
import { gpuDecisionMessage, gpuInstanceOf, gpuOptionsOf, gpuResultMessage, snapshotOf } from './convert-gpu.js';
import { planInputOf, replicaPlanMessage, replicaResultMessage, sharedPlanInputOf, sharedPlanMessage, simulationInputOf } from './convert-replicas.js';
import { planReplicas } from '../replicas/plan.js';

export const DEFAULT_ADDRESS = '127.0.0.1:50051';
const SERVICE = 'copt.v1.Optimizer';

export interface OptimizerServer {
  /** host:port actually bound (port 0 picks a free one) */
  address: string;
  /** Stops accepting calls, asks running searches to return their best, and waits for them. */
  shutdown(): Promise<void>;
}

type Call = grpc.ServerUnaryCall<any, any> | grpc.ServerWritableStream<any, any>;

/** Starts the gRPC server with the Optimizer, health and reflection services. */
export async function startServer(address = DEFAULT_ADDRESS, runner: SearchRunner = new WorkerPool()): Promise<OptimizerServer> {
  const contract = loadContract();
  const server = new grpc.Server();
  const running = new Set<SharedArrayBuffer>();
  const health = new HealthImplementation({ '': 'SERVING', [SERVICE]: 'SERVING' });

  /** Runs a solve whose search ends at cancellation, at shutdown, or in time to answer before the deadline. */
  const solve = async (call: Call, input: SolvePlacementInput, onProgress?: (p: PlacementProgress) => void) => {
    const stop = newStopFlag();
    running.add(stop);
    call.on('cancelled', () => requestStop(stop));
    input.seconds = withinDeadline(call, input.seconds);
    try {
      return await solvePlacement(input, runner, { stop, onProgress });
    } finally {
      running.delete(stop);
    }
  };

  /** Runs work that honours a stop flag, set when the call is cancelled or the server shuts down. */
  const stoppable = async <T>(call: Call, work: (stop: SharedArrayBuffer) => Promise<T>): Promise<T> => {
    const stop = newStopFlag();
    running.add(stop);
    call.on('cancelled', () => requestStop(stop));
    try {
      return await work(stop);
    } finally {
      running.delete(stop);
    }
  };

  /** A replay on the workers that ends with StoppedError when the call is cancelled or the server shuts down. */
  const replay = <T>(call: Call, what: string, work: (stop: SharedArrayBuffer) => Promise<T>): Promise<T> =>
    stoppable(call, async (stop) => {
      try {
        return await work(stop);
      } catch (err) {
        // the worker's error loses its class on the way back; the flag says why it ended
        if (stopRequested(stop)) throw new StoppedError(`the ${what} was stopped: call cancelled or server shutting down`);
        throw err;
      }
    });

  server.addService(optimizerService(contract).service, {
    SolvePlacement: (call: grpc.ServerUnaryCall<any, any>, done: grpc.sendUnaryData<any>) => {
      answer(done, async () => solutionMessage(await solve(call, solveInputOf(call.request))));
    },
    SolvePlacementStream: (call: grpc.ServerWritableStream<any, any>) => {
      streamResult(call, async () => {
        const input = solveInputOf(call.request);
        const solution = await solve(call, input, (p) => {
          if (!call.cancelled) call.write({ progress: progressMessage(p) });
        });
        return { solution: solutionMessage(solution) };
      });
    },
    EvaluatePlacement: (call: grpc.ServerUnaryCall<any, any>, done: grpc.sendUnaryData<any>) => {
      answer(done, async () => {
        const req = evaluateInputOf(call.request);
        return evaluateDecision(req.system, req.profile, req.decision, req.lambda).evaluation;
      });
    },
    ScheduleGpuJobs: (call: grpc.ServerUnaryCall<any, any>, done: grpc.sendUnaryData<any>) => {
      answer(done, async () => {
        const instance = await gpuInstanceOf(call.request);
        const snapshot = snapshotOf(call.request, instance);
        const options = gpuOptionsOf(call.request);
        checkGpuOptions(options);
        options.seconds = withinDeadline(call, options.seconds ?? 1);
        const decision = await stoppable(call, (stop) => runner.decideGpu({ snapshot, options, stop }));
        return gpuDecisionMessage(decision, snapshot);
      });
    },
    SimulateGpuSchedule: (call: grpc.ServerWritableStream<any, any>) => {
      streamResult(call, async () => {
        const instance = await gpuInstanceOf(call.request);
        const input = { instance, ...gpuOptionsOf(call.request) };
        checkGpuOptions(input);
        const summary = await replay(call, 'replay', (stop) => runner.simulateGpu({ input, stop }, (p) => {
          if (!call.cancelled) call.write({ progress: { decisions: p.decisions, timeS: p.timeS, elapsedS: p.elapsedS } });
        }));
        return { result: gpuResultMessage(summary, instance, call.request.includeLog === true) };
      });
    },
    PlanReplicas: (call: grpc.ServerUnaryCall<any, any>, done: grpc.sendUnaryData<any>) => {
      answer(done, async () => {
        const { service, windowLoads, current } = planInputOf(call.request);
        return replicaPlanMessage(planReplicas(service, windowLoads, current));
      });
    },
    PlanSharedReplicas: (call: grpc.ServerUnaryCall<any, any>, done: grpc.sendUnaryData<any>) => {
      answer(done, async () => {
        const { request, options } = sharedPlanInputOf(call.request);
        options.seconds = withinDeadline(call, options.seconds);
        return sharedPlanMessage(await stoppable(call, (stop) => runner.planSharedReplicas({ request, options, stop })));
      });
    },
    SimulateReplicas: (call: grpc.ServerWritableStream<any, any>) => {
      streamResult(call, async () => {
        const input = simulationInputOf(call.request);
        const summary = await replay(call, 'replica replay', (stop) => runner.simulateReplicas({ input, stop }, (p) => {
          if (!call.cancelled) call.write({ progress: p });
        }));
        return { result: replicaResultMessage(summary, call.request.includeSeries === true) };
      });
    },
  });
  health.addToServer(server);
  new ReflectionService(contract).addToServer(server);

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  const host = address.slice(0, address.lastIndexOf(':'));
  return {
    address: `${host}:${port}`,
    shutdown: async () => {
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(SERVICE, 'NOT_SERVING');
      for (const stop of running) requestStop(stop);
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      await runner.close();
    },
  };
}

/** A search budget cut short enough to answer before the call's deadline (a margin of a quarter of the time left, at most 200 ms). */
function withinDeadline(call: Call, seconds: number): number {
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  if (!Number.isFinite(at)) return seconds;
  const left = at - Date.now();
  return Math.max(0.001, Math.min(seconds, (left - Math.min(200, left / 4)) / 1000));
}

/** Writes a streamed call's final message and ends it; a failure becomes the call's status. */
function streamResult(call: grpc.ServerWritableStream<any, any>, work: () => Promise<object>): void {
  work().then((last) => {
    if (!call.cancelled) call.write(last);
    call.end();
  }).catch((err) => call.emit('error', asStatus(err)));
}

function answer(done: grpc.sendUnaryData<any>, work: () => Promise<unknown>): void {
  work().then((value) => done(null, value), (err) => done(asStatus(err)));
}

/** InputError -> INVALID_ARGUMENT naming the field; no feasible placement to answer -> FAILED_PRECONDITION; a stopped replay -> CANCELLED; anything else is INTERNAL. */
function asStatus(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof InputError) {
    const metadata = new grpc.Metadata();
    metadata.set('field', err.path);
    return { code: grpc.status.INVALID_ARGUMENT, details: err.message, metadata };
  }
  if (err instanceof NoSolutionError) return { code: grpc.status.FAILED_PRECONDITION, details: err.message };
  if (err instanceof StoppedError) return { code: grpc.status.CANCELLED, details: err.message };
  console.error('copt: internal error:', err);
  return { code: grpc.status.INTERNAL, details: err instanceof Error ? err.message : String(err) };
}
