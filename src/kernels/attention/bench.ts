// Bench rows for the attention family: the tiled prefill kernel and the split decode kernel
// against "naive-wgsl" (./naive.ts: the full score matrix in a storage buffer, one softmax, P V) on
// the same seeded inputs in the same run. GPT-2-small-like heads: 12 heads x 64 dims, MHA. Each
// run is one submission awaited to completion; the output stays on the GPU, as in the engine.
// Setup runs both sides once and refuses to time a kernel that disagrees with the baseline.
import type { BenchCase } from '../../bench/types';
import { submitPass } from '../../gpu/dispatch';
import { readFloat32 } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { compareArrays } from '../../testing/compare';
import { DecodeAttention } from './decode';
import { attentionTolerance, FixtureBuffers, makeFixture } from './fixtures';
import { NaiveAttention } from './naive';
import { PrefillAttention } from './prefill';
import type { AttentionBuffers, AttentionShape } from './shape';
import { chooseDecodeSplits, DECODE_SPLIT_TUNING } from './splits';

const LENGTHS = [128, 512, 1024];
const HEADS = 12;
const HEAD_DIM = 64;
const BASELINE = 'naive-wgsl';

type Encode = (pass: GPUComputePassEncoder, buffers: AttentionBuffers, shape: AttentionShape) => void;

interface Kernel {
  encode: Encode;
  destroy(): void;
}

function attentionCase(
  name: string,
  shape: AttentionShape,
  shapeText: string,
  create: (gpu: Gpu) => Promise<Kernel>,
): BenchCase {
  return {
    name,
    shape: shapeText,
    baseline: BASELINE,
    async setup(gpu) {
      const fixture = makeFixture(shape.keys, shape);
      const data = new FixtureBuffers(gpu, fixture, `bench-${name}`);
      const [kernel, naive] = await Promise.all([create(gpu), NaiveAttention.create(gpu, 'bench-naive')]);
      const { buffers, outputElements } = data;
      const run = (label: string, encode: Encode) =>
        submitPass(gpu, label, (pass) => encode(pass, buffers, shape));
      const ours: Encode = (pass, b, s) => kernel.encode(pass, b, s);
      const baseline: Encode = (pass, b, s) => naive.encode(pass, b, s);
      try {
        await run(name, ours);
        const got = await readFloat32(gpu, buffers.output, outputElements);
        await run(BASELINE, baseline);
        const want = await readFloat32(gpu, buffers.output, outputElements);
        const { atol } = attentionTolerance(fixture);
        const report = compareArrays(`${name} vs ${BASELINE}`, got, want, { atol: 2 * atol, rtol: 0 });
        if (report !== null)
          throw new Error(`refusing to time a kernel that disagrees with the baseline: ${report}`);
      } catch (error) {
        kernel.destroy();
        naive.destroy();
        data.destroy();
        throw error;
      }
      return {
        run: () => run(name, ours),
        runBaseline: () => run(BASELINE, baseline),
        dispose() {
          kernel.destroy();
          naive.destroy();
          data.destroy();
        },
      };
    },
  };
}

function prefillCase(length: number): BenchCase {
  const shape = {
    queries: length,
    keys: length,
    numHeads: HEADS,
    numKvHeads: HEADS,
    headDim: HEAD_DIM,
    capacity: length,
  };
  return attentionCase('attention/prefill', shape, `Tq=L=${length} H=${HEADS} D=${HEAD_DIM}`, async (gpu) => {
    const kernel = await PrefillAttention.create(gpu, 'bench-prefill');
    return { encode: (pass, buffers, s) => kernel.encode(pass, buffers, s), destroy: () => kernel.destroy() };
  });
}

/**
 * Decode rows: with the adapter's split tuning (on SwiftShader that is one split, see ./splits.ts;
 * setup logs the count), and with the GPU tuning forced, which shows what splitting costs here.
 */
function decodeCase(length: number, tuning: 'adapter' | 'gpu'): BenchCase {
  const shape = {
    queries: 1,
    keys: length,
    numHeads: HEADS,
    numKvHeads: HEADS,
    headDim: HEAD_DIM,
    capacity: length,
  };
  const gpuSplits = chooseDecodeSplits(length, 1, HEADS, DECODE_SPLIT_TUNING);
  const text = `Tq=1 L=${length} H=${HEADS} D=${HEAD_DIM} splits=${tuning === 'gpu' ? `${gpuSplits} (GPU tuning)` : 'adapter'}`;
  return attentionCase('attention/decode', shape, text, async (gpu) => {
    const kernel = await DecodeAttention.create(gpu, 'bench-decode');
    const splits = tuning === 'gpu' ? gpuSplits : kernel.splitsFor(length, 1, HEADS);
    if (tuning === 'adapter')
      console.warn(`attention/decode L=${length}: ${splits} split(s) with this adapter's tuning`);
    return {
      encode: (pass, buffers, s) => kernel.encode(pass, buffers, s, { splits }),
      destroy: () => kernel.destroy(),
    };
  });
}

export const benchCases: BenchCase[] = [
  ...LENGTHS.map(prefillCase),
  ...LENGTHS.map((length) => decodeCase(length, 'adapter')),
  ...LENGTHS.map((length) => decodeCase(length, 'gpu')),
];
