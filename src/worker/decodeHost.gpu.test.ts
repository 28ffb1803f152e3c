// A Decode run through the worker's real host, sessions and Shapes model slots, on the committed
// default models served by the dev server: every method of this module on the default VLM (and CD
// on the expert/amateur pair), a few tokens each. Checks the run end to end and measures the hot
// path: every byte mapped back is attributed to a lane, and a token costs a few hundred bytes
// ((C + 1) x 136 + 40 + (C - 1) x 48 for C components, whatever the vocabulary), not a row.
import { describe, expect, test } from 'vitest';
import { DecodeSession } from '../decoding/lanes/session';
import type { Experiment, LaneConfig } from '../share/experiment';
import { defaultLane } from '../share/methods';
import { testGpu } from '../testing/gpu';
import { WorkerClient } from './client';
import { DecodeHost } from './decodeHost';
import { GpuHost } from './host';
import { ModelHost } from './modelHost';
import { ShapesHost } from './shapesHost';
import { hostEndpoint } from './test-fakes';

const shapes = new ShapesHost(() => new ModelHost());
const client = new WorkerClient(
  hostEndpoint(
    (post) =>
      new GpuHost({
        checks: [],
        post,
        createGpu: testGpu,
        shapes,
        decode: new DecodeHost({
          slots: {
            workbench: null,
            shapes: (name) => shapes.host(name),
            shapesFolderUrl: (name) => `${location.origin}/models/${name}/`,
          },
          createSession: (options) => DecodeSession.create(options),
        }),
      }),
  ),
);

/** Bytes per token of a lane with C components (see src/decoding/lanes/combine-step.ts). */
const perToken = (components: number, greedy: boolean) =>
  (components + 1) * 136 + 40 + (components - 1) * 48 - (greedy ? 8 : 0);

async function run(experiment: Experiment) {
  const mapAsync = GPUBuffer.prototype.mapAsync;
  let mapped = 0;
  GPUBuffer.prototype.mapAsync = function (this: GPUBuffer, mode, offset = 0, size?: number) {
    mapped += size ?? this.size - offset;
    return mapAsync.call(this, mode, offset, size);
  };
  try {
    const ended = await client.request({ type: 'startDecode', experiment, paused: false });
    return { trace: ended.trace, mapped };
  } finally {
    GPUBuffer.prototype.mapAsync = mapAsync;
  }
}

const lane = (id: string, method: LaneConfig['method']): LaneConfig => ({
  ...defaultLane(method.method, id),
  method,
});

describe('Decode through the worker host on the Shapes default models', () => {
  test('six methods side by side on the default VLM, then CD on expert vs amateur', async () => {
    await client.request({ type: 'init' });
    const vlm: Experiment = {
      version: 1,
      models: { main: { source: 'default', id: 'shapes-vlm', sha256: {} } },
      prompt: 'the picture shows',
      image: { kind: 'scene', seed: 1, index: 0 },
      seed: 0,
      maxTokens: 3,
      lanes: [
        lane('plain', { method: 'plain' }),
        lane('vcd', { method: 'vcd', alpha: 1, beta: 0.1, noiseStep: 500 }),
        lane('icd', { method: 'icd', alpha: 1, beta: 0.1, disturbance: 'is there a star ?' }),
        lane('ritual', { method: 'ritual', alphaPos: 3, alphaNeg: 0, beta: 0.1, noiseStep: 500 }),
        lane('ritual-vcd', { method: 'ritual', alphaPos: 3, alphaNeg: 1, beta: 0.1, noiseStep: 500 }),
        lane('debias', { method: 'debias', alpha: 1, beta: 0.1 }),
      ],
    };
    const first = await run(vlm);
    const cd = await run({
      ...vlm,
      models: {
        main: { source: 'default', id: 'shapes-expert', sha256: {} },
        amateur: { source: 'default', id: 'shapes-amateur', sha256: {} },
      },
      prompt: '',
      image: null,
      lanes: [lane('cd', { method: 'cd', alpha: 1, beta: 0.1 })],
    });
    // The same experiment again: the same tokens. Its statistics are the ones printed: the first
    // run also loaded the models and compiled the engine's kernels for each new batch size.
    const again = await run(vlm);
    expect(again.trace.lanes.map((l) => l.tokens.map((t) => t.id))).toEqual(
      first.trace.lanes.map((l) => l.tokens.map((t) => t.id)),
    );
    const lanes = [...again.trace.lanes, ...cd.trace.lanes];
    console.warn(
      'readback bytes per token on the Shapes defaults: ' +
        lanes.map((l) => `${l.laneId} ${l.statistics.readbackBytesPerToken} (${l.inputs.length} components, ${l.statistics.tokensPerSecond.toFixed(1)} tokens/s)`).join(', '), // prettier-ignore
    );
    console.warn(`tokens: ${lanes.map((l) => `${l.laneId}: "${l.text}"`).join('; ')}`);
    for (const l of lanes) {
      expect(l.stopReason, l.error).not.toBe('error');
      // Bounded by the component count alone: 184 bytes a component and 184 more, against 201,028
      // bytes for one GPT-2 vocabulary row (248 for the Shapes vocabulary of 62).
      expect(l.statistics.readbackBytesPerToken).toBeLessThanOrEqual(184 * (l.inputs.length + 1));
      expect(l.tokens.length).toBeGreaterThan(0);
      expect(l.statistics.readbackBytesPerToken).toBe(perToken(l.inputs.length, true));
      expect(l.tokens.every((t) => t.components.length === l.inputs.length)).toBe(true);
    }
    expect(first.trace.lanes.map((l) => l.inputs.length)).toEqual([1, 2, 2, 2, 3, 2]);
    expect(first.mapped).toBe(first.trace.lanes.reduce((s, l) => s + l.statistics.readbackBytes, 0));
    expect(cd.mapped).toBe(cd.trace.lanes[0].statistics.readbackBytes);
    const cdTokens = cd.trace.lanes[0].tokens.length;
    expect(cd.trace.lanes[0].statistics.forwardPasses).toEqual({ main: cdTokens, amateur: cdTokens });
  });
});
