import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseTokens, type ServerTls } from '../grpc/security.js';
import { DEFAULT_ADDRESS, DEFAULT_MAX_QUEUE, startServer, type OptimizerServer } from '../grpc/server.js';
import { jsonLogger, LOG_LEVELS } from '../ops/log.js';
import type { MetricsEndpoint } from '../ops/metrics.js';
import { choice, EXIT, helpHint, options, UsageError, wholeFlag, type Command } from './args.js';

/** The server command: serve copt.v1.Optimizer over gRPC until stopped. */
export const SERVE_COMMANDS: Record<string, Command> = {
  serve: {
    usage: `copt serve [--address HOST:PORT | --port N] [--workers N] [--max-queue N]
                 [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]] [--auth-tokens FILE]
                 [--metrics-port N [--metrics-address HOST]] [--health-address HOST:PORT] [--log-level debug|info|warn|error]
                 [--config FILE.yaml|json] [--print-config]
           (every setting also from the config file, key = flag name, and from COPT_<FLAG> variables; flags win)`,
    run: serve,
  },
};

/** The settings of `copt serve`: each a flag, a key of the --config file, and a COPT_* environment variable. */
const SETTINGS = ['address', 'port', 'workers', 'max-queue', 'tls-cert', 'tls-key', 'tls-client-ca', 'auth-tokens', 'metrics-port', 'metrics-address', 'health-address', 'log-level'] as const;
type Setting = (typeof SETTINGS)[number];
/** settings that name files: relative to the config file when they come from it */
const FILE_SETTINGS: Setting[] = ['tls-cert', 'tls-key', 'tls-client-ca', 'auth-tokens'];
const envName = (k: Setting) => `COPT_${k.toUpperCase().replace(/-/g, '_')}`;

/**
 * The effective settings: the config file's, then the environment's, then the flags', each
 * winning over the one before; and where each came from, to name it in an error.
 */
function effectiveSettings(flags: Partial<Record<Setting | 'config', string>>): { settings: Partial<Record<Setting, string>>; from: Partial<Record<Setting, string>> } {
  const settings: Partial<Record<Setting, string>> = {};
  const from: Partial<Record<Setting, string>> = {};
  const file = flags.config ?? process.env.COPT_CONFIG;
  if (file) {
    let raw: unknown;
    try {
      raw = /\.json$/i.test(file) ? JSON.parse(readFileSync(file, 'utf8')) : parseYaml(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new UsageError(`--config ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message.split('\n')[0]}`);
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`--config ${file}: must be a mapping of settings (known: ${SETTINGS.join(', ')})`);
    for (const [k, v] of Object.entries(raw)) {
      if (!SETTINGS.includes(k as Setting)) throw new UsageError(`--config ${file}: ${k} is not a setting of copt serve (known: ${SETTINGS.join(', ')})`);
      if (typeof v !== 'string' && typeof v !== 'number') throw new UsageError(`--config ${file}: ${k} = ${JSON.stringify(v)}: must be a string or a number`);
      settings[k as Setting] = FILE_SETTINGS.includes(k as Setting) ? resolve(dirname(file), String(v)) : String(v);
      from[k as Setting] = `${file}: ${k} = `;
    }
  }
  for (const k of SETTINGS) {
    const v = process.env[envName(k)];
    if (v !== undefined && v !== '') {
      settings[k] = v;
      from[k] = `${envName(k)}=`;
    }
    if (flags[k] !== undefined) {
      settings[k] = flags[k];
      delete from[k];
    }
  }
  return { settings, from };
}

/** Runs a check of settings; an error about a setting that came from the file or the environment names that source instead of the flag. */
function namingSource<T>(from: Partial<Record<Setting, string>>, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const m = /^--([a-z-]+) /.exec(err.message);
    const source = m && from[m[1] as Setting];
    throw source ? new UsageError(`${source}${err.message.slice(m![0].length)}`) : err;
  }
}

/** Serves the optimizer on an address until SIGINT or SIGTERM; --print-config shows the effective settings instead. */
async function serve(args: string[]): Promise<number> {
  const spec = Object.fromEntries([...SETTINGS, 'config'].map((k) => [k, { type: 'string' as const }]));
  const parsed = options(args, { ...spec, 'print-config': { type: 'boolean' } }, 0).values as Partial<Record<Setting | 'config', string>> & { 'print-config'?: boolean };
  const { settings: values, from } = effectiveSettings(parsed);
  const checked = namingSource(from, () => {
    if (values.address !== undefined && values.port !== undefined) throw new UsageError(`give --address or --port, not both (${helpHint()})`);
    const port = wholeFlag(values.port, 'port', 0, 65535);
    if (values.address !== undefined) checkAddress(values.address);
    const metricsPort = wholeFlag(values['metrics-port'], 'metrics-port', 0, 65535);
    if (values['health-address'] !== undefined) checkAddress(values['health-address'], 'health-address');
    if (values['metrics-address'] !== undefined && metricsPort === undefined) throw new UsageError(`--metrics-address ${values['metrics-address']}: needs --metrics-port`);
    return {
      address: values.address ?? (port === undefined ? DEFAULT_ADDRESS : `127.0.0.1:${port}`),
      workers: wholeFlag(values.workers, 'workers', 1, 256),
      maxQueue: wholeFlag(values['max-queue'], 'max-queue', 0, 100_000),
      tls: tlsFlags(values['tls-cert'], values['tls-key'], values['tls-client-ca']),
      tokens: values['auth-tokens'] === undefined ? undefined : tokenFile(values['auth-tokens']),
      metricsPort,
      metricsAddress: values['metrics-address'] ?? '127.0.0.1',
      logLevel: choice(values['log-level'], 'log-level', LOG_LEVELS, 'info'),
      healthAddress: values['health-address'],
    };
  });
  const { address, workers, maxQueue, tls, tokens, metricsPort, logLevel, healthAddress } = checked;
  if (parsed['print-config']) {
    // what would run, and where each setting came from; tokens are counted, never shown
    const shown = {
      address, workers: workers ?? availableParallelism(), 'max-queue': maxQueue ?? DEFAULT_MAX_QUEUE,
      'tls-cert': values['tls-cert'] ?? null, 'tls-key': values['tls-key'] ?? null, 'tls-client-ca': values['tls-client-ca'] ?? null,
      'auth-tokens': values['auth-tokens'] ? `${values['auth-tokens']} (${tokens!.length} token${tokens!.length === 1 ? '' : 's'})` : null,
      'metrics-port': metricsPort ?? null, 'metrics-address': metricsPort === undefined ? null : checked.metricsAddress,
      'health-address': healthAddress ?? null, 'log-level': logLevel,
    };
    const sources = Object.fromEntries(SETTINGS.filter((k) => values[k] !== undefined).map((k) => [k, parsed[k] !== undefined ? 'flag' : from[k]!.replace(/ = $|=$/, '')]));
    console.log(JSON.stringify({ settings: shown, from: sources }, null, 2));
    return EXIT.ok;
  }
  const log = jsonLogger(logLevel);
  let server: OptimizerServer;
  // grpc-js also logs a failed bind; the one line below says it
  grpc.setLogVerbosity(grpc.logVerbosity.NONE);
  try {
    server = await startServer({ address, workers, maxQueue, tls, tokens, log, healthAddress });
  } catch (err) {
    const reason = (err as Error).message;
    throw new UsageError(`cannot listen on ${reason.startsWith('the health address') ? healthAddress : address}: ${/EADDRINUSE/.test(reason) ? 'the port is in use' : /EADDRNOTAVAIL|ENOTFOUND|resolution/i.test(reason) ? 'no such address on this machine' : reason}`);
  } finally {
    grpc.setLogVerbosity(grpc.logVerbosity.ERROR);
  }
  let endpoint: MetricsEndpoint | undefined;
  if (metricsPort !== undefined) {
    const host = checked.metricsAddress;
    try {
      endpoint = await server.metrics.serve(host, metricsPort);
    } catch (err) {
      await server.shutdown();
      throw new UsageError(`--metrics-port ${metricsPort}: cannot listen on ${host}:${metricsPort} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  const security = `${tls ? (tls.clientCa ? 'mutual TLS' : 'TLS') : 'plaintext'}${tokens ? `, ${tokens.length} bearer token(s)` : ''}`;
  const metricsAt = endpoint ? `; metrics on http://${checked.metricsAddress}:${endpoint.port}/metrics` : '';
  const healthAt = server.healthAddress ? `; health alone, plaintext, on ${server.healthAddress}` : '';
  log.info(`serving copt.v1.Optimizer on ${server.address} (${security}; health and reflection on${healthAt}${metricsAt})`, {
    address: server.address, workers: workers ?? 'one per core', ...(endpoint ? { metricsPort: endpoint.port } : {}), ...(server.healthAddress ? { healthAddress: server.healthAddress } : {}),
  });
  await new Promise<void>((resolve) => {
    const stop = () => {
      log.info('shutting down: waiting calls refused, running searches answer their best');
      server.shutdown().then(() => endpoint?.close()).then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return EXIT.ok;
}

/** A file given with --flag, read; one that cannot be read is a usage error naming the flag. */
function flagFile(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`--${flag} ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** The TLS flags: a certificate and its key together, a client CA only with them; the PEM files read. */
function tlsFlags(cert: string | undefined, key: string | undefined, clientCa: string | undefined): ServerTls | undefined {
  if (cert === undefined && key === undefined) {
    if (clientCa !== undefined) throw new UsageError(`--tls-client-ca ${clientCa}: needs --tls-cert and --tls-key (mutual TLS is TLS first)`);
    return undefined;
  }
  if (cert === undefined || key === undefined) throw new UsageError(`give --tls-cert and --tls-key together (only --${cert === undefined ? 'tls-key' : 'tls-cert'} was given)`);
  const pem = (file: string, flag: string, what: RegExp) => {
    const text = flagFile(file, flag);
    if (!what.test(text.toString('latin1'))) throw new UsageError(`--${flag} ${file}: holds no PEM ${flag === 'tls-key' ? 'private key' : 'certificate'}`);
    return text;
  };
  return {
    cert: pem(cert, 'tls-cert', /-----BEGIN CERTIFICATE-----/),
    key: pem(key, 'tls-key', /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/),
    ...(clientCa === undefined ? {} : { clientCa: pem(clientCa, 'tls-client-ca', /-----BEGIN CERTIFICATE-----/) }),
  };
}

/** The bearer tokens of --auth-tokens FILE: at least one. */
function tokenFile(file: string): string[] {
  const tokens = parseTokens(flagFile(file, 'auth-tokens').toString('utf8'));
  if (tokens.length === 0) throw new UsageError(`--auth-tokens ${file}: holds no token (one a line; # starts a comment)`);
  return tokens;
}

/** An --address is HOST:PORT (a name, an IPv4 address or a bracketed IPv6 address, and a port number). */
function checkAddress(address: string, flag = 'address'): void {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(address);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`--${flag} ${address}: must be HOST:PORT, e.g. 127.0.0.1:50051, 0.0.0.0:50051 or [::1]:50051`);
}
