import * as grpc from '@grpc/grpc-js';
import { optimizerService } from './contract.js';
import { clientOptions, type ClientSecurity } from './security.js';

type Msg = Record<string, any>;

/**
 * A client of the Optimizer service, plaintext unless `security` gives a CA, with its bearer token
 * if it gives one. `address` is host:port, a comma-separated list of IP host:port pairs, or any gRPC
 * target (`dns:///copt-serve-headless:50051`, whose DNS lists every replica); calls go round-robin
 * over every address the target resolves to.
 */
export function optimizerClient(address: string, security?: ClientSecurity): grpc.Client & Record<string, any> {
  const Optimizer = optimizerService();
  const { credentials, options } = clientOptions(security);
  return new Optimizer(channelTarget(address), credentials, { ...options, ...ROUND_ROBIN }) as grpc.Client & Record<string, any>;
}

/** Calls spread over every resolved address, not all to the first (grpc-js's default, pick_first). */
const ROUND_ROBIN = { 'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }) };

/** A list `a:1,b:2` as the ipv4: (or ipv6:) target grpc-js resolves to those addresses; anything else as given. */
export function channelTarget(address: string): string {
  if (!address.includes(',') || /^[a-z0-9+.-]+:\/\//i.test(address) || /^(ipv4|ipv6|unix|dns):/.test(address)) return address;
  const parts = address.split(',').map((p) => p.trim());
  return parts.every((p) => p.startsWith('[')) ? `ipv6:${parts.join(',')}` : `ipv4:${parts.join(',')}`;
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
