import * as grpc from '@grpc/grpc-js';
import { DEFAULT_ADDRESS, startServer, type OptimizerServer } from '../grpc/server.js';
import { EXIT, helpHint, options, UsageError, wholeFlag, type Command } from './args.js';

/** The server command: serve copt.v1.Optimizer over gRPC until stopped. */
export const SERVE_COMMANDS: Record<string, Command> = {
  serve: {
    usage: 'copt serve [--address HOST:PORT | --port N] [--workers N] [--max-queue N]',
    run: serve,
  },
};

/** Serves the optimizer on an address until SIGINT or SIGTERM. */
async function serve(args: string[]): Promise<number> {
  const { values } = options(args, { address: { type: 'string' }, port: { type: 'string' }, workers: { type: 'string' }, 'max-queue': { type: 'string' } }, 0);
  if (values.address !== undefined && values.port !== undefined) throw new UsageError(`give --address or --port, not both (${helpHint()})`);
  const port = wholeFlag(values.port, 'port', 0, 65535);
  const address = values.address ?? (port === undefined ? DEFAULT_ADDRESS : `127.0.0.1:${port}`);
  if (values.address !== undefined) checkAddress(values.address);
  const workers = wholeFlag(values.workers, 'workers', 1, 256);
  const maxQueue = wholeFlag(values['max-queue'], 'max-queue', 0, 100_000);
  let server: OptimizerServer;
  // grpc-js also logs a failed bind; the one line below says it
  grpc.setLogVerbosity(grpc.logVerbosity.NONE);
  try {
    server = await startServer({ address, workers, maxQueue });
  } catch (err) {
    const reason = (err as Error).message;
    throw new UsageError(`cannot listen on ${address}: ${/EADDRINUSE/.test(reason) ? 'the port is in use' : /EADDRNOTAVAIL|ENOTFOUND|resolution/i.test(reason) ? 'no such address on this machine' : reason}`);
  } finally {
    grpc.setLogVerbosity(grpc.logVerbosity.ERROR);
  }
  console.log(`copt: serving copt.v1.Optimizer on ${server.address} (health and reflection on)`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      console.log('copt: shutting down');
      server.shutdown().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return EXIT.ok;
}

/** An --address is HOST:PORT (a name, an IPv4 address or a bracketed IPv6 address, and a port number). */
function checkAddress(address: string): void {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(address);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`--address ${address}: must be HOST:PORT, e.g. 127.0.0.1:50051, 0.0.0.0:50051 or [::1]:50051`);
}
