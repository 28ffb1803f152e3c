// ONNX folders end to end, offline: the committed ORT fixtures (the Shapes expert and draft
// exported with the Hub's layout, served at /fixtures/onnx/) load through the Model tab by URL (the
// tab reads which files the folder holds and offers its dtypes), the second beside the first; a
// folder whose graph does not match its config.json is refused with the loader's message and the
// loaded models stay; in the Speculative tab both run as target and draft beside the
// autoregressive baseline, greedy, to the baseline's tokens. `ONNX_SCREENSHOTS=1` writes the Model
// tab with both loaded to /tmp/onnx-model-tab.png.
import { expect, test, type Page } from '@playwright/test';

test.use({ viewport: { width: 1280, height: 900 } });

function watchForErrors(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    // Reading which dtypes a URL folder has asks for every decoder file; the missing ones are 404s.
    if (/Failed to load resource: .* 404/.test(message.text())) return;
    // onnxruntime's wasm prints its session warnings (nodes it places on the CPU) to stderr, which
    // the console shows as errors; they are warnings ("[W:"), and say nothing about this test.
    if (/^\S+ \S+ \[W:onnxruntime:/.test(message.text())) return;
    problems.push(`console.error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return problems;
}

async function offline(page: Page): Promise<string[]> {
  const refused: string[] = [];
  await page.context().route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') return route.fallback();
    refused.push(url.href);
    return route.abort('internetdisconnected');
  });
  return refused;
}

/**
 * /fixtures/onnx/mismatched/: the expert's files with the draft's config.json, so the graph's KV
 * cache (3 layers) contradicts config.json (1 layer). Generated here, never committed.
 */
async function serveMismatchedFolder(page: Page): Promise<void> {
  await page.context().route('**/fixtures/onnx/mismatched/**', (route) => {
    const url = new URL(route.request().url());
    const file = url.pathname.replace('/fixtures/onnx/mismatched/', '');
    const from = file === 'config.json' ? 'shapes-draft' : 'shapes-expert';
    return route.fallback({ url: `${url.origin}/fixtures/onnx/${from}/${file}` });
  });
}

async function loadByUrl(page: Page, folder: string, screenshot?: string): Promise<void> {
  const panel = page.getByRole('region', { name: 'Model', exact: true });
  await panel.getByRole('textbox', { name: 'Model folder URL' }).fill(new URL(folder, page.url()).href);
  await panel.getByRole('button', { name: 'Load', exact: true }).click();
  const choice = panel.getByTestId('onnx-choice');
  await expect(choice).toContainText('is an ONNX export');
  // The fixtures hold the fp32 decoder only: the dtype list offers exactly what exists.
  await expect(choice.getByTestId('onnx-dtype').locator('option')).toHaveText([/^fp32 · [\d.]+ KiB$/]);
  await expect(choice.getByTestId('onnx-provider')).toHaveValue('auto');
  if (screenshot) await panel.locator('.model-left').screenshot({ path: screenshot });
  await choice.getByTestId('onnx-load').click();
  await expect(choice).toHaveCount(0);
}

const ids = (page: Page, testId: string) =>
  page
    .getByTestId(testId)
    .locator('[data-token-id]')
    .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-token-id') ?? ''));

/** Picks the Model tab option of `role` whose label names `folder`. */
async function chooseLoaded(page: Page, role: 'target' | 'draft', folder: string): Promise<void> {
  const select = page.getByTestId(`speculative-model-${role}-select`);
  const labels = await select.locator('option').allTextContents();
  const label = labels.find((text) => text.startsWith('Model tab:') && text.includes(folder));
  expect(label, `a Model tab option for ${folder} among ${labels.join(' | ')}`).toBeDefined();
  await select.selectOption({ label: label! });
}

test('ONNX folders load by URL in the Model tab and run as target and draft of a speculative lane', async ({
  page,
}) => {
  test.setTimeout(600_000);
  const problems = watchForErrors(page);
  const refused = await offline(page);
  await serveMismatchedFolder(page);
  await page.goto('/#model');
  await expect(page.getByTestId('gpu-status')).toHaveText('GPU ready');
  const panel = page.getByRole('region', { name: 'Model', exact: true });
  await panel.getByRole('button', { name: 'URL', exact: true }).click();

  await loadByUrl(
    page,
    '/fixtures/onnx/shapes-expert/',
    process.env.ONNX_SCREENSHOTS ? '/tmp/onnx-choice.png' : undefined,
  );
  const card = panel.getByTestId('model-card');
  await expect(page.getByTestId('model-name')).toContainText('/fixtures/onnx/shapes-expert/');
  await expect(card.getByTestId('card-engine')).toHaveText(/^onnxruntime-web · (WebGPU|wasm \(CPU\))$/);
  await expect(card.getByTestId('card-dtype')).toHaveText(/^ONNX fp32 on (GPU|CPU)$/);
  await expect(card.getByTestId('card-layers')).toHaveText('3');
  await expect(card.getByTestId('card-capabilities')).toContainText(
    'not hidden states, logit lens, attention',
  );
  // The wasm fallback must say so on the card; on WebGPU there is no notice.
  const engine = await card.getByTestId('card-engine').textContent();
  await expect(card.getByTestId('onnx-notice')).toHaveCount(engine!.includes('wasm') ? 1 : 0);
  await expect(page.getByTestId('inspect-unavailable')).toContainText('gives logits only');
  const progress = page.getByTestId('model-progress');
  for (const file of ['config.json', 'tokenizer.json', 'onnx/decoder_model_merged.onnx'])
    await expect(progress.locator(`[data-file="${file}"]`)).toContainText('100%');

  // The draft beside the expert: both stay loaded.
  await panel.getByTestId('model-keep-loaded').check();
  await loadByUrl(page, '/fixtures/onnx/shapes-draft/');
  await expect(page.getByTestId('model-name')).toContainText('/fixtures/onnx/shapes-draft/');
  await expect(card.getByTestId('card-layers')).toHaveText('1');
  await expect(card.getByTestId('also-loaded')).toContainText('/fixtures/onnx/shapes-expert/');
  if (process.env.ONNX_SCREENSHOTS)
    await page.screenshot({ path: '/tmp/onnx-model-tab.png', fullPage: true });

  // Bad input, replacing both: the loader's message; the two models stay loaded.
  await panel.getByTestId('model-keep-loaded').uncheck();
  await loadByUrl(page, '/fixtures/onnx/mismatched/');
  await expect(panel.getByTestId('model-error')).toContainText(
    'onnx/decoder_model_merged.onnx has a KV cache for 3 layers but config.json says num_hidden_layers 1',
  );
  await expect(page.getByTestId('model-name')).toContainText('/fixtures/onnx/shapes-draft/');
  await expect(card.getByTestId('also-loaded')).toContainText('/fixtures/onnx/shapes-expert/');

  // Speculative sampling (greedy, K = 4) with the ONNX expert as target and the ONNX draft.
  await page.getByTestId('tab-speculative').click();
  await expect(page.getByTestId('speculative-method')).toHaveValue('speculative');
  await expect(page.getByTestId('speculative-greedy')).toBeChecked();
  await chooseLoaded(page, 'target', 'shapes-expert');
  await chooseLoaded(page, 'draft', 'shapes-draft');
  await expect(page.getByTestId('speculative-model-target')).toHaveAttribute('data-status', 'ready');
  await expect(page.getByTestId('speculative-model-draft')).toHaveAttribute('data-status', 'ready');
  await expect(page.getByTestId('speculative-model-target')).toContainText(
    'pinned onnx/decoder_model_merged.onnx',
  );
  await expect(page.getByTestId('speculative-run')).toBeEnabled();
  await page.getByTestId('speculative-run').click();
  await expect(page.getByTestId('speculative-status')).toHaveAttribute('data-status', 'done', {
    timeout: 300_000,
  });
  const rounds = page.getByTestId('speculative-rounds');
  expect(Number(await rounds.getAttribute('data-count'))).toBeGreaterThan(1);
  await expect(rounds.locator('[data-status="accepted"]').first()).toBeVisible();
  const speculative = await ids(page, 'speculative-text');
  const baseline = await ids(page, 'speculative-baseline-text');
  expect(speculative.length).toBeGreaterThan(3);
  expect(speculative).toEqual(baseline);
  await expect(page.getByTestId('speculative-agreement')).toHaveAttribute('data-agree', 'true');

  expect(refused).toEqual([]);
  expect(problems).toEqual([]);
});
