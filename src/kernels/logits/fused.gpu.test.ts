import { describe, expect, test } from 'vitest';
import { EmptyDistributionError, KernelInputError } from '../../gpu/errors';
import { uploadStorage } from '../../gpu/readback';
import { testGpu } from '../../testing/gpu';
import { makeBatch, rowOf } from '../../testing/logits';
import { seedFromNumber } from '../random/philox';
import { LogitPipeline, type StepParams } from './fused';
import { combineReference, rowStatsReference, sampleReference, thresholdsReference } from './reference';

const VOCAB = 50_257;
const ROWS = 2;

const BASE: StepParams = {
  weights: [2, -1],
  baseInput: 0,
  beta: 0.1,
  temperature: 0.8,
  topK: 0,
  topP: 0.9,
  minP: 0,
  greedy: false,
  seed: seedFromNumber(2024),
  streamBase: 0,
  counter: 0,
  draws: 1,
};

async function setup() {
  const gpu = await testGpu();
  // Input 0 occupies rows 1..2 of a 3-row buffer (a model batch); input 1 is its own buffer.
  const expertData = makeBatch(31, 3, VOCAB, ['normal', 'normal', 'peaked']);
  const amateurData = makeBatch(32, ROWS, VOCAB, ['normal', 'neg-inf']);
  const expert = uploadStorage(gpu, expertData, 'expert-logits');
  const amateur = uploadStorage(gpu, amateurData, 'amateur-logits');
  const pipeline = await LogitPipeline.create(gpu, { rows: ROWS, vocab: VOCAB }, 2);
  const inputs = [{ buffer: expert, rowOffset: 1 }, { buffer: amateur }];
  const rowInputs = (r: number) => [rowOf(expertData, VOCAB, r + 1), rowOf(amateurData, VOCAB, r)];
  const dispose = () => {
    pipeline.destroy();
    expert.destroy();
    amateur.destroy();
  };
  return { gpu, pipeline, inputs, rowInputs, dispose };
}

describe('the fused logit pipeline', () => {
  test('matches the reference chain: summaries, greedy token, 64 sampled draws per row', async () => {
    const { pipeline, inputs, rowInputs, dispose } = await setup();
    try {
      const greedy = await pipeline.step(inputs, { ...BASE, greedy: true });
      const sampled = await pipeline.step(inputs, { ...BASE, draws: 64, counter: 500 });
      for (let r = 0; r < ROWS; r++) {
        const combined = combineReference(rowInputs(r), BASE);
        const combinedStats = rowStatsReference(combined);
        expect(greedy.rows[r].tokens).toEqual([combinedStats.argmax]);
        expect(greedy.rows[r].combined.top.map((t) => t.id)).toEqual(combinedStats.top.map((t) => t.id));
        expect(greedy.rows[r].inputs.map((s) => s.argmax)).toEqual(
          rowInputs(r).map((row) => rowStatsReference(row).argmax),
        );
        expect(greedy.rows[r].plausibleCount).toBe(combinedStats.finiteCount);

        const thresholds = thresholdsReference(combined, combinedStats.lse, BASE);
        const decision = sampled.rows[r].decision!;
        // The threshold is the same token's logit; its f32 value may differ from the f64 one by an ulp.
        const want = Array.from(
          { length: 64 },
          (_, d) =>
            sampleReference(combined, combinedStats.lse, thresholds.thresholdKey, BASE.seed, r, 500 + d)
              .token,
        );
        expect(sampled.rows[r].tokens).toEqual(want);
        expect(decision.keptCount).toBe(
          sampleReference(combined, combinedStats.lse, thresholds.thresholdKey, BASE.seed, r, 0).keptCount,
        );
        for (const p of sampled.rows[r].tokenProbs) expect(p > 0 && p <= 1).toBe(true);
      }
    } finally {
      dispose();
    }
  });

  test('is a pure function of (inputs, params, seed, counter) and allocates nothing per step', async () => {
    const { gpu, pipeline, inputs, dispose } = await setup();
    const device = gpu.device;
    const createBuffer = device.createBuffer.bind(device);
    let created = 0;
    device.createBuffer = (descriptor: GPUBufferDescriptor) => {
      created++;
      return createBuffer(descriptor);
    };
    try {
      const first = await pipeline.step(inputs, { ...BASE, counter: 7 });
      const pipelinesBefore = gpu.pipelines.size;
      created = 0;
      const runs = [];
      for (let k = 0; k < 5; k++)
        runs.push((await pipeline.step(inputs, { ...BASE, counter: 7 })).rows.map((row) => row.tokens[0]));
      expect(created).toBe(0);
      expect(gpu.pipelines.size).toBe(pipelinesBefore);
      for (const tokens of runs) expect(tokens).toEqual(first.rows.map((row) => row.tokens[0]));
      const other = await pipeline.step(inputs, { ...BASE, counter: 8, draws: 16 });
      expect(other.rows[0].tokens).toHaveLength(16);
      expect(new Set(other.rows[0].tokens).size).toBeGreaterThan(1);
    } finally {
      device.createBuffer = createBuffer;
      dispose();
    }
  });

  test('invalid inputs and empty distributions are errors that say which input and row', async () => {
    const { gpu, pipeline, dispose } = await setup();
    const vocab = VOCAB;
    const good = new Float32Array(ROWS * vocab).fill(0);
    const withNaN = good.slice();
    withNaN[vocab + 5] = NaN;
    const allNegInf = new Float32Array(ROWS * vocab).fill(-Infinity);
    // Complementary supports: each input is finite on half the tokens, so every token of the
    // combination is excluded although neither input row is empty.
    const evens = good.map((x, i) => (i % 2 === 0 ? x : -Infinity));
    const odds = good.map((x, i) => (i % 2 === 1 ? x : -Infinity));
    const buffers = [good, withNaN, allNegInf, evens, odds].map((data, k) =>
      uploadStorage(gpu, data, `case-${k}`),
    );
    const [goodBuf, nanBuf, emptyBuf, evensBuf, oddsBuf] = buffers;
    try {
      await expect(pipeline.step([{ buffer: goodBuf }, { buffer: nanBuf }], BASE)).rejects.toThrow(
        /input 1 row 1 contains 1 NaN or \+Infinity/,
      );
      await expect(pipeline.step([{ buffer: emptyBuf }, { buffer: goodBuf }], BASE)).rejects.toThrow(
        KernelInputError,
      );
      await expect(pipeline.step([{ buffer: emptyBuf }, { buffer: goodBuf }], BASE)).rejects.toThrow(
        /input 0 row 0 has no finite logit/,
      );
      const attempt = pipeline.step([{ buffer: evensBuf }, { buffer: oddsBuf }], BASE);
      await expect(attempt).rejects.toThrow(EmptyDistributionError);
      await expect(attempt).rejects.toThrow(/rows 0, 1 have no finite logit left/);
      await expect(pipeline.step([{ buffer: goodBuf }], BASE)).rejects.toThrow(/built for 2 inputs, got 1/);
      await expect(
        pipeline.step([{ buffer: goodBuf, rowOffset: 1 }, { buffer: goodBuf }], BASE),
      ).rejects.toThrow(/rows 1..2 of vocab 50257 need/);
      await expect(
        pipeline.step([{ buffer: goodBuf }, { buffer: goodBuf }], { ...BASE, topP: 0 }),
      ).rejects.toThrow(/top-p .* got 0/);
      // The pipeline still works after every rejected step.
      const ok = await pipeline.step([{ buffer: goodBuf }, { buffer: goodBuf }], BASE);
      expect(ok.rows).toHaveLength(ROWS);
    } finally {
      buffers.forEach((b) => b.destroy());
      dispose();
    }
  });

  test('one step at a time: a concurrent call is refused, not interleaved', async () => {
    const { pipeline, inputs, dispose } = await setup();
    try {
      const first = pipeline.step(inputs, BASE);
      await expect(pipeline.step(inputs, BASE)).rejects.toThrow(/still running/);
      await first;
    } finally {
      dispose();
    }
  });
});
