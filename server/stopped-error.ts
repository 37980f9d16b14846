/** Why work was stopped before it finished. */
export type StopCause = 'cancelled' | 'deadline' | 'shutdown';

/** Work ended early, or was never started, because its caller or the server asked it to stop. */
export class StoppedError extends Error {
  override name = 'StoppedError';
  constructor(message: string, readonly why: StopCause = 'cancelled') {
    super(message);
  }
}
