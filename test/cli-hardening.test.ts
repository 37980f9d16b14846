import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceFiles } from './helpers/instances.js';

const ROOT = join(import.meta.dirname, '..');
const COPT = join(ROOT, 'bin', 'copt.js');
const tmp = mkdtempSync(join(tmpdir(), 'copt-cli-hard-'));
const system = instanceFiles().find((f) => f.includes('Light/5-components/system_description1.json'))!;
const gpuFile = join(ROOT, 'instances', 'gpu', 'suite', 'n10-mixed-1.json');

/** Runs the real command line; its exit code, output and time. */
function copt(...args: string[]): { code: number; stdout: string; stderr: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync('node', [COPT, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}

/** A command's failure: exit code 2 and exactly one line on stderr, which is returned. */
function refused(...args: string[]): string {
  const r = copt(...args);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr.split('\n')).toHaveLength(2);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return r.stderr.trimEnd();
}

const write = (name: string, text: string) => {
  const file = join(tmp, name);
  writeFileSync(file, text);
  return file;
};

describe('the command line refuses bad input on one line, exit code 2, before any work', () => {
  it('checks --out and --log before solving', () => {
    const t0 = Date.now();
    expect(refused('solve', 'placement', system, '--seconds', '30', '--out', join(tmp, 'no-such-folder', 'x.json'))).toBe(
      `copt: --out ${join(tmp, 'no-such-folder', 'x.json')}: cannot write into ${join(tmp, 'no-such-folder')} (ENOENT)`);
    expect(Date.now() - t0).toBeLessThan(15_000); // not the 30 s solve
    expect(refused('schedule', 'gpu', gpuFile, '--log', join(tmp, 'none', 'log.jsonl'))).toMatch(/^copt: --log .*: cannot write into .*none \(ENOENT\)$/);
    expect(refused('solve', 'placement', system, '--out', tmp)).toBe(`copt: --out ${tmp}: is a folder, not a file`);
  });

  it('bounds counts by what the machine holds, naming the flag', () => {
    expect(refused('solve', 'placement', system, '--elite', '10000000')).toBe('copt: --elite 10000000: must be a whole number from 1 to 1000');
    expect(refused('solve', 'placement', system, '--candidates', '1e9')).toBe('copt: --candidates 1e9: must be a whole number from 1 to 100000');
    expect(refused('schedule', 'gpu', gpuFile, '--elite', '1e7')).toBe('copt: --elite 1e7: must be a whole number from 1 to 1000');
    const d = JSON.parse(readFileSync(system, 'utf8'));
    d.Lambda = 1e300;
    expect(refused('solve', 'placement', write('lambda.json', JSON.stringify(d)))).toMatch(/Lambda = 1e\+300: must be at most 1000000000000000 in magnitude$/);
  });

  it('runs a GPU instance allowing a billion nodes as one allowing ten', () => {
    const g = JSON.parse(readFileSync(gpuFile, 'utf8'));
    g.maxNodes = 1e9;
    const r = copt('schedule', 'gpu', write('many-nodes.json', JSON.stringify(g)), '--method', 'rg', '--iterations', '10');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).jobs).toBe(g.jobs.length);
  });

  it('refuses deeply nested JSON in every reader', () => {
    const deep = write('deep.json', '['.repeat(200_000) + ']'.repeat(200_000));
    expect(refused('solve', 'placement', deep)).toMatch(/nests deeper than 100 levels$/);
    expect(refused('evaluate', 'placement', system, deep)).toMatch(/nests deeper than 100 levels/);
    expect(refused('schedule', 'gpu', deep)).toMatch(/nests deeper than 100 levels/);
    expect(refused('plan', 'replicas', deep)).toMatch(/nests deeper than 100 levels/);
  });

  it('reads negative numbers as values, and says what is wrong with them', () => {
    expect(refused('solve', 'placement', system, '--seconds', '-1')).toBe('copt: --seconds -1: must be > 0');
    expect(refused('schedule', 'gpu', gpuFile, '--horizon', '-5')).toBe('copt: --horizon -5: must be > 0');
    expect(refused('solve', 'placement', system, '--frobnicate')).toBe('copt: unknown option --frobnicate (see copt solve placement --help)');
    expect(refused('solve', 'placement')).toBe('copt: expected 1 file argument, got 0 (see copt solve placement --help)');
  });

  it('shows each command\'s help and the version', () => {
    const help = copt('solve', 'placement', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: copt solve placement SYSTEM\.json/);
    expect(help.stdout).not.toContain('schedule gpu');
    const version = copt('--version');
    expect(version.code).toBe(0);
    expect(version.stdout).toBe(`copt ${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}\n`);
    expect(refused('frobnicate')).toMatch(/^copt: unknown command "frobnicate" \(commands: solve placement, /);
  });

  it('names fields as the file spells them, and reads both spellings of the proto JSON', () => {
    const snake = write('snake.json', JSON.stringify({ window_loads: [10, 200, 30], current_replicas: 2 }));
    const plan = copt('plan', 'replicas', snake);
    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout).windows).toBe(3);
    const camel = write('camel.json', JSON.stringify({ windowLoads: [10, -1] }));
    expect(refused('plan', 'replicas', camel)).toBe(`copt: ${camel}: windowLoads[1] = -1: must be >= 0`);
    expect(refused('plan', 'replicas', write('snake-bad.json', JSON.stringify({ window_loads: [10, -1] })))).toMatch(/: window_loads\[1\] = -1: must be >= 0$/);
    expect(refused('plan', 'replicas', write('typo.json', JSON.stringify({ windowLoad: [10] })))).toMatch(/: windowLoad = \[10\]: is not a field of PlanReplicasRequest/);
    // README documents GPU features as batch_size: both spellings read
    const g = JSON.parse(readFileSync(gpuFile, 'utf8'));
    g.vmTypes = g.vmTypes.filter((v: { gpuType: string }) => v.gpuType === 'K80');
    g.jobs = g.jobs.slice(0, 3).map((j: Record<string, unknown>, k: number) => ({ id: j.id, submission: j.submission, deadline: j.deadline, weight: j.weight, features: { images: 50_000, epochs: 2, [k % 2 ? 'batch_size' : 'batchSize']: 64 } }));
    delete g.profiles;
    const features = copt('schedule', 'gpu', write('features.json', JSON.stringify(g)), '--method', 'greedy');
    expect(features.code, features.stderr).toBe(0);
    expect(JSON.parse(features.stdout).jobs).toBe(3);
  });

  it('checks every row of a trace, and a stored model\'s kind', () => {
    const trace = write('trace.csv', 'period,load\n2026-01-05 00:00,2\nnot-a-date,3\n');
    expect(refused('simulate', 'replicas', '--trace', trace, '--policy', 'memory')).toBe(`copt: ${trace} line 3: time "not-a-date" must be a date written YYYY-MM-DD HH:MM, as on the first row`);
    const back = write('back.csv', 'period,load\n2026-01-05 00:01,2\n2026-01-05 00:00,3\n');
    expect(refused('simulate', 'replicas', '--trace', back, '--policy', 'memory')).toMatch(/line 3: time "2026-01-05 00:00" is not after the row before's/);
    const wrong = refused('simulate', 'replicas', '--trace', trace, '--policy', 'planner', '--forecaster', 'lstm', '--model', join(ROOT, 'models', 'exec-time'));
    expect(wrong).toBe(`copt: --model ${join(ROOT, 'models', 'exec-time')}: holds a model of kind exec-time, not lstm-forecast`);
  });
});

describe('copt serve refuses what it cannot listen on', () => {
  let first: ReturnType<typeof spawn> | undefined;
  let port = 0;
  beforeAll(async () => {
    first = spawn('node', [COPT, 'serve', '--port', '0', '--workers', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    port = await new Promise<number>((resolve, reject) => {
      first!.stdout!.on('data', (b: Buffer) => {
        const m = /on 127\.0\.0\.1:(\d+)/.exec(b.toString());
        if (m) resolve(Number(m[1]));
      });
      first!.on('exit', () => reject(new Error('copt serve exited')));
    });
  });
  afterAll(() => { first?.kill('SIGTERM'); });

  it('a port in use, a malformed address, bad worker counts', () => {
    expect(refused('serve', '--port', String(port))).toBe(`copt: cannot listen on 127.0.0.1:${port}: the port is in use`);
    expect(refused('serve', '--address', 'nonsense')).toBe('copt: --address nonsense: must be HOST:PORT, e.g. 127.0.0.1:50051, 0.0.0.0:50051 or [::1]:50051');
    expect(refused('serve', '--address', '127.0.0.1:70000')).toMatch(/^copt: --address 127\.0\.0\.1:70000: must be HOST:PORT/);
    expect(refused('serve', '--workers', '0')).toBe('copt: --workers 0: must be a whole number from 1 to 256');
    expect(refused('serve', '--max-queue', '-3')).toBe('copt: --max-queue -3: must be a whole number from 0 to 100000');
  });
});
