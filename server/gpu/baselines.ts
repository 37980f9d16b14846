import type { JobConfig } from './model.js';
import type { Decision, Scheduler, Snapshot } from './simulate.js';

export type BaselineRule = 'edf' | 'fifo' | 'priority';

/**
 * The cheapest configuration that finishes the remaining work by the deadline, else the fastest.
 * `price` is what running in a configuration costs per second.
 */
export function cheapestFeasible(configs: JobConfig[], remaining: number, slack: number, price: (c: JobConfig) => number): JobConfig {
  let best: JobConfig | null = null;
  let fastest = configs[0];
  for (const c of configs) {
    if (c.seconds < fastest.seconds) fastest = c;
    if (remaining * c.seconds > slack) continue;
    if (!best || price(c) * c.seconds < price(best) * best.seconds) best = c;
  }
  return best ?? fastest;
}

/**
 * A baseline scheduler: one job per node, no preemption; waiting jobs start in rule order (earliest
 * deadline, earliest submission, or highest tardiness weight) while nodes are free, each on a VM of
 * its cheapest deadline-meeting configuration.
 */
export function baselineScheduler(rule: BaselineRule): Scheduler {
  return (s: Snapshot): Decision => {
    const jobs = s.instance.jobs;
    const plans: Decision = s.jobs.filter((v) => v.running).map((v) => ({ vmType: v.running!.vmType, jobs: [{ job: v.job, gpus: v.running!.gpus }] }));
    const key = (j: number) => (rule === 'edf' ? jobs[j].deadline : rule === 'fifo' ? jobs[j].submission : -jobs[j].weight);
    const queue = s.jobs.filter((v) => !v.running).sort((a, b) => key(a.job) - key(b.job) || a.job - b.job);
    for (const v of queue) {
      if (plans.length >= s.instance.maxNodes) break;
      const c = cheapestFeasible(s.configs[v.job], v.remaining, jobs[v.job].deadline - s.time, (x) => s.instance.vmTypes[x.vmType].pricePerHour);
      plans.push({ vmType: c.vmType, jobs: [{ job: v.job, gpus: c.gpus }] });
    }
    return plans;
  };
}
