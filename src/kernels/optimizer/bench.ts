// Bench row for the global gradient norm over a small model's gradients: 30 tensors of 4K-16K
// entries (270,720 in all), as in the tiny GPT-2 training model, with the stats readback a
// training step does. Baseline "js-readback-reference": read every gradient back and run the f64
// reference (./reference.ts), the CPU path the kernel replaces.
import type { BenchCase, BenchInstance } from '../../bench/types';
import { submitPass } from '../../gpu/dispatch';
import { readFloat32, uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { gaussianArray } from '../matmul/testing';
import { gradientStatsBytes, GradientNormKernel, readGradientStats } from './gradient-norm';
import { gradientNormReference } from './reference';

const SIZES = Array.from({ length: 30 }, (_, i) => [4096, 16_384, 8192, 4160, 12_288][i % 5]);

const gradientNormCase: BenchCase = {
  name: 'optimizer/gradient-norm',
  shape: `tensors=${SIZES.length} entries=${SIZES.reduce((a, b) => a + b, 0)}`,
  baseline: 'js-readback-reference',
  async setup(gpu: Gpu): Promise<BenchInstance> {
    const label = 'gradient-norm-bench';
    const gradients = SIZES.map((n, i) => uploadStorage(gpu, gaussianArray(i + 1, n), `${label}:g${i}`));
    const stats = gpu.device.createBuffer({
      label: `${label}:stats`,
      size: gradientStatsBytes(SIZES.length),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
    const owned = [...gradients, stats];
    let kernel: GradientNormKernel;
    try {
      kernel = await GradientNormKernel.create(gpu, SIZES, label);
    } catch (error) {
      for (const buffer of owned) buffer.destroy();
      throw error;
    }
    return {
      async run() {
        await submitPass(gpu, label, (pass) => kernel.encode(pass, gradients, stats));
        await readGradientStats(gpu, stats, SIZES.length);
      },
      async runBaseline() {
        const host = await Promise.all(gradients.map((g, i) => readFloat32(gpu, g, SIZES[i])));
        gradientNormReference(host);
      },
      dispose() {
        kernel.destroy();
        for (const buffer of owned) buffer.destroy();
      },
    };
  },
};

export const benchCases: BenchCase[] = [gradientNormCase];
