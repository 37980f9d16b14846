/** A replay ended early because its caller asked it to stop. */
export class StoppedError extends Error {
  override name = 'StoppedError';
}
