// Kernel check panel entry for the fused cross-entropy kernel: log-probs of given tokens and the
// in-place gradient at GPT-2's and Qwen's vocabularies on hard rows (huge, ties, -Infinity,
// peaked, flat), with mean-CE, masked and positive weights, within the bounds of ./testing.ts.
import { readFloat32, readUint32, uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { timeComputePass, type TimedResult } from '../../gpu/timing';
import { makeBatch } from '../../testing/logits';
import type { KernelCheck, KernelCheckResult } from '../check';
import {
  CheckResources,
  checkResult,
  GPT2_VOCAB,
  HARD_KINDS,
  QWEN_VOCAB,
  shapeText,
  timeCpu,
} from '../logits/checks-support';
import { CROSS_ENTROPY_STATUS_BYTES, CrossEntropyKernel } from './cross-entropy';
import { crossEntropyReference } from './reference';
import { compareCrossEntropy } from './testing';

const TOKENS = HARD_KINDS.length;

async function crossEntropyCheck(gpu: Gpu): Promise<KernelCheckResult> {
  const resources = new CheckResources(gpu, 'cross-entropy-check');
  try {
    const kernel = resources.own(await CrossEntropyKernel.create(gpu, 'cross-entropy-check'));
    const failures: string[] = [];
    const notes: string[] = [];
    let mainTiming: TimedResult = { ms: 0, source: 'wall-clock' };
    let mainCpu = 0;
    for (const [index, vocab] of [QWEN_VOCAB, GPT2_VOCAB].entries()) {
      const logits = makeBatch(vocab + 1, TOKENS, vocab, HARD_KINDS);
      // Target: a fixed spread of ids (including id 0 and vocab - 1); weights: mean CE, masked, 2.5.
      const targets = Uint32Array.from({ length: TOKENS }, (_, t) => (t * 7919 * 13) % vocab || vocab - 1);
      const weights = Float32Array.from({ length: TOKENS }, (_, t) => [-1 / TOKENS, 0, 2.5][t % 3]);
      const l = resources.upload(logits, `${index}-logits`);
      const tg = resources.own(uploadStorage(gpu, targets, `cross-entropy-check:${index}-targets`));
      const w = resources.upload(weights, `${index}-weights`);
      const lp = resources.storage(TOKENS * 4, `${index}-logp`);
      const status = resources.storage(CROSS_ENTROPY_STATUS_BYTES, `${index}-status`);
      gpu.device.queue.writeBuffer(status, 0, new Uint32Array(4));
      const timing = await timeComputePass(gpu, 'cross-entropy-check', (pass) =>
        kernel.encode(pass, l, tg, w, lp, status, { tokens: TOKENS, vocab }, true),
      );
      const cpu = timeCpu(() => crossEntropyReference(logits, targets, weights, TOKENS, vocab));
      if (index === 0) [mainTiming, mainCpu] = [timing, cpu.ms];
      const logProbs = await readFloat32(gpu, lp, TOKENS);
      const gradient = await readFloat32(gpu, l, TOKENS * vocab);
      const words = await readUint32(gpu, status, 4);
      if (words[0] !== 0) failures.push(`${shapeText(TOKENS, vocab)}: status flags ${words[0]} bad targets`);
      const report = compareCrossEntropy(logits, targets, weights, vocab, cpu.value, logProbs, gradient);
      if (report.failures > 0)
        failures.push(`${shapeText(TOKENS, vocab)}: ${report.failures} over, first ${report.first}`);
      notes.push(
        `${shapeText(TOKENS, vocab)}: worst ${report.worstRatio.toFixed(3)} of bound, |dlogp| ` +
          `${report.worstLogProbError.toExponential(1)}`,
      );
    }
    return checkResult(
      gpu,
      failures,
      `rows ${HARD_KINDS.join(', ')}; ${notes.join('; ')}`,
      mainTiming,
      mainCpu,
    );
  } finally {
    resources.destroy();
  }
}

export const checks: KernelCheck[] = [
  {
    id: 'cross-entropy/log-probs-and-gradient',
    family: 'cross-entropy',
    description:
      'Fused softmax cross-entropy with per-token weights (mean CE, masked, positive) at V = 151,936 and ' +
      '50,257 on huge, tie, -Infinity, peaked and flat rows: log-probs and the in-place gradient against ' +
      'the f64 reference within the derived bound',
    run: crossEntropyCheck,
  },
];
