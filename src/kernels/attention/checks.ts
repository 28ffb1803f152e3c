// Kernel check panel entries for the attention family: the prefill and decode kernels against the
// f64 reference (reference.ts) on seeded inputs with the hard cases (causal prompt continuing a
// cache, GQA, headDim 80/128, scores of magnitude ~1e3, offsets), held to attentionTolerance.
// Each runs well under a second on SwiftShader.
import type { Gpu } from '../../gpu/runtime';
import { timeComputePass, type TimedResult } from '../../gpu/timing';
import { compareArrays } from '../../testing/compare';
import type { KernelCheck, KernelCheckResult } from '../check';
import { DecodeAttention } from './decode';
import { attentionTolerance, expectedOutput, FixtureBuffers, makeFixture, worstAbsError } from './fixtures';
import { PrefillAttention } from './prefill';
import type { AttentionBuffers, AttentionShape } from './shape';
import { chooseDecodeSplits, DECODE_SPLIT_TUNING } from './splits';

interface CheckCase {
  name: string;
  shape: AttentionShape;
  magnitude: number;
}

type Encode = (pass: GPUComputePassEncoder, buffers: AttentionBuffers, shape: AttentionShape) => void;

const fmt = (x: number): string => (x === 0 ? '0' : x.toExponential(1));

/** Runs every case; the first one is timed (GPU and CPU) for the panel. */
async function runCases(
  gpu: Gpu,
  label: string,
  cases: CheckCase[],
  encode: Encode,
): Promise<KernelCheckResult> {
  const failures: string[] = [];
  const lines: string[] = [];
  let timing: TimedResult | null = null;
  let cpuMs = 0;
  for (const [index, { name, shape, magnitude }] of cases.entries()) {
    const fixture = makeFixture(name.length * 7919, shape, magnitude);
    const data = new FixtureBuffers(gpu, fixture, `${label}:${name}`);
    try {
      const timed = await timeComputePass(gpu, `${label}:${name}`, (pass) =>
        encode(pass, data.buffers, shape),
      );
      timing ??= timed;
      const got = await data.readOutput();
      const start = performance.now();
      const want = expectedOutput(fixture);
      if (index === 0) cpuMs = performance.now() - start;
      const tolerance = attentionTolerance(fixture);
      const report = compareArrays(name, got, want, tolerance);
      if (report !== null) failures.push(report.split('\n').slice(0, 2).join(' '));
      lines.push(`${name}: worst |gpu-ref| ${fmt(worstAbsError(got, want))} (atol ${fmt(tolerance.atol)})`);
    } finally {
      data.destroy();
    }
  }
  const errors = gpu.takeUncapturedErrors();
  if (errors.length > 0) failures.push(`WebGPU errors: ${errors.join(' | ')}`);
  const summary = lines.join('; ');
  const more = failures.length > 2 ? ` (+${failures.length - 2} more)` : '';
  const measured = timing ?? { ms: 0, source: 'wall-clock' as const };
  return {
    pass: failures.length === 0,
    detail: failures.length === 0 ? summary : `FAILED ${failures.slice(0, 2).join('; ')}${more} | ${summary}`,
    gpuMs: measured.ms,
    timing: measured.source,
    cpuMs,
  };
}

const gqa = { numHeads: 8, numKvHeads: 2 };

const PREFILL_CASES: CheckCase[] = [
  {
    name: 'Tq=L=96 H=8/2 D=64',
    shape: { queries: 96, keys: 96, ...gqa, headDim: 64, capacity: 96 },
    magnitude: 1,
  },
  {
    name: 'Tq=40 L=120 H=8/2 D=80 offsets',
    shape: { queries: 40, keys: 120, ...gqa, headDim: 80, capacity: 128, cacheOffset: 6, queryOffset: 2 },
    magnitude: 1,
  },
  {
    name: 'Tq=L=50 H=4 D=128 |s|~1e3',
    shape: { queries: 50, keys: 50, numHeads: 4, numKvHeads: 4, headDim: 128, capacity: 50 },
    magnitude: 12,
  },
];

const DECODE_CASES: CheckCase[] = [
  {
    name: 'Tq=1 L=1000 H=8/2 D=128',
    shape: { queries: 1, keys: 1000, ...gqa, headDim: 128, capacity: 1000 },
    magnitude: 1,
  },
  {
    name: 'Tq=5 L=300 H=8/2 D=80',
    shape: { queries: 5, keys: 300, ...gqa, headDim: 80, capacity: 320, cacheOffset: 4 },
    magnitude: 1,
  },
  {
    name: 'Tq=4 L=600 H=12 D=64 |s|~1e3',
    shape: { queries: 4, keys: 600, numHeads: 12, numKvHeads: 12, headDim: 64, capacity: 600 },
    magnitude: 16,
  },
];

async function prefillCheck(gpu: Gpu): Promise<KernelCheckResult> {
  const kernel = await PrefillAttention.create(gpu, 'prefill-check');
  try {
    return await runCases(gpu, 'prefill-check', PREFILL_CASES, (pass, buffers, shape) =>
      kernel.encode(pass, buffers, shape),
    );
  } finally {
    kernel.destroy();
  }
}

async function decodeCheck(gpu: Gpu): Promise<KernelCheckResult> {
  const kernel = await DecodeAttention.create(gpu, 'decode-check');
  try {
    // The GPU split tuning (several splits per row), so the merge is checked on every adapter.
    return await runCases(gpu, 'decode-check', DECODE_CASES, (pass, buffers, shape) =>
      kernel.encode(pass, buffers, shape, {
        splits: chooseDecodeSplits(shape.keys, shape.queries, shape.numHeads, DECODE_SPLIT_TUNING),
      }),
    );
  } finally {
    kernel.destroy();
  }
}

export const checks: KernelCheck[] = [
  {
    id: 'attention/prefill',
    family: 'attention',
    description:
      'Causal tiled online-softmax prefill vs the f64 reference: fresh and continuing prompts, GQA 8/2, ' +
      'headDim 64/80/128, scores ~1e3, cache/query offsets',
    run: prefillCheck,
  },
  {
    id: 'attention/decode',
    family: 'attention',
    description:
      'Key-split decode with exact merge vs the f64 reference: Tq 1/4/5 over 300-1000 keys, GQA 8/2, ' +
      'headDim 64/80/128, scores ~1e3, cache offset',
    run: decodeCheck,
  },
];
