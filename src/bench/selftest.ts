// The harness's own bench case, run only with `npm run bench -- --selftest`: temperature scaling
// of (B, V) logits on the GPU (shaders/bench-selftest.wgsl) against the JavaScript path logits
// processors take today: read the full logits back, then loop in JS. It checks the harness end to
// end without depending on any kernel family, and shows a family how to write a bench case.
import type { Gpu } from '../gpu/runtime';
import { readFloat32, uploadStorage } from '../gpu/readback';
import { compareArrays } from '../testing/compare';
import type { BenchCase, BenchInstance } from './types';

const SHADER = 'bench-selftest.wgsl';
const WORKGROUP_SIZE = 256;
const TEMPERATURE = 0.7;

/** The shapes every family benchmarks: GPT-2 and Qwen2 vocabularies, batch 1 and 8. */
const SHAPES = [
  { batch: 1, vocab: 50_257 },
  { batch: 8, vocab: 50_257 },
  { batch: 1, vocab: 151_936 },
  { batch: 8, vocab: 151_936 },
];

/** Seeded logits in [-10, 10) with every 97th entry masked to -Infinity. logits is (B, V). */
function seededLogits(count: number, seed: number): Float32Array {
  const logits = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    // mulberry32: enough for benchmark inputs; kernels' parity tests use Philox.
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    logits[i] = i % 97 === 0 ? -Infinity : unit * 20 - 10;
  }
  return logits;
}

/** The spec of the shader: scaled[i] = logits[i] / temperature. scaled and logits are (B, V). */
function scaleLogitsReference(logits: Float32Array, scaled: Float32Array, invTemperature: number): void {
  for (let i = 0; i < logits.length; i++) scaled[i] = logits[i] * invTemperature;
}

async function setupScaleLogits(gpu: Gpu, batch: number, vocab: number): Promise<BenchInstance> {
  const count = batch * vocab;
  const invTemperature = Math.fround(1 / TEMPERATURE);
  const groups = Math.ceil(count / WORKGROUP_SIZE);
  const maxGroups = gpu.device.limits.maxComputeWorkgroupsPerDimension;
  const groupsX = Math.min(groups, maxGroups);
  const groupsY = Math.ceil(groups / groupsX);
  if (groupsY > maxGroups) {
    throw new Error(`selftest: B*V = ${count} needs ${groups} workgroups, more than this GPU can dispatch.`);
  }

  const label = `bench-selftest:B=${batch},V=${vocab}`;
  const input = seededLogits(count, 0x5eed + batch * vocab);
  const logits = uploadStorage(gpu, input, `${label}:logits`);
  const scaled = gpu.device.createBuffer({
    label: `${label}:scaled`,
    size: count * 4,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
  });
  const params = gpu.device.createBuffer({
    label: `${label}:params`,
    size: 16,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  const paramWords = new ArrayBuffer(16);
  new Uint32Array(paramWords).set([count, 0, groupsX * WORKGROUP_SIZE, 0]);
  new Float32Array(paramWords, 4, 1)[0] = invTemperature;
  gpu.device.queue.writeBuffer(params, 0, paramWords);
  const buffers = [logits, scaled, params];

  try {
    const pipeline = await gpu.pipelines.get({
      shader: SHADER,
      entryPoint: 'scale_logits',
      constants: { WORKGROUP_SIZE },
    });
    const bindGroup = gpu.bindGroups.get(pipeline, [params, logits, scaled]);
    const baselineOut = new Float32Array(count);

    const instance: BenchInstance = {
      // The scaled logits stay on the GPU for the next kernel, so nothing is read back.
      async run() {
        const encoder = gpu.device.createCommandEncoder({ label });
        const pass = encoder.beginComputePass({ label });
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup);
        pass.dispatchWorkgroups(groupsX, groupsY);
        pass.end();
        gpu.device.queue.submit([encoder.finish()]);
        await gpu.device.queue.onSubmittedWorkDone();
      },
      async runBaseline() {
        const host = await readFloat32(gpu, logits, count);
        scaleLogitsReference(host, baselineOut, invTemperature);
      },
      dispose() {
        for (const buffer of buffers) buffer.destroy();
      },
    };

    // Benchmarking a wrong kernel is worse than useless: check it against the reference once.
    await instance.run();
    const expected = new Float32Array(count);
    scaleLogitsReference(input, expected, invTemperature);
    const mismatch = compareArrays(label, await readFloat32(gpu, scaled, count), expected, {
      atol: 0,
      rtol: 1e-6,
    });
    if (mismatch) throw new Error(`selftest kernel disagrees with its reference:\n${mismatch}`);
    return instance;
  } catch (cause) {
    for (const buffer of buffers) buffer.destroy();
    throw cause;
  }
}

export const selftestCases: BenchCase[] = SHAPES.map(({ batch, vocab }) => ({
  name: 'selftest/scale-logits',
  shape: `B=${batch} V=${vocab}`,
  baseline: 'js-readback-loop',
  setup: (gpu) => setupScaleLogits(gpu, batch, vocab),
}));
