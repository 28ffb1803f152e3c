// The VLM prompt the worker builds (against the training format in src/defaults/data.ts, with the
// real Shapes tokenizer), and model requests routed to their slot by GpuHost.
import { describe, expect, it } from 'vitest';
import { CAPTION_PROMPT, vlmPrompt } from '../defaults/data';
import type { VisionConfig } from '../model/config';
import { TextTokenizer } from '../model/tokenizer';
import { shapesTokenizerConfig, shapesTokenizerJson, tokenId } from '../world';
import { WorkerClient } from './client';
import { GpuHost } from './host';
import type { ModelHost } from './modelHost';
import type { ModelCard } from './modelTypes';
import type { WorkerEvent } from './protocol';
import { ShapesHost, imagePromptIds } from './shapesHost';
import type { ModelSlot } from './shapesTypes';
import { fakeGpu, hostEndpoint } from './test-fakes';

const tokenizer = TextTokenizer.fromJson(shapesTokenizerJson(), shapesTokenizerConfig());
const vision: VisionConfig = {
  imageSize: 48,
  patchSize: 16,
  channels: 3,
  numPatches: 9,
  patchDim: 768,
  imageTokenId: tokenId('<image>')!,
};

describe('imagePromptIds', () => {
  it('is the Shapes VLM training format for captions and questions', () => {
    for (const text of [CAPTION_PROMPT, 'is there a red star ?', 'how many circles are there ?']) {
      expect(imagePromptIds(tokenizer, vision, text, 'shapes-vlm')).toEqual(vlmPrompt(9, text));
    }
  });

  it('maps words outside the vocabulary to <unk> instead of failing, case-insensitively', () => {
    const ids = imagePromptIds(tokenizer, vision, 'Is there a unicorn?', 'shapes-vlm');
    expect(ids.slice(10)).toEqual(['is', 'there', 'a', '<unk>', '?'].map((w) => tokenId(w)));
  });

  it('refuses a text-only model and a tokenizer without BOS, saying why', () => {
    expect(() => imagePromptIds(tokenizer, null, 'a', 'shapes-expert')).toThrow(
      'shapes-expert reads text only (its config.json has no vision_config): it cannot be given an image',
    );
    const noBos = { bosTokenId: null, encode: () => [] };
    expect(() => imagePromptIds(noBos, vision, 'a', 'm')).toThrow(/names no BOS token/);
  });
});

describe('model slots', () => {
  /** A host per slot that answers loads with a card named after the slot and records stops. */
  function slots() {
    const stops: string[] = [];
    const make = (slot: ModelSlot) =>
      ({
        reset() {},
        stop: () => (stops.push(slot), true),
        async load(_gpu: unknown, requestId: number, _source: unknown, post: (e: WorkerEvent) => void) {
          post({ type: 'modelLoaded', requestId, card: { name: slot } as ModelCard });
        },
      }) as unknown as ModelHost;
    const client = new WorkerClient(
      hostEndpoint(
        (post) =>
          new GpuHost({
            checks: [],
            post,
            models: make('workbench'),
            shapes: new ShapesHost(make),
            createGpu: async () => fakeGpu(),
          }),
      ),
    );
    return { client, stops };
  }
  const source = { kind: 'url' as const, url: 'http://localhost/models/x/' };

  it('a request without a slot goes to the Model tab, one naming a Shapes model to its own host', async () => {
    const { client, stops } = slots();
    await client.request({ type: 'init' });
    expect((await client.request({ type: 'loadModel', source })).card.name).toBe('workbench');
    const vlm = await client.request({ type: 'loadModel', source, slot: 'shapes-vlm' });
    expect(vlm.card.name).toBe('shapes-vlm');
    await client.request({ type: 'stopGeneration', slot: 'shapes-vlm' });
    await client.request({ type: 'stopGeneration' });
    expect(stops).toEqual(['shapes-vlm', 'workbench']);
  });

  it('an unknown slot is refused with a message', async () => {
    const { client } = slots();
    await client.request({ type: 'init' });
    await expect(
      client.request({ type: 'loadModel', source, slot: 'shapes-giant' as ModelSlot }),
    ).rejects.toThrow('The GPU worker has no model slot "shapes-giant"; the UI and worker builds differ.');
  });
});
