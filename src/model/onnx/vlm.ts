// The vision-language model of an Idefics3 / SmolVLM folder (idefics3-layout.ts) behind the
// LanguageModel interface, as transformers.js runs Idefics3ForConditionalGeneration (checked in
// huggingface/transformers.js: src/models/idefics3/modeling_idefics3.js for encode_image, which
// feeds { pixel_values, pixel_attention_mask } and reads image_features, and
// _merge_input_ids_with_image_features, which flattens them to [-1, hidden]; src/models.js for
// imageTextToTextForward / encode_text (embed_tokens: input_ids -> inputs_embeds) and
// default_merge_input_ids_with_image_features, a masked scatter of the feature rows, in order, over
// the image_token_id positions, with a count check). Per run:
//
//   inputs_embeds [batch, seq, d] = embed_tokens(input_ids)                  (padded like input_ids)
//   per image: pixel_values = preprocessIdefics3Image(image)                  [1, frames, 3, S, S]
//              image_features = vision_encoder(pixel_values, pixel_attention_mask)  [frames, seqLen, d]
//              row k of image_features -> the k-th "<image>" token's row of inputs_embeds
//   decoder_model_merged(inputs_embeds, attention_mask, position_ids, past) -> logits, present
//
// Everything else (KV caches, fork, truncate, batching, logits on the GPU) is OrtLanguageModel's.
// The copies run where the provider keeps its outputs: GPU -> GPU on WebGPU, typed arrays on wasm.
// A forward without images feeds embed_tokens' output as it is. An image repeated across a
// forward's sequences (the lanes of one prompt) is encoded once.
import type { Tensor } from 'onnxruntime-web/webgpu';
import type { Gpu } from '../../gpu/runtime';
import { parameterCount } from '../architectures/tensors';
import type { ForwardSequence, ModelCapabilities } from '../interface';
import { ModelLoadError } from '../loading/errors';
import { f32ArrayToF16 } from '../loading/float16';
import type { ModelSource } from '../loading/sources';
import type { BatchInputs } from './batch';
import { isIdefics3ConfigJson } from './idefics3-config';
import {
  loadIdefics3Folder,
  type Idefics3LoadOptions,
  type LoadedGraph,
  type LoadedIdefics3Folder,
} from './idefics3-folder';
import {
  checkEmbeddingTypes,
  matchEmbedTokensLayout,
  matchVisionEncoderLayout,
  type EmbedTokensLayout,
  type VisionEncoderLayout,
} from './idefics3-layout';
import { ELEMENT_BYTES, type CopyRegion } from './memory';
import {
  ORT_CAPABILITIES,
  OrtLanguageModel,
  loadOrtModel,
  type OrtModelOptions,
  type TokenFeeds,
} from './model';
import { preprocessIdefics3Image } from './preprocess-idefics3';
import { createOrtSession, ort } from './runtime';
import {
  graphValues,
  openDecoder,
  openSession,
  webGpuHalfProblem,
  type OpenedDecoder,
  type Provider,
  type Session,
} from './session';
import type { LoadOnnxOptions, LoadedOnnxFolder } from './loadOnnxFolder';

interface Parts {
  vision: Session;
  visionLayout: VisionEncoderLayout;
  embed: Session;
  embedLayout: EmbedTokensLayout;
}

/** Opens one more graph on the decoder's provider (its outputs must live where the decoder's do). */
async function openPart(
  gpu: Gpu,
  graph: LoadedGraph,
  provider: Provider,
  options: OrtModelOptions,
): Promise<Session> {
  const opened = await openSession(options.sessionFactory ?? createOrtSession, graph.bytes, {
    device: gpu.device,
    file: graph.file,
    provider,
    externalData: graph.externalData,
  });
  return opened.session;
}

/** Opens and checks vision_encoder and embed_tokens; on failure releases what it opened. */
async function openParts(
  gpu: Gpu,
  folder: LoadedIdefics3Folder,
  decoder: OpenedDecoder,
  options: OrtModelOptions,
): Promise<Parts> {
  const opened: Session[] = [];
  try {
    const { config } = folder;
    const vision = await openPart(gpu, folder.visionEncoder, decoder.provider, options);
    opened.push(vision);
    const visionLayout = matchVisionEncoderLayout(
      graphValues(vision.inputMetadata),
      graphValues(vision.outputMetadata),
      folder.visionEncoder.file,
      {
        channels: config.vision.channels,
        frameSize: folder.preprocessing.maxImageSize,
        hiddenSize: config.hiddenSize,
      },
    );
    const embed = await openPart(gpu, folder.embedTokens, decoder.provider, options);
    opened.push(embed);
    const embedLayout = matchEmbedTokensLayout(
      graphValues(embed.inputMetadata),
      graphValues(embed.outputMetadata),
      folder.embedTokens.file,
      config.hiddenSize,
    );
    checkEmbeddingTypes(
      {
        vision: visionLayout.featuresType,
        embed: embedLayout.embedsType,
        decoder: decoder.layout.embedsType!,
      },
      { vision: folder.visionEncoder.file, embed: folder.embedTokens.file, decoder: folder.decoderFile },
    );
    if (decoder.provider === 'webgpu') {
      const half = [
        visionLayout.pixelType === 'float16' ? 'pixel_values' : '',
        visionLayout.featuresType === 'float16' ? 'image_features' : '',
      ].filter(Boolean);
      const problem = webGpuHalfProblem(
        { cacheType: 'float32', logitsType: 'float32' },
        gpu.device,
        folder.visionEncoder.file,
        half,
      );
      if (problem)
        throw new ModelLoadError(
          'format',
          `${problem}: choose a dtype with float32 inputs and outputs, or the wasm provider`,
          folder.visionEncoder.file,
        );
    }
    return { vision, visionLayout, embed, embedLayout };
  } catch (cause) {
    await Promise.all(opened.map((s) => s.release().catch(() => undefined)));
    throw cause;
  }
}

export class OrtVisionLanguageModel extends OrtLanguageModel {
  override readonly capabilities: ModelCapabilities = { ...ORT_CAPABILITIES, images: true };
  private readonly parts: Parts;
  private readonly vlm: LoadedIdefics3Folder;

  private constructor(gpu: Gpu, folder: LoadedIdefics3Folder, decoder: OpenedDecoder, parts: Parts) {
    const graphs = [
      { bytes: folder.decoderBytes, externalData: folder.externalData },
      folder.visionEncoder,
      folder.embedTokens,
    ];
    super(gpu, folder, decoder, OrtLanguageModel.graphBytes(decoder.provider, graphs));
    this.parts = parts;
    this.vlm = folder;
  }

  /**
   * Opens the decoder (as OrtLanguageModel.create does, with inputs_embeds) and then the vision
   * encoder and embed_tokens on the same provider; on failure nothing stays allocated.
   */
  static async createVlm(
    gpu: Gpu,
    folder: LoadedIdefics3Folder,
    options: OrtModelOptions = {},
  ): Promise<OrtVisionLanguageModel> {
    gpu.assertAlive();
    const factory = options.sessionFactory ?? createOrtSession;
    const decoder = await openDecoder(factory, gpu.device, folder, options, 'inputs_embeds');
    let parts: Parts;
    try {
      parts = await openParts(gpu, folder, decoder, options);
    } catch (cause) {
      await decoder.session.release().catch(() => undefined);
      throw cause;
    }
    const model = new OrtVisionLanguageModel(gpu, folder, decoder, parts);
    try {
      await model.prepare();
    } catch (cause) {
      model.dispose();
      throw cause;
    }
    return model;
  }

  /** How one image of imageSize x imageSize is split (rows = cols = 0: one frame) and image_seq_len. */
  get imageLayout(): { rows: number; cols: number; frames: number; imageSeqLen: number } {
    const { rows, cols, frames } = this.vlm.geometry;
    return { rows, cols, frames, imageSeqLen: this.vlm.imageSeqLen };
  }

  /** The text decoder's parameters (the vision encoder's are in its graph, not in config.json). */
  protected override parameters(): number {
    return parameterCount({ ...this.vlm.config, vision: null });
  }

  /** image_features [frames * imageSeqLen, d] of one image (checked against config.vision). */
  private async encodeImage(image: Float32Array): Promise<Tensor> {
    const { config, preprocessing } = this.vlm;
    const { imageSize, channels, numPatches } = config.vision;
    const prepared = preprocessIdefics3Image(
      image,
      { height: imageSize, width: imageSize },
      channels,
      preprocessing,
    );
    const side = prepared.frameSize;
    const dims = [1, prepared.frames, channels, side, side];
    const feeds: Record<string, Tensor> = {
      pixel_values:
        this.parts.visionLayout.pixelType === 'float16'
          ? new ort.Tensor('float16', f32ArrayToF16(prepared.pixelValues), dims)
          : new ort.Tensor('float32', prepared.pixelValues, dims),
    };
    if (this.parts.visionLayout.attentionMask) {
      const mask = new Uint8Array(prepared.frames * side * side).fill(1);
      feeds.pixel_attention_mask = new ort.Tensor('bool', mask, [1, prepared.frames, side, side]);
    }
    const outputs = (await this.parts.vision.run(feeds)) as Record<string, Tensor>;
    for (const [name, tensor] of Object.entries(outputs))
      if (name !== 'image_features') this.memory.release(tensor);
    const features = outputs.image_features;
    const rows = features.size / config.hiddenSize;
    if (rows !== numPatches) {
      this.memory.release(features);
      throw new Error(
        `${this.vlm.visionEncoder.file} gave ${rows} image_features rows for one image of ${prepared.frames} frame(s), ` +
          `but the model expects ${numPatches} (${prepared.frames} x image_seq_len ${this.vlm.imageSeqLen}, one per <image> token)`,
      );
    }
    return features;
  }

  /** inputs_embeds of the run: embed_tokens' rows, with each image's features over its placeholders. */
  protected override async tokenFeeds(
    sequences: readonly ForwardSequence[],
    inputs: BatchInputs,
  ): Promise<TokenFeeds> {
    const { batch, seqLength } = inputs;
    const ids = new ort.Tensor('int64', inputs.ids, [batch, seqLength]);
    const out = (await this.parts.embed.run({ input_ids: ids })) as Record<string, Tensor>;
    const embeds = out.inputs_embeds;
    if (!sequences.some((s) => s.image)) return { feeds: { inputs_embeds: embeds }, temporaries: [embeds] };
    const type = this.parts.embedLayout.embedsType;
    const rowBytes = this.vlm.config.hiddenSize * ELEMENT_BYTES[type];
    const encoded = new Map<Float32Array, Tensor>();
    let merged: Tensor | null = null;
    try {
      merged = this.memory.allocate(
        type,
        [batch, seqLength, this.vlm.config.hiddenSize],
        'vlm-inputs-embeds',
      );
      const regions: CopyRegion[] = [
        { from: embeds, fromOffset: 0, to: merged, toOffset: 0, bytes: batch * seqLength * rowBytes },
      ];
      const { imageTokenId } = this.vlm.config.vision;
      for (const [b, { tokens, image }] of sequences.entries()) {
        if (!image) continue;
        let features = encoded.get(image);
        if (!features) {
          features = await this.encodeImage(image);
          encoded.set(image, features);
        }
        let k = 0;
        for (const [t, token] of tokens.entries()) {
          if (token !== imageTokenId) continue;
          const fromOffset = k++ * rowBytes;
          const toOffset = (b * seqLength + t) * rowBytes;
          // A run of placeholders takes a run of feature rows: one copy.
          const last = regions[regions.length - 1];
          const extends_ =
            last.from === features &&
            last.fromOffset + last.bytes === fromOffset &&
            last.toOffset + last.bytes === toOffset;
          if (extends_) last.bytes += rowBytes;
          else regions.push({ from: features, fromOffset, to: merged, toOffset, bytes: rowBytes });
        }
      }
      this.memory.copy(regions, 'vlm-image-rows');
      return { feeds: { inputs_embeds: merged }, temporaries: [merged] };
    } catch (cause) {
      if (merged) this.memory.release(merged);
      throw cause;
    } finally {
      this.memory.release(embeds);
      for (const features of encoded.values()) this.memory.release(features);
    }
  }

  protected override releaseSessions(): void {
    super.releaseSessions();
    void this.parts.vision.release().catch(() => undefined);
    void this.parts.embed.release().catch(() => undefined);
  }
}

/** Loads an Idefics3 / SmolVLM folder from `source` and creates its model (createVlm). */
export async function loadOrtVlm(
  gpu: Gpu,
  source: ModelSource,
  options: Idefics3LoadOptions & OrtModelOptions = {},
): Promise<{ model: OrtVisionLanguageModel; folder: LoadedIdefics3Folder }> {
  const folder = await loadIdefics3Folder(source, options);
  const model = await OrtVisionLanguageModel.createVlm(gpu, folder, options);
  return { model, folder };
}

/**
 * Loads a Hub ONNX folder of any supported layout: an Idefics3 / SmolVLM folder (config.json
 * model_type idefics3 or smolvlm) as an OrtVisionLanguageModel, anything else as a text decoder.
 */
export async function loadOrtAnyModel(
  gpu: Gpu,
  source: ModelSource,
  options: LoadOnnxOptions & Idefics3LoadOptions & OrtModelOptions = {},
): Promise<{ model: OrtLanguageModel; folder: LoadedOnnxFolder | LoadedIdefics3Folder }> {
  const config = await source.open('config.json', { optional: true, signal: options.signal });
  let json: unknown = null;
  try {
    json = config ? JSON.parse(new TextDecoder().decode(config.bytes)) : null;
  } catch {
    json = null; // the loader reports a broken config.json with its own message
  }
  return isIdefics3ConfigJson(json) ? loadOrtVlm(gpu, source, options) : loadOrtModel(gpu, source, options);
}
