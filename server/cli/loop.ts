import { readFileSync } from 'node:fs';
import { readLoopConfig, MODES } from '../../loop/config.js';
import { ApplicationLoop, type PlanFile } from '../../loop/cycle.js';
import { loopParts, runLoop } from '../../loop/run.js';
import { choice, EXIT, helpHint, options, UsageError, type Command } from './args.js';

/** The re-optimization loop: run it beside a cluster, or enact a plan it wrote for approval. */
export const LOOP_COMMANDS: Record<string, Command> = {
  loop: {
    usage: 'copt loop --config FILE [--mode enact|dry-run|approve] [--once]',
    run: loop,
  },
  'loop approve': {
    usage: 'copt loop approve PLAN.json --config FILE',
    run: approve,
  },
};

/** The configuration named by --config, or a usage error naming what is wrong in it. */
function config(file: string | undefined) {
  if (!file) throw new UsageError(`--config FILE is required (${helpHint()})`);
  try {
    return readLoopConfig(file);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Runs the loop until SIGINT or SIGTERM (the cycle under way finishes), or one cycle with --once. */
async function loop(args: string[]): Promise<number> {
  const { values } = options(args, { config: { type: 'string' }, mode: { type: 'string' }, once: { type: 'boolean' } } as const, 0);
  const cfg = config(values.config);
  const mode = choice(values.mode, 'mode', MODES, cfg.mode);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    console.log(`copt loop: ${cfg.applications.length} application(s), ${cfg.replicaServices.length} replica service(s), every ${cfg.intervalS} s, mode ${mode}, audit ${cfg.audit}`);
    const lines = await runLoop(cfg, { mode, cycles: values.once ? 1 : undefined, signal: stop.signal });
    return lines.some((l) => ['error', 'undone', 'undo-incomplete'].includes(l.outcome)) && values.once ? EXIT.noSolution : EXIT.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Enacts a plan written in approve mode, if the cluster still runs what it was planned from. */
async function approve(args: string[]): Promise<number> {
  const { values, positionals } = options(args, { config: { type: 'string' } } as const, 1);
  const cfg = config(values.config);
  let plan: PlanFile;
  try {
    plan = JSON.parse(readFileSync(positionals[0], 'utf8')) as PlanFile;
  } catch (e) {
    throw new UsageError(`${positionals[0]}: ${(e as Error).message.split('\n')[0]}`);
  }
  const { apps, close } = loopParts(cfg);
  try {
    const app = apps.find((a): a is ApplicationLoop => a instanceof ApplicationLoop && a.app.name === plan.app);
    if (!app || typeof plan.id !== 'string' || !Array.isArray(plan.states)) throw new UsageError(`${positionals[0]}: not a plan of an application in ${values.config} (app ${JSON.stringify(plan.app)})`);
    const line = await app.approve(plan);
    return line.outcome === 'enacted' || line.outcome === 'unchanged' ? EXIT.ok : EXIT.noSolution;
  } finally {
    close();
  }
}
