import type * as grpc from '@grpc/grpc-js';

type Msg = Record<string, any>;

/** A promisified unary call on a generated client, with an optional deadline. */
export function unaryCall(client: Msg, method: string, request: Msg, deadlineMs?: number): Promise<Msg> {
  return new Promise((resolve, reject) => {
    const opts = deadlineMs === undefined ? {} : { deadline: new Date(Date.now() + deadlineMs) };
    client[method](request, opts, (err: grpc.ServiceError | null, res: Msg) => (err ? reject(err) : resolve(res)));
  });
}

/** The error a call fails with; a call that succeeds fails the test. */
export function failure(p: Promise<unknown>): Promise<grpc.ServiceError> {
  return p.then(() => { throw new Error('the call succeeded'); }, (err) => err as grpc.ServiceError);
}
