// The landing Shapes tab end to end, with every request that leaves this machine refused: the
// default models load from /models/ (public/models/, written by `npm run train:defaults`), the
// VLM captions a seeded scene, a new seed gives a new scene and caption, a question with a word
// outside the vocabulary is flagged and still answered, and the empty scene and an uploaded
// picture of the wrong size work. `UPDATE_SCREENSHOT=1` also rewrites public/shapes-panel.png.
import { expect, test, type Page } from '@playwright/test';
import { watchForErrors } from './helpers';
import { SHAPES_VOCABULARY } from '../src/world';

test.use({ viewport: { width: 1280, height: 900 } });

/** Refuses every request to another host (the worker's included) and records what was asked. */
async function offline(page: Page): Promise<{ refused: string[]; local: string[] }> {
  const seen = { refused: [] as string[], local: [] as string[] };
  await page.context().route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') {
      seen.local.push(url.pathname);
      return route.continue();
    }
    seen.refused.push(url.href);
    return route.abort('internetdisconnected');
  });
  return seen;
}

const caption = (page: Page) => page.getByTestId('shapes-caption');

/** Waits for the current caption to finish; returns its text (after "the picture shows"). */
async function finishedCaption(page: Page): Promise<string> {
  await expect(caption(page)).toHaveAttribute('data-done', 'true', { timeout: 300_000 });
  await expect(page.getByTestId('shapes-caption-error')).toHaveCount(0);
  return (await page.getByTestId('shapes-caption-text').textContent()) ?? '';
}

function expectVocabularyWords(text: string) {
  const words = text.split(' ').filter((w) => w !== '');
  expect(words.length, `the caption is empty: "${text}"`).toBeGreaterThan(0);
  expect(words.filter((w) => !SHAPES_VOCABULARY.includes(w))).toEqual([]);
}

const canvasPixels = (page: Page) =>
  page.getByTestId('shapes-canvas').evaluate((canvas: HTMLCanvasElement) => canvas.toDataURL());

/** A 96x96 PNG (a red disc on black), drawn in the page. */
async function redDiscPng(page: Page): Promise<Buffer> {
  const dataUrl = await page.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 96;
    canvas.height = 96;
    const context = canvas.getContext('2d')!;
    context.fillStyle = '#000';
    context.fillRect(0, 0, 96, 96);
    context.fillStyle = 'rgb(220, 40, 40)';
    context.beginPath();
    context.arc(48, 48, 24, 0, 2 * Math.PI);
    context.fill();
    return canvas.toDataURL('image/png');
  });
  return Buffer.from(dataUrl.split(',')[1], 'base64');
}

test('Shapes: offline, the VLM captions a seeded scene, new seeds, unknown words, empty scene and uploads', async ({
  page,
}) => {
  test.setTimeout(900_000);
  const problems = watchForErrors(page);
  const network = await offline(page);
  await page.goto('/');
  await expect(page.getByTestId('gpu-status')).toHaveText('GPU ready');
  await expect(page.getByTestId('tab-shapes')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('region', { name: 'Shapes' })).toBeVisible();

  // On start: the VLM loads from /models/ and captions the scene of seed 1.
  await expect(page.getByTestId('shapes-image-title')).toContainText('Scene of seed 1');
  const first = await finishedCaption(page);
  expectVocabularyWords(first);
  await expect(page.getByTestId('shapes-verdict')).toBeVisible();
  for (const name of ['shapes-vlm', 'shapes-expert', 'shapes-amateur', 'shapes-draft'])
    await expect(page.getByTestId(`shapes-model-${name}`)).toHaveAttribute('data-status', 'ready');
  expect(network.local).toContain('/models/shapes-vlm/model.safetensors');

  // A yes/no question about the same picture, set beside the ground truth.
  await page.getByTestId('shapes-question').fill('is there a red heart ?');
  await page.getByTestId('shapes-ask').click();
  await expect(page.getByTestId('shapes-answer')).toHaveAttribute('data-done', 'true', { timeout: 120_000 });
  await expect(page.getByTestId('shapes-answer-truth')).toContainText('ground truth: no');

  if (process.env.UPDATE_SCREENSHOT) {
    await page.mouse.move(0, 0);
    await page.getByRole('region', { name: 'Shapes' }).screenshot({ path: 'public/shapes-panel.png' });
  }

  // Another seed: another scene, another caption.
  const firstPixels = await canvasPixels(page);
  await page.getByTestId('shapes-seed').fill('3');
  await expect(page.getByTestId('shapes-image-title')).toContainText('Scene of seed 3');
  const second = await finishedCaption(page);
  expectVocabularyWords(second);
  expect(await canvasPixels(page)).not.toBe(firstPixels);
  expect(second, 'a different scene should get a different caption').not.toBe(first);
  await page.getByTestId('shapes-new-scene').click();
  await expect(page.getByTestId('shapes-image-title')).toContainText('Scene of seed 4');
  await expect(page.getByTestId('shapes-seed')).toHaveValue('4');
  await finishedCaption(page);

  // A word outside the vocabulary is flagged, read as <unk>, and the question still runs.
  await page.getByTestId('shapes-question').fill('is there a unicorn ?');
  const warning = page.getByTestId('shapes-unknown-words');
  await expect(warning).toContainText('“unicorn” is not among the');
  await expect(warning).toContainText('<unk>');
  await expect(warning.locator('mark')).toHaveText('unicorn');
  await page.getByTestId('shapes-ask').click();
  await expect(page.getByTestId('shapes-answer')).toHaveAttribute('data-done', 'true', { timeout: 120_000 });
  await expect(page.getByTestId('shapes-answer-error')).toHaveCount(0);
  await expect(page.getByTestId('shapes-answer-tokens')).toContainText('<unk>');
  await page.getByTestId('shapes-question').fill('is there a moon ?');
  await expect(warning).toHaveCount(0);

  // The empty scene is captioned like any other.
  await page.getByTestId('shapes-clear').click();
  await expect(page.getByTestId('shapes-image-title')).toContainText('The empty scene');
  await finishedCaption(page);

  // A 96x96 picture is resized to 48x48, saying so, and captioned; refused when resizing is off.
  const png = await redDiscPng(page);
  await page
    .getByTestId('shapes-upload')
    .setInputFiles({ name: 'disc.png', mimeType: 'image/png', buffer: png });
  await expect(page.getByTestId('shapes-image-title')).toContainText('Uploaded: disc.png');
  await expect(page.getByTestId('shapes-resize-message')).toHaveText(
    'Image was 96×96; resized to 48×48 (area averaging).',
  );
  await finishedCaption(page);
  await page.getByRole('checkbox', { name: 'resize other sizes to 48×48' }).uncheck();
  await page
    .getByTestId('shapes-upload')
    .setInputFiles({ name: 'big.png', mimeType: 'image/png', buffer: png });
  await expect(page.getByTestId('shapes-image-error')).toHaveText(
    "big.png: Image is 96×96 but the Shapes world's models read 48×48: resize it first, or allow resizing",
  );
  await expect(page.getByTestId('shapes-image-title')).toContainText('Uploaded: disc.png');

  // The other tabs stay reachable by their hashes.
  await page.goto('/#checks');
  await expect(page.getByTestId('tab-checks')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('button', { name: 'Run all checks' })).toBeVisible();

  expect(network.refused).toEqual([]);
  expect(problems).toEqual([]);
});
