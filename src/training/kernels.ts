// Kernel instances of one training step, one per use-site (an instance owns its uniform blocks,
// and a second encode in the same submission would overwrite the first one's parameters; see
// src/gpu/uniforms.ts). Pipelines are shared through the pipeline cache, so an instance costs a few
// small uniform buffers. Forward instances serve both the forward-only pass (log-probs) and the
// training pass, which are separate submissions.
import type { Gpu } from '../gpu/runtime';
import { ActivationKernel } from '../kernels/activation/activation';
import { ActivationBackwardKernel } from '../kernels/activation-backward/activation-backward';
import { Attention } from '../kernels/attention/attention';
import { AttentionBackwardKernel } from '../kernels/attention-backward/attention-backward';
import { LinearBackwardKernel } from '../kernels/backward-linear/backward-linear';
import { CrossEntropyKernel } from '../kernels/cross-entropy/cross-entropy';
import { EmbeddingKernel } from '../kernels/embedding/embedding';
import { EmbeddingBackwardKernel } from '../kernels/embedding-backward/embedding-backward';
import { MatmulKernel } from '../kernels/matmul/matmul';
import { LayerNormKernel, RmsNormKernel } from '../kernels/norm/norm';
import { LayerNormBackwardKernel, RmsNormBackwardKernel } from '../kernels/norm-backward/norm-backward';
import { AdamWKernel } from '../kernels/optimizer/adamw';
import { GradientNormKernel } from '../kernels/optimizer/gradient-norm';
import { RopeKernel } from '../kernels/rope/rope';
import { RopeBackwardKernel } from '../kernels/rope-backward/rope-backward';
import type { ModelConfig } from '../model/config';

export type TrainNorm = LayerNormKernel | RmsNormKernel;
export type TrainNormBackward = LayerNormBackwardKernel | RmsNormBackwardKernel;

export interface TrainLayerKernels {
  norm1: TrainNorm;
  q: MatmulKernel;
  k: MatmulKernel;
  v: MatmulKernel;
  ropeQ: RopeKernel | null;
  ropeK: RopeKernel | null;
  /** One per sequence of the batch (grown on demand). */
  attention: Attention[];
  o: MatmulKernel;
  norm2: TrainNorm;
  up: MatmulKernel;
  activation: ActivationKernel;
  down: MatmulKernel;
  // backward
  downBackward: LinearBackwardKernel;
  activationBackward: ActivationBackwardKernel;
  upBackward: LinearBackwardKernel;
  norm2Backward: TrainNormBackward;
  oBackward: LinearBackwardKernel;
  attentionBackward: AttentionBackwardKernel;
  ropeQBackward: RopeBackwardKernel | null;
  ropeKBackward: RopeBackwardKernel | null;
  qBackward: LinearBackwardKernel;
  kBackward: LinearBackwardKernel;
  vBackward: LinearBackwardKernel;
  norm1Backward: TrainNormBackward;
}

/** The image encoder's kernels (vision-language models). */
export interface TrainVisionKernels {
  patchEmbed: MatmulKernel;
  activation: ActivationKernel;
  projector: MatmulKernel;
  projectorBackward: LinearBackwardKernel;
  activationBackward: ActivationBackwardKernel;
  patchEmbedBackward: LinearBackwardKernel;
  positionBackward: EmbeddingBackwardKernel;
}

type Destroyable = { destroy(): void };

export class TrainKernels {
  readonly layers: TrainLayerKernels[] = [];
  private readonly owned: Destroyable[] = [];
  embedding!: EmbeddingKernel;
  finalNorm!: TrainNorm;
  head!: MatmulKernel;
  crossEntropy!: CrossEntropyKernel;
  headBackward!: LinearBackwardKernel;
  finalNormBackward!: TrainNormBackward;
  embeddingBackward!: EmbeddingBackwardKernel;
  positionBackward!: EmbeddingBackwardKernel;
  gradientNorm!: GradientNormKernel;
  /** The same reduction over the parameters: run only after a NaN, to name a corrupted parameter. */
  parameterScan!: GradientNormKernel;
  adamW!: AdamWKernel;
  vision: TrainVisionKernels | null = null;

  private constructor(
    private readonly gpu: Gpu,
    private readonly config: ModelConfig,
  ) {}

  /** Builds every instance; `gradientCounts` are the parameter tensors' sizes, in order. */
  static async create(
    gpu: Gpu,
    config: ModelConfig,
    gradientCounts: readonly number[],
  ): Promise<TrainKernels> {
    const k = new TrainKernels(gpu, config);
    try {
      await k.build(gradientCounts);
      return k;
    } catch (cause) {
      k.destroy();
      throw cause;
    }
  }

  private async own<T extends Destroyable>(creation: Promise<T>): Promise<T> {
    const kernel = await creation;
    this.owned.push(kernel);
    return kernel;
  }

  private norm(label: string): Promise<TrainNorm> {
    return this.config.architecture === 'gpt2'
      ? this.own(LayerNormKernel.create(this.gpu, label))
      : this.own(RmsNormKernel.create(this.gpu, label));
  }

  private normBackward(label: string): Promise<TrainNormBackward> {
    return this.config.architecture === 'gpt2'
      ? this.own(LayerNormBackwardKernel.create(this.gpu, label))
      : this.own(RmsNormBackwardKernel.create(this.gpu, label));
  }

  private async build(gradientCounts: readonly number[]): Promise<void> {
    const gpu = this.gpu;
    // Training matrices are f32: compiling the f16 variants would only cost time.
    const matmul = (label: string) => this.own(MatmulKernel.create(gpu, label, { weightDtypes: ['f32'] }));
    const linearBackward = (label: string) => this.own(LinearBackwardKernel.create(gpu, label));
    const llama = this.config.architecture === 'llama';
    this.embedding = await this.own(EmbeddingKernel.create(gpu, 'train:embedding'));
    this.finalNorm = await this.norm('train:final-norm');
    this.head = await matmul('train:head');
    this.crossEntropy = await this.own(CrossEntropyKernel.create(gpu, 'train:cross-entropy'));
    this.headBackward = await linearBackward('train:head-backward');
    this.finalNormBackward = await this.normBackward('train:final-norm-backward');
    this.embeddingBackward = await this.own(EmbeddingBackwardKernel.create(gpu, 'train:embedding-backward'));
    this.positionBackward = await this.own(EmbeddingBackwardKernel.create(gpu, 'train:position-backward'));
    this.gradientNorm = await this.own(GradientNormKernel.create(gpu, gradientCounts, 'train:gradient-norm'));
    this.parameterScan = await this.own(
      GradientNormKernel.create(gpu, gradientCounts, 'train:parameter-scan'),
    );
    this.adamW = await this.own(AdamWKernel.create(gpu, gradientCounts.length, 'train:adamw'));
    if (this.config.vision) {
      this.vision = {
        patchEmbed: await matmul('train:vision:patch-embed'),
        activation: await this.own(ActivationKernel.create(gpu, 'train:vision:gelu')),
        projector: await matmul('train:vision:projector'),
        projectorBackward: await linearBackward('train:vision:projector-backward'),
        activationBackward: await this.own(
          ActivationBackwardKernel.create(gpu, 'train:vision:gelu-backward'),
        ),
        patchEmbedBackward: await linearBackward('train:vision:patch-embed-backward'),
        positionBackward: await this.own(
          EmbeddingBackwardKernel.create(gpu, 'train:vision:position-backward'),
        ),
      };
    }
    for (let l = 0; l < this.config.numLayers; l++) {
      const label = (what: string) => `train:layer${l}:${what}`;
      this.layers.push({
        norm1: await this.norm(label('norm1')),
        q: await matmul(label('q')),
        k: await matmul(label('k')),
        v: await matmul(label('v')),
        ropeQ: llama ? await this.own(RopeKernel.create(gpu, label('rope-q'))) : null,
        ropeK: llama ? await this.own(RopeKernel.create(gpu, label('rope-k'))) : null,
        attention: [],
        o: await matmul(label('o')),
        norm2: await this.norm(label('norm2')),
        up: await matmul(label('up')),
        activation: await this.own(ActivationKernel.create(gpu, label('activation'))),
        down: await matmul(label('down')),
        downBackward: await linearBackward(label('down-backward')),
        activationBackward: await this.own(
          ActivationBackwardKernel.create(gpu, label('activation-backward')),
        ),
        upBackward: await linearBackward(label('up-backward')),
        norm2Backward: await this.normBackward(label('norm2-backward')),
        oBackward: await linearBackward(label('o-backward')),
        attentionBackward: await this.own(AttentionBackwardKernel.create(gpu, label('attention-backward'))),
        ropeQBackward: llama
          ? await this.own(RopeBackwardKernel.create(gpu, label('rope-q-backward')))
          : null,
        ropeKBackward: llama
          ? await this.own(RopeBackwardKernel.create(gpu, label('rope-k-backward')))
          : null,
        qBackward: await linearBackward(label('q-backward')),
        kBackward: await linearBackward(label('k-backward')),
        vBackward: await linearBackward(label('v-backward')),
        norm1Backward: await this.normBackward(label('norm1-backward')),
      });
    }
  }

  /** Makes sure every layer has an attention instance per sequence of a batch of `sequences`. */
  async ensureAttention(sequences: number): Promise<void> {
    for (const [l, layer] of this.layers.entries()) {
      while (layer.attention.length < sequences) {
        layer.attention.push(
          await this.own(Attention.create(this.gpu, `train:layer${l}:attention${layer.attention.length}`)),
        );
      }
    }
  }

  destroy(): void {
    for (const kernel of this.owned) kernel.destroy();
    this.owned.length = 0;
  }
}
