// Kernel checks for speculative verification, shared with verify.gpu.test.ts: parity of every
// decision with the reference at V = 50,257 (speculative sampling and a deterministic draft),
// SpecTr parity, and the exactness experiment (the output distribution is the target's).
import type { Gpu } from '../../gpu/runtime';
import { timeComputePass } from '../../gpu/timing';
import type { KernelCheck, KernelCheckResult } from '../check';
import { uploadStorage } from '../../gpu/readback';
import { compareVerify, summarize, type ParityReport } from './compare';
import { runExactness, type ExactnessCase } from './exactness';
import { verifyReference, type ReferenceTrial } from './reference';
import { hardVerifyCase, runOnGpu, SAMPLE_PARAMS, type HardCase, type HardCaseSpec } from './testing';
import { VerifyKernel } from './verify';

interface CaseRun {
  report: ParityReport;
  gpuMs: number;
  timing: KernelCheckResult['timing'];
  cpuMs: number;
}

async function parityOf(gpu: Gpu, input: HardCase): Promise<CaseRun> {
  const kernel = await VerifyKernel.create(gpu, input.shape, { label: 'verify-check' });
  const target = uploadStorage(gpu, input.logits.target, 'verify-check:target');
  const draft = input.logits.draft ? uploadStorage(gpu, input.logits.draft, 'verify-check:draft') : undefined;
  try {
    const actual = await runOnGpu(gpu, kernel, input.logits, input.draftTokens, SAMPLE_PARAMS);
    const timed = await timeComputePass(gpu, 'verify-check', (pass) =>
      kernel.encode(pass, { target, draft, draftTokens: input.draftTokens }, SAMPLE_PARAMS),
    );
    const start = performance.now();
    const expected: ReferenceTrial[] = verifyReference(input.shape, input.logits, input.draftTokens, SAMPLE_PARAMS); // prettier-ignore
    const cpuMs = performance.now() - start;
    return { report: compareVerify(actual, expected), gpuMs: timed.ms, timing: timed.source, cpuMs };
  } finally {
    kernel.destroy();
    target.destroy();
    draft?.destroy();
  }
}

function parityCheck(cases: { name: string; spec: HardCaseSpec; trials: number }[]) {
  return async (gpu: Gpu): Promise<KernelCheckResult> => {
    const lines: string[] = [];
    const failures: string[] = [];
    let first: CaseRun | null = null;
    for (const [i, c] of cases.entries()) {
      const run = await parityOf(gpu, hardVerifyCase(1000 + i, c.spec, c.trials));
      first ??= run;
      lines.push(`${c.name}: ${summarize(run.report)}`);
      failures.push(...run.report.failures.slice(0, 2));
      if (run.report.identical < Math.ceil(0.9 * c.trials)) failures.push(`${c.name}: fewer than 90% of trials identical`); // prettier-ignore
    }
    const errors = gpu.takeUncapturedErrors();
    if (errors.length > 0) failures.push(`WebGPU errors: ${errors.join(' | ')}`);
    const summary = lines.join('; ');
    return {
      pass: failures.length === 0,
      detail: failures.length === 0 ? summary : `FAILED ${failures.slice(0, 3).join('; ')} | ${summary}`,
      gpuMs: first!.gpuMs,
      timing: first!.timing,
      cpuMs: first!.cpuMs,
    };
  };
}

const HARD = ['normal', 'huge', 'neg-inf', 'ties', 'peaked', 'flat'] as const;

async function exactnessCheck(gpu: Gpu): Promise<KernelCheckResult> {
  const c: ExactnessCase = { draftLength: 2, candidates: 1, mode: 'sample', draftModel: true, trials: 4096, seed: 21 }; // prettier-ignore
  const kernel = await VerifyKernel.create(gpu, { draftLength: 2, vocab: 6, trials: c.trials }, { label: 'verify-check' }); // prettier-ignore
  try {
    let gpuMs = 0;
    const outcome = await runExactness(async (_shape, logits, tokens, params) => {
      const start = performance.now();
      const results = await runOnGpu(gpu, kernel, logits, tokens, params);
      gpuMs += performance.now() - start;
      return results;
    }, c);
    const start = performance.now();
    await runExactness(async (...args) => verifyReference(...args).map((r) => r.result), c);
    const cpuMs = performance.now() - start;
    const pass = outcome.first.pValue > 1e-3 && outcome.joint.pValue > 1e-3 && gpu.takeUncapturedErrors().length === 0; // prettier-ignore
    const detail =
      `V=6, K=2, q far from p (TV ~0.5), ${c.trials} trials with drafts drawn from q: chi-square p-value of ` +
      `token 1 vs p_0 ${outcome.first.pValue.toPrecision(3)}, of tokens 1-2 vs p_0 x p_1 ` +
      `${outcome.joint.pValue.toPrecision(3)} (pass > 1e-3); ${outcome.tokensPerRound.toFixed(2)} tokens per round`;
    return { pass, detail: pass ? detail : `FAILED ${detail}`, gpuMs, timing: 'wall-clock', cpuMs };
  } finally {
    kernel.destroy();
  }
}

export const checks: KernelCheck[] = [
  {
    id: 'verify/speculative-sampling',
    family: 'verify',
    description:
      'Speculative sampling at V=50,257, K=4 (timed), 4 trials over every hard kind (ties, -Infinity, 1e4, ' +
      'peaked, flat), and a deterministic draft: every accept/reject and sampled token equals the reference ' +
      'except at f32 boundaries (reported)',
    run: parityCheck([
      { name: 'draft model', spec: { draftLength: 4, vocab: 50_257, kinds: HARD, draft: 'model', noise: 0.3 }, trials: 4 }, // prettier-ignore
      {
        name: 'deterministic',
        spec: { draftLength: 4, vocab: 50_257, kinds: HARD, draft: 'lookup' },
        trials: 4,
      },
    ]),
  },
  {
    id: 'verify/spectr',
    family: 'verify',
    description:
      "SpecTr k-sequential selection with 3 candidates (two duplicated) at V=1,000, K=3 (the paper's rho*, " +
      'searched on the kernel and reference grid), 12 trials: decisions, rho and hover probabilities against the reference',
    run: parityCheck([
      { name: 'k=3', spec: { draftLength: 3, vocab: 1000, candidates: 3, kinds: HARD, draft: 'model', duplicate: true }, trials: 12 }, // prettier-ignore
    ]),
  },
  {
    id: 'verify/exactness',
    family: 'verify',
    description:
      'Exactness: with drafts drawn from q, the first two emitted tokens follow the target (chi-square ' +
      'goodness of fit, 4,096 trials in one dispatch per round)',
    run: exactnessCheck,
  },
];
