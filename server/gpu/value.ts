import { jobConfigs, type GpuInstance, type JobConfig } from './model.js';

/**
 * What finishing a job costs from a given state, when it may change configuration at any later
 * decision (preemption keeps progress). Running a share w of the work in configuration c takes
 * w x seconds_c and costs w x cost_c (its share of the VM's price over that time). Mixing two
 * configurations reaches every point between them, so the cheapest way to finish the remaining
 * work r within time s lies on the lower convex hull of the points (seconds_c, cost_c): the hull's
 * cost at s / r, times r; with not enough time, a point of the hull with its tardiness.
 */
export interface ConfigPoint {
  /** time for the whole job alone in this configuration */
  seconds: number;
  /** its share of the VM's price over that time */
  cost: number;
}

/** The lower convex hull of configuration points, fastest first, each cheaper than the one before. */
export function costHull(points: ConfigPoint[]): ConfigPoint[] {
  const sorted = [...points].sort((a, b) => a.seconds - b.seconds || a.cost - b.cost);
  const hull: ConfigPoint[] = [];
  for (const p of sorted) {
    // a slower point only helps if it is cheaper
    if (hull.length > 0 && p.cost >= hull[hull.length - 1].cost) continue;
    while (hull.length >= 2) {
      const [a, b] = [hull[hull.length - 2], hull[hull.length - 1]];
      // drop b when it lies on or above the segment from a to p
      if ((b.cost - a.cost) * (p.seconds - a.seconds) >= (p.cost - a.cost) * (b.seconds - a.seconds)) hull.pop();
      else break;
    }
    hull.push(p);
  }
  return hull;
}

/**
 * The least cost to finish a share `remaining` of the job within `slack` seconds, tardiness at
 * `weight` per second included: the hull's cost at the needed speed, or, when even the fastest
 * point is late, the hull point whose cost plus tardiness is least.
 */
export function finishCost(hull: ConfigPoint[], remaining: number, slack: number, weight: number): number {
  if (remaining <= 0) return 0;
  let best = Infinity;
  for (const p of hull) best = Math.min(best, remaining * p.cost + weight * Math.max(0, remaining * p.seconds - slack));
  const t = slack / remaining;
  for (let i = 0; i + 1 < hull.length; i++) {
    const [a, b] = [hull[i], hull[i + 1]];
    if (t > a.seconds && t < b.seconds) best = Math.min(best, remaining * (a.cost + ((b.cost - a.cost) * (t - a.seconds)) / (b.seconds - a.seconds)));
  }
  return best;
}

/** A job's configuration as a point: its time alone there and its share of the VM's price over that time. */
export function configPoint(instance: GpuInstance, c: JobConfig): ConfigPoint {
  const vm = instance.vmTypes[c.vmType];
  return { seconds: c.seconds, cost: (vm.pricePerHour / 3600) * (c.gpus / vm.gpus) * c.seconds };
}

/**
 * No schedule of the instance costs less: every job alone at its least cost to finish by its
 * deadline from its submission (configurations mixed, no node limit, no idle GPU, no wait).
 */
export function costLowerBound(instance: GpuInstance): number {
  return instance.jobs.reduce((sum, job) => sum + finishCost(costHull(jobConfigs(instance, job).map((c) => configPoint(instance, c))), 1, job.deadline - job.submission, job.weight), 0);
}
