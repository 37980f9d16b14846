import type { IndexDecision } from '../decision.js';
import { evaluatePlacement } from '../evaluate.js';
import type { IndexedProblem } from '../problem.js';
import type { Glpk, LinearProgram } from './glpk.js';
import { confirmOptimum, type ExactOptions, type ExactResult } from './result.js';

/** Why the MILP does not cover an instance, or null when it does. */
export function milpCoverageGap(pb: IndexedProblem): string | null {
  if (pb.resources.some((r) => r.kind === 'FAAS')) return 'it has FaaS resources (their response time is not linear in the rate)';
  if (pb.paths.length > 0) return 'it has global (path) constraints';
  const open = pb.components.find((c) => !Number.isFinite(c.localLimit));
  if (open) return `component ${open.name} has no local response-time limit`;
  return null;
}

type Term = { name: string; coef: number };
type Row = LinearProgram['subjectTo'][number];

/** The initial tangent points of the slowdown curve, as shares of an instance count. */
const INITIAL_CUTS = [0, 0.5, 0.8, 0.9, 0.95];
/** Utilization stays this far below 1, and limits are tightened by this share, against GLPK's tolerances. */
const SATURATION_MARGIN = 1e-6;
const LIMIT_MARGIN = 1e-7;
const MAX_ROUNDS = 200;

/**
 * The placement model as a MILP, solved with GLPK by outer approximation. For an edge/VM cluster
 * running k instances at load L, a partition's response time is D * s where the slowdown
 * s = k / (k - L) is convex in L; the MILP keeps s above tangent cuts, one copy per instance count
 * (so no big-M on the count), and multiplies it into response times by a McCormick bound on the
 * placement binary. Each round solves the MILP and re-evaluates its answer exactly; where a
 * cluster's slowdown was underestimated, a cut at the true load removes that answer. The MILP is a
 * relaxation until then, so the first answer that re-evaluates feasible is optimal.
 * Covered: no FaaS, no global constraints, a local limit on every component (milpCoverageGap).
 */
export function solveMilp(pb: IndexedProblem, glpk: Glpk, opts: ExactOptions): ExactResult {
  const gap = milpCoverageGap(pb);
  if (gap) throw new Error(`the MILP does not cover this instance: ${gap}`);
  const started = performance.now();
  const clusters = pb.resources.map((_, r) => r);
  const cuts = clusters.map((r) => Array.from({ length: pb.resources[r].number }, (_, j) => INITIAL_CUTS.map((f) => f * (j + 1))));
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const left = opts.seconds - (performance.now() - started) / 1000;
    if (left <= 0 || opts.shouldStop?.()) return confirmOptimum(pb, 'milp', null, false, round - 1, (performance.now() - started) / 1000);
    const lp = buildMilp(pb, cuts, glpk);
    const out = glpk.solve(lp, { presol: true, tmlim: left, msglev: glpk.GLP_MSG_OFF });
    const elapsed = () => (performance.now() - started) / 1000;
    if (out.result.status === glpk.GLP_NOFEAS) return confirmOptimum(pb, 'milp', null, true, round, elapsed());
    if (out.result.status !== glpk.GLP_OPT) return confirmOptimum(pb, 'milp', null, false, round, elapsed());
    const d = decode(pb, out.result.vars);
    const e = evaluatePlacement(pb, d);
    if (e.feasible) return confirmOptimum(pb, 'milp', d, true, round, elapsed());
    let added = false;
    for (const r of clusters) {
      const k = d.count[r];
      if (k === 0) continue;
      const load = e.resources.find((x) => x.resource === pb.resources[r].name)!.utilization * k;
      if (cuts[r][k - 1].every((l) => Math.abs(l - load) > 1e-9 * k)) {
        cuts[r][k - 1].push(load);
        added = true;
      }
    }
    if (!added) throw new Error(`milp: round ${round} answers an infeasible placement that no cut removes: ${e.violations.map((v) => v.message).join('; ')}`);
  }
  throw new Error(`milp: no feasible answer after ${MAX_ROUNDS} rounds of cuts`);
}

const x = (p: number, r: number) => `x_${p}_${r}`;
const y = (d: number) => `y_${d}`;
const n = (r: number, k: number) => `n_${r}_${k}`;
const load = (r: number, k: number) => `L_${r}_${k}`;
const slow = (r: number, k: number) => `s_${r}_${k}`;
const v = (p: number, r: number) => `v_${p}_${r}`;

/** The MILP for the given tangent points (per cluster, per instance count k = index + 1). */
function buildMilp(pb: IndexedProblem, cuts: number[][][], glpk: Glpk): LinearProgram {
  const { partitions: parts, resources: res } = pb;
  const rows: Row[] = [];
  const binaries: string[] = [];
  const continuous = new Set<string>();
  const row = (name: string, vars: Term[], type: 'le' | 'ge' | 'eq', bound: number) => {
    rows.push({ name, vars, bnds: { type: type === 'le' ? glpk.GLP_UP : type === 'ge' ? glpk.GLP_LO : glpk.GLP_FX, lb: bound, ub: bound } });
  };
  const counts = (r: number) => Array.from({ length: res[r].number }, (_, j) => j + 1);

  const onResource = res.map(() => [] as number[]);
  for (const [p, part] of parts.entries()) {
    for (const c of part.candidates) {
      binaries.push(x(p, c.resource));
      onResource[c.resource].push(p);
    }
  }
  const candidate = (p: number, r: number) => parts[p].candidates.find((c) => c.resource === r)!;

  let dep = 0;
  for (const [ci, comp] of pb.components.entries()) {
    const ys = comp.deployments.map(() => y(dep++));
    binaries.push(...ys);
    row(`one_deployment_${ci}`, ys.map((name) => ({ name, coef: 1 })), 'eq', 1);
  }
  for (const [p, part] of parts.entries()) {
    row(`placed_${p}`, [...part.candidates.map((c) => ({ name: x(p, c.resource), coef: 1 })), { name: y(part.deployment), coef: -1 }], 'eq', 0);
  }

  const slowdownCap = res.map((_, r) => Math.max(1, ...onResource[r].map((p) => pb.components[parts[p].component].localLimit / candidate(p, r).time)));
  for (const [r, rr] of res.entries()) {
    const ns = counts(r).map((k) => ({ name: n(r, k), coef: 1 }));
    binaries.push(...ns.map((t) => t.name));
    row(`one_count_${r}`, ns, 'le', 1);
    for (const p of onResource[r]) row(`open_${p}_${r}`, [{ name: x(p, r), coef: 1 }, ...ns.map((t) => ({ ...t, coef: -1 }))], 'le', 0);
    const memory = onResource[r].map((p) => ({ name: x(p, r), coef: candidate(p, r).memory }));
    if (pb.semantics.memoryPerInstance) row(`memory_${r}`, memory, 'le', rr.memory);
    else row(`memory_${r}`, [...memory, ...counts(r).map((k) => ({ name: n(r, k), coef: -k * rr.memory }))], 'le', 0);
    const loads = onResource[r].map((p) => ({ name: x(p, r), coef: parts[p].rate * candidate(p, r).time }));
    row(`load_${r}`, [...loads, ...counts(r).map((k) => ({ name: load(r, k), coef: -1 }))], 'eq', 0);
    for (const k of counts(r)) {
      continuous.add(load(r, k));
      continuous.add(slow(r, k));
      row(`below_saturation_${r}_${k}`, [{ name: load(r, k), coef: 1 }, { name: n(r, k), coef: -k * (1 - SATURATION_MARGIN) }], 'le', 0);
      row(`slowdown_at_least_1_${r}_${k}`, [{ name: slow(r, k), coef: 1 }, { name: n(r, k), coef: -1 }], 'ge', 0);
      for (const [j, l0] of cuts[r][k - 1].entries()) {
        // tangent of s = k / (k - L) at L0, in perspective form: zero when the count is not chosen
        const s0 = k / (k - l0);
        const slope = k / ((k - l0) * (k - l0));
        row(`cut_${r}_${k}_${j}`, [{ name: slow(r, k), coef: 1 }, { name: load(r, k), coef: -slope }, { name: n(r, k), coef: -(s0 - slope * l0) }], 'ge', 0);
      }
    }
    for (const p of onResource[r]) {
      // v >= s when p runs on r; s never exceeds the cap in a feasible placement that uses r
      continuous.add(v(p, r));
      row(`slowdown_of_${p}_${r}`, [{ name: v(p, r), coef: 1 }, ...counts(r).map((k) => ({ name: slow(r, k), coef: -1 })), { name: x(p, r), coef: -slowdownCap[r] }], 'ge', -slowdownCap[r]);
    }
  }
  for (const layer of pb.layers.keys()) {
    const types = res.flatMap((rr, r) => (rr.layer === layer ? counts(r).map((k) => ({ name: n(r, k), coef: 1 })) : []));
    row(`one_type_in_layer_${layer}`, types, 'le', 1);
  }

  const edge = (p: number) => parts[p].candidates.filter((c) => res[c.resource].kind === 'EDGE').map((c) => ({ name: x(p, c.resource), coef: 1 }));
  const offEdge = (p: number) => parts[p].candidates.filter((c) => res[c.resource].kind !== 'EDGE').map((c) => ({ name: x(p, c.resource), coef: 1 }));
  const noReturnToEdge = (name: string, earlier: number, later: number) => {
    if (edge(later).length > 0 && offEdge(earlier).length > 0) row(name, [...offEdge(earlier), ...edge(later)], 'le', 1);
  };
  for (const comp of pb.components) {
    for (const d of comp.deployments) {
      d.partitions.forEach((p, i) => d.partitions.slice(0, i).forEach((q) => noReturnToEdge(`edge_after_cloud_${q}_${p}`, q, p)));
    }
  }
  for (const e of pb.edges) {
    const from = pb.components[e.from].deployments.flatMap((d) => d.partitions);
    const to = pb.components[e.to].deployments.flatMap((d) => d.partitions);
    for (const q of from) for (const p of to) noReturnToEdge(`edge_after_cloud_${q}_${p}`, q, p);
  }

  for (const [ci, comp] of pb.components.entries()) {
    const terms: Term[] = [];
    for (const d of comp.deployments) {
      d.partitions.forEach((p, i) => {
        for (const c of parts[p].candidates) terms.push({ name: v(p, c.resource), coef: parts[p].reach * c.time });
        if (i === 0) return;
        const q = d.partitions[i - 1];
        for (const a of parts[q].candidates) {
          for (const b of parts[p].candidates) {
            if (a.resource === b.resource) continue;
            const links = pb.links[res[a.resource].layer * pb.layers.length + res[b.resource].layer];
            const delay = Math.min(...links.map((l) => l.accessDelay + parts[q].dataToNext / l.bandwidth));
            const pair = [{ name: x(q, a.resource), coef: 1 }, { name: x(p, b.resource), coef: 1 }];
            if (!Number.isFinite(delay)) {
              row(`unlinked_${q}_${a.resource}_${p}_${b.resource}`, pair, 'le', 1);
              continue;
            }
            // w >= x_qa + x_pb - 1 is exact: w only appears with a positive coefficient under a limit
            const w = `w_${q}_${a.resource}_${p}_${b.resource}`;
            continuous.add(w);
            row(`both_${w}`, [{ name: w, coef: 1 }, ...pair.map((t) => ({ ...t, coef: -1 }))], 'ge', -1);
            terms.push({ name: w, coef: parts[p].reach * delay });
          }
        }
      });
    }
    row(`local_limit_${ci}`, terms, 'le', comp.localLimit * (1 - LIMIT_MARGIN));
  }

  const objective: Term[] = res.flatMap((rr, r) => counts(r).map((k) => ({ name: n(r, k), coef: k * rr.cost * pb.time })));
  return {
    name: 'placement',
    objective: { direction: glpk.GLP_MIN, name: 'cost', vars: objective },
    subjectTo: rows,
    bounds: [...continuous].map((name) => ({ name, type: glpk.GLP_LO, lb: 0, ub: 0 })),
    binaries,
  };
}

/** Reads deployments, resources and counts off the MILP's binaries. */
function decode(pb: IndexedProblem, vars: Record<string, number>): IndexDecision {
  const on = (name: string) => (vars[name] ?? 0) > 0.5;
  let dep = 0;
  const deployment = pb.components.map((comp) => {
    const first = dep;
    dep += comp.deployments.length;
    return comp.deployments.findIndex((_, i) => on(y(first + i)));
  });
  const resource = pb.partitions.map((part, p) => part.candidates.find((c) => on(x(p, c.resource)))?.resource ?? -1);
  const count = pb.resources.map((rr, r) => {
    for (let k = 1; k <= rr.number; k++) if (on(n(r, k))) return k;
    return 0;
  });
  return { deployment, resource, count };
}
