// Size limits on requests. Each bounds what one task can take of a worker (memory, and time until
// its next stop check), so that no request within them can exhaust the machine; a request over one
// is INVALID_ARGUMENT naming the field.

/** Windows x (max_replicas + 1) of one replica plan: its table takes 2 bytes a cell (100 MB) and about 0.5 s here. */
export const MAX_PLAN_CELLS = 50_000_000;

/** Replica plans of at most this many cells (about a millisecond) are answered on the gRPC thread, as evaluations are; larger ones on the workers. */
export const INLINE_PLAN_CELLS = 100_000;

/** Planned time of a replica plan of this many cells, for admission (measured about 1e8 cells/s here; half that, for slower machines). */
export function planSeconds(cells: number): number {
  return 0.01 + cells / 5e7;
}

/** Edge/VM/FaaS resources of a placement system: the search lists a move for every pair (4 x 3 ints each, 48 MB at this size). */
export const MAX_RESOURCES = 2000;

/** Instances of one edge/VM resource (`number`): counts are 32-bit in the solver, and the exact solvers go through them one by one. */
export const MAX_INSTANCES = 100_000;

/** Elite-set size of the engines: each member keeps a whole solution, and relinking walks from the best to each. */
export const MAX_ELITE = 1000;

/** Random moves in one kick, and moves sampled per tabu step: each runs between two stop checks. */
export const MAX_KICK_MOVES = 1000;
export const MAX_CANDIDATE_LIST = 100_000;

/** GPUs of one VM type: the GPU search keeps a table per GPU count, and predicted times are made for each count. */
export const MAX_VM_GPUS = 64;
