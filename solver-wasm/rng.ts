/** xoshiro128** seeded through SplitMix64: small, fast and the same on every host for a seed. */
export class Rng {
  private s0: u32 = 0;
  private s1: u32 = 0;
  private s2: u32 = 0;
  private s3: u32 = 0;

  constructor(seed: u64) {
    let x = seed;
    const a = splitmix(x); x += 0x9e3779b97f4a7c15;
    const b = splitmix(x);
    this.s0 = <u32>a; this.s1 = <u32>(a >> 32);
    this.s2 = <u32>b; this.s3 = <u32>(b >> 32);
    if ((this.s0 | this.s1 | this.s2 | this.s3) == 0) this.s0 = 1;
  }

  nextU32(): u32 {
    const result = rotl(this.s1 * 5, 7) * 9;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  nextFloat(): f64 {
    return <f64>(this.nextU32() >>> 5) * (1.0 / 134217728.0);
  }

  /** Uniform integer in [0, n). */
  below(n: i32): i32 {
    return <i32>(<u64>this.nextU32() * <u64>n >>> 32);
  }
}

function splitmix(x: u64): u64 {
  let z = x + 0x9e3779b97f4a7c15;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

// @ts-ignore: decorator
@inline function rotl(x: u32, k: u32): u32 {
  return (x << k) | (x >>> (32 - k));
}
