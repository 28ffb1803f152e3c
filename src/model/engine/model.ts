// The WGSL engine: GPT-2 and Llama-family transformers in hand-written WGSL behind the
// LanguageModel interface. One forward is one command buffer: embedding, then per layer
// norm -> q/k/v (+RoPE) -> [KV rows copied into each sequence's cache] -> attention per sequence
// -> h += o(attn) -> norm -> MLP -> h += down(...), then the final norm and head on the rows whose
// logits are asked for. The spec is src/model/reference/forward.ts.
import type { Gpu } from '../../gpu/runtime';
import type { WeightDtype } from '../../kernels/matmul/chunks';
import { checkTokenIds } from '../../kernels/embedding/embedding';
import { parameterCount } from '../architectures/tensors';
import type { ModelConfig } from '../config';
import type {
  ForwardRequest,
  ForwardResult,
  LanguageModel,
  LogitRow,
  ModelCapabilities,
  ModelInfo,
  SequenceId,
} from '../interface';
import { Activations } from './activations';
import { encodeForward, validateRequest, type ForwardLayout } from './encode';
import { EngineKernels } from './kernels';
import { KvCacheStore } from './kv-cache';
import { uploadEngineWeights, type EngineWeights, type TensorSource } from './weights';

export class WgslModel implements LanguageModel {
  readonly capabilities: ModelCapabilities;
  private busy = false;
  private disposed = false;

  private constructor(
    private readonly gpu: Gpu,
    private readonly config: ModelConfig,
    private readonly weights: EngineWeights,
    private readonly kernels: EngineKernels,
    private readonly caches: KvCacheStore,
    private readonly activations: Activations,
    private readonly meta: { name: string; fileHashes: Record<string, string>; weightDtype: WeightDtype },
  ) {
    this.capabilities = {
      hiddenStates: true,
      logitLens: true,
      attention: true,
      fork: true,
      truncate: true,
      images: config.vision !== null,
      trainable: false,
    };
  }

  /** Uploads weights and compiles kernels; on failure nothing stays in GPU memory. */
  /**
   * `meta.chunkLimit`: largest weight chunk in bytes (default and maximum: the binding limit).
   * `meta.weightDtype`: storage of the layer matrices; default f16 when the adapter has
   * shader-f16 (a GPU built for half precision), f32 otherwise. Vocabulary tables stay f32.
   */
  static async create(
    gpu: Gpu,
    config: ModelConfig,
    tensors: TensorSource,
    meta: {
      name: string;
      fileHashes?: Record<string, string>;
      chunkLimit?: number;
      weightDtype?: WeightDtype;
    },
  ): Promise<WgslModel> {
    gpu.assertAlive();
    const weightDtype = meta.weightDtype ?? (gpu.summary.shaderF16 ? 'f16' : 'f32');
    const weights = await gpu.checked(`uploading ${meta.name}`, () =>
      uploadEngineWeights(gpu, config, tensors, meta.name, meta.chunkLimit, weightDtype),
    );
    try {
      const kernels = await EngineKernels.create(gpu, config);
      return new WgslModel(
        gpu,
        config,
        weights,
        kernels,
        new KvCacheStore(gpu, config),
        new Activations(gpu),
        { name: meta.name, fileHashes: meta.fileHashes ?? {}, weightDtype },
      );
    } catch (cause) {
      weights.destroy();
      throw cause;
    }
  }

  get info(): ModelInfo {
    return {
      name: this.meta.name,
      config: this.config,
      parameterCount: parameterCount(this.config),
      dtype: this.meta.weightDtype,
      fileHashes: this.meta.fileHashes,
      gpuBytes: this.weights.bytes + this.caches.bytes + this.activations.bytes,
    };
  }

  private alive(): void {
    if (this.disposed) throw new Error(`model ${this.meta.name} was disposed`);
    this.gpu.assertAlive();
  }

  createSequence(): SequenceId {
    this.alive();
    return this.caches.create();
  }

  sequenceLength(sequence: SequenceId): number {
    return this.caches.length(sequence);
  }

  fork(sequence: SequenceId): SequenceId {
    this.alive();
    const encoder = this.gpu.device.createCommandEncoder({ label: 'fork' });
    const id = this.caches.fork(encoder, sequence);
    this.gpu.device.queue.submit([encoder.finish()]);
    return id;
  }

  truncate(sequence: SequenceId, length: number): void {
    this.caches.truncate(sequence, length);
  }

  releaseSequence(sequence: SequenceId): void {
    this.caches.release(sequence);
  }

  async forward(request: ForwardRequest): Promise<ForwardResult> {
    this.alive();
    if (this.busy)
      throw new Error('forward called while the previous forward is still being encoded; await it first');
    this.busy = true;
    try {
      const placeholders = validateRequest(this.config, this.caches, request);
      for (const { tokens } of request.sequences) checkTokenIds(tokens, this.config.vocabSize);
      const lensLayers = request.capture?.logitLensLayers ?? [];
      await this.kernels.ensureAttention(request.sequences.length);
      for (const layer of lensLayers) await this.kernels.lensKernels(layer);
      const rows: LogitRow[] = [];
      const layout: ForwardLayout = { sequences: [], outputRows: [], images: [] };
      let row = 0;
      for (const [s, { sequence, tokens, image }] of request.sequences.entries()) {
        const start = this.caches.length(sequence);
        layout.sequences.push({ sequence, firstRow: row, tokens: tokens.length, start });
        const imageRows = placeholders[s];
        if (image && imageRows) layout.images.push({ image, rows: imageRows.map((t) => row + t) });
        tokens.forEach((_, t) => {
          if (request.logits === 'all' || t === tokens.length - 1) {
            layout.outputRows.push(row + t);
            rows.push({ sequence, position: start + t });
          }
        });
        row += tokens.length;
      }
      const buffers = await encodeForward(
        this.gpu,
        this.config,
        this.weights,
        this.kernels,
        this.caches,
        this.activations,
        request,
        layout,
      );
      return { ...buffers, rows };
    } finally {
      this.busy = false;
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.caches.dispose();
    this.activations.destroy();
    this.kernels.destroy();
    this.weights.destroy();
  }
}
