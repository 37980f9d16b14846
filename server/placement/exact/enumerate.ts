import type { IndexDecision } from '../decision.js';
import { componentTime, evaluatePlacement, pathTime, type TimeContext } from '../evaluate.js';
import { TIME_TOLERANCE } from '../model.js';
import type { IndexedProblem } from '../problem.js';
import { confirmOptimum, type ExactOptions, type ExactResult } from './result.js';

/**
 * Branch and bound over every deployment, resource and instance count: exact for the whole model
 * (FaaS, global constraints, every profile). Components are assigned in topological order; a branch
 * is cut when a rule is already broken, when a finished component or path misses its limit even with
 * every cluster at its most instances (loads only grow further down), or when the cheapest instance
 * counts for the loads so far cost no less than the incumbent. At a leaf the instance counts are
 * searched the same way, from the fewest that keep each cluster below saturation.
 */
export function enumeratePlacement(pb: IndexedProblem, opts: ExactOptions): ExactResult {
  const started = performance.now();
  const deadline = started + opts.seconds * 1000;
  const { partitions: parts, resources: res, components: comps } = pb;
  const R = res.length;
  const d: IndexDecision = {
    deployment: new Array(comps.length).fill(-1),
    resource: new Array(parts.length).fill(-1),
    count: new Array(R).fill(0),
  };
  const load = new Array<number>(R).fill(0);
  const mem = new Array<number>(R).fill(0);
  const refs = new Array<number>(R).fill(0);
  const layerOwner = new Array<number>(pb.layers.length).fill(-1);
  const offEdge = new Array<boolean>(comps.length).fill(false);
  const util = new Array<number>(R).fill(0);
  const times: TimeContext = { problem: pb, d, utilization: util };
  const compTime = new Array<number>(comps.length).fill(0);
  const faasCharged = new Array<number>(R).fill(0);
  let faasCost = 0;
  let best = Infinity;
  let bestDecision: IndexDecision | null = null;
  if (opts.incumbent) {
    const e = evaluatePlacement(pb, opts.incumbent);
    if (e.feasible) [best, bestDecision] = [e.totalCost, opts.incumbent];
  }
  let nodes = 0;
  let stopped = false;

  const pathsEndingAt = comps.map((_, ci) => pb.paths.filter((p) => Math.max(...p.components) === ci));
  const predecessors = comps.map((_, ci) => pb.edges.filter((e) => e.to === ci).map((e) => e.from));
  const capacity = (r: number) => (res[r].kind === 'FAAS' || pb.semantics.memoryPerInstance ? res[r].memory : res[r].memory * res[r].number);
  const clusters = res.map((_, r) => r).filter((r) => res[r].kind !== 'FAAS');
  const fewest = (r: number) => Math.max(1, Math.floor(load[r]) + 1,
    pb.semantics.memoryPerInstance ? 1 : Math.ceil(mem[r] / res[r].memory));
  const faasCharge = (p: number, r: number, warm: number) => {
    const rate = pb.semantics.faasCost === 'component-rate' ? comps[parts[p].component].rate : parts[p].rate;
    return res[r].cost * warm * rate * pb.time;
  };
  // Cheapest-looking resources first, so that a good incumbent comes early.
  const ordered = parts.map((part) => [...part.candidates].sort((a, b) => {
    const price = (c: typeof a) => (res[c.resource].kind === 'FAAS' ? faasCharge(part.component, c.resource, c.warm) : res[c.resource].cost * part.rate * c.time);
    return price(a) - price(b);
  }));

  const lowerBound = (): number => {
    let lb = faasCost;
    for (const r of clusters) if (refs[r] > 0) lb += res[r].cost * pb.time * fewest(r);
    return lb;
  };
  const withinLimit = (t: number, limit: number) => t <= limit * (1 + TIME_TOLERANCE);
  const setUtilization = (count: (r: number) => number) => {
    for (const r of clusters) util[r] = refs[r] > 0 ? load[r] / count(r) : 0;
  };
  /** The component and the paths it completes meet their limits at the given utilizations. */
  const componentMeetsLimits = (ci: number): boolean => {
    compTime[ci] = componentTime(times, ci);
    if (!withinLimit(compTime[ci], comps[ci].localLimit)) return false;
    return pathsEndingAt[ci].every((path) => withinLimit(pathTime(times, compTime, path), path.limit));
  };
  const checkClock = () => {
    if (++nodes % 1024 === 0 && (performance.now() > deadline || opts.shouldStop?.())) stopped = true;
  };

  const visit = (ci: number): void => {
    if (ci === comps.length) {
      chooseCounts();
      return;
    }
    const fromCloud = predecessors[ci].some((c) => offEdge[c]);
    for (const [di, dep] of comps[ci].deployments.entries()) {
      d.deployment[ci] = di;
      place(ci, dep.partitions, 0, fromCloud);
      if (stopped) break;
    }
    d.deployment[ci] = -1;
  };

  const place = (ci: number, chain: number[], i: number, offEdgeSoFar: boolean): void => {
    checkClock();
    if (stopped) return;
    if (i === chain.length) {
      setUtilization((r) => res[r].number);
      for (let c = 0; c <= ci; c++) compTime[c] = componentTime(times, c);
      if (!componentMeetsLimits(ci)) return;
      const before = offEdge[ci];
      offEdge[ci] = chain.some((p) => res[d.resource[p]].kind !== 'EDGE');
      visit(ci + 1);
      offEdge[ci] = before;
      return;
    }
    const p = chain[i];
    for (const cand of ordered[p]) {
      const r = cand.resource;
      const rr = res[r];
      const faas = rr.kind === 'FAAS';
      if (rr.kind === 'EDGE' && offEdgeSoFar) continue;
      if (!faas && layerOwner[rr.layer] >= 0 && layerOwner[rr.layer] !== r) continue;
      if (mem[r] + cand.memory > capacity(r)) continue;
      const added = faas ? 0 : parts[p].rate * cand.time;
      if (load[r] + added >= rr.number) continue;
      let charge = 0;
      if (faas && !(pb.semantics.faasCost === 'first-partition-rate' && faasCharged[r] > 0)) charge = faasCharge(p, r, cand.warm);
      d.resource[p] = r;
      load[r] += added;
      mem[r] += cand.memory;
      refs[r]++;
      if (faas) faasCharged[r]++;
      else if (refs[r] === 1) layerOwner[rr.layer] = r;
      faasCost += charge;
      if (lowerBound() < best) place(ci, chain, i + 1, offEdgeSoFar || rr.kind !== 'EDGE');
      faasCost -= charge;
      if (faas) faasCharged[r]--;
      else if (refs[r] === 1) layerOwner[rr.layer] = -1;
      refs[r]--;
      mem[r] -= cand.memory;
      load[r] -= added;
      d.resource[p] = -1;
      if (stopped) return;
    }
  };

  const allMeetLimits = (): boolean => {
    for (let c = 0; c < comps.length; c++) compTime[c] = componentTime(times, c);
    for (let c = 0; c < comps.length; c++) if (!componentMeetsLimits(c)) return false;
    return true;
  };

  /** The cheapest instance counts for the placed loads; response times only fall as counts grow. */
  const chooseCounts = (): void => {
    const used = clusters.filter((r) => refs[r] > 0);
    const counts = new Map(used.map((r) => [r, fewest(r)]));
    const search = (k: number, cost: number): void => {
      checkClock();
      if (stopped) return;
      let bound = cost;
      for (let j = k; j < used.length; j++) bound += res[used[j]].cost * pb.time * fewest(used[j]);
      if (bound >= best) return;
      setUtilization((r) => (used.indexOf(r) >= k ? res[r].number : counts.get(r)!));
      if (!allMeetLimits()) return;
      if (k === used.length) {
        best = cost;
        bestDecision = { deployment: [...d.deployment], resource: [...d.resource], count: res.map((_, r) => counts.get(r) ?? 0) };
        return;
      }
      const r = used[k];
      for (let n = fewest(r); n <= res[r].number; n++) {
        counts.set(r, n);
        search(k + 1, cost + res[r].cost * pb.time * n);
      }
    };
    search(0, faasCost);
  };

  visit(0);
  return confirmOptimum(pb, 'enumeration', bestDecision, !stopped, nodes, (performance.now() - started) / 1000);
}
