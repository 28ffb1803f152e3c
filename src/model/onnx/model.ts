// The onnxruntime-web backend behind the LanguageModel interface: a Hub-layout text decoder
// (decoder_model_merged, layout.ts) run by onnxruntime-web's WebGPU provider on OUR GPUDevice, so
// its outputs are GPUBuffers our logit kernels read directly. One forward = one session.run over
// all sequences (kv-cache.ts pads unequal cache lengths; graphs without position_ids run one
// group per distinct (cached, new) length pair). Logits: the run's [batch, seq, vocab] buffer
// itself when every row is wanted, else the wanted rows copied GPU -> GPU into a model-owned
// buffer. On the wasm provider (fallback) logits come from the CPU and are uploaded once per forward.
// float16 logits (fp16 and q4f16 exports) are converted to f32 on the GPU by the f16-to-f32 kernel
// as the wanted rows are gathered (logits.ts): what a forward returns is always f32.
//
// Capabilities: fork and truncate yes; hidden states, logit lens, attention probabilities and
// images no (the exported graph has no such outputs; the WGSL engine provides them). The
// vision-language model of an Idefics3 folder (vlm.ts) extends this class: same sessions, caches
// and logits, with the new tokens fed as inputs_embeds (the tokenFeeds hook).
import type { Tensor } from 'onnxruntime-web/webgpu';
import { GpuError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import { parameterCount } from '../architectures/tensors';
import type { ModelConfig } from '../config';
import type {
  ForwardRequest,
  ForwardResult,
  ForwardSequence,
  LanguageModel,
  LogitRow,
  ModelCapabilities,
  ModelInfo,
  SequenceId,
} from '../interface';
import type { ModelSource } from '../loading/sources';
import { batchInputs, checkRequest, runGroups, type BatchInputs } from './batch';
import { OrtKvCache, type LayerTensors } from './kv-cache';
import type { DecoderLayout, OnnxDtype } from './layout';
import { loadOnnxFolder, type LoadOnnxOptions, type LoadedOnnxFolder } from './loadOnnxFolder';
import { LogitRows, type RunLogits } from './logits';
import { CpuTensorMemory, GpuTensorMemory, type TensorMemory } from './memory';
import { createOrtSession, ort } from './runtime';
import {
  isOutOfMemory,
  openDecoder,
  type OpenedDecoder,
  type Provider,
  type ProviderChoice,
  type Session,
  type SessionFactory,
} from './session';

export interface OrtModelOptions {
  /** Default 'auto': WebGPU on our device, else wasm with `notice` set. */
  provider?: ProviderChoice;
  /** For tests: another way to create the session. */
  sessionFactory?: SessionFactory;
  /** Internal: the notice of a model that create() moved to wasm itself. */
  fallbackNotice?: string;
}

export const ORT_CAPABILITIES: ModelCapabilities = {
  hiddenStates: false,
  logitLens: false,
  attention: false,
  fork: true,
  truncate: true,
  images: false,
  trainable: false,
};

/** The feeds of a run's new tokens, and what to release once the run is over. */
export interface TokenFeeds {
  feeds: Record<string, Tensor>;
  temporaries: Tensor[];
}

export class OrtLanguageModel implements LanguageModel {
  readonly capabilities: ModelCapabilities = ORT_CAPABILITIES;
  readonly layout: DecoderLayout;
  /** 'webgpu': outputs on our device; 'wasm': on the CPU. */
  readonly provider: Provider;
  /** Set when the model runs on another provider than asked (the UI shows it as is). */
  readonly notice: string | null;
  /** How sequences of unequal lengths share a run (layout.ts, batchingOf). */
  readonly batching: 'padded' | 'equal-lengths';
  /** Where caches and the tensors a run is fed live (the provider's side). */
  protected readonly memory: TensorMemory;
  private readonly session: Session;
  private readonly cache: OrtKvCache;
  private readonly logitRows: LogitRows;
  /** The run's logits tensor handed out as the result (released at the next forward). */
  private heldLogits: Tensor | null = null;
  private busy = false;
  private disposed = false;

  protected constructor(
    protected readonly gpu: Gpu,
    private readonly folder: Pick<
      LoadedOnnxFolder,
      'name' | 'config' | 'dtype' | 'fileHashes' | 'decoderFile'
    >,
    decoder: OpenedDecoder,
    /** Bytes of the graphs' weights on the GPU (0 on wasm). */
    private readonly weightBytes: number,
  ) {
    const { config } = folder;
    this.session = decoder.session;
    this.layout = decoder.layout;
    this.provider = decoder.provider;
    this.notice = decoder.notice;
    this.batching = decoder.batching;
    this.memory = decoder.provider === 'webgpu' ? new GpuTensorMemory(gpu.device) : new CpuTensorMemory();
    this.cache = new OrtKvCache(this.memory, {
      numLayers: config.numLayers,
      kvHeads: config.numKeyValueHeads,
      headDim: config.headDim,
      type: decoder.layout.cacheType,
    });
    this.logitRows = new LogitRows(gpu, config.vocabSize, folder.name);
  }

  /** Bytes of `graphs` (with external data) that the WebGPU provider keeps on the GPU. */
  protected static graphBytes(
    provider: Provider,
    graphs: readonly { bytes: Uint8Array; externalData: readonly { data: Uint8Array }[] }[],
  ): number {
    if (provider !== 'webgpu') return 0;
    return graphs.reduce(
      (sum, g) => sum + g.bytes.length + g.externalData.reduce((s, d) => s + d.data.length, 0),
      0,
    );
  }

  /** Work after construction that can fail; the caller disposes the model when it does. */
  protected async prepare(): Promise<void> {
    // float16 logits on the GPU: compile the conversion kernel now, not in the first forward.
    if (this.layout.logitsType === 'float16' && this.provider === 'webgpu')
      await this.logitRows.prepareHalf();
  }

  /** Opens the decoder (openDecoder) and creates the model; on failure nothing stays allocated. */
  static async create(
    gpu: Gpu,
    folder: LoadedOnnxFolder,
    options: OrtModelOptions = {},
  ): Promise<OrtLanguageModel> {
    gpu.assertAlive();
    const factory = options.sessionFactory ?? createOrtSession;
    const decoder = await openDecoder(factory, gpu.device, folder, options, 'input_ids');
    const weightBytes = OrtLanguageModel.graphBytes(decoder.provider, [
      { bytes: folder.decoderBytes, externalData: folder.externalData },
    ]);
    const model = new OrtLanguageModel(gpu, folder, decoder, weightBytes);
    try {
      await model.prepare();
    } catch (cause) {
      model.dispose();
      throw cause;
    }
    return model;
  }

  get info(): ModelInfo {
    return {
      name: this.folder.name,
      config: this.folder.config,
      parameterCount: this.parameters(),
      dtype: this.folder.dtype === 'fp16' || this.folder.dtype === 'q4f16' ? 'f16' : 'f32',
      fileHashes: this.folder.fileHashes,
      gpuBytes:
        this.weightBytes +
        (this.memory.location === 'gpu-buffer' ? this.cache.bytes : 0) +
        this.logitRows.bytes,
    };
  }

  /** Parameters of the model (the decoder's, from config.json). */
  protected parameters(): number {
    return parameterCount(this.folder.config);
  }

  /** The Hub dtype of the decoder file (fp32, q4, ...). */
  get onnxDtype(): OnnxDtype {
    return this.folder.dtype;
  }

  protected get config(): ModelConfig {
    return this.folder.config;
  }

  private alive(): void {
    if (this.disposed) throw new Error(`model ${this.folder.name} was disposed`);
    this.gpu.assertAlive();
  }

  createSequence(): SequenceId {
    this.alive();
    return this.cache.create();
  }

  sequenceLength(sequence: SequenceId): number {
    return this.cache.length(sequence);
  }

  fork(sequence: SequenceId): SequenceId {
    this.alive();
    return this.cache.fork(sequence);
  }

  truncate(sequence: SequenceId, length: number): void {
    this.cache.truncate(sequence, length);
  }

  releaseSequence(sequence: SequenceId): void {
    this.cache.release(sequence);
  }

  async forward(request: ForwardRequest): Promise<ForwardResult> {
    this.alive();
    if (this.busy)
      throw new Error('forward called while the previous forward is still running; await it first');
    this.busy = true;
    try {
      checkRequest(
        request,
        this.config,
        (s) => this.cache.length(s),
        this.folder.name,
        this.capabilities.images,
      );
      if (this.heldLogits) this.memory.release(this.heldLogits);
      this.heldLogits = null;
      const all = request.logits === 'all';
      const members = request.sequences.map(({ sequence, tokens }) => ({
        cached: this.cache.length(sequence),
        tokens,
      }));
      const rows: LogitRow[] = [];
      const firstRow: number[] = [];
      request.sequences.forEach(({ sequence, tokens }, i) => {
        firstRow.push(rows.length);
        for (let t = all ? 0 : tokens.length - 1; t < tokens.length; t++)
          rows.push({ sequence, position: members[i].cached + t });
      });
      const runs: RunLogits[] = [];
      for (const group of runGroups(members, this.batching === 'padded')) {
        // A failing later group leaves the earlier groups' caches advanced (as a failing engine
        // forward may); their logits are released here.
        const { logits, seqLength } = await this.run(group.map((i) => request.sequences[i])).catch(
          (error: unknown) => {
            for (const run of runs) this.memory.release(run.logits);
            throw error;
          },
        );
        const sources: number[] = [];
        const targets: number[] = [];
        group.forEach((i, b) => {
          const n = request.sequences[i].tokens.length;
          for (let t = all ? 0 : n - 1; t < n; t++) {
            sources.push(b * seqLength + t);
            targets.push(firstRow[i] + (all ? t : 0));
          }
        });
        runs.push({ logits, sources, targets });
      }
      await this.logitRows.prepare(runs).catch((error: unknown) => {
        for (const run of runs) this.memory.release(run.logits);
        throw error;
      });
      if (LogitRows.isWhole(runs)) {
        this.heldLogits = runs[0].logits;
        return { logits: runs[0].logits.gpuBuffer as GPUBuffer, rows };
      }
      const logits = this.logitRows.gather(runs, rows.length);
      for (const run of runs) this.memory.release(run.logits);
      return { logits, rows };
    } finally {
      this.busy = false;
    }
  }

  /**
   * The new tokens of a run as the decoder reads them: input_ids [batch, seqLength] here; the
   * vision-language model (vlm.ts) feeds inputs_embeds with its images' rows in place.
   */
  protected async tokenFeeds(
    sequences: readonly ForwardSequence[],
    inputs: BatchInputs,
  ): Promise<TokenFeeds> {
    void sequences;
    return {
      feeds: { input_ids: new ort.Tensor('int64', inputs.ids, [inputs.batch, inputs.seqLength]) },
      temporaries: [],
    };
  }

  /** One session.run over `sequences` (batch order); their caches take the presents. */
  private async run(sequences: readonly ForwardSequence[]): Promise<{ logits: Tensor; seqLength: number }> {
    const ids = sequences.map((s) => s.sequence);
    const inputs = batchInputs(
      sequences.map(({ sequence, tokens }) => ({ cached: this.cache.length(sequence), tokens })),
    );
    const { batch, past, seqLength } = inputs;
    const what = `${batch} sequence(s) x ${seqLength} new token(s) after ${past} cached`;
    const tokens = await this.tokenFeeds(sequences, inputs).catch((cause: unknown) => {
      throw this.runError(cause, what);
    });
    const feeds: Record<string, Tensor> = {
      ...tokens.feeds,
      attention_mask: new ort.Tensor('int64', inputs.mask, [batch, past + seqLength]),
    };
    if (this.layout.positionIds)
      feeds.position_ids = new ort.Tensor('int64', inputs.positions, [batch, seqLength]);
    if (this.layout.useCacheBranch)
      feeds.use_cache_branch = new ort.Tensor('bool', Uint8Array.of(past > 0 ? 1 : 0), [1]);
    let outputs: Record<string, Tensor>;
    let temporaries: Tensor[] = [];
    let layers: LayerTensors[];
    try {
      ({ layers, temporaries } = this.cache.pastInputs(ids, past));
      layers.forEach(({ key, value }, i) => {
        feeds[`past_key_values.${i}.key`] = key;
        feeds[`past_key_values.${i}.value`] = value;
      });
      outputs = (await this.session.run(feeds)) as Record<string, Tensor>;
    } catch (cause) {
      throw this.runError(cause, what);
    } finally {
      for (const t of [...temporaries, ...tokens.temporaries]) this.memory.release(t);
    }
    const presents: LayerTensors[] = layers.map((_, i) => ({
      key: outputs[`present.${i}.key`],
      value: outputs[`present.${i}.value`],
    }));
    const kept = new Set(['logits', ...layers.flatMap((_, i) => [`present.${i}.key`, `present.${i}.value`])]);
    for (const [name, tensor] of Object.entries(outputs)) if (!kept.has(name)) this.memory.release(tensor);
    this.cache.takePresents(
      ids,
      sequences.map((s) => s.tokens.length),
      past,
      presents,
    );
    return { logits: outputs.logits, seqLength };
  }

  protected runError(cause: unknown, what: string): Error {
    const message = cause instanceof Error ? cause.message : String(cause);
    const prefix = `${this.folder.name}: onnxruntime-web failed in a forward of ${what}`;
    if (isOutOfMemory(cause)) {
      return new GpuError(
        'out-of-memory',
        `${prefix}: out of memory (${message}); release sequences or use shorter contexts`,
      );
    }
    return new Error(`${prefix} (${message})`, { cause });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.heldLogits) this.memory.release(this.heldLogits);
    this.heldLogits = null;
    this.cache.dispose();
    this.memory.destroy();
    this.logitRows.destroy();
    this.releaseSessions();
  }

  /** Releases the sessions (once, last in dispose: their outputs go back to them first); the VLM adds its own. */
  protected releaseSessions(): void {
    void this.session.release().catch(() => undefined);
  }
}

/** Loads a Hub-layout ONNX folder from `source` and creates its model (see OrtLanguageModel.create). */
export async function loadOrtModel(
  gpu: Gpu,
  source: ModelSource,
  options: LoadOnnxOptions & OrtModelOptions = {},
): Promise<{ model: OrtLanguageModel; folder: LoadedOnnxFolder }> {
  const folder = await loadOnnxFolder(source, options);
  const model = await OrtLanguageModel.create(gpu, folder, options);
  return { model, folder };
}
