import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { parseSpace4aiSolution } from '../../adapters/space4ai/solution.js';
import { parseSpace4aiSystem } from '../../adapters/space4ai/system.js';
import { optimizerService } from '../../server/grpc/contract.js';
import { projectRoot } from '../../server/paths.js';
import { mutateText, mutateValue, textMutations, valueMutations, type Mutation } from './mutate.js';

type Msg = Record<string, any>;

/** A valid request to start mutating from. */
export interface GrpcSeed {
  method: string;
  request: Msg;
  /** string fields that hold JSON texts, mutated inside as well */
  jsonFields: string[];
}

/** Valid requests of every RPC, small enough that each answers in a fraction of a second. */
export function grpcSeeds(): GrpcSeed[] {
  const root = projectRoot();
  const read = (...p: string[]) => readFileSync(join(root, ...p), 'utf8');
  const systemJson = read('instances', 'space4ai', 'reference-solutions', 'Light', '5Components', 'Ins1', 'system_description.json');
  const solutionJson = read('instances', 'space4ai', 'reference-solutions', 'Light', '5Components', 'Ins1', 'best_sol_1.8.json');
  const system = parseSpace4aiSystem(systemJson);
  const gpu = JSON.parse(read('instances', 'gpu', 'suite', 'n10-mixed-1.json'));
  gpu.jobs = gpu.jobs.slice(0, 6);
  const gpuJson = JSON.stringify(gpu);
  const arrived = gpu.jobs.filter((j: Msg) => j.submission <= 2000).map((j: Msg) => ({ job: j.id }));
  const service = JSON.parse(read('instances', 'replicas', 'nasa-web.json'));
  const loads = Array.from({ length: 2 * 1440 + 180 }, (_, m) => 20 + 15 * Math.sin(m / 90));
  const budget = { seconds: 0.05 };
  return [
    { method: 'SolvePlacement', request: { space4aiJson: systemJson, lambda: 1.8, method: 'RG_LS', budget, seed: 1 }, jsonFields: ['space4aiJson'] },
    { method: 'SolvePlacement', request: { system, method: 'TS', compat: 'COMPAT_SPACE4AI_D', budget, engine: { eliteSize: 4, tabuTenure: 7 } }, jsonFields: [] },
    { method: 'SolvePlacementStream', request: { space4aiJson: systemJson, method: 'SA', budget }, jsonFields: ['space4aiJson'] },
    { method: 'EvaluatePlacement', request: { space4aiJson: systemJson, lambda: 1.8, compat: 'COMPAT_SPACE4AI_D', space4aiSolutionJson: solutionJson }, jsonFields: ['space4aiJson', 'space4aiSolutionJson'] },
    {
      method: 'ReoptimizePlacement',
      request: { space4aiJson: systemJson, currentSpace4aiJson: solutionJson, lambda: 2.16, compat: 'COMPAT_SPACE4AI_R', policy: 'SPACE4AI_R', budget },
      jsonFields: ['space4aiJson', 'currentSpace4aiJson'],
    },
    {
      method: 'ReoptimizePlacementStream',
      request: { system, current: parseSpace4aiSolution(solutionJson), lambda: 0.9, prices: { deployment: 1, instance: 0.1 }, maxChanges: 3, pinned: ['c1'], budget },
      jsonFields: [],
    },
    { method: 'MaxSustainableLoad', request: { space4aiJson: systemJson, space4aiSolutionJson: solutionJson, lambda: 1.8, atMaxCounts: true }, jsonFields: ['space4aiJson', 'space4aiSolutionJson'] },
    { method: 'ScheduleGpuJobs', request: { instanceJson: gpuJson, time: 2000, jobs: arrived, method: 'GPU_METHOD_PR', budget: { seconds: 0.05, iterations: 30 } }, jsonFields: ['instanceJson'] },
    { method: 'ScheduleGpuJobs', request: { instance: gpu, time: 0, jobs: arrived.slice(0, 1), nodes: [], method: 'GPU_METHOD_GREEDY' }, jsonFields: [] },
    { method: 'SimulateGpuSchedule', request: { instanceJson: gpuJson, method: 'GPU_METHOD_GREEDY', includeLog: true }, jsonFields: ['instanceJson'] },
    { method: 'PlanReplicas', request: { service, windowLoads: loads.filter((_, m) => m % 15 === 0).slice(0, 40), currentReplicas: 2 }, jsonFields: [] },
    {
      method: 'PlanSharedReplicas',
      request: { capacity: 30, services: [{ service, windowLoads: [20, 40, 60, 30], capacityPerReplica: 2 }, { windowLoads: [50, 80, 20, 10] }], method: 'RG_LS', budget },
      jsonFields: [],
    },
    { method: 'SimulateReplicas', request: { service, loads, startMinute: 2 * 1440, policy: 'REPLICA_POLICY_MEMORY', includeSeries: true }, jsonFields: [] },
  ];
}

/** One fuzzed call: which seed, the changes to its message, to one of its JSON texts, and to its bytes. */
export interface GrpcCase {
  seed: number;
  message: Mutation[];
  inner: { field: number; value: Mutation[]; text: Mutation[] } | null;
  bytes: ByteChange[];
}

/** A change to a call's encoded bytes. */
export interface ByteChange {
  op: 'flip' | 'cut' | 'insert';
  at: number;
  byte: number;
}

/** Fuzzed calls: most change the message, some a JSON text inside it, some the encoded bytes. */
export function grpcCases(seeds: number): fc.Arbitrary<GrpcCase> {
  return fc.record({
    seed: fc.integer({ min: 0, max: seeds - 1 }),
    message: fc.oneof({ weight: 3, arbitrary: valueMutations }, { weight: 1, arbitrary: fc.constant<Mutation[]>([]) }),
    inner: fc.option(fc.record({
      field: fc.nat(),
      value: fc.oneof(valueMutations, fc.constant<Mutation[]>([])),
      text: fc.oneof({ weight: 3, arbitrary: fc.constant<Mutation[]>([]) }, { weight: 1, arbitrary: textMutations }),
    }), { freq: 2 }),
    bytes: fc.oneof(
      { weight: 4, arbitrary: fc.constant<ByteChange[]>([]) },
      { weight: 1, arbitrary: fc.array(fc.record({ op: fc.constantFrom('flip' as const, 'cut' as const, 'insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 3 }) },
    ),
  });
}

/** What a call came to. */
export interface GrpcOutcome {
  method: string;
  code: number;
  details: string;
  /** the `field` trailer of a refusal */
  field: string;
  ms: number;
  /** a stream's events, and whether it ended with its result */
  events: number;
  result: boolean;
}

const definition = optimizerService().service;

/** The bytes of a fuzzed call, or null when the mutated message cannot be encoded (the client would refuse it; its bytes are mutated instead). */
export function caseBytes(seeds: GrpcSeed[], c: GrpcCase): { method: string; bytes: Buffer } {
  const seed = seeds[c.seed];
  const method = definition[seed.method];
  let request = mutateValue(seed.request, c.message) as Msg;
  if (c.inner && seed.jsonFields.length > 0 && request && typeof request === 'object') {
    const field = seed.jsonFields[c.inner.field % seed.jsonFields.length];
    if (typeof request[field] === 'string') {
      let text = request[field] as string;
      try {
        text = JSON.stringify(mutateValue(JSON.parse(text), c.inner.value));
      } catch {
        // not JSON any more (the message mutation changed it): mutate the text alone
      }
      request = { ...request, [field]: mutateText(text, c.inner.text) };
    }
  }
  let bytes: Buffer;
  try {
    bytes = method.requestSerialize(request);
  } catch {
    bytes = method.requestSerialize(seed.request);
  }
  for (const b of c.bytes) {
    const at = bytes.length === 0 ? 0 : b.at % bytes.length;
    if (b.op === 'flip' && bytes.length > 0) bytes[at] ^= 1 << (b.byte % 8);
    else if (b.op === 'cut') bytes = bytes.subarray(0, at);
    else if (b.op === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([b.byte]), bytes.subarray(at)]);
  }
  return { method: seed.method, bytes: Buffer.from(bytes) };
}

/** Sends encoded bytes as a call of `method` with a deadline; resolves with what came back. */
export function sendRaw(client: grpc.Client, methodName: string, bytes: Buffer, deadlineMs: number): Promise<GrpcOutcome> {
  const method = definition[methodName];
  const identity = (b: Buffer) => b;
  const t0 = performance.now();
  const options = { deadline: new Date(Date.now() + deadlineMs) };
  const outcome = (code: number, details: string, metadata: grpc.Metadata | undefined, events: number, result: boolean): GrpcOutcome => ({
    method: methodName, code, details, field: String(metadata?.get('field')[0] ?? ''), ms: performance.now() - t0, events, result,
  });
  return new Promise((resolve) => {
    if (!method.responseStream) {
      client.makeUnaryRequest(method.path, identity, method.responseDeserialize, bytes, new grpc.Metadata(), options, (err, res) => {
        if (err) resolve(outcome(err.code, err.details, err.metadata, 0, false));
        else resolve(outcome(grpc.status.OK, '', undefined, 0, res !== undefined));
      });
      return;
    }
    const call = client.makeServerStreamRequest(method.path, identity, method.responseDeserialize, bytes, new grpc.Metadata(), options);
    let events = 0;
    let result = false;
    call.on('data', (e: Msg) => {
      events++;
      if (e.result || e.solution) result = true;
    });
    call.on('error', (err: grpc.ServiceError) => resolve(outcome(err.code, err.details, err.metadata, events, result)));
    call.on('end', () => resolve(outcome(grpc.status.OK, '', undefined, events, result)));
  });
}

/** Sends fuzzed calls four at a time (as two workers and their queue see them); each case with what came of it. */
export async function sendCases(client: grpc.Client, seeds: GrpcSeed[], cases: GrpcCase[], deadlineMs: number): Promise<{ c: GrpcCase; o: GrpcOutcome }[]> {
  const out: { c: GrpcCase; o: GrpcOutcome }[] = [];
  for (let i = 0; i < cases.length; i += 4) {
    out.push(...await Promise.all(cases.slice(i, i + 4).map(async (c) => {
      const { method, bytes } = caseBytes(seeds, c);
      return { c, o: await sendRaw(client, method, bytes, deadlineMs) };
    })));
  }
  return out;
}

/** Why an outcome breaks the property (a result, or a refusal naming its field, in time), or null when it keeps it. */
export function judgeGrpc(o: GrpcOutcome, deadlineMs: number): string | null {
  if (o.ms > deadlineMs + 500) return `answered after ${Math.round(o.ms)} ms, past its ${deadlineMs} ms deadline`;
  switch (o.code) {
    case grpc.status.OK:
      return o.result ? null : 'the call ended without its answer';
    case grpc.status.INVALID_ARGUMENT:
      return o.field ? null : `INVALID_ARGUMENT without a field trailer: ${o.details}`;
    case grpc.status.RESOURCE_EXHAUSTED:
    case grpc.status.FAILED_PRECONDITION:
      return null;
    case grpc.status.DEADLINE_EXCEEDED:
      // the server stopping work at the deadline says so; the client's own expiry means no answer came
      return o.details.startsWith('the call reached its deadline') ? null : `no answer before the deadline (${o.details})`;
    default:
      return `${grpc.status[o.code]}: ${o.details}`;
  }
}
