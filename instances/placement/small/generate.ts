import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { parseSpace4aiSystem } from '../../../adapters/space4ai/system.js';
import { projectRoot } from '../../../server/paths.js';
import { nameDecision } from '../../../server/placement/decision.js';
import { enumeratePlacement } from '../../../server/placement/exact/enumerate.js';
import { loadGlpk } from '../../../server/placement/exact/glpk.js';
import { milpCoverageGap, solveMilp } from '../../../server/placement/exact/milp.js';
import { indexProblem } from '../../../server/placement/problem.js';
import { random, type Rng } from '../../random.js';

type Obj = Record<string, unknown>;

/**
 * One system in the SPACE4AI layout. `linear` instances have no FaaS and no global constraints and a
 * local limit on every component (what the MILP covers); the others have FaaS and paths.
 */
function generateSystem(rng: Rng, components: number, linear: boolean): Obj {
  const names = Array.from({ length: components }, (_, i) => `c${i + 1}`);
  const edge: Record<string, Obj> = {
    edge1: Object.fromEntries(['E1', 'E2'].map((n) => [n, { number: rng.int(1, 2), cost: rng.uniform(2, 6), memory: 4096, n_cores: 1 }])),
    edge2: { E3: { number: rng.int(1, 2), cost: rng.uniform(2, 6), memory: 4096, n_cores: 1 } },
  };
  const cloud = { cloud: Object.fromEntries(['VM1', 'VM2', 'VM3'].map((n) => [n, { number: rng.int(2, 4), cost: rng.uniform(0.5, 2.5), memory: 16384, n_cores: 1 }])) };
  const faas = linear ? {} : {
    faas: { ...Object.fromEntries(['F1', 'F2'].map((n) => [n, { cost: rng.uniform(0.1, 0.5), memory: 4096, idle_time_before_kill: 600 }])), transition_cost: 0 },
  };
  const edgeNames = ['E1', 'E2', 'E3'];
  const vmNames = ['VM1', 'VM2', 'VM3'];
  const resources = [...edgeNames, ...vmNames, ...(linear ? [] : ['F1', 'F2'])];

  const successors = new Map<string, string[]>(names.map((n) => [n, []]));
  for (let i = 1; i < components; i++) successors.get(names[rng.int(Math.max(0, i - 2), i - 1)])!.push(names[i]);
  for (let i = 0; i + 2 < components; i++) {
    if (rng.next() < 0.3 && !successors.get(names[i])!.includes(names[i + 2])) successors.get(names[i])!.push(names[i + 2]);
  }
  const dag = Object.fromEntries(names.map((n) => {
    const next = successors.get(n)!;
    const w = next.map(() => rng.uniform(0.2, 1));
    const sum = w.reduce((a, b) => a + b, 0);
    return [n, { next, transition_probability: w.map((x) => x / sum) }];
  }));

  const comps: Obj = {};
  const compat: Obj = {};
  const perf: Obj = {};
  const fastest: Record<string, number> = {};
  for (const [ci, c] of names.entries()) {
    const next = successors.get(c)!;
    const data = next.map(() => rng.int(2, 8));
    const deployments = rng.next() < 0.6 ? 2 : 1;
    const spec: Obj = { s1: { h1: { next, data_size: data, early_exit_probability: 0 } } };
    if (deployments === 2) {
      spec.s2 = {
        h2: { next: ['h3'], data_size: [rng.int(2, 8)], early_exit_probability: rng.uniform(0.2, 0.8) },
        h3: { next, data_size: data, early_exit_probability: 0 },
      };
    }
    comps[c] = spec;
    compat[c] = {};
    perf[c] = {};
    let best = Infinity;
    for (const [, parts] of Object.entries(spec)) {
      let chainTime = 0;
      for (const h of Object.keys(parts as Obj)) {
        // the first component starts on the edge; later ones draw from every layer
        const pool = ci === 0 ? edgeNames : resources;
        const chosen = rng.sample(pool, Math.min(pool.length, rng.int(2, 4)));
        (compat[c] as Obj)[h] = chosen.map((r) => ({ resource: r, memory: rng.pick([512, 1024, 2048]) }));
        const hp: Obj = {};
        let quickest = Infinity;
        for (const r of chosen) {
          if (r.startsWith('F')) {
            const warm = rng.uniform(0.3, 1.5);
            hp[r] = { model: 'PACSLTK', demandWarm: warm, demandCold: warm * rng.uniform(1.3, 2) };
            quickest = Math.min(quickest, warm);
          } else {
            const demand = r.startsWith('E') ? rng.uniform(0.1, 0.6) : rng.uniform(0.05, 0.4);
            hp[r] = { model: r.startsWith('E') ? 'QTedge' : 'QTcloud', demand };
            quickest = Math.min(quickest, demand);
          }
        }
        (perf[c] as Obj)[h] = hp;
        chainTime += quickest;
      }
      best = Math.min(best, chainTime);
    }
    fastest[c] = best;
  }

  const local = Object.fromEntries(names.filter(() => linear || rng.next() < 0.7)
    .map((c) => [c, { local_res_time: fastest[c] * rng.uniform(1.3, 3) }]));
  const global: Obj = {};
  if (!linear) {
    for (let k = 1; k <= rng.int(1, 2); k++) {
      const start = names[rng.int(0, Math.max(0, components - 2))];
      const path = [start];
      while (path.length < 3 && successors.get(path[path.length - 1])!.length > 0) path.push(rng.pick(successors.get(path[path.length - 1])!));
      global[`p${k}`] = { components: path, global_res_time: path.reduce((t, c) => t + fastest[c], 0) * rng.uniform(1.8, 3.5) };
    }
  }
  return {
    DirectedAcyclicGraph: dag,
    Components: comps,
    EdgeResources: edge,
    CloudResources: cloud,
    FaaSResources: faas,
    CompatibilityMatrix: compat,
    Performance: perf,
    Lambda: rng.uniform(0.5, 2),
    LocalConstraints: local,
    GlobalConstraints: global,
    NetworkTechnology: {
      ND1: { computationallayers: ['edge1', 'edge2'], AccessDelay: 0.001, Bandwidth: 2000 },
      ND2: { computationallayers: linear ? ['cloud'] : ['cloud', 'faas'], AccessDelay: 0.001, Bandwidth: 1500 },
      ND3: { computationallayers: ['edge1', 'edge2', 'cloud', ...(linear ? [] : ['faas'])], AccessDelay: 0.001, Bandwidth: 1000 },
    },
    Time: 1,
  };
}

/**
 * Writes the small placement suite: 3 to 6 components, half of them MILP-shaped, each with its
 * optimum under the default profile proven by enumeration (and, where the MILP covers it, by the
 * MILP too: both must agree). Instances without a feasible placement, or whose optimum is a single
 * resource everywhere, are drawn again.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seed: { type: 'string', default: '2026' }, count: { type: 'string', default: '24' } } });
  const seed = Number(values.seed);
  const count = Number(values.count);
  const dir = join(projectRoot(), 'instances', 'placement', 'small');
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (/^s\d+-.*\.json$/.test(f) || f === 'optima.json') rmSync(join(dir, f));
  const glpk = await loadGlpk();
  const rng = random(seed);
  const optima: Obj[] = [];
  for (let i = 0; i < count; i++) {
    const components = 3 + (i % 4);
    const linear = Math.floor(i / 4) % 2 === 0;
    for (let attempt = 1; ; attempt++) {
      const json = generateSystem(rng, components, linear);
      const pb = indexProblem(parseSpace4aiSystem(JSON.stringify(json)), 'copt');
      const enumerated = enumeratePlacement(pb, { seconds: 120 });
      if (!enumerated.proven || !enumerated.decision) continue;
      if (new Set(enumerated.decision.resource.filter((r) => r >= 0)).size < 2) continue;
      const methods = ['enumeration'];
      if (glpk && milpCoverageGap(pb) === null) {
        const milp = solveMilp(pb, glpk, { seconds: 120 });
        if (!milp.proven || Math.abs(milp.cost - enumerated.cost) > 1e-9 * enumerated.cost) {
          throw new Error(`instance ${i}: MILP ${milp.cost} (proven ${milp.proven}) disagrees with enumeration ${enumerated.cost}`);
        }
        methods.push('milp');
      }
      const file = `s${String(i + 1).padStart(2, '0')}-${components}c-${linear ? 'linear' : 'faas'}.json`;
      writeFileSync(join(dir, file), JSON.stringify(json, null, 1) + '\n');
      optima.push({
        instance: file, components, linear, lambda: pb.lambda, profile: 'copt', optimum: enumerated.cost,
        provenBy: methods, enumerationNodes: enumerated.nodes, decision: nameDecision(pb, enumerated.decision),
      });
      console.log(`${file}: optimum ${enumerated.cost.toFixed(6)} by ${methods.join(' + ')} (${enumerated.nodes} nodes, attempt ${attempt})`);
      break;
    }
  }
  writeFileSync(join(dir, 'optima.json'), JSON.stringify({ seed, generator: 'instances/placement/small/generate.ts', instances: optima }, null, 1) + '\n');
  console.log(`wrote ${count} instances and optima.json to ${relative(process.cwd(), dir)}`);
}

await main();
