import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../server/paths.js';

const run = promisify(execFile);
const COPT = join(projectRoot(), 'bin', 'copt.js');
const dir = mkdtempSync(join(tmpdir(), 'copt-serve-config-'));

/** `copt serve ARGS` as a user runs it, with extra environment variables. */
async function serve(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [COPT, 'serve', ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('copt serve settings: config file, COPT_* variables, flags', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes each setting from the file, then the environment, then the flags, and --print-config shows them and where they came from', async () => {
    writeFileSync(join(dir, 'tokens'), 'secret-one\nsecret-two\n');
    writeFileSync(join(dir, 'serve.yaml'), 'workers: 1\nmax-queue: 5\nauth-tokens: tokens\nlog-level: debug\n');
    const r = await serve({ COPT_LOG_LEVEL: 'warn', COPT_ADDRESS: '0.0.0.0:50099' }, '--config', join(dir, 'serve.yaml'), '--max-queue', '7', '--print-config');
    expect(r.code, r.stderr).toBe(0);
    const shown = JSON.parse(r.stdout);
    expect(shown.settings).toMatchObject({ address: '0.0.0.0:50099', workers: 1, 'max-queue': 7, 'log-level': 'warn', 'auth-tokens': `${join(dir, 'tokens')} (2 tokens)`, 'tls-cert': null });
    expect(shown.from).toEqual({ address: 'COPT_ADDRESS', workers: `${join(dir, 'serve.yaml')}: workers`, 'max-queue': 'flag', 'log-level': 'COPT_LOG_LEVEL', 'auth-tokens': `${join(dir, 'serve.yaml')}: auth-tokens` });
    expect(r.stdout).not.toMatch(/secret/);
  });

  it('names the source of a bad setting and exits 2', async () => {
    writeFileSync(join(dir, 'bad.yaml'), 'workers: 0\n');
    writeFileSync(join(dir, 'unknown.yaml'), 'colour: red\n');
    const cases: [Record<string, string>, string[], string][] = [
      [{ COPT_WORKERS: '0' }, [], 'copt: COPT_WORKERS=0: must be a whole number from 1 to 256'],
      [{}, ['--config', join(dir, 'bad.yaml')], `copt: ${join(dir, 'bad.yaml')}: workers = 0: must be a whole number from 1 to 256`],
      [{}, ['--config', join(dir, 'unknown.yaml')], `copt: --config ${join(dir, 'unknown.yaml')}: colour is not a setting of copt serve (known: address, port, workers, max-queue, tls-cert, tls-key, tls-client-ca, auth-tokens, metrics-port, metrics-address, health-address, log-level)`],
      [{}, ['--config', join(dir, 'none.yaml')], `copt: --config ${join(dir, 'none.yaml')}: no such file`],
      [{ COPT_LOG_LEVEL: 'loud' }, [], 'copt: COPT_LOG_LEVEL=loud: must be one of debug, info, warn, error'],
      // a flag wins over a bad variable
      [{ COPT_WORKERS: '0' }, ['--workers', '300'], 'copt: --workers 300: must be a whole number from 1 to 256'],
    ];
    for (const [env, args, message] of cases) {
      const r = await serve(env, ...args, '--print-config');
      expect(r.code, r.stdout).toBe(2);
      expect(r.stderr.trim().split('\n')[0]).toBe(message);
    }
  }, 60_000);
});
