// Progress from the worker threads travels on each worker's parentPort, which piscina relays as
// the pool's 'message' event, tagged with the task's number: one channel a worker for its whole
// life. (A MessageChannel made for each task held about 6 KB per task that was never freed.)

/** A worker's message about one task: a progress event, or the end of its events (none follow). */
export interface ProgressMessage {
  coptTask: number;
  event?: unknown;
  end?: true;
}

/** Whether a message from a worker is one of ours. */
export function isProgressMessage(m: unknown): m is ProgressMessage {
  return typeof m === 'object' && m !== null && typeof (m as ProgressMessage).coptTask === 'number';
}
