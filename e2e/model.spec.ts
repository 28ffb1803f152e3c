// The Model panel end to end: a tiny GPT-2-style model folder written on the Node side with the
// repo's own builders is loaded through the folder picker, generates greedily, and shows its
// attention map and logit lens. `UPDATE_SCREENSHOT=1` also rewrites public/model-panel.png.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { watchForErrors } from './helpers';
import { expectedTensors } from '../src/model/architectures/tensors';
import { parseModelConfig } from '../src/model/config';
import { TINY_VOCAB, tinyTokenizerJson } from '../src/model/loading/fixtures/tinyModels';
import { writeSafetensors } from '../src/model/loading/safetensorsWriter';
import { randomWeights, tinyGpt2ConfigJson } from '../src/model/reference/tiny';

test.use({ viewport: { width: 1280, height: 800 } });

const LAYERS = 3;
const HEADS = 4;

/** Writes config.json, tokenizer.json and model.safetensors of a tiny GPT-2 to a temp folder. */
function writeTinyModelFolder(): string {
  // vocab_size = the tokenizer's vocabulary (>= is what matters: every id the head emits decodes).
  const configJson = tinyGpt2ConfigJson({
    vocab_size: TINY_VOCAB.length,
    n_layer: LAYERS,
    n_head: HEADS,
    eos_token_id: TINY_VOCAB.indexOf('</s>'),
  });
  const config = parseModelConfig(configJson);
  const weights = randomWeights(config, 11);
  const tensors = Object.fromEntries(
    expectedTensors(config).map((s) => [
      s.name,
      { dtype: 'F32' as const, shape: s.shape, data: weights.get(s.name)! },
    ]),
  );
  const dir = join(mkdtempSync(join(tmpdir(), 'logitlab-e2e-')), 'tiny-gpt2');
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(configJson, null, 2));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tinyTokenizerJson(), null, 2));
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(tensors, { format: 'pt' }));
  return dir;
}

test('Model panel: a tiny model loads from a local folder, generates, and shows attention and logit lens', async ({
  page,
}) => {
  const problems = watchForErrors(page);
  const folder = writeTinyModelFolder();
  try {
    await page.goto('/#model');
    await expect(page.getByTestId('gpu-status')).toHaveText('GPU ready');
    const panel = page.getByRole('region', { name: 'Model', exact: true });
    await expect(panel).toBeVisible();

    await page.getByTestId('model-folder-input').setInputFiles(folder);
    const card = page.getByTestId('model-card');
    await expect(card).toBeVisible();
    await expect(page.getByTestId('model-name')).toHaveText('local folder tiny-gpt2');
    await expect(page.getByTestId('card-architecture')).toHaveText('gpt2 (gpt2)');
    await expect(page.getByTestId('card-layers')).toHaveText(String(LAYERS));
    await expect(page.getByTestId('card-heads')).toHaveText(String(HEADS));
    await expect(page.getByTestId('card-vocab')).toHaveText(String(TINY_VOCAB.length));
    const progress = page.getByTestId('model-progress');
    for (const file of ['config.json', 'tokenizer.json', 'model.safetensors'])
      await expect(progress.locator(`[data-file="${file}"]`)).toContainText('100%');

    // Greedy generation: prompt chips, then generated tokens stream in.
    await panel.getByRole('textbox', { name: 'Prompt' }).fill('the cat sat on a mat');
    await panel.getByRole('spinbutton', { name: 'max tokens' }).fill('6');
    await panel.getByRole('button', { name: 'Generate' }).click();
    const output = page.getByTestId('generation-output');
    await expect(output).toHaveAttribute('data-running', 'false');
    await expect(page.getByTestId('generation-status')).toContainText('tokens after 6 prompt tokens');
    const generated = await page.getByTestId('generated-token').count();
    expect(generated).toBeGreaterThan(0);
    await expect(page.getByTestId('generation-error')).toHaveCount(0);

    // Attention viewer: an N × N heatmap over the current text (prompt + generated).
    await panel.getByRole('button', { name: 'Inspect text' }).click();
    const heatmap = page.getByTestId('attention-heatmap');
    await expect(heatmap).toBeVisible();
    // The inspected ids are exactly the prompt's and the generated ones (no re-tokenization).
    const n = 6 + generated;
    await expect(heatmap).toHaveAttribute('aria-label', `Attention heatmap, ${n} by ${n} tokens`);
    await expect(page.getByTestId('attention-cell')).toHaveCount(n * n);
    await expect(page.getByTestId('lens-row')).toHaveCount(LAYERS);

    // Another head and an earlier lens position are new requests; the views follow.
    await panel.getByLabel('head', { exact: true }).selectOption('2');
    await expect(panel.getByRole('heading', { name: 'Attention · layer 0 · head 2' })).toBeVisible();
    await panel.getByLabel('lens position', { exact: true }).selectOption('2');
    await expect(page.getByTestId('logit-lens')).toBeVisible();
    await expect(panel.getByText('Next-token predictions after position 2 “sat”')).toBeVisible();
    await expect(page.getByTestId('lens-row')).toHaveCount(LAYERS);
    await expect(page.getByTestId('inspect-error')).toHaveCount(0);

    // Hovering a cell reads out its probability.
    await page
      .getByTestId('attention-cell')
      .nth(n + 1)
      .hover(); // query 1, key 1
    await expect(page.getByTestId('attention-readout')).toContainText(/query 1 .* key 1 .*: p = \d\.\d{4}/);
    expect(problems).toEqual([]);

    if (process.env.UPDATE_SCREENSHOT) {
      await page.setViewportSize({ width: 1280, height: 400 });
      await page
        .getByTestId('attention-cell')
        .nth(3 * n + 1)
        .hover();
      await page.screenshot({ path: 'public/model-panel.png', fullPage: true });
    }
  } finally {
    rmSync(join(folder, '..'), { recursive: true, force: true });
  }
});
