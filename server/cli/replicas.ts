import { planInputOf, serviceFields, sharedPlanInputOf } from '../grpc/convert-replicas.js';
import { parseJsonText } from '../json-text.js';
import { modelKind } from '../models/file-io.js';
import { STREAMING_STORE } from '../replicas/model.js';
import { planReplicas } from '../replicas/plan.js';
import { POLICIES } from '../replicas/policies.js';
import { FORECASTERS, simulateReplicaTrace } from '../replicas/service.js';
import { planSharedReplicas } from '../replicas/shared.js';
import { parseTrace, weekMinute } from '../replicas/trace.js';
import { validateReplicaService } from '../replicas/validate.js';
import { SEARCH_METHODS } from '../wasm/search.js';
import { choice, EXIT, helpHint, inFile, METHOD_ENUM, number, options, output, protoFile, readText, seedFlag, UsageError, writable, type Command } from './args.js';

/** The replica commands: replay a load trace under a policy, and plan replica counts for window loads. */
export const REPLICA_COMMANDS: Record<string, Command> = {
  'simulate replicas': {
    usage: `copt simulate replicas --trace FILE --policy reactive|memory|hpa|predictive|planner|oracle
                       [--forecaster lstm|seasonal] [--model DIR] [--save-model DIR] [--service FILE.json]
                       [--from-day N] [--train-days N] [--eval-days N] [--time-col NAME] [--load-col NAME] [--seed N]
                       [--trace-start "YYYY-MM-DD HH:MM"] [--series] [--out FILE]`,
    run: simulateReplicasCommand,
  },
  'plan replicas': {
    usage: `copt plan replicas REQUEST.json [--out FILE]
                   (a request with services and a capacity: [--method auto|rg+ls|rg|ls|ts|sa|pr] [--seconds S] [--seed N])`,
    run: planReplicasCommand,
  },
};

/** Replays a load trace under a replica policy and prints the SLO and cost figures. */
async function simulateReplicasCommand(args: string[]): Promise<number> {
  const { values } = options(args, {
    trace: { type: 'string' }, policy: { type: 'string' }, forecaster: { type: 'string' }, service: { type: 'string' },
    'from-day': { type: 'string' }, 'train-days': { type: 'string' }, 'eval-days': { type: 'string' }, 'time-col': { type: 'string' }, 'load-col': { type: 'string' },
    'trace-start': { type: 'string' }, seed: { type: 'string' }, series: { type: 'boolean' }, out: { type: 'string' }, model: { type: 'string' }, 'save-model': { type: 'string' },
  } as const, 0);
  if (!values.trace) throw new UsageError(`--trace FILE is required (${helpHint()})`);
  const policy = choice(values.policy, 'policy', POLICIES, 'planner');
  const forecasterName = choice(values.forecaster, 'forecaster', FORECASTERS, 'seasonal');
  const kind = values.model === undefined ? undefined : modelKind(values.model);
  if (values.model !== undefined && kind !== 'lstm-forecast') {
    throw new UsageError(`--model ${values.model}: ${kind ? `holds a model of kind ${kind}, not lstm-forecast` : 'holds no stored model (meta.json, model.json, weights.bin)'}`);
  }
  writable(values.out, 'out');
  const service = values.service ? protoFile(values.service, 'copt.v1.ReplicaService', (m) => validateReplicaService(serviceFields(m))) : STREAMING_STORE;
  let trace;
  try {
    trace = parseTrace(values.trace, readText(values.trace), values['time-col'], values['load-col']);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (trace.gaps.count > 0) {
    process.stderr.write(`copt: warning: ${values.trace}: ${trace.gaps.count} rows come more than a minute after the row before (the longest gap ${trace.gaps.longestMin} minutes); rows are read as consecutive minutes\n`);
  }
  const firstWeekMinute = values['trace-start'] === undefined ? trace.firstWeekMinute ?? 0 : weekMinute(values['trace-start']);
  if (firstWeekMinute === undefined) throw new UsageError(`--trace-start ${values['trace-start']} must be a time written YYYY-MM-DD HH:MM`);
  const days = (v: string | undefined, flag: string, fallback: number, least = 1) => number(v, flag, (x) => Number.isInteger(x) && x >= least, `must be a whole number >= ${least}`) ?? fallback;
  const from = days(values['from-day'], 'from-day', 0, 0) * 1440;
  const start = from + days(values['train-days'], 'train-days', 7) * 1440;
  const end = start + days(values['eval-days'], 'eval-days', 7) * 1440;
  if (end > trace.loads.length) throw new UsageError(`${values.trace}: ${trace.loads.length} minutes; --train-days and --eval-days ask for ${end}`);
  const seed = seedFlag(values.seed);
  const r = await simulateReplicaTrace({
    service, loads: trace.loads, start, end, trainFrom: from, firstWeekMinute, policy, forecaster: forecasterName, model: values.model, saveModel: values['save-model'], seed,
  });
  const text = JSON.stringify({
    trace: values.trace, service: service.name, policy, forecaster: r.forecaster,
    minutes: r.minutes, violation_rate: r.violationRate, p95_ms: r.p95Ms, p99_ms: r.p99Ms,
    scaling_events: r.scalingEvents, instance_minutes: r.instanceMinutes, cost: r.cost, wall_s: r.wallS,
    ...(values.series ? { series: r.series } : {}),
  }, null, 2) + '\n';
  output(values.out, text);
  return EXIT.ok;
}

/**
 * Plans replica counts for the window loads of a request file (the PlanReplicasRequest layout in
 * JSON) and prints the plan; a request listing `services` and a `capacity` is planned for the
 * shared cluster with the wasm engines.
 */
function planReplicasCommand(args: string[]): number {
  const { values, positionals } = options(args, {
    out: { type: 'string' }, method: { type: 'string' }, seconds: { type: 'string' }, seed: { type: 'string' },
  } as const, 1);
  const method = choice(values.method, 'method', SEARCH_METHODS, 'auto');
  const seconds = number(values.seconds, 'seconds', (x) => x > 0, 'must be > 0');
  const seed = number(values.seed, 'seed', (x) => Number.isSafeInteger(x) && x >= 0, 'must be a whole number >= 0');
  writable(values.out, 'out');
  const file = positionals[0];
  const raw = inFile(file, (text) => parseJsonText(text, 'file'));
  if (raw !== null && typeof raw === 'object' && 'services' in raw) {
    const { request, options: search } = protoFile(file, 'copt.v1.PlanSharedReplicasRequest', (m) => sharedPlanInputOf({
      ...m, ...(values.method ? { method: METHOD_ENUM[method] } : {}), ...(seed === undefined ? {} : { seed }),
      budget: { ...m.budget, ...(seconds === undefined ? {} : { seconds }) },
    }), raw);
    const plan = planSharedReplicas(request, search);
    output(values.out, JSON.stringify({
      windows: request.services[0].windowLoads.length, window_min: request.services[0].service.windowMin, capacity: request.capacity,
      cost: plan.cost, lower_bound: plan.lowerBound, own_plans_cost: plan.ownPlansCost, feasible: plan.feasible, over_capacity_windows: plan.overCapacity,
      services: plan.services.map((s) => ({
        service: s.name, replicas: s.replicas, cost: s.cost, replica_minutes: s.replicaMinutes, scaling_events: s.scalingEvents, short_windows: s.shortWindows,
      })),
      search: { method: search.method, iterations: plan.search.iterations, elapsed_s: plan.search.elapsedMs / 1000, stop_reason: plan.search.stopReason },
    }, null, 2) + '\n');
    return EXIT.ok;
  }
  const { service, windowLoads, current } = protoFile(file, 'copt.v1.PlanReplicasRequest', planInputOf, raw);
  const plan = planReplicas(service, windowLoads, current);
  output(values.out, JSON.stringify({
    service: service.name, windows: windowLoads.length, window_min: service.windowMin, replicas: plan.replicas, cost: plan.cost,
    replica_minutes: plan.replicaMinutes, scaling_events: plan.scalingEvents, unmet_windows: plan.unmet,
  }, null, 2) + '\n');
  return EXIT.ok;
}
