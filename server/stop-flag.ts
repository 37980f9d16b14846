// A stop flag shared with worker threads: Int32 slot 0 != 0 asks the work to stop at its next check.

/** A fresh shared stop flag. */
export function newStopFlag(): SharedArrayBuffer {
  return new SharedArrayBuffer(4);
}

/** Sets a stop flag: the work ends at its next check (a search returns its best so far). */
export function requestStop(flag: SharedArrayBuffer): void {
  Atomics.store(new Int32Array(flag), 0, 1);
}

/** Whether a stop flag is set. */
export function stopRequested(flag: SharedArrayBuffer): boolean {
  return Atomics.load(new Int32Array(flag), 0) !== 0;
}

/** A check of a stop flag, for the loops that poll it. */
export function stopCheck(flag: SharedArrayBuffer): () => boolean {
  const view = new Int32Array(flag);
  return () => Atomics.load(view, 0) !== 0;
}
