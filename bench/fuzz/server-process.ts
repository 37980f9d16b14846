import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../server/paths.js';

/** Starts `copt serve` on a free loopback port in its own process (so that a crash shows as its exit); resolves with its address. */
export function startServerProcess(workers: number, extra: string[] = []): Promise<{ process: ChildProcess; address: string }> {
  const child = spawn('node', [join(projectRoot(), 'bin', 'copt.js'), 'serve', '--port', '0', '--workers', String(workers), ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('copt serve did not start within 30 s')), 30_000);
    child.stdout!.on('data', (b: Buffer) => {
      const m = /on (127\.0\.0\.1:\d+)/.exec(b.toString());
      if (m) {
        clearTimeout(timer);
        resolve({ process: child, address: m[1] });
      }
    });
    child.on('exit', (code) => reject(new Error(`copt serve exited with code ${code}`)));
  });
}

/** A process's resident memory in MB (Linux /proc), its worker threads included. */
export function serverRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
  return kb / 1024;
}

/**
 * A process's settled resident memory: the least seen over `seconds` of idleness, once V8's memory
 * reducer (which runs some seconds into an idle spell) has given back what the last calls raised.
 */
export async function settledRssMb(pid: number, seconds = 20): Promise<number> {
  let least = serverRssMb(pid);
  for (let s = 0; s < seconds; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    least = Math.min(least, serverRssMb(pid));
  }
  return least;
}
