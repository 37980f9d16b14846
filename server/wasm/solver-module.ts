import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { projectRoot } from '../paths.js';

/** Per-instance callbacks the wasm engines call back into. */
export interface HostHooks {
  shouldStop: () => boolean;
  onProgress: (phase: number, iteration: number, cost: number, infeasibility: number, elapsedMs: number) => void;
}

export type SolverExports = Record<string, (...args: number[]) => number> & { memory: WebAssembly.Memory };

let compiled: WebAssembly.Module | undefined;

/** The solver module, compiled once per thread from build/solver.wasm. */
export function solverModule(): WebAssembly.Module {
  if (!compiled) {
    const file = join(projectRoot(), 'build', 'solver.wasm');
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(readFileSync(file));
    } catch {
      throw new Error(`${file} is missing: run "npm run build" to compile the solver`);
    }
    compiled = new WebAssembly.Module(bytes);
  }
  return compiled;
}

/** A fresh instance of the solver module, its host imports bound to hooks. */
export function instantiateSolver(hooks: HostHooks): SolverExports {
  let exports: SolverExports | undefined;
  const instance = new WebAssembly.Instance(solverModule(), {
    env: {
      nowMs: () => performance.now(),
      stopRequested: () => hooks.shouldStop(),
      progress: hooks.onProgress,
      abort: (msg: number, file: number, line: number, col: number) => {
        throw new Error(`solver aborted: ${readString(exports!.memory, msg)} at ${readString(exports!.memory, file)}:${line}:${col}`);
      },
    },
  });
  exports = instance.exports as unknown as SolverExports;
  return exports;
}

/** An AssemblyScript string (UTF-16, length in the header word before it) from wasm memory. */
function readString(memory: WebAssembly.Memory, ptr: number): string {
  if (!ptr) return '';
  const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0];
  return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1));
}
