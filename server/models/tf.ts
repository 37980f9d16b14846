import type * as TF from '@tensorflow/tfjs';

let loading: Promise<typeof TF> | undefined;

/**
 * TensorFlow.js on its WebAssembly backend, loaded once. The native tfjs-node cannot install here;
 * the wasm backend trains small models several times faster than the plain JavaScript one, which
 * stays the fallback if the wasm binary cannot start.
 */
export function loadTf(): Promise<typeof TF> {
  loading ??= (async () => {
    const tf = await import('@tensorflow/tfjs');
    await import('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) await tf.setBackend('cpu');
    await tf.ready();
    return tf;
  })();
  return loading;
}
