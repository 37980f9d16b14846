import * as grpc from '@grpc/grpc-js';
import { createHash, timingSafeEqual } from 'node:crypto';

/** TLS for the server: its certificate chain and key (PEM), and the CA that client certificates must chain to (mutual TLS). */
export interface ServerTls {
  cert: Buffer;
  key: Buffer;
  /** given: a client without a certificate from this CA is refused in the handshake */
  clientCa?: Buffer;
}

/** TLS and a bearer token for a client of the service. */
export interface ClientSecurity {
  /** the CA the server's certificate chains to (PEM); absent: plaintext */
  ca?: Buffer;
  /** the client's certificate and key, for a server that asks for them */
  cert?: Buffer;
  key?: Buffer;
  /** sent as `authorization: Bearer <token>` on every call */
  token?: string;
}

/** A call refused for its credentials: UNAUTHENTICATED. */
export class UnauthenticatedError extends Error {
  override name = 'UnauthenticatedError';
}

/** The server's credentials: TLS (mutual when a client CA is given) or plaintext. */
export function serverCredentials(tls?: ServerTls): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(tls.clientCa ?? null, [{ cert_chain: tls.cert, private_key: tls.key }], tls.clientCa !== undefined);
}

/** The client's channel credentials and call options for `security`. */
export function clientOptions(security: ClientSecurity = {}): { credentials: grpc.ChannelCredentials; options: grpc.ClientOptions } {
  const credentials = security.ca ? grpc.credentials.createSsl(security.ca, security.key ?? null, security.cert ?? null) : grpc.credentials.createInsecure();
  const token = security.token;
  // an interceptor, not call credentials: grpc-js will not compose call credentials with a plaintext channel
  const withToken: grpc.Interceptor = (options, next) => new grpc.InterceptingCall(next(options), {
    start: (metadata, listener, start) => {
      metadata.set('authorization', `Bearer ${token}`);
      start(metadata, listener);
    },
  });
  return { credentials, options: token ? { interceptors: [withToken] } : {} };
}

/** The tokens of a token file: one a line; blank lines and lines starting with # are skipped. */
export function parseTokens(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

/**
 * Checks a call's `authorization: Bearer <token>` against the configured tokens. Tokens are kept as
 * SHA-256 digests and every one is compared in constant time, so neither a token's length nor which
 * token matched shows in the time taken; no token is ever put in a message.
 */
export class TokenCheck {
  private readonly digests: Buffer[];

  constructor(tokens: string[]) {
    if (tokens.length === 0) throw new Error('no bearer token given');
    this.digests = tokens.map(digest);
  }

  /** Throws UnauthenticatedError unless the metadata carries one of the tokens. */
  check(metadata: grpc.Metadata): void {
    const values = metadata.get('authorization');
    if (values.length === 0) throw new UnauthenticatedError('this server requires a bearer token: send metadata "authorization: Bearer <token>"');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(String(values[0]));
    if (!m) throw new UnauthenticatedError('the authorization metadata must be "Bearer <token>"');
    const given = digest(m[1]);
    let ok = false;
    for (const d of this.digests) ok = timingSafeEqual(d, given) || ok;
    if (!ok) throw new UnauthenticatedError('the bearer token is not one this server accepts');
  }
}

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest();
