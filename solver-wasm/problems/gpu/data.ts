import { Reader } from "../../input";

/**
 * One GPU scheduling decision in flat arrays, in the order server/gpu/encode.ts writes them: the
 * jobs waiting or running at the decision time, each with its configurations (VM type, GPUs, the
 * time its remaining work takes there, and what running in it costs the job), the VM types, and
 * the node limit. Times are relative to the decision time.
 */
export class GpuData {
  J: i32; V: i32; N: i32; C: i32;
  vmGpus: StaticArray<i32>;
  jobConfStart: StaticArray<i32>;
  confVm: StaticArray<i32>;
  confGpus: StaticArray<i32>;
  /** price per second of each VM type */
  vmPrice: StaticArray<f64>;
  /** remaining run time of the job in each configuration */
  confTime: StaticArray<f64>;
  /** seconds from the decision time to each job's deadline (negative when already late) */
  jobSlack: StaticArray<f64>;
  /** what running in each configuration costs the job: until the next decision, then the least cost to finish */
  confCost: StaticArray<f64>;
  /** what waiting costs each job: the least cost to finish after the next decision */
  waitCost: StaticArray<f64>;
  /** how long a decision is expected to hold, in seconds: idle GPUs are paid for that long */
  horizon: f64;

  // Derived here.
  /** each job's configurations: those meeting the deadline by cost share, then the rest fastest first */
  confOrder: StaticArray<i32> = new StaticArray<i32>(0);
  /** how many of a job's ordered configurations meet its deadline */
  jobOnTime: StaticArray<i32> = new StaticArray<i32>(0);
  /** jobs by pressure: least slack on their fastest configuration first */
  pressureOrder: StaticArray<i32> = new StaticArray<i32>(0);

  constructor(r: Reader) {
    const sizes = r.ints();
    this.J = sizes[0]; this.V = sizes[1]; this.N = sizes[2]; this.C = sizes[3];
    this.vmGpus = r.ints();
    this.jobConfStart = r.ints();
    this.confVm = r.ints();
    this.confGpus = r.ints();
    this.vmPrice = r.floats();
    this.confTime = r.floats();
    this.jobSlack = r.floats();
    this.confCost = r.floats();
    this.waitCost = r.floats();
    this.horizon = r.floats()[0];

    this.confOrder = new StaticArray<i32>(this.C);
    this.jobOnTime = new StaticArray<i32>(this.J);
    const fastest = new StaticArray<f64>(this.J);
    for (let j = 0; j < this.J; j++) {
      const start = this.jobConfStart[j];
      const end = this.jobConfStart[j + 1];
      let n = 0;
      // on-time configurations first, by cost share (insertion sort: a job has a few dozen at most)
      for (let c = start; c < end; c++) {
        if (this.confTime[c] > this.jobSlack[j]) continue;
        let i = start + n++;
        while (i > start && this.share(this.confOrder[i - 1]) > this.share(c)) { this.confOrder[i] = this.confOrder[i - 1]; i--; }
        this.confOrder[i] = c;
      }
      this.jobOnTime[j] = n;
      for (let c = start; c < end; c++) {
        if (this.confTime[c] <= this.jobSlack[j]) continue;
        let i = start + n++;
        while (i > start + this.jobOnTime[j] && this.confTime[this.confOrder[i - 1]] > this.confTime[c]) { this.confOrder[i] = this.confOrder[i - 1]; i--; }
        this.confOrder[i] = c;
      }
      let quickest: f64 = Infinity;
      for (let c = start; c < end; c++) quickest = min(quickest, this.confTime[c]);
      fastest[j] = quickest;
    }
    this.pressureOrder = new StaticArray<i32>(this.J);
    for (let j = 0; j < this.J; j++) {
      let i = j;
      const key = this.jobSlack[j] - fastest[j];
      while (i > 0 && this.jobSlack[this.pressureOrder[i - 1]] - fastest[this.pressureOrder[i - 1]] > key) {
        this.pressureOrder[i] = this.pressureOrder[i - 1];
        i--;
      }
      this.pressureOrder[i] = j;
    }
  }

  /** What a configuration costs the job: its share of the VM's GPUs, priced over its run time. */
  share(c: i32): f64 {
    const v = this.confVm[c];
    return this.vmPrice[v] * <f64>this.confGpus[c] / <f64>this.vmGpus[v] * this.confTime[c];
  }
}
