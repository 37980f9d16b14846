import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseSpace4aiSolution } from '../adapters/space4ai/solution.js';
import { main } from '../server/cli/main.js';
import { projectRoot } from '../server/paths.js';
import { maxSustainableLoad, type ConstraintSlack } from '../server/placement/max-load.js';
import { referenceInstances } from './reference-instances.js';

interface Row {
  instance: string;
  atMaxCounts: boolean;
  maxLambda: number;
  method: string;
  binding?: ConstraintSlack;
  evaluations: number;
  ms: number;
  /** the bisection's answer and how many `copt evaluate` calls it made */
  bisection: number;
  bisectionSteps: number;
  gap: number;
  agrees: boolean;
}

/** What `copt` printed on stdout for a command line, run in this process. */
async function copt(args: string[]): Promise<string> {
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => { out += chunk; return true; }) as typeof process.stdout.write;
  try {
    const code = await main(args);
    if (code !== 0) throw new Error(`copt ${args.join(' ')} exited ${code}`);
  } finally {
    process.stdout.write = write;
  }
  return out;
}

/** A SPACE4AI solution with the `number` of each named resource replaced (every entry with a number is a resource). */
export function withCounts(node: unknown, counts: Map<string, number>): unknown {
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(Object.entries(node).map(([k, v]) => {
    const entry = v as Record<string, unknown>;
    if (typeof entry === 'object' && entry !== null && 'number' in entry && counts.has(k)) return [k, { ...entry, number: counts.get(k) }];
    return [k, withCounts(v, counts)];
  }));
}

/**
 * MaxSustainableLoad on the 80 reference solutions (lambda 1.8), both readings, against a bisection
 * of its own that asks `copt evaluate placement` at each step; agreement to the tolerance, evaluations
 * and time of each.
 */
export async function benchMaxLoad(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { tolerance: { type: 'string', default: '0.001' }, out: { type: 'string', default: 'bench/results/max-load' } } });
  const tol = Number(values.tolerance);
  const root = projectRoot();
  const tmp = mkdtempSync(join(tmpdir(), 'copt-max-load-'));
  const rows: Row[] = [];
  for (const inst of referenceInstances()) {
    const dir = join(root, 'instances', 'space4ai', 'reference-solutions', inst.name);
    const sys = join(dir, 'system_description.json');
    const text = readFileSync(join(dir, 'best_sol_1.8.json'), 'utf8');
    for (const atMaxCounts of [false, true]) {
      const t0 = performance.now();
      const m = maxSustainableLoad({ system: inst.system, profile: 'space4ai-r', decision: parseSpace4aiSolution(text), lambda: 1.8, atMaxCounts, tolerance: tol });
      const ms = performance.now() - t0;
      const file = join(tmp, 'solution.json');
      writeFileSync(file, JSON.stringify(withCounts(JSON.parse(text), new Map(m.counts.map((c) => [c.resource, c.count])))));
      let steps = 0;
      const feasible = async (l: number) => {
        steps++;
        return JSON.parse(await copt(['evaluate', 'placement', sys, file, '--lambda', String(l), '--compat', 'space4ai-r'])).feasible as boolean;
      };
      let lo = 1.8;
      let hi = 1.8;
      while (await feasible(hi)) { lo = hi; hi *= 2; }
      while (hi > lo * (1 + tol)) {
        const mid = (lo + hi) / 2;
        if (await feasible(mid)) lo = mid;
        else hi = mid;
      }
      const gap = Math.abs(m.maxLambda - lo) / lo;
      rows.push({ instance: inst.name, atMaxCounts, maxLambda: m.maxLambda, method: m.method, binding: m.binding, evaluations: m.evaluations, ms, bisection: lo, bisectionSteps: steps, gap, agrees: gap <= tol });
      console.log(`#${rows.length} ${inst.name}${atMaxCounts ? ' at max counts' : ''} ${m.method} max:${m.maxLambda.toFixed(5)} (${m.evaluations} evaluations, ${ms.toFixed(2)} ms) copt-evaluate bisection:${lo.toFixed(5)} (${steps} calls) gap:${gap.toExponential(2)} binding:${m.binding?.kind} ${m.binding?.subject}`);
    }
  }
  rmSync(tmp, { recursive: true, force: true });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const by = (method: string) => rows.filter((r) => r.method === method);
  const summary = {
    cases: rows.length, tolerance: tol, agree: rows.filter((r) => r.agrees).length, maxGap: Math.max(...rows.map((r) => r.gap)),
    methods: Object.fromEntries(['direct', 'bisection'].map((k) => [k, { cases: by(k).length, medianEvaluations: median(by(k).map((r) => r.evaluations)), medianMs: median(by(k).map((r) => r.ms)) }])),
    medianBisectionCalls: median(rows.map((r) => r.bisectionSteps)),
    binding: rows.reduce<Record<string, number>>((acc, r) => { const k = r.binding?.kind ?? 'none'; acc[k] = (acc[k] ?? 0) + 1; return acc; }, {}),
    node: process.version, date: new Date().toISOString(),
  };
  const out = join(root, values.out);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(`${out}.json`, JSON.stringify({ summary, rows }, null, 2) + '\n');
  const md = [
    '# Maximum sustainable load: the 80 reference solutions (lambda 1.8), both readings, against a bisection by `copt evaluate placement`',
    '',
    `Reproduce: \`npm run bench -- max-load\` (profile space4ai-r, tolerance ${tol}; ${summary.node}, ${summary.date}).`,
    '',
    `Agreement to the tolerance: ${summary.agree} of ${summary.cases} (largest relative gap ${summary.maxGap.toExponential(2)}).`,
    '',
    '| method | cases | median evaluations | median time |',
    '|---|---|---|---|',
    ...Object.entries(summary.methods).map(([k, v]) => `| ${k} | ${v.cases} | ${v.medianEvaluations} | ${v.medianMs.toFixed(2)} ms |`),
    `| bisection by \`copt evaluate\` | ${summary.cases} | ${summary.medianBisectionCalls} calls | |`,
    '',
    `Binding constraints: ${Object.entries(summary.binding).map(([k, n]) => `${k} ${n}`).join(', ')}. Every case is in \`max-load.json\`.`,
    '',
  ].join('\n');
  writeFileSync(`${out}.md`, md);
  console.log(md);
}
