// Kernel check for the fused decoding step (LogitPipeline): one `step` against the reference
// chain combineReference → rowStatsReference → thresholdsReference → sampleReference at Qwen's
// vocabulary. Part of the logit family's `checks` (checks.ts).
//
// The GPU combines in f32 and the reference in f64, so the two combined rows differ in the last
// bits. The GPU's threshold key is the GPU's own boundary logit; applied to the reference's row it
// would cut through the boundary token (and its ties) at random. The reference is therefore given
// the GPU's lse and the GPU's kept set, carried over as a rank: the reference's key of the
// keptCount-th largest entry. The check requires that this rank gives exactly the GPU's kept count
// (same ties), that it is the threshold the reference computes itself (or, for top-p, that the
// reference's boundary is within 2e-6 of the mass, as in filter.gpu.test.ts), and that every
// sampled token equals the reference's.
import type { Gpu } from '../../gpu/runtime';
import type { TimedResult } from '../../gpu/timing';
import { gaussian, makeBatch, rowOf, seededRandom } from '../../testing/logits';
import { seedFromNumber } from '../random/philox';
import type { KernelCheck, KernelCheckResult } from '../check';
import { topPBoundaryMargin } from './checks-sampling';
import {
  CheckResources,
  checkResult,
  fmt,
  lseTolerance,
  QWEN_VOCAB,
  sampleDrawsReference,
  shapeText,
  timeCpu,
} from './checks-support';
import { LogitPipeline, type StepParams, type StepRow } from './fused';
import { orderedKey } from './layout';
import { combineReference, isKept, rowStatsReference, thresholdsReference, topIndices } from './reference';

const ROW_NAMES = [
  'gaussian, contrast = base + noise',
  'ties vs 30% -Infinity',
  '1e4, contrast = base + 1e3 noise',
];
const FUSED_DRAWS = 64;

const FUSED_PARAMS: StepParams = {
  weights: [2, -1],
  baseInput: 0,
  beta: 0.1,
  temperature: 0.8,
  topK: 0,
  topP: 0.9,
  minP: 0,
  seed: seedFromNumber(20_240_601),
  streamBase: 3,
  counter: 500,
  draws: FUSED_DRAWS,
  greedy: false,
};

/** Base and contrast inputs, [3, vocab] each (rows as in ROW_NAMES). */
function fusedInputs(vocab: number): Float32Array[] {
  const base = makeBatch(501, 3, vocab, ['normal', 'ties', 'huge']);
  const contrast = makeBatch(502, 3, vocab, ['normal', 'neg-inf', 'huge']);
  // Rows 0 and 2: a distorted input is the base plus noise, as in VCD; row 1 is independent.
  const random = seededRandom(503);
  for (const [row, scale] of [
    [0, 1],
    [2, 1e3],
  ]) {
    for (let i = row * vocab; i < (row + 1) * vocab; i++) contrast[i] = base[i] + scale * gaussian(random);
  }
  return [base, contrast];
}

/** Reference of one row, given the GPU's lse and kept set (see the header). */
function referenceRow(inputs: Float32Array[], step: StepRow, params: StepParams) {
  const inputStats = inputs.map(rowStatsReference);
  const combined = combineReference(inputs, params);
  const stats = rowStatsReference(combined);
  const lse = step.combined.lse;
  const keptCount = step.decision?.keptCount ?? 0;
  const ranked = topIndices(combined, keptCount);
  const rankKey = keptCount > 0 ? orderedKey(combined[ranked[keptCount - 1]]) : 0xffffffff;
  let rankCount = 0;
  for (let i = 0; i < combined.length; i++) if (isKept(combined[i], rankKey)) rankCount++;
  const own = thresholdsReference(combined, lse, params);
  const draws = sampleDrawsReference(
    combined,
    lse,
    rankKey,
    params.seed,
    params.streamBase,
    params.counter,
    params.draws,
  );
  return { inputStats, combined, stats, rankKey, rankCount, own, draws };
}

async function fusedCheck(gpu: Gpu): Promise<KernelCheckResult> {
  const vocab = QWEN_VOCAB;
  const rows = ROW_NAMES.length;
  const inputData = fusedInputs(vocab);
  const params = FUSED_PARAMS;
  const resources = new CheckResources(gpu, 'fused-check');
  try {
    const inputs = inputData.map((data, j) => ({ buffer: resources.upload(data, `input-${j}`) }));
    const pipeline = resources.own(await LogitPipeline.create(gpu, { rows, vocab }, inputs.length));
    const greedy = await pipeline.step(inputs, { ...params, greedy: true });
    const start = performance.now();
    const sampled = await pipeline.step(inputs, params);
    const timing: TimedResult = { ms: performance.now() - start, source: 'wall-clock' };

    const cpu = timeCpu(() =>
      sampled.rows.map((step, r) =>
        referenceRow(
          inputData.map((data) => rowOf(data, vocab, r)),
          step,
          { ...params, streamBase: params.streamBase + r },
        ),
      ),
    );
    const failures: string[] = [];
    let mismatches = 0;
    let first = '';
    let boundaryRows = 0;
    cpu.value.forEach((want, r) => {
      const where = `row ${r} (${ROW_NAMES[r]})`;
      const greedyToken = greedy.rows[r].tokens[0];
      if (greedyToken !== want.stats.argmax)
        failures.push(`${where}: greedy token ${greedyToken} vs reference argmax ${want.stats.argmax}`);
      const topIds = (top: { id: number }[]) => top.map((t) => t.id).join(',');
      if (topIds(greedy.rows[r].combined.top) !== topIds(want.stats.top))
        failures.push(
          `${where}: combined top-10 ${topIds(greedy.rows[r].combined.top)} vs ${topIds(want.stats.top)}`,
        );
      if (greedy.rows[r].plausibleCount !== want.stats.finiteCount)
        failures.push(`${where}: |V_head| ${greedy.rows[r].plausibleCount} vs ${want.stats.finiteCount}`);
      // The packed copies of the inputs feed the same statistics as the reference's.
      want.inputStats.forEach((input, j) => {
        const got = sampled.rows[r].inputs[j];
        if (got.argmax !== input.argmax || got.max !== Math.fround(input.max))
          failures.push(
            `${where} input ${j}: argmax/max ${got.argmax}/${got.max} vs ${input.argmax}/${input.max}`,
          );
        if (!(Math.abs(got.lse - input.lse) <= lseTolerance(input.lse)))
          failures.push(`${where} input ${j}: lse ${got.lse} vs ${input.lse}`);
      });
      const keptCount = sampled.rows[r].decision?.keptCount ?? 0;
      if (want.rankCount !== keptCount)
        failures.push(
          `${where}: GPU keeps ${keptCount} tokens, the reference at that rank ${want.rankCount}`,
        );
      if (want.own.thresholdKey !== want.rankKey) {
        const margin = topPBoundaryMargin(want.combined, sampled.rows[r].combined.lse, params, want.own);
        if (margin < 2e-6) boundaryRows++;
        else
          failures.push(
            `${where}: GPU kept set differs from the reference's threshold (margin ${fmt(margin)})`,
          );
      }
      want.draws.tokens.forEach((token, d) => {
        const got = sampled.rows[r].tokens[d];
        if (got !== token && mismatches++ === 0) first = `${where} draw ${d}: GPU ${got} vs CPU ${token}`;
      });
    });
    const total = rows * params.draws;
    if (mismatches > 0) failures.push(`${mismatches} of ${total} sampled tokens differ, first ${first}`);
    const keptCounts = sampled.rows.map((row) => row.decision?.keptCount).join('/');
    const plausible = greedy.rows.map((row) => row.plausibleCount).join('/');
    const summaryLine =
      `LogitPipeline.step at ${shapeText(rows, vocab)}, 2 inputs, weights [2, -1], beta 0.1, T 0.8: greedy ` +
      `token = reference argmax on ${rows} rows (combined top-10 ids and |V_head| ${plausible} exact, ` +
      `inputs' max/argmax/lse as in row-stats); top-p 0.9 kept sets ${keptCounts} = the reference's` +
      (boundaryRows > 0 ? ` (${boundaryRows} within 2e-6 of the mass at the boundary)` : '') +
      `; ${mismatches} of ${total} sampled tokens differ from the reference given the GPU's lse and kept set; ` +
      'time = one sampled step incl. readback, wall-clock';
    return checkResult(gpu, failures, summaryLine, timing, cpu.ms);
  } finally {
    resources.destroy();
  }
}

export const fusedChecks: KernelCheck[] = [
  {
    id: 'logits/fused',
    family: 'logits',
    description:
      `LogitPipeline at V=151,936, batch 3 (${ROW_NAMES.join('; ')}): combine [2, -1] with plausibility 0.1 ` +
      `and T 0.8, then greedy, and top-p 0.9 sampling with ${FUSED_DRAWS} draws per row, against the ` +
      'reference chain',
    run: fusedCheck,
  },
];
