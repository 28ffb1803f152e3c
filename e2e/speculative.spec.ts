// The Speculative workbench end to end on the Shapes expert (target) and draft, offline: the default
// setup (speculative sampling, greedy, K = 4, 16 tokens) runs beside the autoregressive baseline;
// the rounds view shows accepted, resampled and bonus tokens; greedy speculative text equals greedy
// autoregressive text; the copied link opened in a fresh page runs to the same tokens; a damaged
// link says so and runs nothing. `UPDATE_SCREENSHOT=1` also rewrites public/speculative-panel.png.
import { expect, test, type Page } from '@playwright/test';
import { offline, watchForErrors } from './helpers';

test.use({ viewport: { width: 1400, height: 1000 } });

const ids = (page: Page, testId: string) =>
  page
    .getByTestId(testId)
    .locator('[data-token-id]')
    .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-token-id') ?? ''));

async function runAndWait(page: Page): Promise<void> {
  await expect(page.getByTestId('speculative-run')).toBeEnabled({ timeout: 120_000 });
  await page.getByTestId('speculative-run').click();
  await expect(page.getByTestId('speculative-status')).toHaveAttribute('data-status', 'done', {
    timeout: 600_000,
  });
}

test('speculative sampling beside the baseline, the rounds view, and a link that reproduces the tokens', async ({
  page,
  browser,
}) => {
  test.setTimeout(1_200_000);
  const problems = watchForErrors(page);
  const refused = await offline(page);
  await page.goto('/#speculative');
  await expect(page.getByTestId('speculative-method')).toHaveValue('speculative');
  await expect(page.getByTestId('speculative-param-draftLength')).toHaveValue('4');
  await expect(page.getByTestId('speculative-greedy')).toBeChecked();
  await runAndWait(page);

  // Rounds: rows of chips coloured by what the verifier did.
  const rounds = page.getByTestId('speculative-rounds');
  expect(Number(await rounds.getAttribute('data-count'))).toBeGreaterThan(1);
  for (const status of ['accepted', 'resampled', 'bonus'])
    await expect(rounds.locator(`[data-status="${status}"]`).first()).toBeVisible();
  const title = await rounds.locator('[data-status="accepted"]').first().getAttribute('title');
  expect(title).toMatch(/p\(x\) = [\d.e-]+ \(target\)\nq\(x\) = [\d.e-]+ \(draft\)/);
  await expect(page.getByTestId('speculative-stat-theory')).toContainText(/theory \d/);
  await expect(page.getByTestId('speculative-stat-speedup')).toContainText('×');

  // Greedy speculative decoding is greedy decoding: the same tokens as the baseline.
  const speculative = await ids(page, 'speculative-text');
  const baseline = await ids(page, 'speculative-baseline-text');
  expect(speculative.length).toBeGreaterThan(3);
  expect(speculative).toEqual(baseline);
  await expect(page.getByTestId('speculative-agreement')).toHaveAttribute('data-agree', 'true');
  if (process.env.UPDATE_SCREENSHOT)
    await page.screenshot({ path: 'public/speculative-panel.png', fullPage: true });

  // The copied link (pinned to the files that ran) opens in a fresh page and runs to the same tokens.
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.getByTestId('speculative-copy-link').click();
  // The button records the URL once the copy has been attempted (the clipboard call is async).
  await expect(page.getByTestId('speculative-copy-link')).toHaveAttribute('data-url', /#speculative\/x1\./);
  const link = await page.getByTestId('speculative-copy-link').getAttribute('data-url');
  expect(link).toContain('#speculative/x1.');
  expect(new URL(link!).hash).toBe(new URL(page.url()).hash);
  const fresh = await browser.newPage();
  const freshProblems = watchForErrors(fresh);
  await offline(fresh);
  await fresh.goto(link!);
  await expect(fresh.getByTestId('speculative-method')).toHaveValue('speculative');
  await expect(fresh.getByTestId('speculative-model-target')).toContainText('pinned model.safetensors');
  await runAndWait(fresh);
  expect(await ids(fresh, 'speculative-text')).toEqual(speculative);
  expect(await ids(fresh, 'speculative-baseline-text')).toEqual(baseline);

  // A damaged link: its error, nothing run, the setup untouched.
  await fresh.goto(`${link!.slice(0, -6)}!!!!!!`);
  await fresh.reload();
  await expect(fresh.getByTestId('speculative-link-error')).toContainText('the link is damaged');
  await expect(fresh.getByTestId('speculative-status')).toHaveAttribute('data-status', 'idle');
  await fresh.close();

  expect(refused).toEqual([]);
  expect([...problems, ...freshProblems]).toEqual([]);
});
