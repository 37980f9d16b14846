import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { InputError } from '../input-error.js';
import { projectRoot } from '../paths.js';
import { loadTf } from './tf.js';

const TOPOLOGY = 'model.json';
const WEIGHTS = 'weights.bin';
const META = 'meta.json';

/**
 * A TensorFlow.js IO handler on a folder (model.json and weights.bin, the layout tfjs-node's file://
 * writes): plain tfjs in Node has no file handler of its own.
 */
export function folderHandler(tf: typeof TF, dir: string): TF.io.IOHandler {
  return {
    async save(artifacts) {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error('binary model topologies are not supported');
      mkdirSync(dir, { recursive: true });
      const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? []);
      writeFileSync(join(dir, WEIGHTS), Buffer.from(weights));
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [WEIGHTS], weights: artifacts.weightSpecs ?? [] }],
      };
      writeFileSync(join(dir, TOPOLOGY), JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load() {
      const json = JSON.parse(readFileSync(join(dir, TOPOLOGY), 'utf8')) as TF.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const buffers = manifest.flatMap((group) => group.paths.map((p) => {
          const b = readFileSync(join(dir, p));
          return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
        }));
        return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
      });
    },
  };
}

/** Settings saved beside a network; `kind` says which model reads them. */
export interface NetworkMeta {
  kind: string;
}

/** Saves a network and its settings side by side in a folder. */
export async function saveNetwork(tf: typeof TF, net: TF.LayersModel, meta: NetworkMeta, dir: string): Promise<void> {
  await net.save(folderHandler(tf, dir));
  writeFileSync(join(dir, META), JSON.stringify(meta, null, 1) + '\n');
}

/** Loads what saveNetwork wrote, checking that the folder holds a model of `kind` (`what` names it in errors). */
export async function loadNetwork<M extends NetworkMeta>(dir: string, kind: string, what: string): Promise<{ tf: typeof TF; net: TF.LayersModel; meta: M }> {
  if (!existsSync(join(dir, META))) throw new Error(`no ${what} in ${dir} (expected ${META}, ${TOPOLOGY}, ${WEIGHTS})`);
  const tf = await loadTf();
  const meta = JSON.parse(readFileSync(join(dir, META), 'utf8')) as M;
  if (meta.kind !== kind) throw new Error(`${join(dir, META)} describes a ${meta.kind} model, not ${kind}`);
  return { tf, net: await tf.loadLayersModel(folderHandler(tf, dir)), meta };
}

/** Where stored models live: `models/<name>/` in the project. */
export function modelsFolder(): string {
  return join(projectRoot(), 'models');
}

/**
 * The folder of the stored model of `kind` a request names in `field`; an InputError listing the
 * stored ones of that kind when there is none, or when the named one is of another kind.
 */
export function storedModelDir(field: string, name: unknown, kind: string): string {
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(name)) {
    throw new InputError(field, name, 'must be the name of a stored model (lower-case letters, digits and dashes, at most 64)');
  }
  const root = modelsFolder();
  const found = modelKind(join(root, name));
  if (found !== kind) {
    const known = existsSync(root) ? readdirSync(root).filter((d) => modelKind(join(root, d)) === kind).join(', ') : '';
    const what = found === undefined ? 'names no stored model' : `names a stored model of kind ${found}, not ${kind}`;
    throw new InputError(field, name, `${what} (stored models of kind ${kind}: ${known || 'none'})`);
  }
  return join(root, name);
}

/** The kind of model a folder holds (what saveNetwork wrote in its meta.json), or undefined when it holds none. */
export function modelKind(dir: string): string | undefined {
  try {
    const kind = (JSON.parse(readFileSync(join(dir, META), 'utf8')) as NetworkMeta).kind;
    return typeof kind === 'string' ? kind : undefined;
  } catch {
    return undefined;
  }
}
