// The Evaluate panel rendered by React in the browser, over the app's own store and IndexedDB: a real
// result (the engine run on scripted lanes, src/evaluate/testing.ts: "yes" always says yes, "truth"
// answers from the scene, swept over VCD's alpha) is imported as a file would be; the tables have a
// row per lane and split with "value [low, high]" in every cell, Δ to the baseline on the other
// lanes, exact where the scripted lanes make the metric exact; a row's worst cases link to Decode;
// the saved list names the model, not the folder URL it was loaded from; a field given a bad value
// shows its problem under it and Run is refused.
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecodeSession } from '../../decoding/lanes/session';
import { CHAIR_METRICS, POPE_METRICS, serializeEvaluation, type EvaluationResult } from '../../evaluate';
import { runEvaluation } from '../../evaluate/runner';
import { testing } from '../../evaluate/testing';
import { defaultLane } from '../../share/methods';
import { appStore } from '../../store';
import { POPE_SPLITS } from '../../world/pope';
import { EvaluatePanel } from './EvaluatePanel';
import { formatDifference, formatEstimate } from './format';

const MODEL_URL = `${location.origin}/models/shapes-vlm/`;
const actEnvironment = globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean };

let result: EvaluationResult;
let container: HTMLDivElement;
let root: Root;

beforeAll(async () => {
  const { harness, config, tokenizer, gpu, clock } = testing(DecodeSession);
  const h = harness();
  // As the worker loads the default model: by its folder URL, which becomes the model's name.
  h.main.info.name = MODEL_URL;
  const lanes = [defaultLane('plain', 'yes'), defaultLane('vcd', 'truth')];
  const sweep = { lane: 'truth', parameter: 'alpha', values: [0.5, 2] };
  result = await runEvaluation(config({ lanes, sweep }), {
    gpu,
    models: { main: h.main },
    tokenizer,
    createSession: h.createSession,
    clock,
  });

  actEnvironment.IS_REACT_ACT_ENVIRONMENT = true;
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
  await act(async () => root.render(<EvaluatePanel active />));
  await act(async () => {
    await appStore.getState().importEvaluation(serializeEvaluation(result));
    await appStore.getState().refreshSavedEvaluations();
  });
});

afterAll(async () => {
  const id = appStore.getState().evaluate.resultId;
  if (id) await act(() => appStore.getState().removeSavedEvaluation(id));
  act(() => root.unmount());
  container.remove();
  actEnvironment.IS_REACT_ACT_ENVIRONMENT = false;
});

const all = <E extends Element = HTMLElement>(selector: string, within: ParentNode = container) => [
  ...within.querySelectorAll<E>(selector),
];
const byTestId = <E extends Element = HTMLElement>(testId: string) => all<E>(`[data-testid="${testId}"]`);
const text = (element: Element) => element.textContent ?? '';

/** Types into an input as a user would: React's onChange sees the new value. */
function type(input: HTMLInputElement, value: string) {
  Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

describe('Evaluate panel', () => {
  it('shows the imported result, saved, with no error', () => {
    expect(appStore.getState().evaluate).toMatchObject({ status: 'done', error: null });
    expect(appStore.getState().evaluate.resultId).not.toBeNull();
    expect(byTestId('eval-error')).toHaveLength(0);
    expect(byTestId('eval-status')[0].dataset.status).toBe('done');
  });

  it('has a POPE row per lane and split, each cell its estimate and interval, Δ off the baseline', () => {
    const names = ['yes (Plain)', 'truth-1 (VCD alpha=0.5)', 'truth-2 (VCD alpha=2)'];
    const rows = byTestId<HTMLTableRowElement>('eval-pope-row');
    expect(rows.map((r) => [r.dataset.lane, r.dataset.split])).toEqual(
      [0, 1, 2].flatMap((lane) => POPE_SPLITS.map((split) => [String(lane), split])),
    );
    rows.forEach((row, i) => {
      const lane = Math.floor(i / POPE_SPLITS.length);
      const summary = result.lanes[lane].pope![i % POPE_SPLITS.length];
      expect(text(row.querySelector('th')!)).toBe(names[lane]);
      expect(all('.eval-estimate', row).map(text)).toEqual(
        POPE_METRICS.map((m) => formatEstimate(summary.metrics[m], 2)),
      );
      const diffs = all('.eval-diff', row).map(text);
      if (lane === 0) expect(diffs).toEqual([]);
      else expect(diffs).toEqual(POPE_METRICS.map((m) => `Δ ${formatDifference(summary.difference![m], 2)}`));
    });
    // The scripted lanes make some numbers exact: "yes" says yes to every question of a balanced
    // set, "truth" is always right, whatever the resample.
    const cells = (row: HTMLElement) => all('.eval-estimate', row).map(text);
    const [accuracy, , recall, , yesRatio] = [0, 1, 2, 3, 4];
    expect(cells(rows[0])[recall]).toBe('1.00 [1.00, 1.00]');
    expect(cells(rows[0])[yesRatio]).toBe('1.00 [1.00, 1.00]');
    expect(cells(rows[0])[accuracy]).toBe('0.50 [0.50, 0.50]');
    for (const row of rows.slice(POPE_SPLITS.length)) {
      expect(cells(row)[accuracy]).toBe('1.00 [1.00, 1.00]');
      const accuracyDiff = all('.eval-diff', row)[accuracy];
      expect(text(accuracyDiff)).toBe('Δ +0.50 [+0.50, +0.50]');
      expect(accuracyDiff.classList.contains('eval-diff-sig')).toBe(true);
    }
  });

  it('has a CHAIR row per lane with Δ off the baseline, and says what the intervals are', () => {
    const rows = byTestId('eval-chair-row');
    expect(rows.map((r) => r.dataset.lane)).toEqual(['0', '1', '2']);
    rows.forEach((row, lane) => {
      const chair = result.lanes[lane].chair!;
      expect(all('.eval-estimate', row).map(text)).toEqual(
        CHAIR_METRICS.map((m) => formatEstimate(chair.metrics[m], m === 'meanLength' ? 1 : 2)),
      );
      expect(all('.eval-diff', row)).toHaveLength(lane === 0 ? 0 : CHAIR_METRICS.length);
    });
    // "truth" names a shape of the scene: it never hallucinates.
    expect(text(all('.eval-estimate', rows[1])[CHAIR_METRICS.indexOf('chairI')])).toBe('0.00 [0.00, 0.00]');
    expect(text(byTestId('eval-results')[0])).toContain(
      '95% bootstrap intervals over scenes (50 resamples); Δ is the paired difference to yes (Plain)',
    );
    expect(byTestId('eval-bars-random')).toHaveLength(1);
  });

  it("opens a row's worst cases as Decode links", async () => {
    const baselineRandom = byTestId('eval-pope-row')[0];
    await act(async () => baselineRandom.click());
    expect(baselineRandom.classList.contains('eval-row-selected')).toBe(true);
    const links = byTestId<HTMLAnchorElement>('eval-worst-link');
    // "yes" is wrong exactly on the no-questions: one link per no-question of the split, up to 12.
    const noQuestions = result.pope!.examples.filter((e) => e.split === 'random' && e.label === 'no');
    expect(links).toHaveLength(Math.min(12, noQuestions.length));
    for (const link of links) {
      expect(link.getAttribute('href')).toMatch(/^#decode\/x1\./);
      expect(text(link)).toMatch(/^scene \d+: ".*" truth no, said yes$/);
    }
  });

  it('lists the saved result by model name, with the folder URL as its tooltip', () => {
    const id = appStore.getState().evaluate.resultId!;
    const entry = appStore.getState().evaluate.saved.find((e) => e.id === id)!;
    expect(entry).toMatchObject({ model: 'shapes-vlm', modelSource: MODEL_URL });
    const current = all('.eval-saved-current', byTestId('eval-saved')[0]);
    expect(current).toHaveLength(1);
    const model = current[0].querySelector('[data-testid="eval-saved-model"]')!;
    expect(text(model)).toBe('shapes-vlm');
    expect(model.getAttribute('title')).toBe(`Main model, loaded from ${MODEL_URL}`);
    expect(text(current[0])).not.toContain('http');
    expect(text(current[0])).toContain('yes (Plain), truth-1 (VCD), truth-2 (VCD) · pope+chair');
  });

  it('labels POPE pairs by what they are, and shows a bad value under its field', async () => {
    const pairs = byTestId<HTMLInputElement>('eval-pope-questions')[0].closest('label')!;
    expect(text(pairs.querySelector('.dfield-label')!)).toBe('yes/no pairs per scene');
    expect(text(byTestId('eval-pope-questions-hint')[0])).toBe('≤ 3 "yes" (shape present) + 3 "no" (absent) questions'); // prettier-ignore
    expect(byTestId('eval-problems')).toHaveLength(0);

    const scenes = byTestId<HTMLInputElement>('eval-pope-scenes')[0];
    await act(async () => type(scenes, '0'));
    expect(appStore.getState().evaluate.config.benchmarks.pope!.scenes).toBe(0);
    expect(scenes.getAttribute('aria-invalid')).toBe('true');
    const problem = scenes.closest('label')!.querySelector('.field-problem')!;
    expect(text(problem)).toBe('0 is below the minimum 1 (POPE scenes allows integers 1 to 10000)');
    expect(scenes.getAttribute('aria-describedby')).toBe(problem.id);
    expect(all('.field-problem', byTestId('eval-problems')[0]).map(text)).toEqual([
      'A field above needs fixing before a run.',
    ]);
    expect(byTestId<HTMLButtonElement>('eval-run')[0].disabled).toBe(true);
    expect(byTestId<HTMLButtonElement>('eval-copy-link')[0].disabled).toBe(true);
    // The result on screen stays.
    expect(byTestId('eval-pope-row')).toHaveLength(3 * POPE_SPLITS.length);

    await act(async () => type(scenes, '3'));
    expect(scenes.getAttribute('aria-invalid')).toBeNull();
    expect(byTestId('eval-problems')).toHaveLength(0);
  });
});
