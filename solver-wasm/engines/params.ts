// Solve parameters: the host writes them as one f64 array, indexed by these constants.

export const P_METHOD: i32 = 0;
export const P_SEED: i32 = 1;
export const P_MAX_ITERATIONS: i32 = 2;
export const P_MAX_MILLIS: i32 = 3;
export const P_REPORT_EVERY_MS: i32 = 4;
export const P_GREEDY_ITERATIONS: i32 = 5;
export const P_KICK_MOVES: i32 = 6;
export const P_MAX_UNIMPROVED_MS: i32 = 7;
export const P_TARGET_COST: i32 = 8;
export const P_TABU_TENURE: i32 = 9;
export const P_CANDIDATE_LIST: i32 = 10;
export const P_SA_START_TEMPERATURE: i32 = 11;
export const P_SA_COOLING: i32 = 12;
export const P_SA_ALPHA: i32 = 13;
export const P_SA_REHEAT_AFTER: i32 = 14;
export const P_PR_DIRECTION: i32 = 15;
export const P_HEARTBEAT_MS: i32 = 16;
export const PARAM_COUNT: i32 = 17;

export const METHOD_RG: i32 = 1;
export const METHOD_LS: i32 = 2;
export const METHOD_RG_LS: i32 = 3;
export const METHOD_TS: i32 = 4;
export const METHOD_SA: i32 = 5;
export const METHOD_PR: i32 = 6;
export const METHOD_AUTO: i32 = 7;

export const COOLING_GEOMETRIC: i32 = 0;
export const COOLING_LINEAR: i32 = 1;

export const PR_FORWARD: i32 = 0;
export const PR_BACKWARD: i32 = 1;
export const PR_MIXED: i32 = 2;

/** The parameters of one solve, every field written by the host from its array (whose defaults are the effective ones); 0 for an optional engine parameter means "derive it". */
export class SolveParams {
  method: i32 = METHOD_RG_LS;
  seed: u64 = 1;
  maxIterations: f64 = Infinity;
  maxMillis: f64 = 2000;
  reportEveryMs: f64 = 100;
  greedyIterations: i32 = 1000;
  kickMoves: i32 = 6;
  maxUnimprovedMs: f64 = Infinity;
  targetCost: f64 = -Infinity;
  tabuTenure: i32 = 0;
  candidateList: i32 = 0;
  saStartTemperature: f64 = 0;
  saCooling: i32 = COOLING_GEOMETRIC;
  saAlpha: f64 = 0.99;
  saReheatAfter: i32 = 300;
  prDirection: i32 = PR_MIXED;
  heartbeatMs: f64 = 1000;

  static read(a: StaticArray<f64>): SolveParams {
    const p = new SolveParams();
    p.method = <i32>a[P_METHOD];
    p.seed = <u64>a[P_SEED];
    p.maxIterations = a[P_MAX_ITERATIONS];
    p.maxMillis = a[P_MAX_MILLIS];
    p.reportEveryMs = a[P_REPORT_EVERY_MS];
    p.greedyIterations = <i32>a[P_GREEDY_ITERATIONS];
    p.kickMoves = max(2, <i32>a[P_KICK_MOVES]);
    p.maxUnimprovedMs = a[P_MAX_UNIMPROVED_MS];
    p.targetCost = a[P_TARGET_COST];
    p.tabuTenure = <i32>a[P_TABU_TENURE];
    p.candidateList = <i32>a[P_CANDIDATE_LIST];
    p.saStartTemperature = a[P_SA_START_TEMPERATURE];
    p.saCooling = <i32>a[P_SA_COOLING];
    p.saAlpha = a[P_SA_ALPHA];
    p.saReheatAfter = <i32>a[P_SA_REHEAT_AFTER];
    p.prDirection = <i32>a[P_PR_DIRECTION];
    p.heartbeatMs = a[P_HEARTBEAT_MS];
    return p;
  }
}
