// A small client of copt.v1.Optimizer, as an application would write one: it loads the contract
// (proto/copt/v1/optimizer.proto), asks the health service, then solves a placement.
//   node examples/client.mjs [HOST:PORT] [SYSTEM.json] [--token TOKEN] [--ca CA.pem]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { service as healthService } from 'grpc-health-check';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({ options: { token: { type: 'string' }, ca: { type: 'string' } }, allowPositionals: true });
const address = positionals[0] ?? '127.0.0.1:50051';
const systemFile = positionals[1] ?? join(root, 'instances/space4ai/instances/Light/5-components/system_description1.json');

const definition = protoLoader.loadSync('copt/v1/optimizer.proto', { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true, includeDirs: [join(root, 'proto')] });
const { Optimizer } = grpc.loadPackageDefinition(definition).copt.v1;
const credentials = values.ca ? grpc.credentials.createSsl(readFileSync(values.ca)) : grpc.credentials.createInsecure();
const metadata = new grpc.Metadata();
if (values.token) metadata.set('authorization', `Bearer ${values.token}`);
const deadline = () => ({ deadline: new Date(Date.now() + 30_000) });

const Health = grpc.makeClientConstructor(healthService, 'grpc.health.v1.Health');
const health = new Health(address, credentials);
const status = await new Promise((resolve, reject) => health.check({ service: 'copt.v1.Optimizer' }, deadline(), (err, res) => (err ? reject(err) : resolve(res.status))));
console.log(`health: ${status}`);
health.close();

const optimizer = new Optimizer(address, credentials);
const request = { space4aiJson: readFileSync(systemFile, 'utf8'), method: 'AUTO', budget: { seconds: 1 }, seed: 1 };
const solution = await new Promise((resolve, reject) => optimizer.SolvePlacement(request, metadata, deadline(), (err, res) => (err ? reject(err) : resolve(res))));
const e = solution.evaluation;
console.log(`solved: cost ${e.totalCost.toFixed(4)}, ${e.feasible ? "feasible" : "infeasible"}, ${solution.decision.components.length} components placed in ${solution.stats.elapsedS.toFixed(2)} s`);
for (const c of solution.decision.components) console.log(`  ${c.component}: ${c.deployment} on ${c.partitions.map((p) => `${p.partition}@${p.resource}`).join(', ')}`);
optimizer.close();
