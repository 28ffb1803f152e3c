// Bench rows for the logit family: each GPU path (kernels created once, one submission, a small
// readback of summaries / decisions / tokens) against "js-readback-loop", what a JavaScript
// logits processor does today: read every logits buffer the step uses back in full, then loop
// over it with the reference functions. Inputs are seeded gaussian logits (scale 3), uploaded
// once in setup; the sampling counter advances every run on both sides.
import type { BenchCase, BenchInstance } from '../../bench/types';
import { readFloat32, uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { gaussian, makeBatch, rowOf, seededRandom } from '../../testing/logits';
import { seedFromNumber } from '../random/philox';
import { FilterKernel, type FilterParams } from './filter';
import { LogitPipeline, type StepParams } from './fused';
import { DECISION_WORDS, parseDecision, parseSummary, SUMMARY_WORDS } from './layout';
import {
  combineReference,
  isKept,
  rowStatsReference,
  sampleReference,
  thresholdsReference,
} from './reference';
import { SampleKernel } from './sample';
import { RowStatsKernel } from './stats';

const VOCABS = [50_257, 151_936];
const BATCHES = [1, 8];
const BASELINE = 'js-readback-loop';
const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
const TOP_P: FilterParams = { topK: 0, topP: 0.9, minP: 0 };
const SEED = seedFromNumber(0xbe4c);

/** The fused row's step: VCD-like [2, -1], plausibility 0.1, T 0.8, top-p 0.9, one draw. */
const FUSED_PARAMS: StepParams = {
  weights: [2, -1],
  baseInput: 0,
  beta: 0.1,
  temperature: 0.8,
  ...TOP_P,
  seed: SEED,
  streamBase: 0,
  counter: 0,
  draws: 1,
  greedy: false,
};

/** GPU buffers and kernels of one case, and the one-submission run with its small readback. */
class GpuSide {
  private readonly owned: { destroy(): void }[] = [];
  private readonly staging: GPUBuffer;

  constructor(
    private readonly gpu: Gpu,
    private readonly label: string,
    private readonly readBytes: number,
  ) {
    this.staging = this.own(
      gpu.device.createBuffer({
        label: `${label}:staging`,
        size: readBytes,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      }),
    );
  }

  own<T extends { destroy(): void }>(resource: T): T {
    this.owned.push(resource);
    return resource;
  }

  storage(bytes: number, name: string): GPUBuffer {
    const size = Math.ceil(bytes / 16) * 16;
    return this.own(this.gpu.device.createBuffer({ label: `${this.label}:${name}`, size, usage: STORAGE }));
  }

  /** Encodes `work` in one compute pass, copies `result` to the staging buffer and reads it. */
  async run(work: (pass: GPUComputePassEncoder) => void, result: GPUBuffer): Promise<Uint32Array> {
    const encoder = this.gpu.device.createCommandEncoder({ label: this.label });
    const pass = encoder.beginComputePass({ label: this.label });
    work(pass);
    pass.end();
    encoder.copyBufferToBuffer(result, 0, this.staging, 0, this.readBytes);
    this.gpu.device.queue.submit([encoder.finish()]);
    await this.staging.mapAsync(GPUMapMode.READ);
    const words = new Uint32Array(this.staging.getMappedRange().slice(0));
    this.staging.unmap();
    return words;
  }

  destroy(): void {
    for (const resource of this.owned.splice(0)) resource.destroy();
  }
}

/** [rows, vocab] gaussian logits, scale 3, uploaded once. */
function uploadLogits(gpu: Gpu, seed: number, rows: number, vocab: number, label: string) {
  const data = makeBatch(seed, rows, vocab, ['normal']);
  return uploadStorage(gpu, data, label);
}

/** What a JS logits processor does per row after reading the logits back: stats, then top-p. */
function jsTopP(row: Float32Array) {
  const { lse } = rowStatsReference(row);
  return { lse, thresholdKey: thresholdsReference(row, lse, TOP_P).thresholdKey };
}

type Stage = 'row-stats' | 'top-p' | 'sample';

function stageCase(stage: Stage, rows: number, vocab: number): BenchCase {
  return {
    name: `logits/${stage}`,
    shape: `B=${rows} V=${vocab}`,
    baseline: BASELINE,
    async setup(gpu): Promise<BenchInstance> {
      const label = `logits-bench:${stage}`;
      const readWords =
        stage === 'row-stats' ? rows * SUMMARY_WORDS : stage === 'top-p' ? rows * DECISION_WORDS : rows * 2;
      const side = new GpuSide(gpu, label, readWords * 4);
      try {
        return await stageInstance(gpu, side, stage, rows, vocab);
      } catch (error) {
        side.destroy();
        throw error;
      }
    },
  };
}

async function stageInstance(
  gpu: Gpu,
  side: GpuSide,
  stage: Stage,
  rows: number,
  vocab: number,
): Promise<BenchInstance> {
  const label = `logits-bench:${stage}`;
  const shape = { rows, vocab };
  const logits = side.own(uploadLogits(gpu, 7, rows, vocab, `${label}:logits`));
  const summary = side.storage(rows * SUMMARY_WORDS * 4, 'summary');
  const decision = side.storage(rows * DECISION_WORDS * 4, 'decision');
  const filtered = side.storage(rows * vocab * 4, 'filtered');
  const tokens = side.storage(rows * 8, 'tokens');
  const stats = side.own(await RowStatsKernel.create(gpu, label));
  const filter = side.own(await FilterKernel.create(gpu, label));
  const sample = side.own(await SampleKernel.create(gpu, label));
  let counter = 0;
  let baselineCounter = 0;
  const encode = (pass: GPUComputePassEncoder) => {
    stats.encode(pass, logits, summary, rows, vocab);
    if (stage === 'row-stats') return;
    filter.encode(pass, logits, summary, decision, shape, TOP_P);
    if (stage === 'top-p') filter.encodeApply(pass, logits, decision, filtered, shape);
    else
      sample.encode(pass, logits, summary, decision, tokens, shape, {
        seed: SEED,
        streamBase: 0,
        counter: counter++,
        draws: 1,
      });
  };
  const result = stage === 'row-stats' ? summary : stage === 'top-p' ? decision : tokens;
  return {
    async run() {
      const words = await side.run(encode, result);
      for (let r = 0; r < rows; r++) {
        if (stage === 'row-stats') parseSummary(words, r);
        if (stage === 'top-p') parseDecision(words, r);
      }
    },
    async runBaseline() {
      const host = await readFloat32(gpu, logits, rows * vocab);
      const draw = baselineCounter++;
      for (let r = 0; r < rows; r++) {
        const row = rowOf(host, vocab, r);
        if (stage === 'row-stats') {
          rowStatsReference(row);
          continue;
        }
        const { lse, thresholdKey } = jsTopP(row);
        if (stage === 'top-p') Float32Array.from(row, (x) => (isKept(x, thresholdKey) ? x : -Infinity));
        else sampleReference(row, lse, thresholdKey, SEED, r, draw);
      }
    },
    dispose: () => side.destroy(),
  };
}

function fusedCase(rows: number, vocab: number): BenchCase {
  return {
    name: 'logits/fused',
    shape: `B=${rows} V=${vocab} N=2`,
    baseline: BASELINE,
    async setup(gpu): Promise<BenchInstance> {
      // The contrast input is the base plus noise, as a distorted image gives in VCD.
      const base = makeBatch(11, rows, vocab, ['normal']);
      const random = seededRandom(12);
      const contrast = base.map((x) => x + gaussian(random));
      const buffers = [base, contrast].map((data, j) =>
        uploadStorage(gpu, data, `logits-bench:fused:input-${j}`),
      );
      const inputs = buffers.map((buffer) => ({ buffer }));
      let pipeline: LogitPipeline;
      try {
        pipeline = await LogitPipeline.create(gpu, { rows, vocab }, inputs.length);
      } catch (error) {
        for (const buffer of buffers) buffer.destroy();
        throw error;
      }
      let counter = 0;
      let baselineCounter = 0;
      return {
        async run() {
          await pipeline.step(inputs, { ...FUSED_PARAMS, counter: counter++ });
        },
        async runBaseline() {
          const [hostBase, hostContrast] = await Promise.all(
            buffers.map((b) => readFloat32(gpu, b, rows * vocab)),
          );
          const draw = baselineCounter++;
          for (let r = 0; r < rows; r++) {
            const rowInputs = [rowOf(hostBase, vocab, r), rowOf(hostContrast, vocab, r)];
            rowInputs.forEach((row) => rowStatsReference(row));
            const combined = combineReference(rowInputs, FUSED_PARAMS);
            const { lse, thresholdKey } = jsTopP(combined);
            sampleReference(combined, lse, thresholdKey, SEED, r, draw);
          }
        },
        dispose() {
          pipeline.destroy();
          for (const buffer of buffers) buffer.destroy();
        },
      };
    },
  };
}

export const benchCases: BenchCase[] = (['row-stats', 'top-p', 'sample'] as const)
  .flatMap((stage) => VOCABS.flatMap((vocab) => BATCHES.map((rows) => stageCase(stage, rows, vocab))))
  .concat(VOCABS.flatMap((vocab) => BATCHES.map((rows) => fusedCase(rows, vocab))));
