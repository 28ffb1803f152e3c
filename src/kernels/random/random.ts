// GPU fills of Philox draws (shaders/random.wgsl): validate → pipeline → dispatch → read back.
// For parity tests and the Kernel check panel; samplers include philox.wgsl in their own shaders.
// Draw i of a fill is the generator at counter firstCounter + i of (seed, stream); see ./philox.ts.
import { KernelInputError } from '../../gpu/errors';
import { readFloat32, readUint32 } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { timeComputePass, type TimedResult } from '../../gpu/timing';
import { validateRandomFill, type RandomFillOptions } from './reference';

export type { RandomFillOptions } from './reference';

const SHADER = 'random.wgsl';
const WORKGROUP_SIZE = 64;
/** Bytes of the RandomParams uniform: seed (vec2<u32>), stream, firstCounter, count, padding. */
const PARAMS_BYTES = 24;

/** What a fill writes per counter: raw words (4 u32), one uniform (f32) or four uniforms (4 f32). */
export type RandomFillKind = 'bits' | 'uniform' | 'uniform4';

const ENTRY_POINTS: Record<RandomFillKind, { entryPoint: string; wordsPerCounter: number }> = {
  bits: { entryPoint: 'fillBits', wordsPerCounter: 4 },
  uniform: { entryPoint: 'fillUniform', wordsPerCounter: 1 },
  uniform4: { entryPoint: 'fillUniform4', wordsPerCounter: 4 },
};

interface RandomFillPlan {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number];
  output: GPUBuffer;
  /** Output length in 32-bit words. */
  words: number;
  release(): void;
}

/** Workgroup grid covering `total` workgroups, 2D when one dimension is not enough. */
function gridFor(gpu: Gpu, what: string, total: number): [number, number] {
  const maxPerDimension = gpu.device.limits.maxComputeWorkgroupsPerDimension;
  const x = Math.min(total, maxPerDimension);
  const y = Math.ceil(total / x);
  if (y > maxPerDimension) {
    throw new KernelInputError(
      `${what}: ${total} workgroups exceed this device's ${maxPerDimension}^2 grid; draw fewer counters per call.`,
    );
  }
  return [x, y];
}

async function planFill(
  gpu: Gpu,
  what: string,
  opts: RandomFillOptions,
  kind: RandomFillKind,
): Promise<RandomFillPlan> {
  // 1. validate
  const { seed, stream, firstCounter, count } = validateRandomFill(what, opts);
  const { entryPoint, wordsPerCounter } = ENTRY_POINTS[kind];
  const words = count * wordsPerCounter;
  const maxBytes = Math.min(gpu.device.limits.maxStorageBufferBindingSize, gpu.device.limits.maxBufferSize);
  if (words * 4 > maxBytes) {
    throw new KernelInputError(
      `${what}: count ${count} needs ${words * 4} bytes of output but this device binds at most ${maxBytes}; ` +
        'split the fill into several calls.',
    );
  }
  const workgroups = gridFor(gpu, what, Math.ceil(count / WORKGROUP_SIZE));
  gpu.assertAlive();

  // 2. pipeline (cached by shader, entry point and workgroup size; shapes travel in the uniform)
  const pipeline = await gpu.pipelines.get({
    shader: SHADER,
    entryPoint,
    constants: { WORKGROUP_SIZE },
  });
  const params = gpu.buffers.acquire(
    PARAMS_BYTES,
    GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    `${what}:params`,
  );
  const output = gpu.buffers.acquire(
    words * 4,
    GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    `${what}:${kind}`,
  );
  gpu.device.queue.writeBuffer(
    params,
    0,
    new Uint32Array([seed.lo, seed.hi, stream, firstCounter, count, 0]),
  );
  return {
    pipeline,
    bindGroup: gpu.bindGroups.get(pipeline, [params, output]),
    workgroups,
    output,
    words,
    release() {
      gpu.buffers.release(params);
      gpu.buffers.release(output);
    },
  };
}

function encodeFill(pass: GPUComputePassEncoder, plan: RandomFillPlan): void {
  pass.setPipeline(plan.pipeline);
  pass.setBindGroup(0, plan.bindGroup);
  pass.dispatchWorkgroups(plan.workgroups[0], plan.workgroups[1]);
}

async function runFill(gpu: Gpu, what: string, opts: RandomFillOptions, kind: RandomFillKind) {
  return gpu.checked(what, async () => {
    const plan = await planFill(gpu, what, opts, kind);
    try {
      // 3. dispatch
      const encoder = gpu.device.createCommandEncoder({ label: what });
      const pass = encoder.beginComputePass({ label: what });
      encodeFill(pass, plan);
      pass.end();
      gpu.device.queue.submit([encoder.finish()]);
      return kind === 'bits'
        ? await readUint32(gpu, plan.output, plan.words)
        : await readFloat32(gpu, plan.output, plan.words);
    } finally {
      plan.release();
    }
  });
}

/** out[i] = philoxUniform(seed, stream, firstCounter + i), computed on the GPU; out is (count). */
export async function fillUniforms(gpu: Gpu, opts: RandomFillOptions): Promise<Float32Array> {
  return (await runFill(gpu, 'random/fillUniforms', opts, 'uniform')) as Float32Array;
}

/** out[4i + w] = philoxUniform4(seed, stream, firstCounter + i)[w] on the GPU; out is (count, 4). */
export async function fillUniforms4(gpu: Gpu, opts: RandomFillOptions): Promise<Float32Array> {
  return (await runFill(gpu, 'random/fillUniforms4', opts, 'uniform4')) as Float32Array;
}

/** out[4i + w] = word w of philox4x32_10([firstCounter + i, stream, 0, 0], seed) on the GPU; out is (count, 4). */
export async function fillBits(gpu: Gpu, opts: RandomFillOptions): Promise<Uint32Array> {
  return (await runFill(gpu, 'random/fillBits', opts, 'bits')) as Uint32Array;
}

/**
 * One fill with its GPU time (timestamp queries when available, else wall-clock; `timing.source`
 * says which). Creates query objects per call, so it is for checks and benchmarks, not the hot path.
 */
export async function timeRandomFill<K extends RandomFillKind>(
  gpu: Gpu,
  opts: RandomFillOptions,
  kind: K,
): Promise<{ values: K extends 'bits' ? Uint32Array : Float32Array; timing: TimedResult }> {
  const what = `random/time-${kind}`;
  return gpu.checked(what, async () => {
    const plan = await planFill(gpu, what, opts, kind);
    try {
      const timing = await timeComputePass(gpu, what, (pass) => encodeFill(pass, plan));
      const values =
        kind === 'bits'
          ? await readUint32(gpu, plan.output, plan.words)
          : await readFloat32(gpu, plan.output, plan.words);
      return { values: values as K extends 'bits' ? Uint32Array : Float32Array, timing };
    } finally {
      plan.release();
    }
  });
}
