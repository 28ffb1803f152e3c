// Stage-1 vision pretraining of the Shapes VLM's patch encoder, on the CPU.
//
// LLaVA ("Visual Instruction Tuning", Liu et al. 2023) starts from a vision encoder that was
// pretrained elsewhere (CLIP) and trains the language side to read it. The Shapes VLM has no such
// encoder to borrow, and trained end to end from random init it never learned to tell shapes
// apart: a yes/no answer is one bit of gradient per image, and the VLM learned to count objects
// instead (POPE at chance; issue 5's notes). So the encoder's first layer is pretrained here as a
// patch classifier on the world's own scenes, with the labels the world knows exactly:
//
//   h = gelu(W1 p + b1)                      p: one 16x16x3 patch (one grid cell), W1 [d, 768]
//   logits_shape  = Ws h + cs   (9 classes: the 8 shapes and "empty")
//   logits_colour = Wc h + cc   (8 colours; only for cells with an object)
//   logits_size   = Wz h + cz   (2 sizes;   only for cells with an object)
//   loss = CE(shape) + CE(colour) + CE(size), averaged over the batch, Adam.
//
// (W1, b1) become the VLM's vision.patch_embed weights; the heads are thrown away, and the VLM
// trains everything (encoder included) from there. Pure TypeScript and seeded: the same options
// give the same weights in Node and in the page.
import { imageToPatches } from '../model/vision';
import type { VisionConfig } from '../model/config';
import { fillNormal, seedFromNumber, uniformIndex } from '../training/random';
import {
  COLOURS,
  DEFAULT_WORLD,
  GRID_SIZE,
  SHAPES,
  SIZES,
  imageToFloat32,
  rasterize,
  sampleSceneAt,
} from '../world';

export interface PatchExample {
  patch: Float32Array;
  /** Index into SHAPES, or SHAPES.length for an empty cell. */
  shape: number;
  /** Index into COLOURS / SIZES; -1 for an empty cell. */
  colour: number;
  size: number;
}

/** The patches of scenes `first .. first + scenes - 1` of `seed`, labelled by the object in each cell. */
export function patchExamples(
  vision: VisionConfig,
  seed: number,
  first: number,
  scenes: number,
): PatchExample[] {
  if (vision.imageSize / vision.patchSize !== GRID_SIZE) {
    throw new RangeError(
      `patchExamples: one patch per grid cell needs imageSize / patchSize = ${GRID_SIZE}, got ` +
        `${vision.imageSize} / ${vision.patchSize}`,
    );
  }
  const out: PatchExample[] = [];
  for (let e = first; e < first + scenes; e++) {
    const scene = sampleSceneAt(DEFAULT_WORLD, seed, e);
    const patches = imageToPatches(imageToFloat32(rasterize(scene)), vision);
    for (let k = 0; k < vision.numPatches; k++) {
      const object = scene.objects.find((o) => o.row * GRID_SIZE + o.column === k);
      out.push({
        patch: patches.slice(k * vision.patchDim, (k + 1) * vision.patchDim),
        shape: object ? SHAPES.indexOf(object.shape) : SHAPES.length,
        colour: object ? COLOURS.indexOf(object.colour) : -1,
        size: object ? SIZES.indexOf(object.size) : -1,
      });
    }
  }
  return out;
}

const GELU_C = Math.sqrt(2 / Math.PI);

function gelu(x: number): number {
  return 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x * x * x)));
}

function geluDerivative(x: number): number {
  const t = Math.tanh(GELU_C * (x + 0.044715 * x * x * x));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * x * x);
}

/** A dense layer's parameters with Adam state. */
class Dense {
  readonly w: Float32Array;
  readonly b: Float32Array;
  readonly gw: Float32Array;
  readonly gb: Float32Array;
  private readonly m: Float32Array;
  private readonly v: Float32Array;

  constructor(
    readonly out: number,
    readonly inputs: number,
    std: number,
    seed: number,
    stream: number,
  ) {
    this.w = fillNormal(new Float32Array(out * inputs), std, seedFromNumber(seed), stream);
    this.b = new Float32Array(out);
    this.gw = new Float32Array(out * inputs);
    this.gb = new Float32Array(out);
    this.m = new Float32Array(out * inputs + out);
    this.v = new Float32Array(out * inputs + out);
  }

  forward(x: Float32Array, y: Float32Array): void {
    for (let o = 0; o < this.out; o++) {
      let s = this.b[o];
      const row = o * this.inputs;
      for (let i = 0; i < this.inputs; i++) s += this.w[row + i] * x[i];
      y[o] = s;
    }
  }

  /** Accumulates gradients for dy; adds W^T dy into dx when given. */
  backward(x: Float32Array, dy: Float32Array, dx?: Float32Array): void {
    for (let o = 0; o < this.out; o++) {
      const g = dy[o];
      if (g === 0) continue;
      this.gb[o] += g;
      const row = o * this.inputs;
      for (let i = 0; i < this.inputs; i++) {
        this.gw[row + i] += g * x[i];
        if (dx) dx[i] += g * this.w[row + i];
      }
    }
  }

  adam(lr: number, step: number, scale: number): void {
    const b1 = 0.9;
    const b2 = 0.999;
    const c1 = 1 - b1 ** step;
    const c2 = 1 - b2 ** step;
    const n = this.w.length;
    for (let j = 0; j < n + this.out; j++) {
      const isW = j < n;
      const g = (isW ? this.gw[j] : this.gb[j - n]) * scale;
      this.m[j] = b1 * this.m[j] + (1 - b1) * g;
      this.v[j] = b2 * this.v[j] + (1 - b2) * g * g;
      const delta = (lr * this.m[j]) / c1 / (Math.sqrt(this.v[j] / c2) + 1e-8);
      if (isW) this.w[j] -= delta;
      else this.b[j - n] -= delta;
    }
    this.gw.fill(0);
    this.gb.fill(0);
  }
}

/** Softmax cross-entropy of `logits` at `target`; writes dlogits (p - onehot) and returns the loss. */
function crossEntropy(logits: Float32Array, target: number, d: Float32Array): number {
  let max = -Infinity;
  for (const x of logits) max = Math.max(max, x);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  for (let i = 0; i < logits.length; i++) d[i] = Math.exp(logits[i] - max) / sum - (i === target ? 1 : 0);
  return Math.log(sum) + max - logits[target];
}

function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

export interface PretrainOptions {
  /** Encoder width (the VLM's hidden size). */
  hidden: number;
  steps: number;
  /** Scenes per step (each gives numPatches examples). */
  scenesPerStep: number;
  learningRate: number;
  /** Initial weights and batch order. */
  seed: number;
  /** Scenes come from this data seed (the VLM's training seed); held-out ones from `evalSeed`. */
  dataSeed: number;
  evalSeed: number;
  evalScenes: number;
}

export interface PretrainResult {
  /** [hidden, patchDim] and [hidden]: the VLM's vision.patch_embed.weight / .bias. */
  weight: Float32Array;
  bias: Float32Array;
  /** Held-out accuracy: shape (with "empty") over all cells, colour and size over occupied cells. */
  accuracy: { shape: number; objectShape: number; colour: number; size: number };
  losses: number[];
}

interface Net {
  encoder: Dense;
  shape: Dense;
  colour: Dense;
  size: Dense;
}

function evaluate(net: Net, examples: readonly PatchExample[]): PretrainResult['accuracy'] {
  const pre = new Float32Array(net.encoder.out);
  const h = new Float32Array(net.encoder.out);
  const heads = [
    new Float32Array(SHAPES.length + 1),
    new Float32Array(COLOURS.length),
    new Float32Array(SIZES.length),
  ];
  let shape = 0;
  let objectShape = 0;
  let colour = 0;
  let size = 0;
  let objects = 0;
  for (const ex of examples) {
    net.encoder.forward(ex.patch, pre);
    for (let i = 0; i < h.length; i++) h[i] = gelu(pre[i]);
    net.shape.forward(h, heads[0]);
    const shapeRight = argmax(heads[0]) === ex.shape;
    if (shapeRight) shape++;
    if (ex.colour < 0) continue;
    objects++;
    if (shapeRight) objectShape++;
    net.colour.forward(h, heads[1]);
    net.size.forward(h, heads[2]);
    if (argmax(heads[1]) === ex.colour) colour++;
    if (argmax(heads[2]) === ex.size) size++;
  }
  return {
    shape: shape / examples.length,
    objectShape: objectShape / objects,
    colour: colour / objects,
    size: size / objects,
  };
}

/** Trains the patch classifier and returns its encoder layer and held-out accuracy. */
export function pretrainPatchEncoder(vision: VisionConfig, options: PretrainOptions): PretrainResult {
  const { hidden, steps, scenesPerStep, learningRate, seed } = options;
  if (!(hidden >= 1 && steps >= 1 && scenesPerStep >= 1 && learningRate > 0)) {
    throw new RangeError(
      'pretrainPatchEncoder: hidden, steps and scenesPerStep must be >= 1, learningRate > 0',
    );
  }
  const net: Net = {
    encoder: new Dense(hidden, vision.patchDim, 1 / Math.sqrt(vision.patchDim), seed, 0),
    shape: new Dense(SHAPES.length + 1, hidden, 1 / Math.sqrt(hidden), seed, 1),
    colour: new Dense(COLOURS.length, hidden, 1 / Math.sqrt(hidden), seed, 2),
    size: new Dense(SIZES.length, hidden, 1 / Math.sqrt(hidden), seed, 3),
  };
  const pre = new Float32Array(hidden);
  const h = new Float32Array(hidden);
  const dh = new Float32Array(hidden);
  const logits = [
    new Float32Array(SHAPES.length + 1),
    new Float32Array(COLOURS.length),
    new Float32Array(SIZES.length),
  ];
  const dlogits = logits.map((l) => new Float32Array(l.length));
  const losses: number[] = [];
  const random = seedFromNumber(seed);
  for (let step = 0; step < steps; step++) {
    // Scenes are drawn at random from a pool 4x the run's size, so repeated runs see the same data.
    const pool = steps * scenesPerStep * 4;
    let loss = 0;
    let count = 0;
    for (let s = 0; s < scenesPerStep; s++) {
      const scene = uniformIndex(pool, random, 4, step * scenesPerStep + s);
      for (const ex of patchExamples(vision, options.dataSeed, scene, 1)) {
        net.encoder.forward(ex.patch, pre);
        for (let i = 0; i < hidden; i++) h[i] = gelu(pre[i]);
        dh.fill(0);
        net.shape.forward(h, logits[0]);
        loss += crossEntropy(logits[0], ex.shape, dlogits[0]);
        net.shape.backward(h, dlogits[0], dh);
        if (ex.colour >= 0) {
          net.colour.forward(h, logits[1]);
          loss += crossEntropy(logits[1], ex.colour, dlogits[1]);
          net.colour.backward(h, dlogits[1], dh);
          net.size.forward(h, logits[2]);
          loss += crossEntropy(logits[2], ex.size, dlogits[2]);
          net.size.backward(h, dlogits[2], dh);
        }
        for (let i = 0; i < hidden; i++) dh[i] *= geluDerivative(pre[i]);
        net.encoder.backward(ex.patch, dh);
        count++;
      }
    }
    for (const layer of [net.encoder, net.shape, net.colour, net.size])
      layer.adam(learningRate, step + 1, 1 / count);
    losses.push(loss / count);
  }
  const held = patchExamples(vision, options.evalSeed, 0, options.evalScenes);
  return { weight: net.encoder.w, bias: net.encoder.b, accuracy: evaluate(net, held), losses };
}
