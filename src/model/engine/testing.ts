// Helpers of the engine's GPU parity tests: a tiny random model written as a real safetensors
// folder, loaded through the real loader (local files source) into a WgslModel, next to the CPU
// ReferenceModel on the same weights (f16-rounded where the engine stores f16).
import { testGpu } from '../../testing/gpu';
import { expectedTensors } from '../architectures/tensors';
import { folderAsFiles, tinyTokenizerJson } from '../loading/fixtures/tinyModels';
import { f16ArrayToF32, f32ArrayToF16 } from '../loading/float16';
import { loadModelFolder } from '../loading/loadModelFolder';
import { localFilesSource } from '../loading/localFiles';
import { writeSafetensors } from '../loading/safetensorsWriter';
import { ReferenceModel } from '../reference/forward';
import { tinyModel } from '../reference/tiny';
import { WgslModel } from './model';

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** f32 -> f16 -> f32, as the engine stores layer matrices in f16. */
function roundToF16(values: Float32Array): Float32Array {
  return f16ArrayToF32(f32ArrayToF16(values));
}

/**
 * Names of the matrices the engine stores in `weightDtype`: everything but vocabulary tables,
 * position tables, norms and biases (the image encoder's W1 and W2 included).
 */
const LAYER_MATRIX = /(c_attn|c_proj|c_fc|_proj|lm_head|patch_embed|projector)\.weight$/;

export async function loadTinyModel(
  configJson: Record<string, unknown>,
  seed: number,
  weightDtype: 'f32' | 'f16' = 'f32',
) {
  const gpu = await testGpu();
  const { weights, config: parsed } = tinyModel(configJson, seed);
  // Shapes come from the architecture's expected tensors so the loader can check them.
  const shapes = new Map(expectedTensors(parsed).map((spec) => [spec.name, spec.shape]));
  const tensors = Object.fromEntries(
    [...weights].map(([name, data]) => [
      name,
      { dtype: 'F32' as const, shape: shapes.get(name) ?? [data.length], data },
    ]),
  );
  const folder = {
    'config.json': json(configJson),
    'tokenizer.json': json(tinyTokenizerJson()),
    'model.safetensors': writeSafetensors(tensors),
  };
  const loaded = await loadModelFolder(
    localFilesSource(folderAsFiles(folder, `tiny-${String(configJson.model_type)}`)),
  );
  const source = {
    get: (name: string) => {
      const tensor = loaded.tensors.get(name);
      if (!tensor) throw new Error(`missing ${name}`);
      return tensor.toFloat32();
    },
  };
  const model = await WgslModel.create(gpu, loaded.config, source, {
    name: loaded.name,
    fileHashes: loaded.fileHashes,
    weightDtype,
  });
  // With f16 storage the spec is the same model on f16-rounded layer matrices.
  const referenceWeights =
    weightDtype === 'f16'
      ? new Map([...weights].map(([name, data]) => [name, LAYER_MATRIX.test(name) ? roundToF16(data) : data]))
      : weights;
  const reference = new ReferenceModel(loaded.config, referenceWeights);
  return { gpu, model, reference, config: loaded.config, weights: referenceWeights };
}

/** Worst |gpu - ref| relative to the largest |ref| of the row. */
export function relativeError(gpu: ArrayLike<number>, ref: ArrayLike<number>): number {
  let worst = 0;
  let scale = 1e-6;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]));
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(gpu[i] - ref[i]));
  return worst / scale;
}

// f32 through two layers of d = 32 (matmuls, norms, softmax): errors of a few 1e-6 relative.
export const TOLERANCE = 2e-5;
