// The peer of ./ffn-step.ts for the benchmark: the same FFN training step written in TensorFlow.js
// ops on its WebGPU backend (@tensorflow/tfjs-core + @tensorflow/tfjs-backend-webgpu 4.22, dev
// dependencies used by the benchmark alone, loaded with a dynamic import() so no app bundle
// carries them).
//
// Same math in f32, same FLOPs:
//   forward   H = X W_up + b_up (tf.fused.matMul with bias), A = H sigmoid(2u) with
//             u = sqrt(2/pi) (H + 0.044715 H^3) (= gelu_new, the form our shader evaluates),
//             Y = X + A W_down + b_down
//   backward  written out, as ./ffn-step.ts does: db_down = sum_t dY, dW_down = A^T dY,
//             dA = dY W_down^T, dH = dA (s + H 2u'(H) s (1 - s)) with s = sigmoid(2u) kept from the
//             forward, db_up = sum_t dH, dW_up = X^T dH, dX = dY + dH W_up^T.
//             (tf.grad would reach the same matmuls through its tape, plus the gelu's graph.)
//   optimizer global norm over the four gradients, clip c = min(1, maxNorm / (norm + 1e-6)) on the
//             GPU (no readback in between, as ours), then AdamW written with tf ops in the shape of
//             tf.train.adam's own update (which has no weight decay) plus decoupled decay lr lambda p
//             on the two weights (PyTorch's AdamW; src/kernels/optimizer/adamw.ts).
// One difference, in TF.js's favour: our AdamW skips the step when a gradient is NaN/Inf (checked
// inside the update kernel); doing the same here would cost a select per tensor, so it is left out.
//
// Device: the tfjs-backend-webgpu module registers the "webgpu" backend with its own adapter and
// GPUDevice (requestAdapter with powerPreference "high-performance", then requestDevice), so the
// two sides run on separate devices of the same adapter, in the same page. TF.js batches up to
// WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE (15) dispatches per submission; left at its default.
import type { AdamWHyperParameters } from '../../kernels/optimizer/params';
import { FFN_PARAMETERS, type FfnParameterName, type FfnParameters, type FfnShape } from './ffn-step';

/** The part of @tensorflow/tfjs-core 4.22 this file uses (see loadTfjsWebGpu for why it is declared here). */
interface Tensor {
  data(): Promise<Float32Array | Int32Array | Uint8Array>;
  dispose(): void;
}
interface Variable extends Tensor {
  assign(value: Tensor): void;
}
type Operand = Tensor | number;
interface Tf {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  tensor(values: Float32Array, shape: number[]): Tensor;
  zeros(shape: number[]): Tensor;
  scalar(value: number): Tensor;
  variable(initial: Tensor, trainable: boolean, name: string): Variable;
  tidy<T extends Tensor>(work: () => T): T;
  keep<T extends Tensor>(tensor: T): T;
  add(a: Operand, b: Operand): Tensor;
  sub(a: Operand, b: Operand): Tensor;
  mul(a: Operand, b: Operand): Tensor;
  div(a: Operand, b: Operand): Tensor;
  minimum(a: Operand, b: Operand): Tensor;
  sigmoid(x: Tensor): Tensor;
  sqrt(x: Tensor): Tensor;
  square(x: Tensor): Tensor;
  sum(x: Tensor, axis?: number): Tensor;
  addN(tensors: Tensor[]): Tensor;
  matMul(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): Tensor;
  fused: { matMul(args: { a: Tensor; b: Tensor; bias: Tensor }): Tensor };
}

const GELU_SCALE = Math.sqrt(2 / Math.PI);
const GELU_CUBIC = 0.044715;

/**
 * Loads TF.js and makes its WebGPU backend the active one. The specifiers are cast to string so
 * TypeScript does not load tfjs-core's declarations: they reference their own, older copy of
 * @webgpu/types (0.1.38), whose globals clash with ours (0.1.74) and break src/gpu's types. Vite
 * strips the cast before it analyses imports, so it still sees (and pre-bundles) both packages.
 */
export async function loadTfjsWebGpu(): Promise<Tf> {
  const tf = (await import('@tensorflow/tfjs-core' as string)) as Tf;
  await import('@tensorflow/tfjs-backend-webgpu' as string); // registers the "webgpu" backend and its kernels
  if (!(await tf.setBackend('webgpu'))) {
    throw new Error(
      'TensorFlow.js could not start its WebGPU backend (see the console for why); ' +
        'the benchmark needs navigator.gpu and an adapter',
    );
  }
  await tf.ready();
  return tf;
}

interface TfParameter {
  value: Variable;
  firstMoment: Variable;
  secondMoment: Variable;
  decay: boolean;
}

/** The last step's gradients, kept for the cross-check. */
type TfGradients = Record<FfnParameterName | 'input', Tensor>;

export class TfjsFfnStep {
  private gradients: TfGradients | null = null;

  private constructor(
    private readonly tf: Tf,
    readonly shape: FfnShape,
    private readonly input: Tensor,
    private readonly gradOutput: Tensor,
    private readonly parameters: Record<FfnParameterName, TfParameter>,
  ) {}

  /** Uploads X [T, d], dY [T, d] and the initial parameters (moments start at 0). */
  static async create(
    shape: FfnShape,
    initial: FfnParameters,
    input: Float32Array,
    gradOutput: Float32Array,
  ): Promise<TfjsFfnStep> {
    const tf = await loadTfjsWebGpu();
    const { tokens, dim, hidden } = shape;
    const shapes: Record<FfnParameterName, number[]> = {
      upWeight: [dim, hidden],
      upBias: [hidden],
      downWeight: [hidden, dim],
      downBias: [dim],
    };
    const parameter = (name: FfnParameterName): TfParameter => ({
      value: tf.variable(tf.tensor(initial[name], shapes[name]), false, `ffn.${name}`),
      firstMoment: tf.variable(tf.zeros(shapes[name]), false, `ffn.${name}.m`),
      secondMoment: tf.variable(tf.zeros(shapes[name]), false, `ffn.${name}.v`),
      decay: name === 'upWeight' || name === 'downWeight',
    });
    return new TfjsFfnStep(tf, shape, tf.tensor(input, [tokens, dim]), tf.tensor(gradOutput, [tokens, dim]), {
      upWeight: parameter('upWeight'),
      upBias: parameter('upBias'),
      downWeight: parameter('downWeight'),
      downBias: parameter('downBias'),
    });
  }

  /** One step; resolves with the gradient norm once the GPU has run it (`await norm.data()`). */
  async run(hyper: AdamWHyperParameters): Promise<number> {
    const norm = this.encode(hyper);
    try {
      return (await norm.data())[0];
    } finally {
      norm.dispose();
    }
  }

  /** Records the step's ops; returns the (kept) norm scalar. */
  private encode(hyper: AdamWHyperParameters): Tensor {
    const tf = this.tf;
    const { upWeight, upBias, downWeight, downBias } = this.parameters;
    const x = this.input;
    const dY = this.gradOutput;
    if (this.gradients) for (const tensor of Object.values(this.gradients)) tensor.dispose();
    this.gradients = null;
    return tf.tidy(() => {
      // Forward.
      const h = tf.fused.matMul({ a: x, b: upWeight.value, bias: upBias.value });
      const twiceU = tf.mul(tf.add(h, tf.mul(tf.mul(tf.mul(h, h), h), GELU_CUBIC)), 2 * GELU_SCALE);
      const s = tf.sigmoid(twiceU);
      const a = tf.mul(h, s);
      const down = tf.fused.matMul({ a, b: downWeight.value, bias: downBias.value });
      tf.add(x, down); // Y: computed as the block's output, unused by the backward (dY is given)
      // Backward.
      const gradDownBias = tf.sum(dY, 0);
      const gradDownWeight = tf.matMul(a, dY, true, false);
      const gradA = tf.matMul(dY, downWeight.value, false, true);
      // gelu'(h) = s + h 2u'(h) s (1 - s), 2u'(h) = 2 sqrt(2/pi) (1 + 3 * 0.044715 h^2)
      const twiceSlope = tf.mul(tf.add(tf.mul(tf.mul(h, h), 3 * GELU_CUBIC), 1), 2 * GELU_SCALE);
      const geluSlope = tf.add(s, tf.mul(tf.mul(h, twiceSlope), tf.mul(s, tf.sub(1, s))));
      const gradH = tf.mul(gradA, geluSlope);
      const gradUpBias = tf.sum(gradH, 0);
      const gradUpWeight = tf.matMul(x, gradH, true, false);
      const gradInput = tf.add(dY, tf.matMul(gradH, upWeight.value, false, true));
      const gradients: TfGradients = {
        upWeight: gradUpWeight,
        upBias: gradUpBias,
        downWeight: gradDownWeight,
        downBias: gradDownBias,
        input: gradInput,
      };
      for (const tensor of Object.values(gradients)) tf.keep(tensor);
      this.gradients = gradients;
      // Global norm and clipping, on the GPU.
      const norm = tf.sqrt(tf.addN(FFN_PARAMETERS.map((name) => tf.sum(tf.square(gradients[name])))));
      const clip =
        hyper.maxGradientNorm === Infinity
          ? tf.scalar(1)
          : tf.minimum(1, tf.div(hyper.maxGradientNorm, tf.add(norm, 1e-6)));
      // AdamW, as tf.train.adam's update plus decoupled weight decay.
      const correction1 = 1 - hyper.beta1 ** hyper.step;
      const correction2 = 1 - hyper.beta2 ** hyper.step;
      for (const name of FFN_PARAMETERS) {
        const { value, firstMoment, secondMoment, decay } = this.parameters[name];
        const g = tf.mul(gradients[name], clip);
        const m = tf.add(tf.mul(firstMoment, hyper.beta1), tf.mul(g, 1 - hyper.beta1));
        const v = tf.add(tf.mul(secondMoment, hyper.beta2), tf.mul(tf.square(g), 1 - hyper.beta2));
        firstMoment.assign(m);
        secondMoment.assign(v);
        const adam = tf.div(tf.div(m, correction1), tf.add(tf.sqrt(tf.div(v, correction2)), hyper.epsilon));
        const update = decay ? tf.add(adam, tf.mul(value, hyper.weightDecay)) : adam;
        value.assign(tf.sub(value, tf.mul(update, hyper.learningRate)));
      }
      return norm;
    });
  }

  /** Parameters, the last step's gradients, or the moments, as in FfnTrainingStep.readParameters. */
  async readParameters(
    state: 'parameter' | 'gradient' | 'firstMoment' | 'secondMoment' = 'parameter',
  ): Promise<FfnParameters> {
    const tensor = (name: FfnParameterName): Tensor => {
      if (state === 'gradient') {
        if (!this.gradients) throw new Error('TfjsFfnStep: no gradients yet: run a step first');
        return this.gradients[name];
      }
      const p = this.parameters[name];
      return state === 'parameter' ? p.value : state === 'firstMoment' ? p.firstMoment : p.secondMoment;
    };
    const [upWeight, upBias, downWeight, downBias] = await Promise.all(
      FFN_PARAMETERS.map(async (name) => (await tensor(name).data()) as Float32Array),
    );
    return { upWeight, upBias, downWeight, downBias };
  }

  /** dX [T, d] of the last step. */
  async readGradInput(): Promise<Float32Array> {
    if (!this.gradients) throw new Error('TfjsFfnStep: no gradients yet: run a step first');
    return (await this.gradients.input.data()) as Float32Array;
  }

  /** Frees this step's tensors; the backend (and its device) stays registered for the page. */
  dispose(): void {
    if (this.gradients) for (const tensor of Object.values(this.gradients)) tensor.dispose();
    this.gradients = null;
    this.input.dispose();
    this.gradOutput.dispose();
    for (const p of Object.values(this.parameters)) {
      p.value.dispose();
      p.firstMoment.dispose();
      p.secondMoment.dispose();
    }
  }
}
