import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { parseSpace4aiSystem } from '../../../adapters/space4ai/system.js';
import { projectRoot } from '../../../server/paths.js';
import { maxSustainableLoad } from '../../../server/placement/max-load.js';
import { evaluateDecision, solvePlacement } from '../../../server/placement/service.js';
import { WorkerPool } from '../../../server/pool.js';
import { random, type Rng } from '../../random.js';

type Obj = Record<string, unknown>;

/** Memory sizes of resources and of partitions, as drawn in the GeneralWorkflows files. */
const RESOURCE_MEMORY = [163840, 229376, 327680, 491520];
const PARTITION_MEMORY = [256, 512, 1024, 2048, 4096, 8192];
/**
 * Where a component may run (D drone, E edge nodes, V VMs, F functions) by its place in the
 * topological order, as in every GeneralWorkflows file: a pipeline from the drone through the edge to
 * the cloud, one class for all of a component's partitions. Each class holds up to this fraction of
 * the order (read off the 15-component files: 2, 3, 3, 3, 1 and 3 of 15).
 */
const TIERS: [string, number][] = [['D', 0.13], ['DE', 0.33], ['E', 0.53], ['EV', 0.73], ['EVF', 0.8], ['VF', 1]];
/** The edge part of the order (D to EVF) is spread over the sites, the cloud part (EV on) over the regions. */
const EDGE_END = 0.8;
const CLOUD_START = 0.53;
/** Successors reach at most this many components ahead, the widest span in the 15-component files. */
const SPAN = 12;

/** A value of a log-normal law with this median and spread, clipped to [lo, hi]. */
function logNormal(rng: Rng, median: number, sigma: number, lo: number, hi: number): number {
  const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  return Math.min(hi, Math.max(lo, median * Math.exp(sigma * z)));
}

/**
 * Where a component may run: `local`, its own site's edge nodes and two neighbouring regions' VMs;
 * `wide`, as in the GeneralWorkflows files, every edge node and every VM type of the system.
 */
export type Shape = 'local' | 'wide';

/**
 * A SPACE4AI system of `n` components shaped like the GeneralWorkflows files (README.md says which
 * statistics are theirs and where a larger system has to depart from them). Its `Lambda` is set
 * later by `calibrate`.
 */
export function generateSystem(rng: Rng, n: number, shape: Shape = 'local'): Obj {
  const names = Array.from({ length: n }, (_, i) => `c${i + 1}`);
  // sites: a drone and 4-5 edge nodes each; regions: 3-5 VM types each; both grow with n as in the files
  const sites = Math.max(2, Math.round((0.6 * n) / 5.5));
  const regions = Math.max(2, Math.round((0.8 * n) / 4));
  const edge: Record<string, Obj> = {};
  const drones: string[] = [];
  const siteNodes: string[][] = [];
  let en = 0;
  for (let s = 0; s < sites; s++) {
    const drone = `Drone${s + 1}`;
    drones.push(drone);
    edge[`edge${s + 1}a`] = { [drone]: { number: 1, cost: rng.uniform(4, 8), memory: rng.pick(RESOURCE_MEMORY), n_cores: 1 } };
    const nodes = Array.from({ length: rng.int(4, 5) }, () => `EN${++en}`);
    siteNodes.push(nodes);
    edge[`edge${s + 1}b`] = Object.fromEntries(nodes.map((r) => [r, { number: rng.int(1, 2), cost: rng.uniform(4, 8), memory: rng.pick(RESOURCE_MEMORY), n_cores: 1 }]));
  }
  const cloud: Record<string, Obj> = {};
  const regionVms: string[][] = [];
  let vm = 0;
  for (let r = 0; r < regions; r++) {
    const vms = Array.from({ length: rng.int(3, 5) }, () => `VM${++vm}`);
    regionVms.push(vms);
    cloud[`cloud${r + 1}`] = Object.fromEntries(vms.map((v) => [v, { number: rng.int(3, 4), cost: Math.min(14.5, rng.exponential(2.9)), memory: rng.pick(RESOURCE_MEMORY), n_cores: 1 }]));
  }
  const functions: Obj = {};

  // one source (c1) and one sink (cn); edges go forward at most SPAN ahead, 1-5 per component
  const successors: string[][] = names.map(() => []);
  const hasPredecessor = names.map((_, i) => i === 0);
  successors[0].push(names[1]);
  hasPredecessor[1] = true;
  for (let i = 1; i < n - 1; i++) {
    const ahead = Array.from({ length: Math.min(SPAN, n - 1 - i) }, (_, k) => i + 1 + k);
    for (const j of rng.sample(ahead, Math.min(ahead.length, rng.int(1, 5))).sort((a, b) => a - b)) {
      successors[i].push(names[j]);
      hasPredecessor[j] = true;
    }
  }
  for (let j = 2; j < n; j++) {
    if (hasPredecessor[j]) continue;
    const i = rng.int(Math.max(1, j - SPAN), j - 1);
    successors[i].push(names[j]);
    successors[i].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  }
  const dag = Object.fromEntries(names.map((c, i) => {
    const w = successors[i].map(() => rng.uniform(0.05, 1));
    const sum = w.reduce((a, b) => a + b, 0);
    return [c, { next: successors[i], transition_probability: w.map((x) => x / sum) }];
  }));

  const components: Obj = {};
  const compatibility: Obj = {};
  const performance: Obj = {};
  let fn = 0;
  for (const [i, c] of names.entries()) {
    const next = successors[i];
    const data = next.map(() => rng.int(4, 7));
    const x = i / n;
    const places = TIERS.find(([, end]) => x < end)![0];
    const site = Math.min(sites - 1, Math.floor((x / EDGE_END) * sites));
    const region = Math.min(regions - 1, Math.max(0, Math.floor(((x - CLOUD_START) / (1 - CLOUD_START)) * regions)));
    const vms = shape === 'wide' ? regionVms.flat() : [...regionVms[region], ...regionVms[(region + 1) % regions]];
    const nodes = shape === 'wide' ? siteNodes.flat() : siteNodes[site];
    const base = logNormal(rng, 0.38, 0.6, 0.033, 2);
    const deployments: Obj = {};
    compatibility[c] = {};
    performance[c] = {};
    let h = 0;
    for (let s = 1, count = rng.int(1, 3); s <= count; s++) {
      const parts = s === 1 ? 1 : rng.int(2, 4);
      const chain: Obj = {};
      for (let p = 1; p <= parts; p++) {
        const name = `h${++h}`;
        const last = p === parts;
        chain[name] = { next: last ? next : [`h${h + 1}`], data_size: last ? data : [rng.int(4, 7)], early_exit_probability: last ? 0 : rng.next() };
        const share = (base * rng.uniform(0.8, 1.6)) / parts;
        const allowed: Obj[] = [];
        const perf: Obj = {};
        const memory = () => rng.pick(PARTITION_MEMORY);
        if (places.includes('D')) {
          allowed.push({ resource: drones[site], memory: memory() });
          perf[drones[site]] = { model: 'QTedge', demand: share * rng.uniform(1, 1.5) };
        }
        if (places.includes('E')) {
          for (const r of nodes) {
            allowed.push({ resource: r, memory: memory() });
            perf[r] = { model: 'QTedge', demand: share * rng.uniform(0.7, 1.3) };
          }
        }
        if (places.includes('V')) {
          for (const r of vms) {
            allowed.push({ resource: r, memory: memory() });
            perf[r] = { model: 'QTedge', demand: share * rng.uniform(0.4, 0.9) };
          }
        }
        if (places.includes('F')) {
          for (let k = 0; k < 2; k++) {
            const f = `F${++fn}`;
            functions[f] = { cost: rng.next(), memory: rng.pick(RESOURCE_MEMORY), idle_time_before_kill: 600 };
            const warm = rng.uniform(2, 3);
            allowed.push({ resource: f, memory: memory() });
            perf[f] = { model: 'PACSLTK', demandWarm: warm, demandCold: warm * rng.uniform(1.34, 1.96) };
          }
        }
        (compatibility[c] as Obj)[name] = allowed;
        (performance[c] as Obj)[name] = perf;
      }
      deployments[`s${s}`] = chain;
    }
    components[c] = deployments;
  }

  // a local limit on a third of the components, path limits on about n/3 paths of 2-9 components;
  // the values are the Strict files' (the Light ones over 10)
  const local = Object.fromEntries(rng.sample(names, Math.max(1, Math.round(n / 3)))
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
    .map((c) => [c, { local_res_time: rng.uniform(7, 15) }]));
  const global: Obj = {};
  for (let k = 1; k <= Math.max(3, Math.round(n / 3)); k++) {
    const length = Math.min(9, 2 + Math.floor(rng.exponential(1.4)));
    let at = rng.int(0, n - 2);
    const path = [names[at]];
    while (path.length < length && successors[at].length > 0) {
      const c = rng.pick(successors[at]);
      path.push(c);
      at = Number(c.slice(1)) - 1;
    }
    global[`p${k}`] = { components: path, global_res_time: rng.uniform(15, 40) };
  }
  const edgeLayers = Object.keys(edge);
  const cloudLayers = Object.keys(cloud);
  return {
    DirectedAcyclicGraph: dag,
    Components: components,
    EdgeResources: edge,
    CloudResources: cloud,
    FaaSResources: { faas: { ...functions, transition_cost: 0 } },
    CompatibilityMatrix: compatibility,
    Performance: performance,
    Lambda: 1.8,
    LocalConstraints: local,
    GlobalConstraints: global,
    NetworkTechnology: {
      ND1: { computationallayers: edgeLayers, AccessDelay: 0.001, Bandwidth: 2000 },
      ND2: { computationallayers: [...cloudLayers, 'faas'], AccessDelay: 0.001, Bandwidth: 1500 },
      ND3: { computationallayers: [...edgeLayers, ...cloudLayers, 'faas'], AccessDelay: 0.001, Bandwidth: 1000 },
    },
    Time: 1,
  };
}

interface Calibration {
  /** the load the witness was solved at */
  solvedAt: number;
  witnessCost: number;
  /** the witness with every edge/VM resource it uses at its most instances stays feasible up to this load */
  witnessMaxLambda: number;
  binding: string;
}

/**
 * Sets the system's load to 90% of what an answer at the reference load (1.8, halved until one is
 * found; randomized greedy and descent, stopped after `iterations` constructions and descent steps) sustains with its resources at their most instances: feasible (that answer, scaled up, is
 * a witness) and tight (its first constraint binds 11% above).
 */
async function calibrate(json: Obj, pool: WorkerPool, iterations: number): Promise<Calibration | undefined> {
  const system = parseSpace4aiSystem(JSON.stringify(json));
  for (let lambda = 1.8; lambda > 1e-3; lambda /= 2) {
    // a count of descents, not a time, so that the load is the same on any machine
    const solution = await solvePlacement({ system, lambda, profile: 'copt', method: 'rg+ls', iterations, seconds: 3600, seed: 1 }, pool);
    if (!solution.evaluation.feasible) continue;
    const max = maxSustainableLoad({ system, profile: 'copt', decision: solution.decision, lambda, atMaxCounts: true, tolerance: 1e-4 });
    if (max.unbounded || !(max.maxLambda > 0)) return undefined;
    const load = Number((0.9 * max.maxLambda).toPrecision(3));
    const counts = new Map(max.counts.map((c) => [c.resource, c.count]));
    const witness = { ...solution.decision, counts: solution.decision.counts.map((r) => ({ ...r, count: counts.get(r.resource) ?? r.count })) };
    const check = evaluateDecision(system, 'copt', witness, load).evaluation;
    if (!check.feasible) return undefined;
    json.Lambda = load;
    return { solvedAt: lambda, witnessCost: check.totalCost, witnessMaxLambda: max.maxLambda, binding: `${max.binding?.kind} ${max.binding?.subject}` };
  }
  return undefined;
}

/** How many systems of which sizes each shape has, the file prefix, and the seed offset of its draws. */
const SHAPES: Record<Shape, { prefix: string; seedOffset: number }> = { local: { prefix: 'n', seedOffset: 0 }, wide: { prefix: 'w', seedOffset: 5 } };

/**
 * Writes the scaling suite: for each shape of `--shapes`, `--per-size` (local) or `--wide-per-size`
 * systems of each of `--sizes` (local) or `--wide-sizes` components, each at a calibrated load;
 * the entries of shapes not drawn stay in suite.json as they are.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    seed: { type: 'string', default: '2026' }, shapes: { type: 'string', default: 'local,wide' },
    sizes: { type: 'string', default: '25,50,100,200' }, 'per-size': { type: 'string', default: '3' },
    'wide-sizes': { type: 'string', default: '50,100,200' }, 'wide-per-size': { type: 'string', default: '1' },
    iterations: { type: 'string', default: '30' }, 'wide-iterations': { type: 'string', default: '5' },
  } });
  const seed = Number(values.seed);
  const shapes = values.shapes!.split(',') as Shape[];
  const dir = join(projectRoot(), 'instances', 'placement', 'scale');
  mkdirSync(dir, { recursive: true });
  const suiteFile = join(dir, 'suite.json');
  const kept: Obj[] = existsSync(suiteFile)
    ? (JSON.parse(readFileSync(suiteFile, 'utf8')).instances as Obj[]).filter((i) => !shapes.includes((i.shape ?? 'local') as Shape))
    : [];
  const pool = new WorkerPool(2);
  const instances: Obj[] = [];
  for (const shape of shapes) {
    const { prefix, seedOffset } = SHAPES[shape];
    for (const f of readdirSync(dir)) if (new RegExp(`^${prefix}\\d+-\\d+\\.json$`).test(f)) rmSync(join(dir, f));
    const sizes = values[shape === 'wide' ? 'wide-sizes' : 'sizes']!.split(',').map(Number);
    const perSize = Number(values[shape === 'wide' ? 'wide-per-size' : 'per-size']);
    const iterations = Number(values[shape === 'wide' ? 'wide-iterations' : 'iterations']);
    for (const n of sizes) {
      for (let k = 1; k <= perSize; k++) {
        const rng = random(seed * 1000 + n * 10 + seedOffset + k);
        for (let attempt = 1; ; attempt++) {
          const json = generateSystem(rng, n, shape);
          const calibration = await calibrate(json, pool, iterations);
          if (!calibration) continue;
          const file = `${prefix}${String(n).padStart(3, '0')}-${k}.json`;
          writeFileSync(join(dir, file), JSON.stringify(json) + '\n');
          instances.push({ instance: file, shape, components: n, lambda: json.Lambda, attempt, ...calibration });
          console.log(`${file}: lambda ${json.Lambda} (witness ${calibration.witnessCost.toFixed(3)}, binds at ${calibration.witnessMaxLambda.toFixed(4)} on ${calibration.binding}; attempt ${attempt})`);
          break;
        }
      }
    }
  }
  await pool.close();
  const all = [...kept, ...instances].sort((a, b) => String(a.instance).localeCompare(String(b.instance)));
  writeFileSync(suiteFile, JSON.stringify({ seed, generator: 'instances/placement/scale/generate.ts', profile: 'copt', instances: all }, null, 1) + '\n');
  console.log(`wrote ${instances.length} instances and suite.json to ${relative(process.cwd(), dir)}`);
}

if (process.argv[1]?.endsWith(join('scale', 'generate.js'))) await main();
