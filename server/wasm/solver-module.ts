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

/**
 * `release` reads arrays unchecked for speed; `checked` keeps bounds checks (an out-of-range index
 * aborts with its source line) and is what the tests of the incremental evaluation also run.
 */
export type SolverBuild = 'release' | 'checked';

const FILES: Record<SolverBuild, string> = { release: 'solver.wasm', checked: 'solver-checked.wasm' };
const compiled = new Map<SolverBuild, WebAssembly.Module>();

/** The solver module, compiled once per thread from build/. */
export function solverModule(build: SolverBuild = 'release'): WebAssembly.Module {
  let module = compiled.get(build);
  if (!module) {
    const file = join(projectRoot(), 'build', FILES[build]);
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(readFileSync(file));
    } catch {
      throw new Error(`${file} is missing: run "npm run build" to compile the solver`);
    }
    module = new WebAssembly.Module(bytes);
    compiled.set(build, module);
  }
  return module;
}

/** A fresh instance of the solver module, its host imports bound to hooks. */
export function instantiateSolver(hooks: HostHooks, build: SolverBuild = 'release'): SolverExports {
  let exports: SolverExports | undefined;
  const instance = new WebAssembly.Instance(solverModule(build), {
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
