/**
 * The part of glpk.js (GPL-3.0, an optional dependency) the MILP uses, typed here so that the
 * project builds without it. Only the exact MILP baseline loads it, at run time.
 */
export interface LinearProgram {
  name: string;
  objective: { direction: number; name: string; vars: { name: string; coef: number }[] };
  subjectTo: { name: string; vars: { name: string; coef: number }[]; bnds: { type: number; ub: number; lb: number } }[];
  bounds?: { name: string; type: number; ub: number; lb: number }[];
  binaries?: string[];
}

export interface Glpk {
  readonly GLP_MIN: number;
  readonly GLP_LO: number;
  readonly GLP_UP: number;
  readonly GLP_FX: number;
  readonly GLP_MSG_OFF: number;
  readonly GLP_OPT: number;
  readonly GLP_NOFEAS: number;
  /** synchronous: run it on a worker thread */
  solve(lp: LinearProgram, options: { presol: boolean; tmlim: number; msglev: number }): { result: { status: number; z: number; vars: Record<string, number> } };
}

let loaded: Promise<Glpk | null> | undefined;

/** GLPK when glpk.js is installed, else null. */
export function loadGlpk(): Promise<Glpk | null> {
  loaded ??= import('glpk.js/node' as string)
    .then((m: { default: () => Promise<Glpk> }) => m.default())
    .catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ERR_MODULE_NOT_FOUND') return null;
      throw e;
    });
  return loaded;
}
