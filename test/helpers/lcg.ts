/** A small deterministic generator for test data (independent of the solver's own): each call gives a whole number below n. */
export function lcg(seed: number): (n: number) => number {
  let x = seed >>> 0;
  return (n: number) => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return Math.floor((x / 2 ** 32) * n);
  };
}
