import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSpace4aiSolution, space4aiSolution } from '../adapters/space4ai/solution.js';
import { parseSpace4aiSystem } from '../adapters/space4ai/system.js';
import { InputError } from '../server/input-error.js';
import { resolveDecision } from '../server/placement/decision.js';
import { evaluatePlacement } from '../server/placement/evaluate.js';
import { indexProblem } from '../server/placement/problem.js';
import { DATA, instanceFiles, referenceDirs } from './helpers/instances.js';

describe('SPACE4AI system descriptions', () => {
  it('parses all 80 GeneralWorkflows instances', () => {
    const files = instanceFiles();
    expect(files).toHaveLength(80);
    for (const f of files) {
      const s = parseSpace4aiSystem(readFileSync(f, 'utf8'));
      expect(s.components.length).toBeGreaterThanOrEqual(5);
      expect(s.lambda).toBeGreaterThan(0);
    }
  });

  it('parses the example systems of 7, 10 and 15 components', () => {
    for (const n of [7, 10, 15]) {
      const s = parseSpace4aiSystem(readFileSync(join(DATA, 'examples', `system_description1_${n}c.json`), 'utf8'));
      expect(s.components).toHaveLength(n);
    }
  });

  it('refuses the 5-component example, whose FaaS model is a pickled regressor, naming it', () => {
    const text = readFileSync(join(DATA, 'examples', 'system_description1_5c.json'), 'utf8');
    expect(() => parseSpace4aiSystem(text)).toThrow(/^Performance\.c5\.h1\.F1\.regressor_file = ".*faas_model\.pickle": component c5, partition h1, resource F1/);
  });

  it('names component, partition, resource and file of a regressor it cannot load', () => {
    const text = readFileSync(join(DATA, 'examples', 'system_description_maskdetection.json'), 'utf8');
    let err: unknown;
    try { parseSpace4aiSystem(text); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(InputError);
    const e = err as InputError;
    expect(e.path).toBe('Performance.c1.h1.VM1.regressor_file');
    expect(e.message).toMatch(/component c1, partition h1, resource VM1/);
    expect(e.message).toMatch(/best\.pickle/);
  });

  it('rejects a bad field with its path and value', () => {
    const d = JSON.parse(readFileSync(instanceFiles()[0], 'utf8'));
    const [c, deps] = Object.entries(d.Components)[0] as [string, Record<string, Record<string, { data_size: number[] }>>];
    const [s, parts] = Object.entries(deps)[0];
    const [h, part] = Object.entries(parts)[0];
    part.data_size[0] = -4;
    expect(() => parseSpace4aiSystem(JSON.stringify(d))).toThrow(`Components.${c}.${s}.${h}.data_size[0] = -4: must be >= 0`);
    expect(() => parseSpace4aiSystem('{"Lambda": 1')).toThrow(/not valid JSON/);
  });
});

describe('reference solutions (lambda 1.8)', () => {
  const dirs = referenceDirs();

  it('there are 80', () => expect(dirs).toHaveLength(80));

  it.each(dirs.map((d) => [d.slice(DATA.length + 1), d]))('%s re-evaluates feasible at its printed cost under space4ai-d', (_, dir) => {
    const system = parseSpace4aiSystem(readFileSync(join(dir, 'system_description.json'), 'utf8'));
    const text = readFileSync(join(dir, 'best_sol_1.8.json'), 'utf8');
    const pb = indexProblem(system, 'space4ai-d', 1.8);
    const ev = evaluatePlacement(pb, resolveDecision(pb, parseSpace4aiSolution(text)));
    expect(ev.violations).toEqual([]);
    const printed = Number(JSON.parse(text).total_cost);
    expect(Math.abs(ev.totalCost - printed) / printed).toBeLessThan(1e-6);
  });

  it.each(['Light', 'Strict'])('%s/5Components/Ins2, a DAG with two sources, gets lambda at each (the printed times)', (set) => {
    const dir = dirs.find((d) => d.endsWith(join(set, '5Components', 'Ins2')))!;
    const system = parseSpace4aiSystem(readFileSync(join(dir, 'system_description.json'), 'utf8'));
    const text = readFileSync(join(dir, 'best_sol_1.8.json'), 'utf8');
    const pb = indexProblem(system, 'space4ai-d', 1.8);
    const ev = evaluatePlacement(pb, resolveDecision(pb, parseSpace4aiSolution(text)));
    const printed = JSON.parse(text).components as Record<string, { response_time: number }>;
    expect(pb.components.filter((c) => c.rate === 1.8).map((c) => c.name)).toEqual(['c1', 'c2']);
    for (const c of ['c2', 'c4']) {
      expect(Math.abs(ev.components.find((x) => x.component === c)!.responseTime / printed[c].response_time - 1), c).toBeLessThan(1e-9);
    }
  });

  it('reads a FaaS partition the runtime tool wrote at component level as a partition of its deployment', () => {
    const text = readFileSync(join(DATA, 'runtime-output', 'Light-5Components-Ins2-lambda0.99.json'), 'utf8');
    const decision = parseSpace4aiSolution(text);
    expect(decision.components.find((c) => c.component === 'c5')).toEqual({ component: 'c5', deployment: 's1', partitions: [{ partition: 'h1', resource: 'F1' }] });
    const dir = dirs.find((d) => d.endsWith(join('Light', '5Components', 'Ins2')))!;
    const pb = indexProblem(parseSpace4aiSystem(readFileSync(join(dir, 'system_description.json'), 'utf8')), 'space4ai-r', 0.99);
    expect(evaluatePlacement(pb, resolveDecision(pb, decision)).feasible).toBe(true);
  });

  it('writes and reads back a solution in the reference layout', () => {
    const dir = dirs[0];
    const system = parseSpace4aiSystem(readFileSync(join(dir, 'system_description.json'), 'utf8'));
    const pb = indexProblem(system, 'space4ai-d', 1.8);
    const decision = parseSpace4aiSolution(readFileSync(join(dir, 'best_sol_1.8.json'), 'utf8'));
    const ev = evaluatePlacement(pb, resolveDecision(pb, decision));
    const out = space4aiSolution(pb, decision, ev);
    expect(out.feasible).toBe(true);
    expect(Number(out.total_cost)).toBe(ev.totalCost);
    const again = evaluatePlacement(pb, resolveDecision(pb, parseSpace4aiSolution(JSON.stringify(out))));
    expect(again.totalCost).toBe(ev.totalCost);
  });
});
