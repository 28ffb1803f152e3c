// Kernel check panel entries for the logit family: every kernel against the CPU reference
// (reference.ts) on seeded hard inputs, with the criteria of the GPU tests. This file holds row
// statistics, log-softmax and the contrastive combination; filters and sampling are in
// checks-sampling.ts, the fused pipeline in checks-fused.ts.
import { submitPass } from '../../gpu/dispatch';
import { readFloat32, readUint32 } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { timeComputePass, type TimedResult } from '../../gpu/timing';
import { compareArrays } from '../../testing/compare';
import { makeBatch, rowOf, type LogitKind } from '../../testing/logits';
import type { KernelCheck, KernelCheckResult } from '../check';
import { fusedChecks } from './checks-fused';
import { samplingChecks } from './checks-sampling';
import {
  CheckResources,
  checkResult,
  entropyTolerance,
  fmt,
  GPT2_VOCAB,
  HARD_KINDS,
  lseTolerance,
  shapeText,
  timeCpu,
} from './checks-support';
import { CombineKernel, type CombineParams } from './combine';
import { parseSummary, SUMMARY_WORDS } from './layout';
import { combineReference, logSoftmaxReference, rowStatsReference } from './reference';
import { LogSoftmaxKernel, RowStatsKernel } from './stats';

async function rowStatsCheck(gpu: Gpu): Promise<KernelCheckResult> {
  const rows = HARD_KINDS.length;
  const vocab = GPT2_VOCAB;
  const data = makeBatch(101, rows, vocab, HARD_KINDS);
  const resources = new CheckResources(gpu, 'row-stats-check');
  try {
    const logits = resources.upload(data, 'logits');
    const summary = resources.storage(rows * SUMMARY_WORDS * 4, 'summary');
    const kernel = resources.own(await RowStatsKernel.create(gpu, 'row-stats-check'));
    const timing = await timeComputePass(gpu, 'row-stats-check', (pass) =>
      kernel.encode(pass, logits, summary, rows, vocab),
    );
    const words = await readUint32(gpu, summary, rows * SUMMARY_WORDS);
    const cpu = timeCpu(() =>
      Array.from({ length: rows }, (_, r) => rowStatsReference(rowOf(data, vocab, r))),
    );
    const failures: string[] = [];
    let worstLse = 0;
    let worstEntropy = 0;
    cpu.value.forEach((want, r) => {
      const got = parseSummary(words, r);
      const where = `row ${r} (${HARD_KINDS[r]})`;
      const exact: [string, unknown, unknown][] = [
        ['finite count', got.finiteCount, want.finiteCount],
        ['invalid count', got.invalidCount, want.invalidCount],
        ['argmax', got.argmax, want.argmax],
        ['max', got.max, Math.fround(want.max)],
        ['top-10 ids', got.top.map((t) => t.id).join(','), want.top.map((t) => t.id).join(',')],
        [
          'top-10 logits',
          got.top.map((t) => t.logit).join(','),
          want.top.map((t) => Math.fround(t.logit)).join(','),
        ],
      ];
      for (const [what, g, w] of exact) if (g !== w) failures.push(`${where} ${what}: GPU ${g} vs CPU ${w}`);
      const lseError = Math.abs(got.lse - want.lse);
      const entropyError = Math.abs(got.entropy - want.entropy);
      worstLse = Math.max(worstLse, lseError);
      worstEntropy = Math.max(worstEntropy, entropyError);
      if (!(lseError <= lseTolerance(want.lse)))
        failures.push(`${where} lse: GPU ${got.lse} vs CPU ${want.lse} (tol ${fmt(lseTolerance(want.lse))})`);
      if (!(entropyError <= entropyTolerance(want.entropy)))
        failures.push(`${where} entropy: GPU ${got.entropy} vs CPU ${want.entropy}`);
    });
    const summaryLine =
      `${shapeText(rows, vocab)} (${HARD_KINDS.join(', ')}): max, argmax, counts, top-10 ids and logits ` +
      `exact on every row; worst |lse err| ${fmt(worstLse)} (tol 1e-5 + 2e-6|lse|), ` +
      `worst |entropy err| ${fmt(worstEntropy)} (tol 1e-4·max(1,H))`;
    return checkResult(gpu, failures, summaryLine, timing, cpu.ms);
  } finally {
    resources.destroy();
  }
}

async function logSoftmaxCheck(gpu: Gpu): Promise<KernelCheckResult> {
  const kinds: LogitKind[] = ['neg-inf', 'huge', 'ties', 'normal'];
  const rows = kinds.length;
  const vocab = GPT2_VOCAB;
  const data = makeBatch(102, rows, vocab, kinds);
  const resources = new CheckResources(gpu, 'log-softmax-check');
  try {
    const logits = resources.upload(data, 'logits');
    const summary = resources.storage(rows * SUMMARY_WORDS * 4, 'summary');
    const output = resources.storage(rows * vocab * 4, 'output');
    const stats = resources.own(await RowStatsKernel.create(gpu, 'log-softmax-check'));
    const kernel = resources.own(await LogSoftmaxKernel.create(gpu));
    await submitPass(gpu, 'log-softmax-check:stats', (pass) =>
      stats.encode(pass, logits, summary, rows, vocab),
    );
    const timing = await timeComputePass(gpu, 'log-softmax-check', (pass) =>
      kernel.encode(pass, logits, summary, output, { rows, vocab }),
    );
    const got = await readFloat32(gpu, output, rows * vocab);
    const cpu = timeCpu(() =>
      Array.from({ length: rows }, (_, r) => logSoftmaxReference(rowOf(data, vocab, r))),
    );
    const failures: string[] = [];
    let worst = 0;
    cpu.value.forEach((want, r) => {
      const gotRow = rowOf(got, vocab, r);
      // Each output is x - lse: its error is lse's error (the lse tolerance of the row-stats check).
      const lse = rowStatsReference(rowOf(data, vocab, r)).lse;
      const report = compareArrays(`row ${r} (${kinds[r]})`, gotRow, want, {
        atol: lseTolerance(lse),
        rtol: 1e-6,
      });
      if (report !== null) failures.push(report.split('\n').slice(0, 2).join(' '));
      for (let i = 0; i < vocab; i++) {
        if (Number.isFinite(want[i])) worst = Math.max(worst, Math.abs(gotRow[i] - want[i]));
      }
    });
    const summaryLine =
      `${shapeText(rows, vocab)} (${kinds.join(', ')}): l - lse for every entry, -Infinity kept exactly; ` +
      `worst |gpu-ref| ${fmt(worst)} (tol 1e-5 + 2e-6|lse| + 1e-6|ref|)`;
    return checkResult(gpu, failures, summaryLine, timing, cpu.ms);
  } finally {
    resources.destroy();
  }
}

interface CombineCase {
  name: string;
  /** One row kind per (input, row): kinds[j][r]. */
  kinds: LogitKind[][];
  params: CombineParams;
}

const COMBINE_CASES: CombineCase[] = [
  {
    name: 'VCD-like [2, -1]',
    // Row 0: the negative-weight input has -Infinity (excluded); row 1: the base has -Infinity
    // (masked) and ties; row 2: 1e4 magnitudes in both.
    kinds: [
      ['normal', 'neg-inf', 'huge'],
      ['neg-inf', 'ties', 'huge'],
    ],
    params: { weights: [2, -1], baseInput: 0, beta: 0.1, temperature: 0.7 },
  },
  {
    name: 'RITUAL+VCD-like [1, 3, -1]',
    kinds: [
      ['ties', 'peaked'],
      ['normal', 'neg-inf'],
      ['huge', 'flat'],
    ],
    params: { weights: [1, 3, -1], baseInput: 1, beta: 0.1, temperature: 1.5 },
  },
];

/**
 * Compares one combined row with the criteria of combine.gpu.test.ts. Each term w_j (l_j - lse_j)
 * inherits lse_j's error (<= 2e-6 |lse_j| + 1e-5, the row-stats criterion) plus f32 rounding of
 * terms as large as |l_j - lse_j|, all divided by T. A mask decision may differ only where
 * l_b - max_b is within rounding of log(beta).
 */
function compareCombinedRow(
  inputs: Float32Array[],
  params: CombineParams,
  got: Float32Array,
  want: Float32Array,
): { mismatches: number; first: string; worstRatio: number; boundary: number } {
  const stats = inputs.map((row) => rowStatsReference(row));
  const { weights, temperature } = params;
  const budget =
    weights.reduce((sum, w, j) => sum + Math.abs(w) * (2e-6 * Math.abs(stats[j].lse) + 1e-5), 0) /
    temperature;
  const base = inputs[params.baseInput];
  const baseMax = stats[params.baseInput].max;
  let mismatches = 0;
  let first = '';
  let worstRatio = 0;
  let boundary = 0;
  for (let y = 0; y < want.length; y++) {
    const [g, w] = [got[y], want[y]];
    let ok: boolean;
    if (!Number.isFinite(w) || !Number.isFinite(g)) {
      ok = Object.is(g, w);
      const nearBoundary =
        params.beta > 0 &&
        Math.abs(base[y] - baseMax - Math.log(params.beta)) < 1e-4 * Math.max(1, Math.abs(baseMax));
      if (!ok && nearBoundary) {
        ok = true;
        boundary++;
      }
    } else {
      const magnitude = weights.reduce(
        (sum, weight, j) => (weight === 0 ? sum : sum + Math.abs(weight * (inputs[j][y] - stats[j].lse))),
        0,
      );
      const ratio = Math.abs(g - w) / (budget + (2e-7 * magnitude) / temperature);
      worstRatio = Math.max(worstRatio, ratio);
      ok = ratio <= 1;
    }
    if (!ok && mismatches++ === 0) first = `[${y}] GPU ${g} vs CPU ${w}`;
  }
  return { mismatches, first, worstRatio, boundary };
}

async function combineCheck(gpu: Gpu): Promise<KernelCheckResult> {
  const resources = new CheckResources(gpu, 'combine-check');
  const vocab = GPT2_VOCAB;
  try {
    const stats = resources.own(await RowStatsKernel.create(gpu, 'combine-check'));
    const combine = resources.own(await CombineKernel.create(gpu, 'combine-check'));
    const failures: string[] = [];
    const notes: string[] = [];
    let mainTiming: TimedResult = { ms: 0, source: 'wall-clock' };
    let cpuMs = 0;
    for (const [caseIndex, { name, kinds, params }] of COMBINE_CASES.entries()) {
      const inputCount = kinds.length;
      const rows = kinds[0].length;
      const inputs = kinds.map((rowKinds, j) => makeBatch(200 + 10 * caseIndex + j, rows, vocab, rowKinds));
      const packedData = new Float32Array(inputCount * rows * vocab);
      inputs.forEach((input, j) => packedData.set(input, j * rows * vocab));
      const packed = resources.upload(packedData, `packed-${caseIndex}`);
      const inputSummary = resources.storage(inputCount * rows * SUMMARY_WORDS * 4, `summary-${caseIndex}`);
      const combined = resources.storage(rows * vocab * 4, `combined-${caseIndex}`);
      await submitPass(gpu, 'combine-check:stats', (pass) =>
        stats.encode(pass, packed, inputSummary, inputCount * rows, vocab),
      );
      const timing = await timeComputePass(gpu, 'combine-check', (pass) =>
        combine.encode(pass, packed, inputSummary, combined, { rows, vocab }, params),
      );
      const got = await readFloat32(gpu, combined, rows * vocab);
      const rowInputs = (r: number) => inputs.map((input) => rowOf(input, vocab, r));
      const cpu = timeCpu(() =>
        Array.from({ length: rows }, (_, r) => combineReference(rowInputs(r), params)),
      );
      if (caseIndex === 0) {
        mainTiming = timing;
        cpuMs = cpu.ms;
      }
      let worstRatio = 0;
      let boundary = 0;
      cpu.value.forEach((want, r) => {
        const result = compareCombinedRow(rowInputs(r), params, rowOf(got, vocab, r), want);
        worstRatio = Math.max(worstRatio, result.worstRatio);
        boundary += result.boundary;
        if (result.mismatches > 0)
          failures.push(`${name} row ${r}: ${result.mismatches} of ${vocab} differ, first ${result.first}`);
      });
      notes.push(
        `${name} (${inputCount} inputs, ${shapeText(rows, vocab)}, beta ${params.beta}, T ${params.temperature}): ` +
          `worst error ${worstRatio.toFixed(2)} of budget` +
          (boundary > 0 ? `, ${boundary} entries on the plausibility boundary` : ''),
      );
    }
    const summaryLine = `${notes.join('; ')}. -Infinity (mask, exclusions) exact; budget per entry = sum |w_j| (2e-6|lse_j| + 1e-5 + 2e-7|l_j - lse_j|) / T`;
    return checkResult(gpu, failures, summaryLine, mainTiming, cpuMs);
  } finally {
    resources.destroy();
  }
}

export const checks: KernelCheck[] = [
  {
    id: 'logits/row-stats',
    family: 'logits',
    description:
      `Max, log-sum-exp, entropy, argmax, counts and top-10 at V=50,257, batch 6 (gaussian, 1e4 magnitudes, ` +
      'ties, 30% -Infinity, peaked, flat) against the f64 reference',
    run: rowStatsCheck,
  },
  {
    id: 'logits/log-softmax',
    family: 'logits',
    description: 'l - lse at V=50,257, batch 4 (30% -Infinity, 1e4 magnitudes, ties, gaussian)',
    run: logSoftmaxCheck,
  },
  {
    id: 'logits/combine',
    family: 'logits',
    description:
      'Contrastive combination with plausibility mask and temperature at V=50,257: VCD-like weights [2, -1] ' +
      '(batch 3) and a 3-input RITUAL+VCD-like [1, 3, -1] (batch 2), beta 0.1, with -Infinity, ties, 1e4',
    run: combineCheck,
  },
  ...samplingChecks,
  ...fusedChecks,
];
