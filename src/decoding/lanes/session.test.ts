// The lane runner's orchestration without a GPU: up-front validation, prefill sharing and forks,
// one batched forward per model per step, the two phases of a step, per-lane errors and stop
// reasons, statistics and the trace. Steps are scripted (test-fakes.ts); the GPU side (fused step,
// inspection, formulas) is tested in session.gpu.test.ts and src/decoding/methods/*.gpu.test.ts.
import { describe, expect, it, vi } from 'vitest';
import { TextTokenizer } from '../../model/tokenizer';
import { imageToFloat32, rasterize, sampleSceneAt, DEFAULT_WORLD, shapesTokenizerConfig, shapesTokenizerJson } from '../../world'; // prettier-ignore
import type { MethodName } from '../../share/experiment';
import type { DecodingMethod, ObservedStep, StepDecision } from '../methods/types';
import { experiment, fakeModel, lane, scriptedMethods, SHAPES_LM_CONFIG, SHAPES_VLM_CONFIG, type Script } from './test-fakes'; // prettier-ignore

// The engine's modules read WebGPU's constants at load time; Node has none.
vi.hoisted(() => {
  Object.assign(globalThis, {
    GPUBufferUsage: { MAP_READ: 1, MAP_WRITE: 2, COPY_SRC: 4, COPY_DST: 8, INDEX: 16, VERTEX: 32, UNIFORM: 64, STORAGE: 128 }, // prettier-ignore
    GPUMapMode: { READ: 1, WRITE: 2 },
  });
});
const { DecodeSession, DecodeSetupError } = await import('./index');

const tokenizer = TextTokenizer.fromJson(shapesTokenizerJson(), shapesTokenizerConfig());
const image = imageToFloat32(rasterize(sampleSceneAt(DEFAULT_WORLD, 1, 0)));
const gpu = { isLost: false, assertAlive() {} } as never;
const WORD = tokenizer.tokenToId('star')!;
const EOS = tokenizer.eosTokenIds[0];

function setup(script: Script = () => WORD, options: { fork?: boolean; amateur?: boolean } = {}) {
  const main = fakeModel('shapes-vlm', SHAPES_VLM_CONFIG, { fork: options.fork ?? true });
  const amateur = options.amateur ? fakeModel('shapes-amateur', SHAPES_LM_CONFIG) : undefined;
  const seen = new Map<string, ObservedStep[]>();
  const create = (exp = experiment([lane('a', 'plain')]), pixels: Float32Array | null = image) =>
    DecodeSession.create({
      gpu,
      models: { main, ...(amateur ? { amateur } : {}) },
      tokenizer,
      experiment: exp,
      image: pixels,
      methods: scriptedMethods(script, seen),
    });
  return { main, amateur, seen, create };
}

describe('DecodeSession (scripted steps, fake models)', () => {
  it('prefills each distinct prompt once, forks it for the other lanes, then forwards every sequence in one batch', async () => {
    const { main, seen, create } = setup();
    const session = await create(
      experiment([lane('greedy', 'plain'), lane('vcd', 'vcd'), lane('sampled', 'plain', { greedy: false })]),
    );
    await session.step();
    // Original prompt (shared by 3 components) and the noised one: 2 sequences in one forward.
    expect(main.requests).toHaveLength(1);
    expect(main.requests[0].sequences.map((s) => s.tokens.length)).toEqual([13, 13]);
    expect(main.requests[0].sequences[1].image).not.toEqual(image);
    expect(session.counts).toMatchObject({
      prefillSequences: { main: 2 },
      prefillTokens: { main: 26 },
      forks: 2,
    });
    expect(seen.get('greedy')![0].components[0].row).toBe(0);
    expect(seen.get('vcd')![0].components.map((c) => c.row)).toEqual([0, 1]);
    await session.step();
    expect(main.requests).toHaveLength(2);
    expect(main.requests[1].sequences.map((s) => s.tokens)).toEqual([[WORD], [WORD], [WORD], [WORD]]);
    expect(new Set(main.requests[1].sequences.map((s) => s.sequence)).size).toBe(4);
    expect(seen.get('vcd')![1].components.map((c) => c.row)).toEqual([1, 2]);
    const stats = session.laneTraces().map((t) => t.statistics);
    expect(stats.map((s) => s.forwardPasses)).toEqual([{ main: 2 }, { main: 2 }, { main: 2 }]);
    expect(session.counts.forwards.main).toBe(2);
    session.dispose();
    expect(main.lengths.size).toBe(0);
  });

  it('without fork every component prefills its own prompt', async () => {
    const { main, create } = setup(undefined, { fork: false });
    const session = await create(experiment([lane('a', 'plain'), lane('b', 'vcd')]));
    await session.step();
    expect(main.requests[0].sequences).toHaveLength(3);
    expect(session.counts).toMatchObject({ prefillSequences: { main: 3 }, forks: 0 });
    session.dispose();
  });

  it('batches each model once per step: CD reads the expert and the amateur', async () => {
    const { main, amateur, seen, create } = setup(undefined, { amateur: true });
    const exp = experiment([lane('plain', 'plain'), lane('cd', 'cd')], {
      models: {
        main: { source: 'default', id: 'shapes-vlm', sha256: {} },
        amateur: { source: 'default', id: 'shapes-amateur', sha256: {} },
      },
    });
    const session = await create(exp);
    await session.run();
    expect(main.requests).toHaveLength(3);
    expect(amateur!.requests).toHaveLength(3);
    // The amateur reads text only: its prompt has no image placeholders.
    expect(amateur!.requests[0].sequences[0].tokens).toEqual(tokenizer.encode('the picture shows'));
    expect(seen.get('cd')![0].components.map((c) => c.model)).toEqual(['main', 'amateur']);
    const [plainTrace, cdTrace] = session.laneTraces();
    expect(plainTrace.statistics.forwardPasses).toEqual({ main: 3 });
    expect(cdTrace.statistics.forwardPasses).toEqual({ main: 3, amateur: 3 });
    expect(cdTrace.inputs).toEqual([
      { label: 'expert', model: 'main', distortion: null },
      { label: 'amateur', model: 'amateur', distortion: null },
    ]);
    session.dispose();
  });

  it("ends a lane on its own error and keeps the others going; a lane's sequences are released when it ends", async () => {
    const { main, create } = setup((id, o) => (id === 'bad' && o.step === 1 ? new Error('no token is plausible') : WORD)); // prettier-ignore
    const session = await create(experiment([lane('good', 'plain'), lane('bad', 'vcd')], { maxTokens: 4 }));
    await session.step();
    const reports = await session.step();
    expect(reports.find((r) => r.laneId === 'bad')).toEqual({
      laneId: 'bad',
      token: null,
      stopReason: 'error',
      error: 'no token is plausible',
    });
    expect(main.lengths.size).toBe(1);
    await session.run();
    const [good, bad] = session.trace({ adapter: 'fake', userAgent: 'node', createdAt: 'now' }).lanes;
    expect(good).toMatchObject({ stopReason: 'max-tokens', statistics: { tokens: 4 } });
    expect(bad).toMatchObject({
      stopReason: 'error',
      error: 'no token is plausible',
      statistics: { tokens: 1 },
    });
    expect(main.requests.at(-1)!.sequences).toHaveLength(1);
    session.dispose();
  });

  it('stops at EOS, at the token budget and at the context, like generate()', async () => {
    const { create } = setup((id, o) => (id === 'eos' && o.step === 1 ? EOS : WORD));
    const session = await create(
      experiment([lane('eos', 'plain'), lane('budget', 'plain')], { maxTokens: 5 }),
    );
    await session.run();
    expect(session.laneTraces().map((t) => [t.stopReason, t.tokens.length])).toEqual([['eos', 2], ['max-tokens', 5]]); // prettier-ignore
    const small = setup();
    const context = fakeModel('small', { ...SHAPES_VLM_CONFIG, max_position_embeddings: 16 });
    const short = await DecodeSession.create({
      gpu,
      models: { main: context },
      tokenizer,
      experiment: experiment([lane('a', 'plain')], { maxTokens: 10 }),
      image,
      methods: scriptedMethods(() => WORD, small.seen),
    });
    await short.run();
    // 13 prompt tokens in a 16-position context: 3 tokens, as generate() stops.
    expect(short.laneTraces()[0]).toMatchObject({ stopReason: 'context', statistics: { tokens: 3 } });
  });

  it('runs phase-2 decisions after every lane has read the shared forward, counting their forwards', async () => {
    const order: string[] = [];
    const { main, create } = setup((id, o) => {
      order.push(`${id}:${o.step}`);
      return id === 'search' ? { pending: WORD } : WORD;
    });
    const session = await create(
      experiment([lane('search', 'plain'), lane('after', 'plain')], { maxTokens: 1 }),
    );
    const forwardsBefore = main.requests.length;
    await session.step();
    expect(order).toEqual(['search:0', 'after:0']);
    // The prefill, then the candidate forward of the pending decision (on a fork it released).
    expect(main.requests.length - forwardsBefore).toBe(2);
    expect(session.laneTraces()[0].statistics.forwardPasses).toEqual({ main: 2 });
    expect(session.counts.forwards.main).toBe(2);
    session.dispose();
    expect(main.lengths.size).toBe(0);
  });

  it('a stepper that owns its sequences forks the shared prefill once, then forwards alone', async () => {
    const main = fakeModel('shapes-vlm', SHAPES_VLM_CONFIG);
    const scripted = scriptedMethods(() => WORD, new Map());
    let own: number | null = null;
    const methods = (name: MethodName): DecodingMethod =>
      name !== 'debias'
        ? scripted(name)
        : {
            ...scripted(name),
            async createStepper(config, setup) {
              const base = await scripted(name).createStepper!(config, setup);
              return {
                ownsSequences: true,
                observe: async (observed) => {
                  await base.observe(observed);
                  return {
                    async decide({ models, sequences }) {
                      if (own === null) own = models.main.fork(sequences[0]);
                      else expect(sequences).toEqual([]);
                      await models.main.forward({ sequences: [{ sequence: own, tokens: [WORD] }] });
                      return { token: WORD, record: ((await base.observe(observed)) as StepDecision).record };
                    },
                  };
                },
                dispose: () => main.releaseSequence(own!),
              };
            },
          };
    const session = await DecodeSession.create({
      gpu,
      models: { main },
      tokenizer,
      experiment: experiment([lane('plain', 'plain'), lane('own', 'debias')]),
      image,
      methods,
    });
    await session.run();
    // Step 0: the shared prefill (2 prompts) and the owner's own forward; steps 1-2: one shared
    // forward of the plain lane's sequence and one of the owner's.
    expect(main.requests.map((r) => r.sequences.length)).toEqual([2, 1, 1, 1, 1, 1]);
    expect(session.counts.forks).toBe(1);
    expect(session.laneTraces()[1].statistics.forwardPasses).toEqual({ main: 4 });
    session.dispose();
    expect(main.lengths.size).toBe(0);
  });

  it('counts readback per lane and per token, and cancels unfinished lanes', async () => {
    const { create } = setup();
    const session = await create(experiment([lane('a', 'plain')], { maxTokens: 8 }));
    const controller = new AbortController();
    await session.run(controller.signal, () => {
      if (session.stepsTaken === 2) controller.abort();
    });
    const [trace] = session.laneTraces();
    expect(trace.stopReason).toBe('cancelled');
    expect(trace.statistics).toMatchObject({ tokens: 2, readbackBytes: 200, readbackBytesPerToken: 100, meanEntropy: 2 }); // prettier-ignore
    expect(trace.tokens.map((t) => [t.step, t.id, t.piece])).toEqual([[0, WORD, 'star'], [1, WORD, 'star']]); // prettier-ignore
  });

  it('refuses up front, listing every problem with the lane it concerns', async () => {
    const { create } = setup();
    await expect(create(experiment([lane('a', 'plain')]), null)).rejects.toThrow(
      /names an image, but no pixels/,
    );
    const text = fakeModel('shapes-expert', SHAPES_LM_CONFIG);
    const make = (
      exp = experiment([lane('a', 'vcd'), lane('b', 'plain')], { image: null }),
      models = { main: text },
    ) => DecodeSession.create({ gpu, models, tokenizer, experiment: exp, image: null });
    await expect(make()).rejects.toThrow(DecodeSetupError);
    await expect(make()).rejects.toThrow(/lanes\[0\]\.method\.method.*VCD needs an image/);
    const vlm = fakeModel('shapes-vlm', SHAPES_VLM_CONFIG);
    const odd = fakeModel('odd', { ...SHAPES_LM_CONFIG, vocab_size: 70 });
    const withAmateur = experiment([lane('cd', 'cd')], {
      models: { main: { source: 'default', id: 'shapes-vlm', sha256: {} }, amateur: { source: 'default', id: 'odd', sha256: {} } }, // prettier-ignore
      image: null,
    });
    await expect(make(withAmateur, { main: vlm, amateur: odd } as never)).rejects.toThrow(/vocabulary of 62 tokens and the amateur \(odd\) 70/); // prettier-ignore
    await expect(make(withAmateur, { main: vlm, amateur: vlm } as never)).rejects.toThrow(/same loaded model \(shapes-vlm\)/); // prettier-ignore
    await expect(make(withAmateur, { main: vlm } as never)).rejects.toThrow(/names an amateur model \(odd\), but none is loaded/); // prettier-ignore
    await expect(make(experiment([lane('a', 'plain')]), { main: text })).rejects.toThrow(/shapes-expert reads text only/); // prettier-ignore
    const long = experiment([lane('a', 'plain'), lane('b', 'icd')], {
      image: null,
      prompt: 'star '.repeat(100),
    });
    await expect(make(long, { main: text })).rejects.toThrow(/lane 1 \(a, Plain\): the prompt of "model" has 10[01] tokens.*\n- lane 2/); // prettier-ignore
    await expect(make(experiment([], { image: null }), { main: text })).rejects.toThrow(/lanes/);
  });
});
