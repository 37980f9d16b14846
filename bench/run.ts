import { benchPlacement } from './placement.js';

const BENCHES: Record<string, (args: string[]) => Promise<void>> = {
  placement: benchPlacement,
};

const [name, ...args] = process.argv.slice(2);
const bench = name === undefined ? undefined : BENCHES[name];
if (!bench) {
  console.error(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> [options]`);
  process.exit(2);
}
await bench(args);
