// Kernel instances of the WGSL engine, one per use-site: each instance owns its uniform block,
// so a kernel used twice in one forward needs two instances (src/gpu/uniforms.ts). Pipelines are
// shared through the pipeline cache, so instances cost a few small uniform buffers each.
import type { Gpu } from '../../gpu/runtime';
import { ActivationKernel } from '../../kernels/activation/activation';
import { Attention } from '../../kernels/attention/attention';
import { EmbeddingKernel } from '../../kernels/embedding/embedding';
import { MatmulKernel } from '../../kernels/matmul/matmul';
import { LayerNormKernel, RmsNormKernel } from '../../kernels/norm/norm';
import { RopeKernel } from '../../kernels/rope/rope';
import type { ModelConfig } from '../config';
import type { VisionKernels } from './vision';

export type NormKernel = LayerNormKernel | RmsNormKernel;

export interface LayerKernels {
  norm1: NormKernel;
  q: MatmulKernel;
  k: MatmulKernel;
  v: MatmulKernel;
  ropeQ: RopeKernel | null;
  ropeK: RopeKernel | null;
  /** One per sequence slot of a batch, created on first use. */
  attention: Attention[];
  o: MatmulKernel;
  norm2: NormKernel;
  up: MatmulKernel;
  swiGlu: ActivationKernel | null;
  down: MatmulKernel;
}

export interface HeadKernels {
  norm: NormKernel;
  head: MatmulKernel;
}

async function norm(gpu: Gpu, config: ModelConfig, label: string): Promise<NormKernel> {
  return config.architecture === 'gpt2'
    ? LayerNormKernel.create(gpu, label)
    : RmsNormKernel.create(gpu, label);
}

export class EngineKernels {
  readonly layers: LayerKernels[] = [];
  private readonly lens = new Map<number, HeadKernels>();

  private constructor(
    private readonly gpu: Gpu,
    private readonly config: ModelConfig,
    readonly embedding: EmbeddingKernel,
    readonly final: HeadKernels,
    /** The image encoder's matmuls (vision-language models only). */
    readonly vision: VisionKernels | null,
  ) {}

  /** Builds every kernel instance; if one fails, those already built are destroyed. */
  static async create(gpu: Gpu, config: ModelConfig): Promise<EngineKernels> {
    const built: { destroy(): void }[] = [];
    // allSettled: a failed sibling must not leave the others running unowned.
    const all = async <T extends { destroy(): void }>(creations: Promise<T>[]): Promise<T[]> => {
      const results = await Promise.allSettled(creations);
      for (const r of results) if (r.status === 'fulfilled') built.push(r.value);
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) throw failure.reason;
      return results.map((r) => (r as PromiseFulfilledResult<T>).value);
    };
    try {
      const [embedding] = await all([EmbeddingKernel.create(gpu, 'embedding')]);
      const [finalNorm] = await all([norm(gpu, config, 'final-norm')]);
      const [head] = await all([MatmulKernel.create(gpu, 'lm-head')]);
      const [patchEmbed, projector] = config.vision
        ? await all(['patch-embed', 'projector'].map((what) => MatmulKernel.create(gpu, `vision:${what}`)))
        : [];
      const vision = patchEmbed && projector ? { patchEmbed, projector } : null;
      const kernels = new EngineKernels(gpu, config, embedding, { norm: finalNorm, head }, vision);
      const llama = config.architecture === 'llama';
      for (let l = 0; l < config.numLayers; l++) {
        const label = (what: string) => `layer${l}:${what}`;
        const [norm1, norm2] = await all([
          norm(gpu, config, label('norm1')),
          norm(gpu, config, label('norm2')),
        ]);
        const [q, k, v, o, up, down] = await all(
          ['q', 'k', 'v', 'o', 'up', 'down'].map((what) => MatmulKernel.create(gpu, label(what))),
        );
        const [ropeQ, ropeK] = llama
          ? await all([RopeKernel.create(gpu, label('rope-q')), RopeKernel.create(gpu, label('rope-k'))])
          : [null, null];
        const [swiGlu] = llama ? await all([ActivationKernel.create(gpu, label('swiglu'))]) : [null];
        kernels.layers.push({ norm1, q, k, v, ropeQ, ropeK, attention: [], o, norm2, up, swiGlu, down });
      }
      return kernels;
    } catch (cause) {
      for (const kernel of built) kernel.destroy();
      throw cause;
    }
  }

  /** Makes sure every layer has attention instances for `slots` sequences. */
  async ensureAttention(slots: number): Promise<void> {
    for (const [l, layer] of this.layers.entries()) {
      while (layer.attention.length < slots) {
        layer.attention.push(
          await Attention.create(this.gpu, `layer${l}:attention${layer.attention.length}`),
        );
      }
    }
  }

  /** Norm + head kernels for the logit lens of `layer` (one set per lens layer). */
  async lensKernels(layer: number): Promise<HeadKernels> {
    let kernels = this.lens.get(layer);
    if (!kernels) {
      kernels = {
        norm: await norm(this.gpu, this.config, `lens${layer}:norm`),
        head: await MatmulKernel.create(this.gpu, `lens${layer}:head`),
      };
      this.lens.set(layer, kernels);
    }
    return kernels;
  }

  destroy(): void {
    const all: { destroy(): void }[] = [this.embedding, this.final.norm, this.final.head];
    if (this.vision) all.push(this.vision.patchEmbed, this.vision.projector);
    for (const layer of this.layers) {
      all.push(
        layer.norm1,
        layer.q,
        layer.k,
        layer.v,
        layer.o,
        layer.norm2,
        layer.up,
        layer.down,
        ...layer.attention,
      );
      for (const optional of [layer.ropeQ, layer.ropeK, layer.swiGlu]) if (optional) all.push(optional);
    }
    for (const lens of this.lens.values()) all.push(lens.norm, lens.head);
    for (const kernel of all) kernel.destroy();
  }
}
