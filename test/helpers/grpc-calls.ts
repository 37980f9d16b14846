import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll } from 'vitest';
import { callUnary, optimizerClient } from '../../server/grpc/client.js';
import { startServer, type OptimizerServer } from '../../server/grpc/server.js';

type Msg = Record<string, any>;

/** A promisified unary call on a generated client, with an optional deadline. */
export function unaryCall(client: Msg, method: string, request: Msg, deadlineMs?: number): Promise<Msg> {
  return callUnary(client, method, request, deadlineMs === undefined ? undefined : new Date(Date.now() + deadlineMs));
}

/** The error a call fails with; a call that succeeds fails the test. */
export function failure(p: Promise<unknown>): Promise<grpc.ServiceError> {
  return p.then(() => { throw new Error('the call succeeded'); }, (err) => err as grpc.ServiceError);
}

/** Collects a server-streaming call: its progress events, its `result` (or `solution`), or its error. */
export function streamCall(client: Msg, method: string, request: Msg, onEvent?: (e: Msg, call: grpc.ClientReadableStream<Msg>) => void): Promise<{ progress: Msg[]; result?: Msg; error?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    const progress: Msg[] = [];
    let result: Msg | undefined;
    const call: grpc.ClientReadableStream<Msg> = client[method](request);
    call.on('data', (e: Msg) => {
      if (e.progress) progress.push(e.progress);
      if (e.result ?? e.solution) result = e.result ?? e.solution;
      onEvent?.(e, call);
    });
    call.on('error', (error: grpc.ServiceError) => resolve({ progress, result, error }));
    call.on('end', () => resolve({ progress, result }));
  });
}

/**
 * A server on a free loopback port with one worker thread (so a search that did not stop would block
 * the next call), started before the file's tests and shut after them, with a client and a unary caller.
 */
export function liveServer() {
  let server: OptimizerServer | undefined;
  let client: Msg | undefined;
  beforeAll(async () => {
    server = await startServer({ address: '127.0.0.1:0', workers: 1 });
    client = optimizerClient(server.address);
  });
  afterAll(async () => {
    (client as unknown as grpc.Client | undefined)?.close();
    await server?.shutdown();
  });
  return {
    get client(): Msg { return client!; },
    get address(): string { return server!.address; },
    unary: (method: string, request: Msg, deadlineMs?: number) => unaryCall(client!, method, request, deadlineMs),
    stream: (method: string, request: Msg, onEvent?: (e: Msg, call: grpc.ClientReadableStream<Msg>) => void) => streamCall(client!, method, request, onEvent),
  };
}
