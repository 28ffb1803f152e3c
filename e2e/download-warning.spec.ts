// The size warning before a large download, end to end and offline: fake remote model folders are
// served by route interception (the worker's fetches go through the browser context's routes).
// HEAD answers a Content-Length above the 100 MB threshold for model.safetensors; nothing large is
// ever sent. The Model tab asks before downloading a GPT-2-medium-sized model and Cancel leaves
// nothing loaded with only a note; a Decode link naming a URL model offers Load, which asks the
// same question, and after Continue (the weights behind it are a tiny real GPT-2) Run works.
// Screenshots of the question go to /tmp (DOWNLOAD_WARNING_SCREENSHOTS=1).
import { expect, test, type Page } from '@playwright/test';
import { expectedTensors } from '../src/model/architectures/tensors';
import { parseModelConfig } from '../src/model/config';
import { TINY_VOCAB, tinyTokenizerJson } from '../src/model/loading/fixtures/tinyModels';
import { writeSafetensors } from '../src/model/loading/safetensorsWriter';
import { randomWeights, tinyGpt2ConfigJson } from '../src/model/reference/tiny';
import { encodeLink } from '../src/share/codec';
import type { Experiment } from '../src/share/experiment';

test.use({ viewport: { width: 1280, height: 860 } });

const HOST = 'https://models.example.test';
/** config.json of GPT-2 medium (355 M parameters); its weights are never served. */
const MEDIUM_URL = `${HOST}/gpt2-medium/`;
/** A tiny real GPT-2 whose HEAD claims 1.42 GB of weights (what GPT-2 medium's file weighs). */
const TINY_URL = `${HOST}/tiny-gpt2/`;
const CLAIMED_WEIGHT_BYTES = 1_419_628_770;

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

function tinyFolder(): Record<string, Buffer> {
  const configJson = tinyGpt2ConfigJson({
    vocab_size: TINY_VOCAB.length,
    n_layer: 2,
    eos_token_id: TINY_VOCAB.indexOf('</s>'),
  });
  const config = parseModelConfig(configJson);
  const weights = randomWeights(config, 5);
  const tensors = Object.fromEntries(
    expectedTensors(config).map((s) => [
      s.name,
      { dtype: 'F32' as const, shape: s.shape, data: weights.get(s.name)! },
    ]),
  );
  return {
    'config.json': json(configJson),
    'tokenizer.json': json(tinyTokenizerJson()),
    'model.safetensors': Buffer.from(writeSafetensors(tensors, { format: 'pt' })),
  };
}

const FOLDERS: Record<string, Record<string, Buffer>> = {
  'gpt2-medium': {
    'config.json': json(
      tinyGpt2ConfigJson({ vocab_size: 50257, n_embd: 1024, n_layer: 24, n_head: 16, n_positions: 1024 }),
    ),
    'tokenizer.json': json(tinyTokenizerJson()),
  },
  'tiny-gpt2': tinyFolder(),
};

/** Serves FOLDERS under HOST with CORS; records "METHOD folder/file" of every request. */
async function serveModels(page: Page): Promise<string[]> {
  const requests: string[] = [];
  await page.context().route(`${HOST}/**`, async (route) => {
    const request = route.request();
    const [folder, file] = new URL(request.url()).pathname.split('/').slice(1);
    const method = request.method();
    requests.push(`${method} ${folder}/${file}`);
    const cors = { 'access-control-allow-origin': '*' };
    const bytes = FOLDERS[folder]?.[file];
    if (file === 'model.safetensors' && method === 'HEAD') {
      return route.fulfill({
        status: 200,
        headers: { ...cors, 'content-length': String(CLAIMED_WEIGHT_BYTES) },
      });
    }
    if (!bytes) return route.fulfill({ status: 404, headers: cors, body: 'Entry not found' });
    if (method === 'HEAD') {
      return route.fulfill({ status: 200, headers: { ...cors, 'content-length': String(bytes.length) } });
    }
    return route.fulfill({
      status: 200,
      headers: { ...cors, 'content-type': 'application/octet-stream' },
      body: bytes,
    });
  });
  return requests;
}

function watchForErrors(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    // The fake servers answer 404 for the optional files a load asks for; Chromium logs those.
    if (/Failed to load resource: .* 404/.test(message.text())) return;
    problems.push(`console.error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return problems;
}

const gets = (requests: string[], folder: string) =>
  requests.filter((r) => r.startsWith(`GET ${folder}/`)).map((r) => r.slice(4 + folder.length + 1));

test('the Model tab asks before a large download; Cancel downloads no weights and loads nothing', async ({
  page,
}) => {
  const problems = watchForErrors(page);
  const requests = await serveModels(page);
  await page.goto('/#model');
  await expect(page.getByTestId('gpu-status')).toHaveText('GPU ready');
  const panel = page.getByRole('region', { name: 'Model', exact: true });
  await panel.getByRole('button', { name: 'URL', exact: true }).click();
  await panel.getByRole('textbox', { name: 'Model folder URL' }).fill(MEDIUM_URL);
  await panel.getByRole('button', { name: 'Load', exact: true }).click();

  const question = panel.getByTestId('download-confirm');
  await expect(question).toBeVisible();
  // 1.42 GB of weights + the tokenizer; GPT-2 medium in f32 with a 1024-token KV cache.
  await expect(question.getByTestId('download-summary')).toHaveText(
    `${MEDIUM_URL} needs about 1.3 GiB to download; GPU memory about 1.5 GiB.`,
  );
  if (process.env.DOWNLOAD_WARNING_SCREENSHOTS)
    await panel.screenshot({ path: '/tmp/download-warning-model.png' });
  expect(gets(requests, 'gpt2-medium')).toEqual(['config.json']);

  await question.getByRole('button', { name: 'Cancel' }).click();
  await expect(panel.getByTestId('download-cancelled')).toHaveText(
    `Download cancelled: ${MEDIUM_URL} was not loaded, and no weights were downloaded.`,
  );
  await expect(question).toHaveCount(0);
  await expect(panel.getByTestId('model-error')).toHaveCount(0);
  await expect(panel.getByTestId('model-card')).toHaveCount(0);
  await expect(panel).toHaveAttribute('data-status', 'empty');
  expect(gets(requests, 'gpt2-medium')).toEqual(['config.json']);
  expect(problems).toEqual([]);
});

test('a Decode link naming a large URL model offers Load, which asks first; after Continue, Run works', async ({
  page,
}) => {
  test.setTimeout(420_000);
  const problems = watchForErrors(page);
  const requests = await serveModels(page);
  const experiment: Experiment = {
    version: 1,
    models: { main: { source: 'url', id: TINY_URL, sha256: {} } },
    prompt: 'the cat sat',
    image: null,
    seed: 7,
    maxTokens: 4,
    lanes: [
      {
        id: 'lane-1',
        method: { method: 'plain' },
        sampling: { greedy: true, temperature: 1, topK: 0, topP: 1, minP: 0 },
      },
    ],
  };
  // The Decode tab starts the Shapes defaults on its own, and the worker runs one request at a
  // time: their folders are refused so the Load below does not wait a minute behind them (this
  // experiment does not use them).
  await page.context().route('**/models/shapes-*/**', (route) => route.abort('blockedbyclient'));
  await page.goto(`/#decode/${encodeLink(experiment)}`);
  await expect(page.getByTestId('gpu-status')).toHaveText('GPU ready');
  const row = page.getByTestId('decode-model-main');
  await expect(row).toHaveAttribute('data-status', 'missing');
  const load = row.getByTestId('decode-model-load');
  await expect(load).toHaveText(`Load ${TINY_URL}`);
  await expect(load).toBeEnabled();
  await load.click();

  const remote = page.getByTestId('decode-remote-load');
  const question = remote.getByTestId('download-confirm');
  await expect(question.getByTestId('download-summary')).toContainText(
    `${TINY_URL} needs about 1.3 GiB to download`,
  );
  if (process.env.DOWNLOAD_WARNING_SCREENSHOTS)
    await page.locator('.decode-setup').screenshot({ path: '/tmp/download-warning-decode.png' });
  await expect(row).toHaveAttribute('data-status', 'loading');
  await question.getByRole('button', { name: 'Cancel' }).click();
  await expect(remote.getByTestId('download-cancelled')).toBeVisible();
  await expect(row).toHaveAttribute('data-status', 'missing');
  await expect(remote.getByTestId('decode-model-load-error')).toHaveCount(0);
  expect(gets(requests, 'tiny-gpt2')).toEqual(['config.json']);
  if (process.env.DOWNLOAD_WARNING_SCREENSHOTS)
    await page.locator('.decode-setup').screenshot({ path: '/tmp/download-warning-decode-cancelled.png' });

  // Load again and Continue: the tiny weights behind the claim load, and the link runs.
  await load.click();
  await question.getByRole('button', { name: 'Continue' }).click();
  await expect(row).toHaveAttribute('data-status', 'ready', { timeout: 240_000 }); // shader compiles
  expect(gets(requests, 'tiny-gpt2')).toEqual(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'model.safetensors']); // prettier-ignore
  await expect(remote.getByTestId('decode-model-load-error')).toHaveCount(0);
  await expect(remote.getByTestId('download-cancelled')).toHaveCount(0);

  await expect(page.getByTestId('decode-run')).toBeEnabled();
  await page.getByTestId('decode-run').click();
  await expect(page.getByTestId('decode-status')).toHaveAttribute('data-status', 'done', {
    timeout: 120_000,
  });
  await expect(page.getByTestId('decode-lane-0').locator('[data-token-id]').first()).toBeVisible();
  expect(problems).toEqual([]);
});
