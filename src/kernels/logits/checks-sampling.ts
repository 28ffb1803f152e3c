// Kernel checks for truncation (top-k, top-p, min-p) and seeded sampling, with the criteria of
// filter.gpu.test.ts and sample.gpu.test.ts. Part of the logit family's `checks` (checks.ts).
import { submitPass } from '../../gpu/dispatch';
import { readFloat32, readUint32 } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { timeComputePass, type TimedResult } from '../../gpu/timing';
import { makeBatch, rowOf, type LogitKind } from '../../testing/logits';
import { seedFromNumber } from '../random/philox';
import type { KernelCheck, KernelCheckResult } from '../check';
import {
  CheckResources,
  checkResult,
  fmt,
  GPT2_VOCAB,
  HARD_KINDS,
  massTolerance,
  sampleDrawsReference,
  shapeText,
  timeCpu,
} from './checks-support';
import { FilterKernel, type FilterParams } from './filter';
import {
  DECISION_WORDS,
  keyToFloat,
  MASS_SCALE,
  parseDecision,
  parseSummary,
  SUMMARY_WORDS,
  type RowDecision,
} from './layout';
import { isKept, massOf, thresholdsReference, topIndices, type ThresholdsReference } from './reference';
import { SampleKernel } from './sample';
import { RowStatsKernel } from './stats';

/**
 * How close (as a fraction of the total) the reference's cumulative mass is to the top-p target at
 * the reference boundary (as in filter.gpu.test.ts): a different top-p key is only acceptable when
 * f32 exp rounding (~1e-6 of the mass) could move the boundary.
 */
export function topPBoundaryMargin(
  row: Float32Array,
  lse: number,
  params: FilterParams,
  want: ThresholdsReference,
) {
  const chosen = keyToFloat(want.topPKey);
  const floor = params.topK > 0 && want.topKKey > 0 ? keyToFloat(want.topKKey) : -Infinity;
  let above = 0;
  let atOrAbove = 0;
  for (const id of topIndices(row, row.length)) {
    if (row[id] < floor) continue;
    const q = massOf(row[id], lse);
    if (row[id] > chosen) above += q;
    if (row[id] >= chosen) atOrAbove += q;
  }
  const total = want.topPTotal || MASS_SCALE;
  return Math.min(Math.abs(above - want.topPNeeded), Math.abs(atOrAbove - want.topPNeeded)) / total;
}

/** GPU row summaries, decisions and (optionally) the filtered logits, after stats + thresholds (+ apply). */
interface GpuFiltered {
  lse: number[];
  decisions: RowDecision[];
  filtered: Float32Array;
  timing: TimedResult;
}

async function gpuFilter(
  gpu: Gpu,
  data: Float32Array,
  rows: number,
  vocab: number,
  params: FilterParams,
): Promise<GpuFiltered> {
  const resources = new CheckResources(gpu, 'filter-check');
  try {
    const logits = resources.upload(data, 'logits');
    const summary = resources.storage(rows * SUMMARY_WORDS * 4, 'summary');
    const decision = resources.storage(rows * DECISION_WORDS * 4, 'decision');
    const filtered = resources.storage(rows * vocab * 4, 'filtered');
    const stats = resources.own(await RowStatsKernel.create(gpu, 'filter-check'));
    const filter = resources.own(await FilterKernel.create(gpu, 'filter-check'));
    const shape = { rows, vocab };
    await submitPass(gpu, 'filter-check:stats', (pass) => stats.encode(pass, logits, summary, rows, vocab));
    const timing = await timeComputePass(gpu, 'filter-check', (pass) => {
      filter.encode(pass, logits, summary, decision, shape, params);
      filter.encodeApply(pass, logits, decision, filtered, shape);
    });
    const summaries = await readUint32(gpu, summary, rows * SUMMARY_WORDS);
    const decisions = await readUint32(gpu, decision, rows * DECISION_WORDS);
    return {
      lse: Array.from({ length: rows }, (_, r) => parseSummary(summaries, r).lse),
      decisions: Array.from({ length: rows }, (_, r) => parseDecision(decisions, r)),
      filtered: await readFloat32(gpu, filtered, rows * vocab),
      timing,
    };
  } finally {
    resources.destroy();
  }
}

interface FilterCase {
  params: FilterParams;
  seed: number;
  kinds: LogitKind[];
}

const describeParams = ({ topK, topP, minP }: FilterParams): string =>
  [topK > 0 ? `top-k ${topK}` : '', topP < 1 ? `top-p ${topP}` : '', minP > 0 ? `min-p ${minP}` : '']
    .filter(Boolean)
    .join(' + ');

/** A check of the filter on `cases` at V=50,257 (first case timed): thresholds and masked logits. */
function filterCheck(cases: FilterCase[]): (gpu: Gpu) => Promise<KernelCheckResult> {
  return async (gpu) => {
    const vocab = GPT2_VOCAB;
    const failures: string[] = [];
    let timing: TimedResult = { ms: 0, source: 'wall-clock' };
    let cpuMs = 0;
    let worstTotal = 0;
    let boundaryRows = 0;
    let comparedRows = 0;
    for (const [caseIndex, { params, seed, kinds }] of cases.entries()) {
      const rows = kinds.length;
      const data = makeBatch(seed, rows, vocab, kinds);
      const got = await gpuFilter(gpu, data, rows, vocab, params);
      // The reference uses the GPU's lse so that only exp's rounding differs.
      const cpu = timeCpu(() =>
        got.lse.map((lse, r) => thresholdsReference(rowOf(data, vocab, r), lse, params)),
      );
      if (caseIndex === 0) [timing, cpuMs] = [got.timing, cpu.ms];
      cpu.value.forEach((want, r) => {
        const row = rowOf(data, vocab, r);
        const g = got.decisions[r];
        const where = `${describeParams(params)} row ${r} (${kinds[r]})`;
        comparedRows++;
        if (g.topKKey !== want.topKKey) failures.push(`${where}: top-k key ${g.topKKey} vs ${want.topKKey}`);
        const totalError = Math.abs(g.topPTotal - want.topPTotal);
        worstTotal = Math.max(worstTotal, want.topPTotal > 0 ? totalError / want.topPTotal : totalError);
        if (totalError > massTolerance(want.topPTotal))
          failures.push(`${where}: top-p total ${g.topPTotal} vs ${want.topPTotal}`);
        if (g.topPKey !== want.topPKey) {
          const margin = topPBoundaryMargin(row, got.lse[r], params, want);
          if (margin < 2e-6) boundaryRows++;
          else
            failures.push(
              `${where}: top-p key differs at a clear boundary (margin ${fmt(margin)} of the mass)`,
            );
        } else if (g.thresholdKey !== want.thresholdKey) {
          failures.push(`${where}: threshold key ${g.thresholdKey} vs ${want.thresholdKey}`);
        }
        if (g.minPKey !== want.minPKey) failures.push(`${where}: min-p key ${g.minPKey} vs ${want.minPKey}`);
        const filtered = rowOf(got.filtered, vocab, r);
        let masked = 0;
        for (let i = 0; i < vocab; i++) {
          const expected = isKept(row[i], g.thresholdKey) ? Math.fround(row[i]) : -Infinity;
          if (!Object.is(filtered[i], expected)) masked++;
        }
        if (masked > 0)
          failures.push(`${where}: ${masked} of ${vocab} masked logits differ (GPU's own threshold)`);
      });
    }
    const summaryLine =
      `${cases.map((c) => describeParams(c.params)).join('; ')} at ${shapeText(cases[0].kinds.length, vocab)} ` +
      `(${cases[0].kinds.join(', ')}): ${comparedRows} rows, keys equal to the sorting reference` +
      (boundaryRows > 0
        ? ` (${boundaryRows} top-p keys differ within 2e-6 of the mass at the boundary)`
        : '') +
      ', every masked logit exact' +
      (cases.some((c) => c.params.topP < 1)
        ? `; worst top-p total error ${fmt(worstTotal)} of the mass (tol 2e-6)`
        : '');
    return checkResult(gpu, failures, summaryLine, timing, cpuMs);
  };
}

const SAMPLE_KINDS: LogitKind[] = ['normal', 'ties', 'neg-inf', 'huge'];
const SAMPLE_DRAWS = 128;
const SAMPLE_FILTER: FilterParams = { topK: 0, topP: 0.9, minP: 0 };

async function sampleCheck(gpu: Gpu): Promise<KernelCheckResult> {
  const rows = SAMPLE_KINDS.length;
  const vocab = GPT2_VOCAB;
  const draws = SAMPLE_DRAWS;
  const [seed, streamBase, counter] = [seedFromNumber(0x1234_5678_9abc), 7, 1000];
  const data = makeBatch(301, rows, vocab, SAMPLE_KINDS);
  const resources = new CheckResources(gpu, 'sample-check');
  try {
    const logits = resources.upload(data, 'logits');
    const summary = resources.storage(rows * SUMMARY_WORDS * 4, 'summary');
    const decision = resources.storage(rows * DECISION_WORDS * 4, 'decision');
    const tokens = resources.storage(rows * draws * 8, 'tokens');
    const stats = resources.own(await RowStatsKernel.create(gpu, 'sample-check'));
    const filter = resources.own(await FilterKernel.create(gpu, 'sample-check'));
    const sample = resources.own(await SampleKernel.create(gpu, 'sample-check'));
    const shape = { rows, vocab };
    await submitPass(gpu, 'sample-check:stats-filter', (pass) => {
      stats.encode(pass, logits, summary, rows, vocab);
      filter.encode(pass, logits, summary, decision, shape, SAMPLE_FILTER);
    });
    const timing = await timeComputePass(gpu, 'sample-check', (pass) =>
      sample.encode(pass, logits, summary, decision, tokens, shape, { seed, streamBase, counter, draws }),
    );
    const pairs = await readUint32(gpu, tokens, rows * draws * 2);
    const summaries = await readUint32(gpu, summary, rows * SUMMARY_WORDS);
    const decisions = await readUint32(gpu, decision, rows * DECISION_WORDS);
    const lse = Array.from({ length: rows }, (_, r) => parseSummary(summaries, r).lse);
    const kept = Array.from({ length: rows }, (_, r) => parseDecision(decisions, r));
    // The reference is given the GPU's lse and threshold, so that only exp's rounding differs.
    const cpu = timeCpu(() =>
      lse.map((l, r) =>
        sampleDrawsReference(
          rowOf(data, vocab, r),
          l,
          kept[r].thresholdKey,
          seed,
          streamBase + r,
          counter,
          draws,
        ),
      ),
    );
    const failures: string[] = [];
    let mismatches = 0;
    let first = '';
    cpu.value.forEach((want, r) => {
      const where = `row ${r} (${SAMPLE_KINDS[r]})`;
      if (kept[r].keptCount !== want.keptCount)
        failures.push(`${where}: kept count ${kept[r].keptCount} vs ${want.keptCount}`);
      if (Math.abs(kept[r].keptMass - want.keptMass) > massTolerance(want.keptMass))
        failures.push(`${where}: kept mass ${kept[r].keptMass} vs ${want.keptMass}`);
      want.tokens.forEach((token, d) => {
        const got = pairs[2 * (r * draws + d)];
        if (got !== (token ?? 0xffffffff) && mismatches++ === 0)
          first = `${where} draw ${d}: GPU ${got} vs CPU ${token}`;
      });
    });
    // A mismatch needs the uniform to land within exp's rounding (~1e-7) of a CDF step.
    if (mismatches > 0) failures.push(`${mismatches} of ${rows * draws} draws differ, first ${first}`);
    const keptCounts = kept.map((k) => k.keptCount).join('/');
    const summaryLine =
      `${describeParams(SAMPLE_FILTER)} at ${shapeText(rows, vocab)} (${SAMPLE_KINDS.join(', ')}), ` +
      `${draws} draws per row (Philox counters ${counter}..${counter + draws - 1}): ` +
      `${mismatches} of ${rows * draws} tokens differ from the reference; kept counts ${keptCounts} exact, ` +
      `kept mass within 2e-6`;
    return checkResult(gpu, failures, summaryLine, timing, cpu.ms);
  } finally {
    resources.destroy();
  }
}

export const samplingChecks: KernelCheck[] = [
  {
    id: 'logits/top-k',
    family: 'logits',
    description:
      'Top-k thresholds and masked logits at V=50,257, batch 6 of every hard kind, k = 50 (timed), 1 and 1000; ' +
      'ties at the boundary are all kept',
    run: filterCheck(
      [50, 1, 1000].map((topK) => ({ params: { topK, topP: 1, minP: 0 }, seed: 401, kinds: HARD_KINDS })),
    ),
  },
  {
    id: 'logits/top-p',
    family: 'logits',
    description:
      'Top-p (nucleus) thresholds in 2^-31 fixed-point mass at V=50,257, batch 6 of every hard kind, ' +
      'p = 0.9 (timed) and 0.5, against the sorting reference given the GPU lse',
    run: filterCheck(
      [0.9, 0.5].map((topP) => ({ params: { topK: 0, topP, minP: 0 }, seed: 402, kinds: HARD_KINDS })),
    ),
  },
  {
    id: 'logits/min-p',
    family: 'logits',
    description:
      'Min-p 0.05 (timed), and top-k 40 + top-p 0.9 + min-p 0.05 in Hugging Face order, at V=50,257, batch 6',
    run: filterCheck([
      { params: { topK: 0, topP: 1, minP: 0.05 }, seed: 403, kinds: HARD_KINDS },
      { params: { topK: 40, topP: 0.9, minP: 0.05 }, seed: 404, kinds: HARD_KINDS },
    ]),
  },
  {
    id: 'logits/sample',
    family: 'logits',
    description:
      `Seeded inverse-CDF sampling after top-p 0.9 at V=50,257, batch 4 (gaussian, ties, -Infinity, 1e4), ` +
      `${SAMPLE_DRAWS} Philox draws per row: the same token as the reference for every draw`,
    run: sampleCheck,
  },
];
