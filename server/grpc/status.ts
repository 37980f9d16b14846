import * as grpc from '@grpc/grpc-js';
import { OverloadedError } from '../admission.js';
import { InputError, wellFormed } from '../input-error.js';
import { NoSolutionError } from '../placement/service.js';
import { UnauthenticatedError } from './security.js';
import { StoppedError } from '../stopped-error.js';

/** A request whose bytes do not decode as its message: answered INVALID_ARGUMENT, not grpc-js's INTERNAL. */
export class UndecodableError extends Error {
  override name = 'UndecodableError';
}

const STOPPED: Record<StoppedError['why'], grpc.status> = {
  cancelled: grpc.status.CANCELLED,
  deadline: grpc.status.DEADLINE_EXCEEDED,
  shutdown: grpc.status.UNAVAILABLE,
};

/**
 * An error as a call's status: bad input -> INVALID_ARGUMENT with the field path in the `field`
 * trailer (`(request)` for bytes that do not decode); overload -> RESOURCE_EXHAUSTED with a retry hint (`grpc-retry-pushback-ms`); stopped
 * work -> CANCELLED, DEADLINE_EXCEEDED or UNAVAILABLE (shutdown, retryable); an exact solve with
 * nothing to answer -> FAILED_PRECONDITION; no or a wrong bearer token -> UNAUTHENTICATED; anything else is INTERNAL and logged.
 */
export function asStatus(err: unknown): Partial<grpc.StatusObject> {
  const status = statusOf(err);
  // grpc-js cannot encode a lone surrogate into grpc-message (an error text may quote the input)
  return { ...status, details: wellFormed(status.details ?? '') };
}

function statusOf(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof InputError) {
    const metadata = new grpc.Metadata();
    metadata.set('field', trailerValue(err.path));
    return { code: grpc.status.INVALID_ARGUMENT, details: err.message, metadata };
  }
  if (err instanceof UndecodableError) {
    const metadata = new grpc.Metadata();
    metadata.set('field', '(request)');
    return { code: grpc.status.INVALID_ARGUMENT, details: err.message, metadata };
  }
  if (err instanceof OverloadedError) {
    const metadata = new grpc.Metadata();
    metadata.set('grpc-retry-pushback-ms', String(Math.ceil(err.retryAfterMs)));
    return { code: grpc.status.RESOURCE_EXHAUSTED, details: err.message, metadata };
  }
  if (err instanceof UnauthenticatedError) return { code: grpc.status.UNAUTHENTICATED, details: err.message };
  if (err instanceof StoppedError) return { code: STOPPED[err.why], details: err.message };
  if (err instanceof NoSolutionError) return { code: grpc.status.FAILED_PRECONDITION, details: err.message };
  console.error('copt: internal error:', err);
  return { code: grpc.status.INTERNAL, details: err instanceof Error ? err.message : String(err) };
}

/**
 * A text as an ASCII metadata value: UTF-8 bytes outside printable ASCII, '%' and spaces
 * percent-encoded (as grpc-message is, and spaces too: HTTP/2 drops a value that starts or ends
 * with one), since grpc-js throws on any other character in a trailer.
 */
export function trailerValue(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out += byte > 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
