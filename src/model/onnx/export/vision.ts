// The image encoder and the token embedding of LogitLab's vision-language models (formula in
// src/model/vision.ts) as the vision_encoder and embed_tokens graphs of the Hub's Idefics3 layout
// (../idefics3-layout.ts), opset 17, standard ops only:
//
//   vision_encoder  pixel_values [batch, images, C, S, S] f32, pixel_attention_mask [batch, images, S, S] bool
//     patches  = Reshape(pixel_values, [-1, C, S/ps, ps, S/ps, ps])      (n, c, py, y, px, x)
//                Transpose(0, 2, 4, 3, 5, 1) -> Reshape [-1, P, ps*ps*C]    (n, k = py*side + px, (y, x, c))
//     image_features [n, P, d] = (gelu(patches W1^T + b1)) W2^T + b2 + positions      (gelu: tanh form)
//   embed_tokens    input_ids [batch, seq] int64 -> inputs_embeds [batch, seq, d] = Gather(embed_tokens, ids)
//
// Every frame is one image of S x S (imageToPatches' layout, one patch per <image> token);
// pixel_attention_mask is declared because transformers.js feeds it, and unused: our frames are
// never padding (Idefics3's encoder masks the patches of padded frames; a lone image has none).
import type { ModelConfig, VisionConfig } from '../../config';
import { GraphBuilder } from './graph';
import type { WeightSource } from './llama';

const PRODUCER = 'logitlab-export-onnx';

/** W [out, in] -> W^T [in, out], so MatMul(x [.., in], W^T) = x W^T. */
function transpose(w: Float32Array, out: number, inner: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let o = 0; o < out; o++) for (let i = 0; i < inner; i++) t[i * out + o] = w[o * inner + i];
  return t;
}

/** The vision_encoder graph of a config with `vision` (image_features: one row per patch). */
export function exportVisionEncoder(config: ModelConfig, weights: WeightSource, name: string): Uint8Array {
  const vision: VisionConfig | null = config.vision;
  if (!vision) throw new Error(`exportVisionEncoder: ${name} has no vision_config`);
  const { imageSize: S, patchSize: ps, channels: C, numPatches: P, patchDim } = vision;
  const d = config.hiddenSize;
  const side = S / ps;
  const g = new GraphBuilder();
  const pixels = g.input('pixel_values', 'float32', ['batch_size', 'num_images', C, S, S]);
  g.input('pixel_attention_mask', 'bool', ['batch_size', 'num_images', S, S]);
  const blocks = g.node('Reshape', [pixels, g.ints('/shape', [-1, C, side, ps, side, ps])], {
    name: '/vision/patches/blocks',
  });
  const ordered = g.node('Transpose', [blocks], {
    name: '/vision/patches/order',
    attributes: { perm: [0, 2, 4, 3, 5, 1] },
  });
  const patches = g.node('Reshape', [ordered, g.ints('/shape', [-1, P, patchDim])], {
    name: '/vision/patches',
  });
  const linear = (x: string, weight: string, bias: string, out: number, inner: number, label: string) =>
    g.node(
      'Add',
      [
        g.node(
          'MatMul',
          [x, g.weight(`${weight}.T`, transpose(weights.get(weight), out, inner), [inner, out])],
          {
            name: `${label}/MatMul`,
          },
        ),
        g.weight(bias, weights.get(bias), [out]),
      ],
      { name: `${label}/Add` },
    );
  const h = linear(
    patches,
    'vision.patch_embed.weight',
    'vision.patch_embed.bias',
    d,
    patchDim,
    '/vision/patch_embed',
  );
  // gelu(h) = 0.5 h (1 + tanh(sqrt(2/pi) (h + 0.044715 h^3)))
  const cube = g.node('Mul', [g.node('Mul', [h, h], { name: '/vision/gelu/square' }), h], {
    name: '/vision/gelu/cube',
  });
  const inner = g.node(
    'Add',
    [h, g.node('Mul', [cube, g.scalar('/vision/gelu/c', 0.044715)], { name: '/vision/gelu/cubic' })],
    {
      name: '/vision/gelu/inner',
    },
  );
  const tanh = g.node(
    'Tanh',
    [
      g.node('Mul', [inner, g.scalar('/vision/gelu/k', Math.sqrt(2 / Math.PI))], {
        name: '/vision/gelu/scaled',
      }),
    ],
    {
      name: '/vision/gelu/Tanh',
    },
  );
  const gelu = g.node(
    'Mul',
    [
      g.node('Mul', [h, g.scalar('/vision/gelu/half', 0.5)], { name: '/vision/gelu/half_h' }),
      g.node('Add', [tanh, g.scalar('/vision/gelu/one', 1)], { name: '/vision/gelu/one_plus' }),
    ],
    { name: '/vision/gelu' },
  );
  const projected = linear(
    gelu,
    'vision.projector.weight',
    'vision.projector.bias',
    d,
    d,
    '/vision/projector',
  );
  const positions = g.weight(
    'vision.position_embedding.weight',
    weights.get('vision.position_embedding.weight'),
    [P, d],
  );
  const features = g.node('Add', [projected, positions], { name: '/vision/positions' });
  g.output('image_features', features, 'float32', ['num_frames', P, d]);
  return g.encode(`${name} vision_encoder (LogitLab export)`, PRODUCER);
}

/** The embed_tokens graph: rows of the embedding table. */
export function exportEmbedTokens(config: ModelConfig, weights: WeightSource, name: string): Uint8Array {
  const g = new GraphBuilder();
  const ids = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const table = g.weight('model.embed_tokens.weight', weights.get('model.embed_tokens.weight'), [
    config.vocabSize,
    config.hiddenSize,
  ]);
  const rows = g.node('Gather', [table, ids], { name: '/model/embed_tokens/Gather' });
  g.output('inputs_embeds', rows, 'float32', ['batch_size', 'sequence_length', config.hiddenSize]);
  return g.encode(`${name} embed_tokens (LogitLab export)`, PRODUCER);
}
