import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../server/paths.js';

/** The real `copt solve placement` then `copt evaluate placement` on each of the 80 files at its own lambda. */
export async function benchPlacementCli(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { seconds: { type: 'string', default: '0.5' } } });
  const root = projectRoot();
  const copt = join(root, 'bin', 'copt.js');
  const dir = join(root, 'instances', 'space4ai', 'instances');
  const tmp = mkdtempSync(join(tmpdir(), 'copt-bench-'));
  const rows = [];
  for (const set of readdirSync(dir).sort()) {
    for (const size of readdirSync(join(dir, set)).sort((a, b) => parseInt(a) - parseInt(b))) {
      for (const f of readdirSync(join(dir, set, size)).sort((a, b) => parseInt(a.replace(/\D/g, '')) - parseInt(b.replace(/\D/g, '')))) {
        const file = join(dir, set, size, f);
        const out = join(tmp, 'solution.json');
        const t0 = performance.now();
        execFileSync('node', [copt, 'solve', 'placement', file, '--seconds', values.seconds!, '--out', out]);
        const wallS = (performance.now() - t0) / 1000;
        const solution = JSON.parse(readFileSync(out, 'utf8'));
        const check = JSON.parse(execFileSync('node', [copt, 'evaluate', 'placement', file, out], { encoding: 'utf8' }));
        const row = {
          file: relative(root, file),
          lambda: solution.Lambda,
          cost: Number(solution.total_cost),
          feasible: solution.feasible,
          evaluatedCost: check.total_cost,
          evaluatedFeasible: check.feasible,
          agree: check.feasible === solution.feasible && Math.abs(check.total_cost - Number(solution.total_cost)) <= 1e-9 * Math.abs(check.total_cost),
          wallS,
        };
        rows.push(row);
        console.log(`#${rows.length} ${row.file} lambda ${row.lambda} cost ${row.cost.toFixed(4)} ${row.feasible ? 'feasible' : 'INFEASIBLE'} ${row.agree ? 'agrees' : 'DISAGREES'} ${wallS.toFixed(2)}s`);
      }
    }
  }
  const summary = {
    files: rows.length,
    feasible: rows.filter((r) => r.feasible && r.evaluatedFeasible).length,
    agree: rows.filter((r) => r.agree).length,
    secondsPerSolve: Number(values.seconds),
    date: new Date().toISOString(),
  };
  writeFileSync(join(root, 'bench', 'results', 'placement-own-lambda.json'), JSON.stringify({ summary, rows }, null, 2) + '\n');
  console.log(`feasible ${summary.feasible}/${summary.files}, evaluate agrees ${summary.agree}/${summary.files}; wrote bench/results/placement-own-lambda.json`);
}
