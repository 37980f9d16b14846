/** A problem's listed moves, four ints each, kept from one listing to the next and grown when a listing needs more. */
export class MoveList {
  data: StaticArray<i32>;

  constructor(moves: i32) {
    this.data = new StaticArray<i32>(4 * max(1, moves));
  }

  /** Stores move n; returns n + 1 (the count so far). */
  put(n: i32, a: i32, b: i32, c: i32, d: i32): i32 {
    if (4 * n + 4 > this.data.length) {
      // the runtime never frees: grow by doubling, so a solve wastes at most as much as it keeps
      const grown = new StaticArray<i32>(2 * this.data.length);
      for (let i = 0; i < this.data.length; i++) grown[i] = this.data[i];
      this.data = grown;
    }
    this.data[4 * n] = a;
    this.data[4 * n + 1] = b;
    this.data[4 * n + 2] = c;
    this.data[4 * n + 3] = d;
    return n + 1;
  }

  /** Field k (0-3) of move m. */
  @inline get(m: i32, k: i32): i32 {
    return this.data[4 * m + k];
  }
}
