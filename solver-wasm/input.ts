/** Input arrays the host writes once into wasm memory, read back as length-prefixed lists. */
export let inputInts = new StaticArray<i32>(0);
export let inputFloats = new StaticArray<f64>(0);

/** Allocates the integer input area; returns its address for the host to write into. */
export function allocInputInts(n: i32): usize {
  inputInts = new StaticArray<i32>(n);
  return changetype<usize>(inputInts);
}

/** Allocates the float input area; returns its address for the host to write into. */
export function allocInputFloats(n: i32): usize {
  inputFloats = new StaticArray<f64>(n);
  return changetype<usize>(inputFloats);
}

/** Reads the input areas in order: each list is its length followed by its items. */
export class Reader {
  private ip: i32 = 0;
  private fp: i32 = 0;

  ints(): StaticArray<i32> {
    const n = inputInts[this.ip++];
    const out = new StaticArray<i32>(n);
    for (let i = 0; i < n; i++) out[i] = inputInts[this.ip++];
    return out;
  }

  floats(): StaticArray<f64> {
    const n = <i32>inputFloats[this.fp++];
    const out = new StaticArray<f64>(n);
    for (let i = 0; i < n; i++) out[i] = inputFloats[this.fp++];
    return out;
  }

  /** True when every item has been read: the host and this reader agree on the layout. */
  done(): bool {
    return this.ip == inputInts.length && this.fp == inputFloats.length;
  }
}
