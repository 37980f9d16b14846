import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inSolutionFile, parseSpace4aiSolution } from '../adapters/space4ai/solution.js';
import { parseSpace4aiSystem } from '../adapters/space4ai/system.js';
import { InputError } from '../server/input-error.js';
import { resolveDecision } from '../server/placement/decision.js';
import { indexProblem } from '../server/placement/problem.js';
import { validateSystem } from '../server/placement/validate.js';
import { DATA, instanceFiles } from './helpers/instances.js';
import { tinyDecision, tinySystem } from './helpers/tiny-system.js';

// Light 5-components instance 1 has every kind of field: edge, cloud and FaaS resources in four layers,
// single- and multi-partition deployments, local and global constraints, three network domains.
const BASE = instanceFiles().find((f) => f.endsWith(['Light', '5-components', 'system_description1.json'].join(sep)))!;
const REFERENCE = join(DATA, 'reference-solutions', 'Light', '5Components', 'Ins1');

// A parsed instance, changed field by field.
type Json = any;

function thrown(run: () => unknown): InputError {
  try {
    run();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('no InputError was thrown');
}

/** The error parseSpace4aiSystem gives for the base instance changed by `mutate`. */
function systemError(mutate: (d: Json) => void): InputError {
  const d = JSON.parse(readFileSync(BASE, 'utf8'));
  mutate(d);
  return thrown(() => parseSpace4aiSystem(JSON.stringify(d)));
}

const L1 = 'EdgeResources.computationallayer1';
const L2 = 'EdgeResources.computationallayer2';
const L3 = 'CloudResources.computationallayer3';
const L4 = 'FaaSResources.computationallayer4';
const LAYERS = ['computationallayer1', 'computationallayer2', 'computationallayer3', 'computationallayer4'];

// [what, mutation, the whole message: path = value: rule]
const CASES: [string, (d: Json) => void, string][] = [
  // resources
  ['edge number below 1', (d) => { d.EdgeResources.computationallayer2.EN1.number = 0; },
    `${L2}.EN1.number = 0: must be a whole number from 1 to 100000`],
  ['edge number 1e20', (d) => { d.EdgeResources.computationallayer2.EN1.number = 1e20; },
    `${L2}.EN1.number = 100000000000000000000: must be a whole number from 1 to 100000`],
  ['VM number fractional', (d) => { d.CloudResources.computationallayer3.VM2.number = 2.5; },
    `${L3}.VM2.number = 2.5: must be a whole number from 1 to 100000`],
  ['VM cost negative', (d) => { d.CloudResources.computationallayer3.VM1.cost = -1; },
    `${L3}.VM1.cost = -1: must be >= 0`],
  ['edge memory missing', (d) => { delete d.EdgeResources.computationallayer1.Drone1.memory; },
    `${L1}.Drone1.memory = (missing): must be a finite number`],
  ['FaaS memory 0', (d) => { d.FaaSResources.computationallayer4.F1.memory = 0; },
    `${L4}.F1.memory = 0: must be > 0`],
  ['FaaS idle time a string', (d) => { d.FaaSResources.computationallayer4.F2.idle_time_before_kill = '600'; },
    `${L4}.F2.idle_time_before_kill = "600": must be a finite number`],
  ['a layer of two kinds', (d) => { d.CloudResources.computationallayer2 = { VM9: { number: 1, cost: 1, memory: 10 } }; },
    `CloudResources.computationallayer2 = "computationallayer2": layer already holds EDGE resources; a layer has one kind`],
  ['a resource name used twice', (d) => { d.CloudResources.computationallayer3.EN1 = d.CloudResources.computationallayer3.VM1; },
    `${L3}.EN1 = "EN1": is the name of ${L2}.EN1 too: resource names must be unique across EdgeResources, CloudResources and FaaSResources`],
  ['an empty resource name', (d) => { d.EdgeResources.computationallayer2[''] = d.EdgeResources.computationallayer2.EN1; },
    `${L2}[""] = "": must be a non-empty string`],
  ['an empty layer name', (d) => { d.EdgeResources[''] = d.EdgeResources.computationallayer1; delete d.EdgeResources.computationallayer1; },
    'EdgeResources[""] = "": must be a non-empty string'],
  ['a layer that is not an object', (d) => { d.EdgeResources.computationallayer1 = 5; },
    `${L1} = 5: must be an object`],
  ['more resources than allowed', (d) => {
    for (let i = 0; i < 2000; i++) d.FaaSResources.computationallayer4[`G${i}`] = d.FaaSResources.computationallayer4.F1;
  }, '(EdgeResources, CloudResources and FaaSResources) = "2008 resources": must be at most 2000'],

  // components, deployments, partitions
  ['data size negative', (d) => { d.Components.c1.s1.h1.data_size[0] = -4; },
    'Components.c1.s1.h1.data_size[0] = -4: must be >= 0'],
  ['data size too short', (d) => { d.Components.c1.s1.h1.data_size = [5, 7]; },
    'Components.c1.s1.h1.data_size = [5,7]: must give one size for each of the 3 entries of next'],
  ['early exit probability 1', (d) => { d.Components.c1.s2.h2.early_exit_probability = 1; },
    'Components.c1.s2.h2.early_exit_probability = 1: must be in [0, 1)'],
  ['next naming no component', (d) => { d.Components.c4.s1.h1.next = ['c9']; },
    'Components.c4.s1.h1.next[0] = "c9": names no component'],
  ['next not a list', (d) => { d.Components.c4.s1.h1.next = 'c5'; },
    'Components.c4.s1.h1.next = "c5": must be a list'],
  ['data size not a list', (d) => { d.Components.c4.s1.h1.data_size = 4; },
    'Components.c4.s1.h1.data_size = 4: must be a list'],
  ['next entry not a string', (d) => { d.Components.c4.s1.h1.next = [5]; },
    'Components.c4.s1.h1.next[0] = 5: must be a non-empty string'],
  ['next of a chain partition naming more', (d) => { d.Components.c1.s2.h2.next = ['h3', 'c2']; d.Components.c1.s2.h2.data_size = [5, 5]; },
    'Components.c1.s2.h2.next = ["h3","c2"]: must be ["h3"]: partitions are listed in chain order'],
  ['partitions that do not chain', (d) => { d.Components.c1.s2.h2.next = ['c2']; },
    'Components.c1.s2 = ["h2","h3"]: partitions must form one chain (exactly one partition that no other names in next)'],
  ['a partition that is not an object', (d) => { d.Components.c1.s1.h1 = 5; },
    'Components.c1.s1.h1 = 5: must be an object'],
  ['a partition name used in two deployments', (d) => {
    d.Components.c1.s1 = { h2: d.Components.c1.s1.h1 };
    delete d.CompatibilityMatrix.c1.h1;
    delete d.Performance.c1.h1;
  }, 'Components.c1.s2.h2 = "h2": is used twice; names must be unique'],
  ['partitions in a cycle', (d) => { d.Components.c3.s2.h5.next = ['h3']; },
    'Components.c3.s2.h5.next = ["h3"]: leads back to h3: partitions must form one chain, without cycles'],
  ['an empty partition name', (d) => {
    d.Components.c4.s1 = { '': d.Components.c4.s1.h1 };
    d.CompatibilityMatrix.c4 = { '': d.CompatibilityMatrix.c4.h1 };
    d.Performance.c4 = { '': d.Performance.c4.h1 };
  }, 'Components.c4.s1[""] = "": must be a non-empty string'],
  ['an empty deployment name', (d) => { d.Components.c4[''] = d.Components.c4.s1; delete d.Components.c4.s1; },
    'Components.c4[""] = "": must be a non-empty string'],
  ['a deployment without partitions', (d) => { d.Components.c4.s1 = {}; },
    'Components.c4.s1 = []: must list at least one partition'],
  ['a component without deployments', (d) => { d.Components.c4 = {}; },
    'Components.c4 = []: must list at least one deployment'],
  ['a component that is not an object', (d) => { d.Components.c4 = 'c4'; },
    'Components.c4 = "c4": must be an object'],
  ['no components', (d) => { d.Components = {}; },
    'Components = []: must list at least one component'],
  ['an empty component name', (d) => {
    d.Components[''] = d.Components.c4;
    d.CompatibilityMatrix[''] = d.CompatibilityMatrix.c4;
    d.Performance[''] = d.Performance.c4;
  },
    'Components[""] = "": must be a non-empty string'],

  // local constraints
  ['local limit 0', (d) => { d.LocalConstraints.c1.local_res_time = 0; },
    'LocalConstraints.c1.local_res_time = 0: must be > 0'],
  ['local limit missing from its entry', (d) => { d.LocalConstraints.c1 = { local_rest_time: 5 }; },
    'LocalConstraints.c1.local_res_time = (missing): must give the response-time limit of c1 in seconds (or drop the entry for no limit)'],
  ['local limit of no component', (d) => { d.LocalConstraints.c9 = { local_res_time: 5 }; },
    'LocalConstraints.c9 = "c9": names no component in Components'],

  // compatibility matrix
  ['candidate memory negative', (d) => { d.CompatibilityMatrix.c2.h1[1].memory = -1; },
    'CompatibilityMatrix.c2.h1[1].memory = -1: must be >= 0'],
  ['candidate naming no resource', (d) => { d.CompatibilityMatrix.c1.h1[0].resource = 'NOPE'; },
    'CompatibilityMatrix.c1.h1[0].resource = "NOPE": must name a resource of EdgeResources, CloudResources or FaaSResources'],
  ['candidate without a resource', (d) => { delete d.CompatibilityMatrix.c1.h1[0].resource; },
    'CompatibilityMatrix.c1.h1[0].resource = (missing): must name a resource of EdgeResources, CloudResources or FaaSResources'],
  ['candidate listed twice', (d) => { d.CompatibilityMatrix.c2.h1.push(d.CompatibilityMatrix.c2.h1[1]); },
    'CompatibilityMatrix.c2.h1[3].resource = "EN1": is used twice; names must be unique'],
  ['no candidates', (d) => { d.CompatibilityMatrix.c1.h1 = []; },
    'CompatibilityMatrix.c1.h1 = []: must list at least one compatible resource'],
  ['candidates missing', (d) => { delete d.CompatibilityMatrix.c1.h1; },
    'CompatibilityMatrix.c1.h1 = (missing): must list the resources partition h1 of c1 may run on'],
  ['compatibility of no component', (d) => { d.CompatibilityMatrix.c9 = {}; },
    'CompatibilityMatrix.c9 = "c9": names no component in Components'],
  ['compatibility of no partition', (d) => { d.CompatibilityMatrix.c1.h9 = []; },
    'CompatibilityMatrix.c1.h9 = "h9": names no partition of c1 in Components.c1'],

  // performance
  ['queueing demand 0', (d) => { d.Performance.c4.h1.EN1.demand = 0; },
    'Performance.c4.h1.EN1.demand = 0: must be > 0'],
  ['FaaS warm time negative', (d) => { d.Performance.c5.h1.F1.demandWarm = -1; },
    'Performance.c5.h1.F1.demandWarm = -1: must be > 0'],
  ['FaaS cold time missing', (d) => { delete d.Performance.c5.h1.F2.demandCold; },
    'Performance.c5.h1.F2.demandCold = (missing): must be a finite number'],
  ['performance of a candidate missing', (d) => { delete d.Performance.c1.h1.Drone1; },
    'Performance.c1.h1.Drone1 = (missing): must give the performance model of partition h1 of c1 on Drone1'],
  ['a queueing model on FaaS', (d) => { d.Performance.c5.h1.F1 = { model: 'QTedge', demand: 1 }; },
    'Performance.c5.h1.F1.model = "QTedge": F1 is a FaaS function: must be PACSLTK or PACSLTKSTATIC, with demandWarm and demandCold'],
  ['a FaaS model on an edge node', (d) => { d.Performance.c4.h1.EN1.model = 'PACSLTK'; },
    'Performance.c4.h1.EN1.model = "PACSLTK": EN1 is an edge node: must be QTedge, QTcloud or QT, with demand'],
  ['an unknown model on a VM', (d) => { d.Performance.c4.h1.VM1.model = 'MM1'; },
    'Performance.c4.h1.VM1.model = "MM1": VM1 is a VM type: must be QTedge, QTcloud or QT, with demand'],
  ['performance of no component', (d) => { d.Performance.c9 = {}; },
    'Performance.c9 = "c9": names no component in Components'],
  ['performance of no partition', (d) => { d.Performance.c4.h2 = {}; },
    'Performance.c4.h2 = "h2": names no partition of c4 in Components.c4'],

  // directed acyclic graph
  ['transition probability over 1', (d) => { d.DirectedAcyclicGraph.c2.transition_probability[1] = 1.5; },
    'DirectedAcyclicGraph.c2.transition_probability[1] = 1.5: must be in [0, 1]'],
  ['transition probabilities summing over 1', (d) => { d.DirectedAcyclicGraph.c1.transition_probability = [0.5, 0.5, 0.5]; },
    'DirectedAcyclicGraph.c1.transition_probability = 1.5: outgoing transition probabilities must sum to <= 1'],
  ['a transition to no component', (d) => { d.DirectedAcyclicGraph.c4.next = ['c9']; },
    'DirectedAcyclicGraph.c4.next[0] = "c9": names no component'],
  ['a self-loop', (d) => { d.DirectedAcyclicGraph.c1.next[0] = 'c1'; },
    'DirectedAcyclicGraph.c1.next[0] = "c1": a component cannot follow itself'],
  ['a cycle of two', (d) => { d.DirectedAcyclicGraph.c5 = { next: ['c1'], transition_probability: [1] }; },
    'DirectedAcyclicGraph.c5.next[0] = "c1": closes the cycle c1 -> c5 -> c1: the graph must be acyclic, so drop one of these transitions'],
  ['a cycle of three', (d) => { d.DirectedAcyclicGraph.c3.next = ['c1']; },
    'DirectedAcyclicGraph.c3.next[0] = "c1": closes the cycle c1 -> c2 -> c3 -> c1: the graph must be acyclic, so drop one of these transitions'],
  ['an entry of no component', (d) => { d.DirectedAcyclicGraph.c9 = { next: [], transition_probability: [] }; },
    'DirectedAcyclicGraph.c9 = "c9": names no component in Components'],
  ['transitions from no component', (d) => { d.DirectedAcyclicGraph.c9 = { next: ['c5'], transition_probability: [1] }; },
    'DirectedAcyclicGraph.c9 = "c9": names no component'],
  ['a transition to a number', (d) => { d.DirectedAcyclicGraph.c4.next = [5]; },
    'DirectedAcyclicGraph.c4.next[0] = 5: must be a non-empty string'],
  ['an empty entry name', (d) => { d.DirectedAcyclicGraph[''] = d.DirectedAcyclicGraph.c4; },
    'DirectedAcyclicGraph[""] = "": must be a non-empty string'],
  ['DAG next not a list', (d) => { d.DirectedAcyclicGraph.c4.next = 'c5'; },
    'DirectedAcyclicGraph.c4.next = "c5": must be a list of components'],
  ['probabilities not matching next', (d) => { d.DirectedAcyclicGraph.c4.transition_probability = [0.5, 0.5]; },
    'DirectedAcyclicGraph.c4.transition_probability = [0.5,0.5]: must give one probability for each of the 1 entries of next'],

  // network technology
  ['bandwidth 0', (d) => { d.NetworkTechnology.ND1.Bandwidth = 0; },
    'NetworkTechnology.ND1.Bandwidth = 0: must be > 0'],
  ['access delay negative', (d) => { d.NetworkTechnology.ND2.AccessDelay = -1; },
    'NetworkTechnology.ND2.AccessDelay = -1: must be >= 0'],
  ['a domain naming no layer', (d) => { d.NetworkTechnology.ND3.computationallayers[2] = 'nowhere'; },
    'NetworkTechnology.ND3.computationallayers[2] = "nowhere": names no layer of any resource'],
  ['layers not a list', (d) => { d.NetworkTechnology.ND1.computationallayers = 'computationallayer1'; },
    'NetworkTechnology.ND1.computationallayers = "computationallayer1": must be a list'],
  ['an empty domain name', (d) => { d.NetworkTechnology[''] = d.NetworkTechnology.ND1; },
    'NetworkTechnology[""] = "": must be a non-empty string'],
  ['no network technology', (d) => { delete d.NetworkTechnology; },
    `NetworkTechnology = (missing): must list the network domains joining the 4 computational layers (${LAYERS.join(', ')})`],
  ['an empty network technology', (d) => { d.NetworkTechnology = {}; },
    `NetworkTechnology = {}: must list the network domains joining the 4 computational layers (${LAYERS.join(', ')})`],
  ['a layer in no domain', (d) => {
    d.NetworkTechnology.ND2.computationallayers = ['computationallayer3'];
    d.NetworkTechnology.ND3.computationallayers = LAYERS.slice(0, 3);
  }, `${L4} = "computationallayer4": is in no network domain: add it to the layers of a network domain`],

  // global constraints
  ['global limit negative', (d) => { d.GlobalConstraints.p1.global_res_time = -1; },
    'GlobalConstraints.p1.global_res_time = -1: must be > 0'],
  ['global constraint naming no component', (d) => { d.GlobalConstraints.p2.components[1] = 'c9'; },
    'GlobalConstraints.p2.components[1] = "c9": names no component'],
  ['global constraint components not a list', (d) => { d.GlobalConstraints.p3.components = 'c1'; },
    'GlobalConstraints.p3.components = "c1": must be a list'],
  ['global constraint of no components', (d) => { d.GlobalConstraints.p3.components = []; },
    'GlobalConstraints.p3.components = []: must list at least one component'],
  ['an empty global constraint name', (d) => { d.GlobalConstraints[''] = d.GlobalConstraints.p1; },
    'GlobalConstraints[""] = "": must be a non-empty string'],

  // top level
  ['Lambda 1e300', (d) => { d.Lambda = 1e300; }, 'Lambda = 1e+300: must be at most 1000000000000000 in magnitude'],
  ['Lambda missing', (d) => { delete d.Lambda; }, 'Lambda = (missing): must be a finite number'],
  ['Lambda negative', (d) => { d.Lambda = -0.1; }, 'Lambda = -0.1: must be > 0'],
  ['Time 0', (d) => { d.Time = 0; }, 'Time = 0: must be > 0'],
];

const NATIVE = /^(lambda|time|resources|components|edges|network_domains|global_constraints)\b/;

describe('SPACE4AI system errors name the file\'s own path', () => {
  it.each(CASES)('%s', (_, mutate, message) => {
    const e = systemError(mutate);
    expect(e.message).toBe(message);
    expect(e.path).not.toMatch(NATIVE);
  });

  it('prints infinities by name (a JSON text can hold them as 1e400)', () => {
    const text = readFileSync(BASE, 'utf8');
    expect(thrown(() => parseSpace4aiSystem(text.replace('"Lambda": 0.1', '"Lambda": 1e400'))).message)
      .toBe('Lambda = Infinity: must be a finite number');
    const d = JSON.parse(text);
    d.Components.c4.s1.h1.data_size = ['DATA'];
    expect(thrown(() => parseSpace4aiSystem(JSON.stringify(d).replace('"DATA"', '-1e400'))).message)
      .toBe('Components.c4.s1.h1.data_size[0] = -Infinity: must be a finite number');
  });

  it('still parses every shipped instance and example, and refuses the two with pickled regressors for that alone', () => {
    const files = instanceFiles();
    expect(files).toHaveLength(80);
    for (const f of files) expect(parseSpace4aiSystem(readFileSync(f, 'utf8')).components.length).toBeGreaterThanOrEqual(5);
    for (const n of [7, 10, 15]) {
      expect(parseSpace4aiSystem(readFileSync(join(DATA, 'examples', `system_description1_${n}c.json`), 'utf8')).components).toHaveLength(n);
    }
    const mask = readFileSync(join(DATA, 'examples', 'system_description_maskdetection.json'), 'utf8');
    const maskError = thrown(() => parseSpace4aiSystem(mask));
    expect(maskError.path).toBe('Performance.c1.h1.VM1.regressor_file');
    expect(maskError.rule).toBe('component c1, partition h1, resource VM1: performance model AMLCORE needs a pickled Python regressor (best.pickle), '
      + 'which cannot be loaded here; give a demand (model QTedge/QTcloud) or warm/cold times (PACSLTK) instead');
    const five = readFileSync(join(DATA, 'examples', 'system_description1_5c.json'), 'utf8');
    expect(thrown(() => parseSpace4aiSystem(five)).path).toBe('Performance.c5.h1.F1.regressor_file');
  });

  it('parses the mask-detection system once its regressors are replaced by demands', () => {
    const d = JSON.parse(readFileSync(join(DATA, 'examples', 'system_description_maskdetection.json'), 'utf8'));
    for (const byPartition of Object.values(d.Performance) as Json[]) {
      for (const byResource of Object.values(byPartition) as Json[]) {
        for (const r of Object.keys(byResource)) byResource[r] = { model: 'QTcloud', demand: 0.1 };
      }
    }
    const s = parseSpace4aiSystem(JSON.stringify(d));
    expect(s.components.map((c) => c.name)).toEqual(['c1', 'c2']);
    expect(s.networkDomains[0].layers).toEqual(['computationalLayer1', 'computationalLayer2']);
  });

  it('accepts one layer without NetworkTechnology', () => {
    const d = JSON.parse(readFileSync(BASE, 'utf8'));
    delete d.NetworkTechnology;
    delete d.EdgeResources;
    delete d.FaaSResources;
    for (const byPartition of Object.values(d.CompatibilityMatrix) as Json[]) {
      for (const h of Object.keys(byPartition)) byPartition[h] = [{ resource: 'VM1', memory: 512 }];
    }
    for (const byPartition of Object.values(d.Performance) as Json[]) {
      for (const h of Object.keys(byPartition)) byPartition[h] = { VM1: { model: 'QTcloud', demand: 0.1 } };
    }
    expect(parseSpace4aiSystem(JSON.stringify(d)).resources.map((r) => r.layer)).toEqual(['computationallayer3', 'computationallayer3', 'computationallayer3']);
  });
});

describe('native systems (gRPC) keep native paths', () => {
  it('refuses a self-loop', () => {
    const s = tinySystem();
    s.edges.push({ from: 'c1', to: 'c1', probability: 0 });
    expect(thrown(() => validateSystem(s)).message).toBe('edges[1].to = "c1": a component cannot follow itself');
  });

  it('names an edge closing a cycle and the components on it', () => {
    const s = tinySystem();
    s.edges.push({ from: 'c2', to: 'c1', probability: 0.5 });
    expect(thrown(() => validateSystem(s)).message)
      .toBe('edges[1].to = "c1": closes the cycle c1 -> c2 -> c1: the graph must be acyclic, so drop one of these transitions');
  });

  it('refuses layers that no network domain joins', () => {
    const none = tinySystem();
    none.networkDomains = [];
    expect(thrown(() => validateSystem(none)).message).toBe('network_domains = []: must list the network domains joining the 3 computational layers (L1, L2, L3)');
    const lone = tinySystem();
    lone.networkDomains[0].layers = ['L1', 'L2'];
    expect(thrown(() => validateSystem(lone)).message).toBe('resources.F1.layer = "L3": is in no network domain: add it to the layers of a network domain');
  });
});

describe('SPACE4AI solution errors name the solution file\'s own path', () => {
  const system = parseSpace4aiSystem(readFileSync(join(REFERENCE, 'system_description.json'), 'utf8'));
  const problem = indexProblem(system, 'space4ai-d', 1.8);
  const DRONE = 'components.c1.s1.h1.computationallayer1.Drone1';

  /** The error reading and resolving the reference solution changed by `mutate` gives. */
  function solutionError(mutate: (d: Json) => void): InputError {
    const d = JSON.parse(readFileSync(join(REFERENCE, 'best_sol_1.8.json'), 'utf8'));
    mutate(d);
    return thrown(() => {
      const decision = parseSpace4aiSolution(JSON.stringify(d));
      inSolutionFile(decision, () => resolveDecision(problem, decision));
    });
  }

  it.each<[string, (d: Json) => void, string]>([
    ['an instance count negative', (d) => { d.components.c1.s1.h1.computationallayer1.Drone1.number = -1; },
      `${DRONE}.number = -1: must be a whole number from 0 to 100000`],
    ['an instance count a string', (d) => { d.components.c1.s1.h1.computationallayer1.Drone1.number = '1'; },
      `${DRONE}.number = "1": must be a whole number from 0 to 100000`],
    ['two resources for a partition', (d) => { d.components.c1.s1.h1.computationallayer1.Drone2 = {}; },
      'components.c1.s1.h1 = ["Drone1","Drone2"]: must name exactly one resource'],
    ['two deployments', (d) => { d.components.c1.s2 = {}; }, 'components.c1 = ["s1","s2"]: must hold exactly one deployment'],
    ['a component of no component', (d) => { d.components.c9 = d.components.c1; }, 'components.c9 = "c9": names no component'],
    ['a component missing', (d) => { delete d.components.c5; }, 'components.c5 = (missing): must be assigned a deployment'],
    ['a deployment of no deployment', (d) => { d.components.c1 = { s9: d.components.c1.s1 }; },
      'components.c1.s9 = "s9": names no deployment of c1'],
    ['a partition missing', (d) => { delete d.components.c3.s2.h4; }, 'components.c3.s2.h4 = (missing): must be given a resource'],
    ['a resource not compatible', (d) => {
      d.components.c1.s1.h1 = { computationallayer2: { EN1: { number: 1 } } };
    }, 'components.c1.s1.h1.computationallayer2.EN1 = "EN1": must be one of the compatible resources: Drone1'],
    ['a count of no resource', (d) => { d.components.c1.s1.h9 = { layer: { X9: { number: 1 } } }; },
      'components.c1.s1.h9.layer.X9 = "X9": names no resource'],
  ])('%s', (_, mutate, message) => expect(solutionError(mutate).message).toBe(message));

  it('leaves errors about a native decision (gRPC) as they are', () => {
    const s = tinySystem();
    const pb = indexProblem(s, 'copt');
    const decision = tinyDecision();
    decision.components[0].deployment = 's9';
    expect(thrown(() => inSolutionFile(decision, () => resolveDecision(pb, decision))).message)
      .toBe('decision.components.c1.deployment = "s9": names no deployment of c1');
  });
});

describe('copt solve placement on a broken file', () => {
  it('exits with code 2 and one line naming the file, the field and the value', () => {
    const d = JSON.parse(readFileSync(BASE, 'utf8'));
    d.EdgeResources.computationallayer2.EN1.number = 1e20;
    const file = join(mkdtempSync(join(tmpdir(), 'copt-s4ai-')), 'broken.json');
    writeFileSync(file, JSON.stringify(d));
    const run = spawnSync('node', [join(import.meta.dirname, '..', 'bin', 'copt.js'), 'solve', 'placement', file, '--seconds', '0.1'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`copt: ${file}: EdgeResources.computationallayer2.EN1.number = 100000000000000000000: must be a whole number from 1 to 100000\n`);
  });
});
