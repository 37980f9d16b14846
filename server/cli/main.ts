import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { own } from '../fields.js';
import { InputError } from '../input-error.js';
import { projectRoot } from '../paths.js';
import { NoSolutionError } from '../placement/service.js';
import { EXIT, running, UsageError, type Command } from './args.js';
import { GPU_COMMANDS } from './gpu.js';
import { LOOP_COMMANDS } from './loop.js';
import { MODEL_COMMANDS } from './models.js';
import { PLACEMENT_COMMANDS } from './placement.js';
import { REPLICA_COMMANDS } from './replicas.js';
import { RUNTIME_COMMANDS } from './reoptimize.js';
import { SERVE_COMMANDS } from './serve.js';

/** Every command by name, family by family, in the order the top-level usage lists them. */
const COMMANDS: Record<string, Command> = {
  ...PLACEMENT_COMMANDS,
  ...RUNTIME_COMMANDS,
  ...GPU_COMMANDS,
  ...MODEL_COMMANDS,
  ...REPLICA_COMMANDS,
  ...SERVE_COMMANDS,
  ...LOOP_COMMANDS,
};

const USAGE = `usage:\n${Object.values(COMMANDS).map((c) => `  ${c.usage.replace(/\n/g, '\n  ')}`).join('\n')}\n  copt --version`;

/** gRPC status of an exact solve with no feasible placement to answer (exit code 1, as in this process). */
const FAILED_PRECONDITION = 9;

/** Runs the command line; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    const [command, what] = argv;
    if (command === '--version' || command === '-V' || command === 'version') {
      console.log(`copt ${version()}`);
      return EXIT.ok;
    }
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      console.log(USAGE);
      return command === undefined ? EXIT.usage : EXIT.ok;
    }
    // `serve` and `loop` take options straight away; `loop approve` is a command of its own
    const name = own(COMMANDS, command) && !own(COMMANDS, `${command} ${what}`) ? command : `${command} ${what ?? ''}`.trim();
    const found = own(COMMANDS, name);
    if (!found) throw new UsageError(`unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')}; copt --help shows their options)`);
    const args = argv.slice(name.split(' ').length);
    if (args.includes('--help') || args.includes('-h')) {
      console.log(`usage: ${found.usage}`);
      return EXIT.ok;
    }
    running(name);
    return await found.run(args);
  } catch (err) {
    if (err instanceof UsageError || err instanceof InputError) {
      process.stderr.write(`copt: ${oneLine(err.message)}\n`);
      return EXIT.usage;
    }
    if (err instanceof NoSolutionError) {
      process.stderr.write(`copt: ${err.message}\n`);
      return EXIT.noSolution;
    }
    if (isGrpcError(err)) {
      process.stderr.write(`copt: server: ${oneLine(err.details)}\n`);
      return err.code === FAILED_PRECONDITION ? EXIT.noSolution : EXIT.usage;
    }
    throw err;
  }
}

/** The package's version. */
function version(): string {
  return (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** A message on one line: line breaks (from names in the input) shown escaped. */
const oneLine = (text: string) => text.replace(/\r?\n/g, '\\n');

/** Whether `err` is a gRPC status error (from solving over a server). */
function isGrpcError(err: unknown): err is { code: number; details: string } {
  return typeof err === 'object' && err !== null && 'code' in err && 'details' in err;
}
