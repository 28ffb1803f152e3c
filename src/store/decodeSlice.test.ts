// The decode slice's actions through the real store and WorkerClient, with a scripted worker
// (decodeFakes.ts): what is sent, when a run is refused in the page, run / step / pause / resume /
// stop, links and trace files.
import { describe, expect, it, vi } from 'vitest';
import { encodeLink } from '../share/codec';
import { defaultExperiment } from '../share/methods';
import { WorkerClient } from '../worker/client';
import { settle } from '../worker/test-fakes';
import { createAppStore } from './createAppStore';
import { FAKE_HASH, fakeCard, fakeDecodeWorker } from './decodeFakes';

const PINS = { 'config.json': 'cd'.repeat(32), 'model.safetensors': FAKE_HASH };

async function app(options: { refuse?: string; vlm?: boolean } = {}) {
  const worker = fakeDecodeWorker(options);
  const store = createAppStore({
    hasWebGpu: () => true,
    startClient: () => new WorkerClient(worker.endpoint),
  });
  await store.getState().connect();
  if (options.vlm !== false) {
    const ready = { status: 'ready' as const, card: fakeCard('shapes-vlm', PINS), progress: [], error: null }; // prettier-ignore
    store.setState((s) => ({ shapes: { ...s.shapes, models: { ...s.shapes.models, 'shapes-vlm': ready } } }));
  }
  const until = async (condition: () => boolean) => {
    for (let i = 0; i < 400 && !condition(); i++) await settle();
    expect(condition()).toBe(true);
  };
  return { store, worker, until, decode: () => store.getState().decode };
}

describe('decode slice', () => {
  it('runs the experiment pinned to the loaded model, streams every lane, and ends with the worker trace', async () => {
    const { store, worker, decode } = await app();
    store.getState().setDecodeMaxTokens(4);
    await store.getState().runDecode();
    const [start] = worker.decodeRequests();
    expect(start).toMatchObject({ type: 'startDecode', paused: false });
    expect(start.type === 'startDecode' && start.experiment.models.main.sha256).toEqual(PINS);
    expect(decode().experiment.models.main.sha256).toEqual(PINS); // the link pins it too
    expect(decode()).toMatchObject({ status: 'done', outcome: 'completed', traceSource: 'run', error: null });
    const lanes = decode().trace!.lanes;
    expect(lanes.map((l) => l.tokens.map((t) => t.id))).toEqual([[10, 11, 12, 13], [10, 11, 13, 14], [10, 11, 14, 15]]); // prettier-ignore
    expect(decode().trace!.environment.createdAt).not.toBe('');
    expect(decode().promptPieces).toEqual(['<bos>', 'the']);

    store.getState().selectToken({ laneId: 'lane-2', step: 2 });
    expect(decode().selected).toEqual({ laneId: 'lane-2', step: 2 });
    store.getState().setDecodeMaxTokens(3);
    await store.getState().runDecode(); // a new run clears the selection
    expect(decode().selected).toBeNull();
    expect(decode().trace!.lanes[0].tokens).toHaveLength(3);
  });

  it('refuses an out-of-range value in the page, naming the field and range, without asking the worker', async () => {
    const { store, worker, decode } = await app();
    store.getState().setLaneParameter(1, 'alpha', 7);
    await store.getState().runDecode();
    expect(decode().status).toBe('idle');
    expect(decode().error).toBe(
      'Run refused: lanes[1].method.alpha: 7 is above the maximum 5 (VCD alpha allows 0 to 5). Fix the highlighted field first.',
    );
    expect(decode().experiment.lanes[1].method).toMatchObject({ alpha: 7 }); // not clamped
    expect(store.getState().decodeLinkPayload()).toBeNull();
    await store.getState().stepDecode();
    expect(worker.decodeRequests()).toEqual([]);
  });

  it('refuses while the model is loading or its pinned hash differs, and re-pins on request', async () => {
    const loading = await app({ vlm: false });
    await loading.store.getState().runDecode();
    expect(loading.decode().error).toBe('Run refused: the main model shapes-vlm is loading…');

    const { store, worker, decode } = await app();
    store.getState().setDecodeModel('main', { source: 'default', id: 'shapes-vlm', sha256: { 'model.safetensors': 'ef'.repeat(32) } }); // prettier-ignore
    await store.getState().runDecode();
    expect(decode().error).toContain(
      'model.safetensors is pinned to sha efefefef… but the loaded file is abababab…',
    );
    store.getState().repinDecodeModel('main');
    expect(decode().experiment.models.main.sha256).toEqual(PINS);
    await store.getState().runDecode();
    expect(worker.decodeRequests()).toHaveLength(1);
  });

  it('a refusal from the worker leaves the last run as it was and shows the message', async () => {
    const { store, decode } = await app({ refuse: 'shapes-vlm is not loaded in the worker' });
    await store.getState().runDecode();
    expect(decode()).toMatchObject({ status: 'idle', trace: null });
    expect(decode().error).toBe('Run refused: shapes-vlm is not loaded in the worker');
  });

  it('Step from idle starts paused and steps once; then step, resume, and stop', async () => {
    const { store, worker, until, decode } = await app();
    store.getState().setDecodeMaxTokens(50);
    const run = store.getState().stepDecode();
    await until(() => decode().trace?.lanes[0].tokens.length === 1);
    expect(decode().status).toBe('paused');
    expect(worker.decodeRequests().map((r) => r.type)).toEqual(['startDecode', 'stepDecode']);
    expect(worker.decodeRequests()[0]).toMatchObject({ paused: true });
    await store.getState().stepDecode();
    await until(() => decode().trace?.lanes[0].tokens.length === 2);
    expect(decode().status).toBe('paused');

    await store.getState().resumeDecode();
    expect(decode().status).toBe('running');
    await until(() => decode().trace!.lanes[0].tokens.length > 4);
    await store.getState().pauseDecode();
    expect(decode().status).toBe('paused');
    await store.getState().stopDecode();
    expect(decode().stopping).toBe(true);
    await run;
    expect(decode()).toMatchObject({ status: 'done', outcome: 'stopped', stopping: false });
    expect(decode().trace!.lanes[0].stopReason).toBe('cancelled');
  });

  it('a Stop pressed before the run started reaches the worker once it has', async () => {
    const { store, worker, decode } = await app();
    store.getState().setDecodeMaxTokens(200);
    const run = store.getState().runDecode();
    expect(decode().status).toBe('starting');
    await store.getState().stopDecode();
    expect(worker.decodeRequests().map((r) => r.type)).toEqual(['startDecode']);
    await run;
    expect(worker.decodeRequests().map((r) => r.type)).toEqual(['startDecode', 'stopDecode']);
    expect(decode()).toMatchObject({ status: 'done', outcome: 'stopped', stopping: false });
    expect(decode().trace!.lanes[0].tokens.length).toBeLessThan(200);
  });

  it('opens a valid link, refuses an invalid one with the reason and runs nothing', async () => {
    const { store, worker, decode } = await app();
    const shared = { ...defaultExperiment(), prompt: 'is there a star ?', seed: 7 };
    expect(store.getState().loadDecodeLink(encodeLink(shared))).toBe(true);
    expect(decode().experiment).toEqual(shared);
    expect(store.getState().decodeLinkPayload()).toBe(encodeLink(shared)); // the same link back
    store.getState().pinDecodeModels(); // what the tab does once the default models are loaded
    expect(store.getState().decodeLinkPayload()).toBe(encodeLink({ ...shared, models: { main: { ...shared.models.main, sha256: PINS } } })); // prettier-ignore

    const before = decode().experiment;
    expect(store.getState().loadDecodeLink('x1.AAAA')).toBe(false);
    expect(decode().linkError).toMatch(/^the link is damaged: .*Nothing was changed or run\.$/);
    expect(store.getState().loadDecodeLink('x9.abc')).toBe(false);
    expect(decode().linkError).toContain('newer LogitLab');
    expect(decode().experiment).toBe(before);
    expect(worker.decodeRequests()).toEqual([]);
    store.getState().dismissDecodeError();
    expect(decode().linkError).toBeNull();
  });

  it('exports the finished trace and imports it into a fresh page without running', async () => {
    const first = await app();
    first.store.getState().setDecodeMaxTokens(3);
    expect(first.store.getState().exportDecodeTrace()).toBeNull(); // nothing to export yet
    await first.store.getState().runDecode();
    const file = first.store.getState().exportDecodeTrace()!;
    expect(file).toContain('"format": "logitlab-trace"');

    const second = await app();
    second.store.getState().importDecodeTrace(file);
    expect(second.decode()).toMatchObject({ status: 'done', traceSource: 'import', error: null });
    expect(second.decode().trace).toEqual(first.decode().trace);
    expect(second.decode().experiment).toEqual(first.decode().trace!.experiment);
    expect(second.worker.decodeRequests()).toEqual([]);

    second.store.getState().importDecodeTrace('{"format": "something else"}');
    expect(second.decode().error).toContain(
      'The trace file cannot be read: this JSON is not a LogitLab trace file',
    );
    expect(second.decode().trace).toEqual(first.decode().trace);
  });

  it('an uploaded image is hashed and pinned, and its pixels go to the worker with the run', async () => {
    const { store, worker, decode } = await app();
    const red = { width: 48, height: 48, channels: 3 as const, data: new Uint8Array(48 * 48 * 3).fill(200) };
    await store.getState().uploadDecodeImage(red, 'red.png');
    const image = decode().experiment.image;
    expect(image).toMatchObject({ kind: 'upload', name: 'red.png' });
    expect(image?.kind === 'upload' && image.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(decode().upload?.pixels).toHaveLength(48 * 48 * 3);
    void store.getState().runDecode();
    await vi.waitFor(() => expect(worker.decodeRequests()).toHaveLength(1));
    const sent = worker.decodeRequests()[0] as { imagePixels?: Float32Array };
    expect(sent.imagePixels).toHaveLength(48 * 48 * 3);
    expect(sent.imagePixels?.[0]).toBeCloseTo(200 / 255, 6);
    await store.getState().stopDecode();

    await store.getState().uploadDecodeImage({ width: 0, height: 0, channels: 4, data: new Uint8ClampedArray() }, 'empty.png'); // prettier-ignore
    expect(decode().imageError).toContain('empty.png: ');
    expect(decode().experiment.image).toEqual(image);
  });
});
