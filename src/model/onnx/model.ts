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
// images no (the exported graph has no such outputs; the WGSL engine provides them).
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
import { ModelLoadError } from '../loading/errors';
import type { ModelSource } from '../loading/sources';
import { batchInputs, checkRequest, runGroups } from './batch';
import { OrtKvCache, type LayerTensors } from './kv-cache';
import {
  batchingOf,
  matchDecoderLayout,
  type DecoderLayout,
  type GraphValue,
  type OnnxDtype,
} from './layout';
import { loadOnnxFolder, type LoadOnnxOptions, type LoadedOnnxFolder } from './loadOnnxFolder';
import { LogitRows, type RunLogits } from './logits';
import { CpuTensorMemory, GpuTensorMemory, type TensorMemory } from './memory';
import { createOrtSession, ort } from './runtime';
import {
  isOutOfMemory,
  openSession,
  webGpuHalfProblem,
  type Provider,
  type ProviderChoice,
  type SessionFactory,
} from './session';

type Session = Awaited<ReturnType<SessionFactory>>;

export interface OrtModelOptions {
  /** Default 'auto': WebGPU on our device, else wasm with `notice` set. */
  provider?: ProviderChoice;
  /** For tests: another way to create the session. */
  sessionFactory?: SessionFactory;
  /** Internal: the notice of a model that create() moved to wasm itself. */
  fallbackNotice?: string;
}

const CAPABILITIES: ModelCapabilities = {
  hiddenStates: false,
  logitLens: false,
  attention: false,
  fork: true,
  truncate: true,
  images: false,
  trainable: false,
};

function graphValues(metadata: Session['inputMetadata']): GraphValue[] {
  return metadata.map((m) =>
    m.isTensor
      ? {
          name: m.name,
          type: m.type,
          shape: m.shape.map((d) => (typeof d === 'number' || typeof d === 'string' ? d : null)),
        }
      : { name: m.name, type: null, shape: null },
  );
}

export class OrtLanguageModel implements LanguageModel {
  readonly capabilities = CAPABILITIES;
  private readonly cache: OrtKvCache;
  private readonly logitRows: LogitRows;
  /** The run's logits tensor handed out as the result (released at the next forward). */
  private heldLogits: Tensor | null = null;
  private busy = false;
  private disposed = false;

  private constructor(
    private readonly gpu: Gpu,
    private readonly session: Session,
    private readonly memory: TensorMemory,
    readonly layout: DecoderLayout,
    private readonly folder: Pick<
      LoadedOnnxFolder,
      'name' | 'config' | 'dtype' | 'fileHashes' | 'decoderFile'
    >,
    private readonly weightBytes: number,
    /** 'webgpu': outputs on our device; 'wasm': on the CPU. */
    readonly provider: Provider,
    /** Set when the model runs on another provider than asked (the UI shows it as is). */
    readonly notice: string | null,
    /** How sequences of unequal lengths share a run (layout.ts, batchingOf). */
    readonly batching: 'padded' | 'equal-lengths',
  ) {
    const { config } = folder;
    this.cache = new OrtKvCache(memory, {
      numLayers: config.numLayers,
      kvHeads: config.numKeyValueHeads,
      headDim: config.headDim,
      type: layout.cacheType,
    });
    this.logitRows = new LogitRows(gpu, config.vocabSize, folder.name);
  }

  /**
   * Creates the session (WebGPU on `gpu.device`, or wasm) and checks the graph's names against the
   * decoder_model_merged layout; a refused graph's session is released before the error is thrown.
   * A float16 graph on a GPU without `shader-f16` (which onnxruntime's WebGPU kernels need for
   * float16) is refused at once when WebGPU was asked for, and runs on wasm with a notice in 'auto'.
   */
  static async create(
    gpu: Gpu,
    folder: LoadedOnnxFolder,
    options: OrtModelOptions = {},
  ): Promise<OrtLanguageModel> {
    gpu.assertAlive();
    const opened = await openSession(options.sessionFactory ?? createOrtSession, folder.decoderBytes, {
      device: gpu.device,
      file: folder.decoderFile,
      provider: options.provider,
      externalData: folder.externalData,
    });
    const { session, provider } = opened;
    let halfProblem: string | null = null;
    try {
      const layout = matchDecoderLayout(
        folder.config,
        graphValues(session.inputMetadata),
        graphValues(session.outputMetadata),
        folder.decoderFile,
      );
      if (provider === 'webgpu') halfProblem = webGpuHalfProblem(layout, gpu.device, folder.decoderFile);
      if (halfProblem && (options.provider ?? 'auto') !== 'auto') {
        throw new ModelLoadError(
          'format',
          `${halfProblem}: choose a dtype with float32 outputs (fp32, q8 or q4) or the wasm provider`,
          folder.decoderFile,
        );
      }
      if (!halfProblem) {
        const memory = provider === 'webgpu' ? new GpuTensorMemory(gpu.device) : new CpuTensorMemory();
        const weightBytes =
          provider === 'webgpu'
            ? folder.decoderBytes.length + folder.externalData.reduce((s, d) => s + d.data.length, 0)
            : 0;
        const model = new OrtLanguageModel(
          gpu,
          session,
          memory,
          layout,
          folder,
          weightBytes,
          provider,
          options.fallbackNotice ?? opened.notice,
          batchingOf(layout, folder.decoderBytes),
        );
        // float16 logits on the GPU: compile the conversion kernel now, not in the first forward.
        if (layout.logitsType === 'float16' && provider === 'webgpu') {
          await model.logitRows.prepareHalf();
        }
        return model;
      }
    } catch (cause) {
      await session.release().catch(() => undefined);
      throw cause;
    }
    await session.release().catch(() => undefined);
    return OrtLanguageModel.create(gpu, folder, {
      ...options,
      provider: 'wasm',
      fallbackNotice: `${halfProblem}; it runs on the CPU (wasm provider) instead: much slower, and its logits are uploaded to the GPU once per forward`,
    });
  }

  get info(): ModelInfo {
    return {
      name: this.folder.name,
      config: this.folder.config,
      parameterCount: parameterCount(this.folder.config),
      dtype: this.folder.dtype === 'fp16' || this.folder.dtype === 'q4f16' ? 'f16' : 'f32',
      fileHashes: this.folder.fileHashes,
      gpuBytes:
        this.weightBytes +
        (this.memory.location === 'gpu-buffer' ? this.cache.bytes : 0) +
        this.logitRows.bytes,
    };
  }

  /** The Hub dtype of the decoder file (fp32, q4, ...). */
  get onnxDtype(): OnnxDtype {
    return this.folder.dtype;
  }

  private get config(): ModelConfig {
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
      checkRequest(request, this.config, (s) => this.cache.length(s), this.folder.name);
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

  /** One session.run over `sequences` (batch order); their caches take the presents. */
  private async run(sequences: readonly ForwardSequence[]): Promise<{ logits: Tensor; seqLength: number }> {
    const ids = sequences.map((s) => s.sequence);
    const inputs = batchInputs(
      sequences.map(({ sequence, tokens }) => ({ cached: this.cache.length(sequence), tokens })),
    );
    const { batch, past, seqLength } = inputs;
    const feeds: Record<string, Tensor> = {
      input_ids: new ort.Tensor('int64', inputs.ids, [batch, seqLength]),
      attention_mask: new ort.Tensor('int64', inputs.mask, [batch, past + seqLength]),
    };
    if (this.layout.positionIds)
      feeds.position_ids = new ort.Tensor('int64', inputs.positions, [batch, seqLength]);
    if (this.layout.useCacheBranch)
      feeds.use_cache_branch = new ort.Tensor('bool', Uint8Array.of(past > 0 ? 1 : 0), [1]);
    const { layers, temporaries } = this.cache.pastInputs(ids, past);
    layers.forEach(({ key, value }, i) => {
      feeds[`past_key_values.${i}.key`] = key;
      feeds[`past_key_values.${i}.value`] = value;
    });
    let outputs: Record<string, Tensor>;
    try {
      outputs = (await this.session.run(feeds)) as Record<string, Tensor>;
    } catch (cause) {
      throw this.runError(cause, `${batch} sequence(s) x ${seqLength} new token(s) after ${past} cached`);
    } finally {
      for (const t of temporaries) this.memory.release(t);
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

  private runError(cause: unknown, what: string): Error {
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
