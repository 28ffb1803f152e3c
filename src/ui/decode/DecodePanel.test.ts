// The Decode tab rendered to HTML in Node (react-dom/server: no effects, no canvas) over a store that
// ran an experiment against the scripted worker: every lane, token chip, divergence marker, the
// inspector's tables and the error banner are there with the test ids e2e tests rely on.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { AppState } from '../../store';
import { createAppStore } from '../../store/createAppStore';
import { FAKE_HASH, fakeCard, fakeDecodeWorker } from '../../store/decodeFakes';
import { WorkerClient } from '../../worker/client';
import { settle } from '../../worker/test-fakes';

const worker = fakeDecodeWorker();
const store = createAppStore({ hasWebGpu: () => true, startClient: () => new WorkerClient(worker.endpoint) });

// The app's store module reads `location` at import; the panel gets this test's store instead.
vi.mock('../../store', () => ({
  appStore: store,
  useAppStore: <T>(selector: (state: AppState) => T): T => selector(store.getState()),
}));

const { DecodePanel } = await import('./DecodePanel');
const render = () => renderToStaticMarkup(createElement(DecodePanel, { active: true }));

beforeAll(async () => {
  await store.getState().connect();
  const card = fakeCard('shapes-vlm', { 'model.safetensors': FAKE_HASH });
  store.setState((s) => ({
    shapes: { ...s.shapes, models: { ...s.shapes.models, 'shapes-vlm': { status: 'ready', card, progress: [], error: null } } }, // prettier-ignore
  }));
  store.getState().setDecodeMaxTokens(4);
  await store.getState().runDecode();
  for (let i = 0; i < 20; i++) await settle();
});

describe('DecodePanel', () => {
  it('shows the setup, the run controls, every lane with its tokens, statistics and divergence', () => {
    expect(store.getState().decode.status).toBe('done');
    const html = render();
    for (const id of [
      'decode-run',
      'decode-step',
      'decode-stop',
      'decode-copy-link',
      'decode-export',
      'decode-import',
      'decode-prompt',
      'decode-seed',
      'decode-max-tokens',
      'decode-legend',
      'decode-add-lane',
      'decode-model-main',
    ])
      // prettier-ignore
      expect(html).toContain(`data-testid="${id}"`);
    for (const lane of [0, 1, 2]) {
      expect(html).toContain(`data-testid="decode-lane-${lane}"`);
      for (const step of [0, 1, 2, 3]) expect(html).toContain(`data-testid="decode-token-${lane}-${step}"`);
      expect(html).toContain(`data-testid="decode-stats-${lane}"`);
    }
    expect(html).toContain('data-testid="decode-divergence-1" data-step="2"');
    expect(html.match(/data-diverges="true"/g)).toHaveLength(2);
    expect(html).toContain('data-status="done"');
    expect(html).toContain('sha model.safetensors abababab…');
    expect(html).not.toContain('data-testid="decode-inspector"');
    expect(html).not.toContain('data-testid="decode-error"');
  });

  it('opens the inspector on the selected token with the summary table and top-10 of each distribution', () => {
    store.getState().selectToken({ laneId: 'lane-2', step: 2 });
    const html = render();
    expect(html).toContain('data-testid="decode-inspector" data-lane="1" data-step="2"');
    expect(html).toContain('data-testid="decode-inspector-summary"');
    expect(html.match(/data-testid="decode-inspector-distribution"/g)).toHaveLength(2); // base + combined
    expect(html).toContain('data-testid="decode-inspector-vhead">3<');
    expect(html).toContain('changed by the method');
    expect(html).toMatch(/aria-pressed="true" tabindex="0" data-testid="decode-token-1-2"/);
    expect(html).toMatch(/aria-pressed="false" tabindex="-1" data-testid="decode-token-1-0"/); // one tab stop per lane
  });

  it('shows an invalid link and an out-of-range field as errors, and blocks Run', () => {
    store.getState().loadDecodeLink('x1.AAAA');
    store.getState().setLaneSampling(0, { temperature: 9 });
    const html = render();
    expect(html).toContain('data-testid="decode-error"');
    expect(html).toContain('data-testid="decode-link-error"');
    expect(html).toContain('9 is above the maximum 5 (sampling temperature allows above 0 and at most 5)');
    expect(html).toMatch(/<button[^>]*disabled=""[^>]*data-testid="decode-run"/);
    expect(html).toContain('data-testid="decode-blocked"');
    expect(html).toContain('data-testid="decode-stale-0"');
  });
});
