// The trainable parameters of a model on the GPU: for every tensor an f32 parameter buffer, its
// gradient and AdamW's two moments, in the layout the engine's kernels read (as
// src/model/engine/weights.ts arranges inference weights, but always f32 and one chunk):
// - GPT-2's fused c_attn [d, 3d] is split by columns into q, k, v [d, d] (and the bias into three),
//   so each projection and its gradient has its own buffer; exported back as one c_attn.
// - Llama's gate_proj and up_proj [I, d] are stacked into one [2I, d] (the SwiGLU kernels' packed
//   layout); exported back as two tensors.
// Training names say where a tensor comes from: "h.0.attn.c_attn.weight:q",
// "model.layers.0.mlp.gate_up_proj.weight" (gate rows first); errors and the NaN report use them.
import { KernelInputError } from '../gpu/errors';
import { readFloat32 } from '../gpu/readback';
import type { Gpu } from '../gpu/runtime';
import type { MatmulWeight } from '../kernels/matmul/chunks';
import { expectedTensors } from '../model/architectures/tensors';
import type { ModelConfig } from '../model/config';
import type { TensorSource } from '../model/engine/weights';
import { decays } from './reference-trainer';

/** One trainable tensor: parameter, gradient and moments, each [count] f32. */
export interface TrainTensor {
  name: string;
  shape: number[];
  count: number;
  parameter: GPUBuffer;
  gradient: GPUBuffer;
  firstMoment: GPUBuffer;
  secondMoment: GPUBuffer;
  decay: boolean;
}

/** A matrix parameter as the kernels take it: the forward's MatmulWeight and its gradient buffer. */
export interface TrainMatrix {
  tensor: TrainTensor;
  weight: MatmulWeight;
}

export interface TrainLayer {
  norm1: TrainTensor;
  norm1Bias: TrainTensor | null;
  q: TrainMatrix;
  k: TrainMatrix;
  v: TrainMatrix;
  qBias: TrainTensor | null;
  kBias: TrainTensor | null;
  vBias: TrainTensor | null;
  o: TrainMatrix;
  oBias: TrainTensor | null;
  norm2: TrainTensor;
  norm2Bias: TrainTensor | null;
  /** GPT-2: c_fc [d, I] 'kn'; Llama: gate/up stacked [2I, d] 'nk'. */
  up: TrainMatrix;
  upBias: TrainTensor | null;
  down: TrainMatrix;
  downBias: TrainTensor | null;
}

const USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** Columns c0..c1 of a [rows, cols] matrix. */
function columns(data: Float32Array, rows: number, cols: number, c0: number, c1: number): Float32Array {
  const out = new Float32Array(rows * (c1 - c0));
  for (let r = 0; r < rows; r++) out.set(data.subarray(r * cols + c0, r * cols + c1), r * (c1 - c0));
  return out;
}

/** Interleaves column blocks back into one [rows, sum of widths] matrix. */
function joinColumns(parts: Float32Array[], rows: number): Float32Array {
  const widths = parts.map((p) => p.length / rows);
  const cols = widths.reduce((a, b) => a + b, 0);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let c = 0;
    parts.forEach((part, i) => {
      out.set(part.subarray(r * widths[i], (r + 1) * widths[i]), r * cols + c);
      c += widths[i];
    });
  }
  return out;
}

/** The image encoder of a vision-language model (src/model/vision.ts), nn.Linear layouts. */
export interface TrainVision {
  /** [d, patchDim] 'nk' */
  patchEmbed: TrainMatrix;
  patchBias: TrainTensor;
  /** [d, d] 'nk' */
  projector: TrainMatrix;
  projectorBias: TrainTensor;
  /** [numPatches, d] */
  positions: TrainTensor;
}

export class TrainParameters {
  readonly tensors: TrainTensor[] = [];
  readonly layers: TrainLayer[] = [];
  embedding!: TrainMatrix;
  positions: TrainTensor | null = null;
  finalNorm!: TrainTensor;
  finalNormBias: TrainTensor | null = null;
  /** The head; its tensor is the embedding's when the embeddings are tied. */
  head!: TrainMatrix;
  vision: TrainVision | null = null;

  private constructor(
    private readonly gpu: Gpu,
    readonly config: ModelConfig,
    private readonly label: string,
  ) {}

  /** Uploads every tensor of `source` (canonical names) into the training layout. */
  static create(gpu: Gpu, config: ModelConfig, source: TensorSource, label: string): TrainParameters {
    const p = new TrainParameters(gpu, config, label);
    try {
      p.build(source);
      return p;
    } catch (cause) {
      p.destroy();
      throw cause;
    }
  }

  private tensor(name: string, shape: number[], data: Float32Array, decay: boolean): TrainTensor {
    const count = shape.reduce((a, b) => a * b, 1);
    if (data.length !== count) {
      throw new KernelInputError(
        `${this.label}: tensor ${name} has ${data.length} values, config.json implies ${count} ([${shape.join(', ')}])`,
      );
    }
    const limit = this.gpu.device.limits.maxStorageBufferBindingSize;
    if (count * 4 > limit) {
      throw new KernelInputError(
        `${this.label}: tensor ${name} (${(count * 4) / 2 ** 20} MiB) exceeds this device's storage binding ` +
          `limit (${limit / 2 ** 20} MiB); training supports tensors that fit one binding`,
      );
    }
    const make = (what: string, values?: Float32Array) => {
      const buffer = this.gpu.device.createBuffer({
        label: `${this.label}:${name}:${what}`,
        size: Math.max(16, Math.ceil((count * 4) / 16) * 16),
        usage: USAGE,
        mappedAtCreation: values !== undefined,
      });
      if (values) {
        new Float32Array(buffer.getMappedRange(0, count * 4)).set(values);
        buffer.unmap();
      }
      return buffer;
    };
    const t: TrainTensor = {
      name,
      shape,
      count,
      parameter: make('parameter', data),
      gradient: make('gradient'),
      firstMoment: make('m'),
      secondMoment: make('v'),
      decay,
    };
    this.tensors.push(t);
    return t;
  }

  private vector(name: string, data: Float32Array): TrainTensor {
    return this.tensor(name, [data.length], data, decays(name, [data.length]));
  }

  /** A matrix W with K inputs and N outputs stored [K, N] ('kn') or [N, K] ('nk'). */
  private matrix(name: string, layout: 'kn' | 'nk', n: number, k: number, data: Float32Array): TrainMatrix {
    const shape = layout === 'kn' ? [k, n] : [n, k];
    const tensor = this.tensor(name, shape, data, decays(name.replace(/:[a-z]+$/, ''), shape));
    return {
      tensor,
      weight: { layout, dtype: 'f32', chunks: [{ start: 0, end: n, buffer: tensor.parameter }] },
    };
  }

  private build(source: TensorSource): void {
    const c = this.config;
    const d = c.hiddenSize;
    const I = c.intermediateSize;
    const V = c.vocabSize;
    const qWidth = c.numHeads * c.headDim;
    const kvWidth = c.numKeyValueHeads * c.headDim;
    const get = (name: string) => source.get(name);
    if (c.architecture === 'gpt2') {
      this.embedding = this.matrix('wte.weight', 'nk', V, d, get('wte.weight'));
      this.positions = this.tensor('wpe.weight', [c.maxPositions, d], get('wpe.weight'), true);
      for (let l = 0; l < c.numLayers; l++) {
        const p = `h.${l}`;
        const attn = get(`${p}.attn.c_attn.weight`);
        const attnBias = get(`${p}.attn.c_attn.bias`);
        if (attn.length !== d * 3 * d || attnBias.length !== 3 * d) {
          throw new KernelInputError(
            `${this.label}: ${p}.attn.c_attn has ${attn.length} weights and ${attnBias.length} biases, config.json implies ${3 * d * d} and ${3 * d}`,
          );
        }
        const split = (i: number, what: string) =>
          this.matrix(
            `${p}.attn.c_attn.weight:${what}`,
            'kn',
            d,
            d,
            columns(attn, d, 3 * d, i * d, (i + 1) * d),
          );
        const splitBias = (i: number, what: string) =>
          this.vector(`${p}.attn.c_attn.bias:${what}`, attnBias.slice(i * d, (i + 1) * d));
        this.layers.push({
          norm1: this.vector(`${p}.ln_1.weight`, get(`${p}.ln_1.weight`)),
          norm1Bias: this.vector(`${p}.ln_1.bias`, get(`${p}.ln_1.bias`)),
          q: split(0, 'q'),
          k: split(1, 'k'),
          v: split(2, 'v'),
          qBias: splitBias(0, 'q'),
          kBias: splitBias(1, 'k'),
          vBias: splitBias(2, 'v'),
          o: this.matrix(`${p}.attn.c_proj.weight`, 'kn', d, d, get(`${p}.attn.c_proj.weight`)),
          oBias: this.vector(`${p}.attn.c_proj.bias`, get(`${p}.attn.c_proj.bias`)),
          norm2: this.vector(`${p}.ln_2.weight`, get(`${p}.ln_2.weight`)),
          norm2Bias: this.vector(`${p}.ln_2.bias`, get(`${p}.ln_2.bias`)),
          up: this.matrix(`${p}.mlp.c_fc.weight`, 'kn', I, d, get(`${p}.mlp.c_fc.weight`)),
          upBias: this.vector(`${p}.mlp.c_fc.bias`, get(`${p}.mlp.c_fc.bias`)),
          down: this.matrix(`${p}.mlp.c_proj.weight`, 'kn', d, I, get(`${p}.mlp.c_proj.weight`)),
          downBias: this.vector(`${p}.mlp.c_proj.bias`, get(`${p}.mlp.c_proj.bias`)),
        });
      }
      this.finalNorm = this.vector('ln_f.weight', get('ln_f.weight'));
      this.finalNormBias = this.vector('ln_f.bias', get('ln_f.bias'));
    } else {
      this.embedding = this.matrix('model.embed_tokens.weight', 'nk', V, d, get('model.embed_tokens.weight'));
      for (let l = 0; l < c.numLayers; l++) {
        const p = `model.layers.${l}`;
        const bias = (proj: string) =>
          c.qkvBias ? this.vector(`${p}.self_attn.${proj}.bias`, get(`${p}.self_attn.${proj}.bias`)) : null;
        const gate = get(`${p}.mlp.gate_proj.weight`);
        const up = get(`${p}.mlp.up_proj.weight`);
        if (gate.length !== I * d || up.length !== I * d) {
          throw new KernelInputError(
            `${this.label}: ${p}.mlp gate_proj/up_proj have ${gate.length}/${up.length} values, config.json implies ${I * d}`,
          );
        }
        const gateUp = new Float32Array(2 * I * d);
        gateUp.set(gate, 0);
        gateUp.set(up, I * d);
        this.layers.push({
          norm1: this.vector(`${p}.input_layernorm.weight`, get(`${p}.input_layernorm.weight`)),
          norm1Bias: null,
          q: this.matrix(
            `${p}.self_attn.q_proj.weight`,
            'nk',
            qWidth,
            d,
            get(`${p}.self_attn.q_proj.weight`),
          ),
          k: this.matrix(
            `${p}.self_attn.k_proj.weight`,
            'nk',
            kvWidth,
            d,
            get(`${p}.self_attn.k_proj.weight`),
          ),
          v: this.matrix(
            `${p}.self_attn.v_proj.weight`,
            'nk',
            kvWidth,
            d,
            get(`${p}.self_attn.v_proj.weight`),
          ),
          qBias: bias('q_proj'),
          kBias: bias('k_proj'),
          vBias: bias('v_proj'),
          o: this.matrix(
            `${p}.self_attn.o_proj.weight`,
            'nk',
            d,
            qWidth,
            get(`${p}.self_attn.o_proj.weight`),
          ),
          oBias: null,
          norm2: this.vector(
            `${p}.post_attention_layernorm.weight`,
            get(`${p}.post_attention_layernorm.weight`),
          ),
          norm2Bias: null,
          up: this.matrix(`${p}.mlp.gate_up_proj.weight`, 'nk', 2 * I, d, gateUp),
          upBias: null,
          down: this.matrix(`${p}.mlp.down_proj.weight`, 'nk', d, I, get(`${p}.mlp.down_proj.weight`)),
          downBias: null,
        });
      }
      this.finalNorm = this.vector('model.norm.weight', get('model.norm.weight'));
    }
    this.head = c.tieWordEmbeddings
      ? this.embedding
      : this.matrix('lm_head.weight', 'nk', V, d, get('lm_head.weight'));
    if (c.vision) {
      const { patchDim, numPatches } = c.vision;
      this.vision = {
        patchEmbed: this.matrix(
          'vision.patch_embed.weight',
          'nk',
          d,
          patchDim,
          get('vision.patch_embed.weight'),
        ),
        patchBias: this.vector('vision.patch_embed.bias', get('vision.patch_embed.bias')),
        projector: this.matrix('vision.projector.weight', 'nk', d, d, get('vision.projector.weight')),
        projectorBias: this.vector('vision.projector.bias', get('vision.projector.bias')),
        positions: this.tensor(
          'vision.position_embedding.weight',
          [numPatches, d],
          get('vision.position_embedding.weight'),
          true,
        ),
      };
    }
  }

  get count(): number {
    return this.tensors.reduce((sum, t) => sum + t.count, 0);
  }

  get bytes(): number {
    return this.count * 16;
  }

  /** Reads `which` of every tensor back, by training name. */
  async readTraining(which: 'parameter' | 'gradient'): Promise<Map<string, Float32Array>> {
    const values = new Map<string, Float32Array>();
    for (const t of this.tensors) values.set(t.name, await readFloat32(this.gpu, t[which], t.count));
    return values;
  }

  /** Reads `which` of every tensor back under the canonical (Hugging Face) names. */
  async read(which: 'parameter' | 'gradient'): Promise<Map<string, Float32Array>> {
    return toCanonical(this.config, await this.readTraining(which));
  }

  /** Overwrites one parameter entry (finite-difference tests, fault injection). */
  writeEntry(name: string, index: number, value: number): void {
    const tensor = this.tensors.find((t) => t.name === name);
    if (!tensor) throw new KernelInputError(`${this.label}: no trainable tensor named ${name}`);
    if (!Number.isInteger(index) || index < 0 || index >= tensor.count)
      throw new KernelInputError(`${this.label}: index ${index} outside 0..${tensor.count - 1} of ${name}`);
    this.gpu.device.queue.writeBuffer(tensor.parameter, index * 4, new Float32Array([value]));
  }

  destroy(): void {
    for (const t of this.tensors) {
      for (const buffer of [t.parameter, t.gradient, t.firstMoment, t.secondMoment]) buffer.destroy();
    }
    this.tensors.length = 0;
  }
}

/** Training-layout tensors (by training name) to the canonical tensors expectedTensors lists. */
export function toCanonical(
  config: ModelConfig,
  values: ReadonlyMap<string, Float32Array>,
): Map<string, Float32Array> {
  const d = config.hiddenSize;
  const I = config.intermediateSize;
  const out = new Map<string, Float32Array>();
  const take = (name: string) => {
    const v = values.get(name);
    if (!v) throw new Error(`training parameters: missing ${name}`);
    return v;
  };
  for (const { name } of expectedTensors(config)) {
    const gpt2Attn = /^(h\.\d+)\.attn\.c_attn\.(weight|bias)$/.exec(name);
    const llamaMlp = /^(model\.layers\.\d+)\.mlp\.(gate|up)_proj\.weight$/.exec(name);
    if (gpt2Attn) {
      const [, p, kind] = gpt2Attn;
      const parts = ['q', 'k', 'v'].map((w) => take(`${p}.attn.c_attn.${kind}:${w}`));
      out.set(
        name,
        kind === 'weight' ? joinColumns(parts, d) : Float32Array.from(parts.flatMap((x) => [...x])),
      );
    } else if (llamaMlp) {
      const [, p, which] = llamaMlp;
      const packed = take(`${p}.mlp.gate_up_proj.weight`);
      out.set(name, packed.slice(which === 'gate' ? 0 : I * d, which === 'gate' ? I * d : 2 * I * d));
    } else {
      out.set(name, take(name));
    }
  }
  return out;
}
