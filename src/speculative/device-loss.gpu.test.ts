// A speculative lane whose GPU device is lost mid-run: the run ends with a device-lost error (no
// hang, no garbage tokens), the lane says so in its trace, refuses to go on, and dispose() destroys
// every buffer the lane made. The test destroys a device of its own, never the shared test device
// (src/testing/gpu.ts), so the other GPU files keep theirs.
import { describe, expect, test } from 'vitest';
import { GpuError } from '../gpu/errors';
import { Gpu } from '../gpu/runtime';
import { within } from '../testing/async';
import { SpeculativeLane } from './lane';
import { tinyPair } from './testing';
import type { RoundRecord } from './types';

const VOCAB = 12;
const PROMPT = [0, 2, 3, 4, 2, 3];
/** Buffers the lane makes: its samplers' pipelines, the drafted rows, the verification kernels. */
const LANE_BUFFER = /^(logit-pipeline|speculative|verify):/;

/** Labels of the buffers created on `gpu` from now on, and whether each was destroyed. */
function trackBuffers(gpu: Gpu) {
  const device = gpu.device;
  const original = device.createBuffer;
  const created: { label: string; destroyed: boolean }[] = [];
  device.createBuffer = (descriptor: GPUBufferDescriptor): GPUBuffer => {
    const buffer = original.call(device, descriptor);
    const entry = { label: descriptor.label ?? '(unlabelled)', destroyed: false };
    created.push(entry);
    const destroy = buffer.destroy;
    buffer.destroy = () => {
      entry.destroyed = true;
      destroy.call(buffer);
    };
    return buffer;
  };
  return {
    created,
    live: (pattern: RegExp) =>
      created.filter((b) => pattern.test(b.label) && !b.destroyed).map((b) => b.label),
  };
}

describe('speculative lane and device loss', () => {
  test('a device lost between rounds ends the run with device-lost; the lane releases its buffers', async () => {
    // A device of this test's own: destroying it must not touch the shared one.
    const gpu = await Gpu.create();
    try {
      const pair = await tinyPair(gpu, { vocab: VOCAB, draftNoise: 0.6 });
      const buffers = trackBuffers(gpu);
      const lane = await SpeculativeLane.create({
        gpu,
        target: pair.target,
        draft: pair.draft,
        method: { name: 'speculative', draftLength: 3 },
        sampling: { greedy: false, temperature: 1, draftTemperature: 1 },
        seed: 5,
        prompt: PROMPT,
        maxTokens: 40,
        eosTokenIds: [],
      });
      const rounds: RoundRecord[] = [];
      const run = lane.run(undefined, (round) => {
        rounds.push(round);
        // Like a driver reset: the device goes away while the lane still has rounds to run.
        if (rounds.length === 2) gpu.device.destroy();
      });
      // A guard against a hang, not a timing assertion: the first rounds also compile this device's pipelines.
      const error = await within(
        run.then(
          () => null,
          (cause: unknown) => cause,
        ),
        'the speculative run after the device was lost',
        600,
      );

      expect(error).toBeInstanceOf(GpuError);
      expect((error as GpuError).kind).toBe('device-lost');
      expect((error as GpuError).message).toMatch(/lost/);
      expect(gpu.isLost).toBe(true);
      const trace = lane.trace();
      expect(trace.stopReason).toBe('error');
      expect(trace.error).toMatch(/lost/);
      // The rounds before the loss are intact: token ids in the vocabulary, p and q probabilities.
      expect(trace.rounds).toHaveLength(2);
      expect(trace.tokens.length).toBeGreaterThanOrEqual(2);
      for (const id of trace.tokens) expect(id >= 0 && id < VOCAB).toBe(true);
      for (const token of trace.rounds.flatMap((r) => r.tokens))
        for (const value of [token.p, token.q])
          if (value !== null) expect(value >= 0 && value <= 1, `p/q ${value}`).toBe(true);
      // An ended lane answers at once instead of touching the dead device.
      expect(await lane.round()).toBeNull();

      expect(buffers.live(LANE_BUFFER).length).toBeGreaterThan(0);
      lane.dispose();
      // The verifier's kernels are destroyed once their (settled) builds resolve.
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(buffers.live(LANE_BUFFER)).toEqual([]);
      await expect(lane.round()).rejects.toThrow('disposed');
      pair.dispose();
    } finally {
      gpu.destroy();
    }
  });
});
