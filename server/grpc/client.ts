import * as grpc from '@grpc/grpc-js';
import { optimizerService } from './contract.js';
import { clientOptions, type ClientSecurity } from './security.js';

type Msg = Record<string, any>;

/** A client of the Optimizer service at host:port, plaintext unless `security` gives a CA, with its bearer token if it gives one. */
export function optimizerClient(address: string, security?: ClientSecurity): grpc.Client & Record<string, any> {
  const Optimizer = optimizerService();
  const { credentials, options } = clientOptions(security);
  return new Optimizer(address, credentials, options) as grpc.Client & Record<string, any>;
}

/** Calls SolvePlacementStream; resolves with the final solution message, reporting progress messages on the way. */
export function solveOverStream(client: Msg, request: Msg, onProgress: (p: Msg) => void, deadline?: Date): Promise<Msg> {
  return new Promise((resolve, reject) => {
    let solution: Msg | undefined;
    const call = client.SolvePlacementStream(request, deadline ? { deadline } : {});
    call.on('data', (event: Msg) => {
      if (event.progress) onProgress(event.progress);
      if (event.solution) solution = event.solution;
    });
    call.on('error', reject);
    call.on('end', () => (solution ? resolve(solution) : reject(new Error('the stream ended without a solution'))));
  });
}

/** One unary call, promisified, with an optional deadline. */
export function callUnary(client: Msg, method: string, request: Msg, deadline?: Date): Promise<Msg> {
  return new Promise((resolve, reject) => {
    client[method](request, deadline ? { deadline } : {}, (err: grpc.ServiceError | null, res: Msg) => (err ? reject(err) : resolve(res)));
  });
}
