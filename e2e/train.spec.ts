// The Train workbench end to end: an invalid hyper-parameter is refused with its value named; a new
// nano model trains on the built-in corpus for a few steps while the page stays responsive and the
// loss falls on the chart; the checkpoint downloads as a zip, loads back through the UI and
// generates exactly what the live trained model generated; a run that blows up (lr 1e30) stops
// with the step and tensor named and still saves its last good parameters.
// `UPDATE_SCREENSHOT=1` also rewrites public/train-panel.png.
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { watchForErrors } from './helpers';
import { BUILTIN_CORPUS_TEXT } from '../src/training/corpus-text';
import { readZip } from '../src/training/zip';

test.use({ viewport: { width: 1280, height: 800 } });

// A few steps show the loss falling; the README screenshot gets a longer curve.
const STEPS = Number(process.env.TRAIN_E2E_STEPS ?? (process.env.UPDATE_SCREENSHOT ? 80 : 24));

async function setSettings(page: Page, values: Record<string, string>) {
  for (const [field, value] of Object.entries(values)) await page.getByTestId(`setting-${field}`).fill(value);
}

/** Greedy generation in the Model tab; returns the generated token pieces. */
async function generateInModelTab(page: Page, prompt: string): Promise<string[]> {
  await page.getByTestId('tab-model').click();
  const panel = page.getByRole('region', { name: 'Model', exact: true });
  await panel.getByRole('textbox', { name: 'Prompt' }).fill(prompt);
  await panel.getByRole('spinbutton', { name: 'max tokens' }).fill('12');
  await panel.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByTestId('generation-output')).toHaveAttribute('data-running', 'false');
  await expect(page.getByTestId('generation-error')).toHaveCount(0);
  const pieces = await page.getByTestId('generated-token').allTextContents();
  await page.getByTestId('tab-train').click();
  return pieces;
}

test('Train workbench: refuses a bad value, trains nano, loss falls, saves, reloads and generates the same', async ({
  page,
}) => {
  test.setTimeout(600_000);
  const problems = watchForErrors(page);
  await page.goto('/#train');
  await expect(page.getByTestId('gpu-status')).toHaveText('GPU ready');
  await expect(page.getByRole('region', { name: 'Train' })).toBeVisible();

  // An invalid hyper-parameter is refused before anything starts, naming the value.
  await setSettings(page, { learningRate: '-1' });
  await expect(page.getByTestId('settings-error')).toHaveText(
    'adamw: learningRate (lr) must be a finite number >= 0, got -1',
  );
  await expect(page.getByTestId('setting-learningRate')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByTestId('train-start')).toBeDisabled();
  await setSettings(page, { contextLength: '1', learningRate: '0.01' });
  await expect(page.getByTestId('settings-error')).toHaveText(
    'context length must be an integer in 2..1024, got 1',
  );

  // A tiny run: SwiftShader on two cores.
  await setSettings(page, {
    minLearningRate: '0.001',
    warmupSteps: '2',
    totalSteps: String(STEPS),
    batchSize: '4',
    contextLength: '32',
  });
  await expect(page.getByTestId('settings-error')).toHaveCount(0);
  await page.getByTestId('train-preset').selectOption('nano');
  await page.getByTestId('train-start').click();
  const status = page.getByTestId('train-status');
  await expect(status).toHaveAttribute('data-status', 'running');
  const chart = page.getByTestId('loss-chart');
  await expect(chart).not.toHaveAttribute('data-steps', /^[0-2]$/, { timeout: 180_000 });

  // The page stays responsive while the worker trains: tabs switch and the numbers keep moving.
  const stepsBefore = Number(await chart.getAttribute('data-steps'));
  await page.getByTestId('tab-model').click();
  await expect(page.getByRole('region', { name: 'Model', exact: true })).toBeVisible();
  await page.getByTestId('tab-train').click();
  await expect(chart).not.toHaveAttribute('data-steps', String(stepsBefore));
  if (process.env.UPDATE_SCREENSHOT) await page.screenshot({ path: 'test-results/train-panel-running.png', fullPage: true }); // prettier-ignore

  await expect(status).toHaveAttribute('data-status', 'completed', { timeout: 480_000 });
  await expect(chart).toHaveAttribute('data-steps', String(STEPS));
  await expect(page.getByTestId('stat-step')).toHaveText(`${STEPS} / ${STEPS}`);
  const first = Number(await chart.getAttribute('data-first-loss'));
  const last = Number(await chart.getAttribute('data-last-loss'));
  const smoothedLast = Number(await chart.getAttribute('data-smoothed-loss'));
  // Character level on ~60 symbols: the start is about ln 60 = 4.1; a few steps learn letter frequencies.
  expect(first).toBeGreaterThan(3.5);
  expect(last).toBeLessThan(first - 0.4);
  expect(smoothedLast).toBeLessThan(first - 0.2);
  await expect(page.getByTestId('stat-parameters')).not.toHaveText('—');

  // Save: one zip with a Hugging Face folder inside.
  const downloading = page.waitForEvent('download');
  await page.getByTestId('train-save').click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe(`nano-gpt2-step-${STEPS}.zip`);
  const zipPath = await download.path();
  const entries = await readZip(new Uint8Array(readFileSync(zipPath)));
  expect([...entries.keys()].sort()).toEqual(
    ['README.md', 'config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'].map(
      (f) => `nano-gpt2-step-${STEPS}/${f}`,
    ),
  );
  await expect(page.getByTestId('checkpoint-status')).toContainText(`Saved nano-gpt2-step-${STEPS}.zip`);

  // The live trained weights as the Model tab's model, then the downloaded zip loaded back: same tokens.
  await page.getByTestId('train-use-model').click();
  await expect(page.getByTestId('checkpoint-status')).toContainText(
    `Loaded the trained weights after ${STEPS} steps into the Model tab (local folder nano-gpt2-step-${STEPS})`,
  );
  const live = await generateInModelTab(page, 'The fox ');
  expect(live.length).toBeGreaterThan(0);
  const zipName = download.suggestedFilename();
  await page.getByTestId('checkpoint-input').setInputFiles({ name: zipName, mimeType: 'application/zip', buffer: readFileSync(zipPath) }); // prettier-ignore
  await expect(page.getByTestId('checkpoint-status')).toContainText(`Loaded ${zipName} into the Model tab`);
  await expect(page.getByTestId('checkpoint-error')).toHaveCount(0);
  const reloaded = await generateInModelTab(page, 'The fox ');
  expect(reloaded).toEqual(live);
  await expect(page.getByTestId('model-name')).toHaveText(`local folder nano-gpt2-step-${STEPS}`);

  if (process.env.UPDATE_SCREENSHOT) {
    await page.setViewportSize({ width: 1280, height: 820 });
    await page.screenshot({ path: 'public/train-panel.png', fullPage: true });
  }

  // Training goes on from the reloaded checkpoint, on a text file: its first loss is the trained
  // model's, far below the new model's.
  await page.getByRole('button', { name: 'Loaded model' }).click();
  await page.getByRole('button', { name: 'Text file' }).click();
  const text = BUILTIN_CORPUS_TEXT.slice(0, 1500);
  await page.getByTestId('train-corpus-input').setInputFiles({ name: 'fox.txt', mimeType: 'text/plain', buffer: Buffer.from(text) }); // prettier-ignore
  await expect(page.getByText(`fox.txt: ${text.length.toLocaleString('en-US')} characters.`)).toBeVisible();
  await setSettings(page, { totalSteps: '3', warmupSteps: '0' });
  await page.getByTestId('train-start').click();
  await expect(status).toHaveAttribute('data-status', 'completed', { timeout: 240_000 });
  await expect(page.getByTestId('train-info')).toContainText(`local folder nano-gpt2-step-${STEPS}`);
  await expect(page.getByTestId('train-info')).toContainText('on fox.txt');
  expect(Number(await chart.getAttribute('data-first-loss'))).toBeLessThan(first - 0.4);
  expect(problems).toEqual([]);
});

test('Train workbench: a run that blows up stops at a named step and tensor and still saves', async ({
  page,
}) => {
  test.setTimeout(300_000);
  const problems = watchForErrors(page);
  await page.goto('/#train');
  await expect(page.getByTestId('gpu-status')).toHaveText('GPU ready');
  // lr 1e30 is a valid number: AdamW moves every weight by about 1e30 at step 0, and the forward
  // of step 1 overflows f32.
  await setSettings(page, { learningRate: '1e30', minLearningRate: '0', warmupSteps: '0', totalSteps: '5', batchSize: '2', contextLength: '16' }); // prettier-ignore
  await page.getByTestId('train-start').click();
  const status = page.getByTestId('train-status');
  await expect(status).toHaveAttribute('data-status', 'stopped-nan', { timeout: 240_000 });
  await expect(page.getByTestId('train-error')).toContainText(/Training stopped at step \d+: /);
  await expect(page.getByTestId('train-error')).toContainText('The last good parameters are kept');
  if (process.env.UPDATE_SCREENSHOT) await page.screenshot({ path: 'test-results/train-panel-nan.png', fullPage: true }); // prettier-ignore
  const downloading = page.waitForEvent('download');
  await page.getByTestId('train-save').click();
  await downloading;
  await expect(page.getByTestId('checkpoint-error')).toHaveCount(0);
  expect(problems).toEqual([]);
});
