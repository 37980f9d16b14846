/**
 * A sum of n terms kept as a binary tree of partial sums: setting a term costs log n, and the total
 * depends only on the terms, never on the order they were set in, so undoing a move restores it to
 * the bit (a running total would drift with each add and subtract).
 */
export class SumTree {
  private size: i32;
  private v: StaticArray<f64>;

  constructor(n: i32) {
    let size = 1;
    while (size < n) size <<= 1;
    this.size = size;
    this.v = new StaticArray<f64>(2 * size);
  }

  /** Sets term i to x. */
  set(i: i32, x: f64): void {
    let j = this.size + i;
    if (unchecked(this.v[j]) == x) return;
    unchecked(this.v[j] = x);
    for (j >>= 1; j >= 1; j >>= 1) unchecked(this.v[j] = this.v[2 * j] + this.v[2 * j + 1]);
  }

  /** The sum of every term. */
  @inline total(): f64 { return unchecked(this.v[1]); }
}
