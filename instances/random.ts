/** A small deterministic generator (mulberry32), so the suite is reproducible from its seed. */
export function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * next();
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)];
  const sample = <T>(xs: T[], k: number) => [...xs].sort(() => next() - 0.5).slice(0, k);
  const exponential = (mean: number) => -mean * Math.log(1 - next());
  return { next, uniform, int, pick, sample, exponential };
}

export type Rng = ReturnType<typeof random>;
