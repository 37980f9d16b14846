import { benchEngines } from './engines.js';
import { benchEvaluateRate } from './evaluate-rate.js';
import { benchExecTime } from './exec-time.js';
import { benchFuzz } from './fuzz.js';
import { benchLoop } from './loop.js';
import { benchMaxLoad } from './max-load.js';
import { benchGpu } from './gpu.js';
import { benchPlacement } from './placement.js';
import { benchPlacementCli } from './placement-cli.js';
import { benchReplicas } from './replicas.js';
import { benchReplicasShared } from './replicas-shared.js';
import { benchRuntime } from './runtime.js';
import { benchScale } from './scale.js';
import { benchScaleOut } from './scale-out.js';
import { benchService } from './service.js';

const BENCHES: Record<string, (args: string[]) => Promise<void>> = {
  placement: benchPlacement,
  'placement-cli': benchPlacementCli,
  engines: benchEngines,
  gpu: benchGpu,
  'exec-time': benchExecTime,
  replicas: benchReplicas,
  'replicas-shared': benchReplicasShared,
  fuzz: benchFuzz,
  service: benchService,
  runtime: benchRuntime,
  'max-load': benchMaxLoad,
  loop: benchLoop,
  scale: benchScale,
  'scale-out': benchScaleOut,
  'evaluate-rate': benchEvaluateRate,
};

const [name, ...args] = process.argv.slice(2);
const bench = name === undefined ? undefined : BENCHES[name];
if (!bench) {
  console.error(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> [options]`);
  process.exit(2);
}
await bench(args);
