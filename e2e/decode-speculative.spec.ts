// A speculative lane in the Decode workbench, offline, on the Shapes expert (main: the target) and
// draft (amateur slot): added beside a greedy lane through the lane editor, it writes the greedy
// lane's tokens (greedy speculative decoding is greedy decoding); the inspector shows a token's
// round and status; the copied link opens in a fresh page with the speculative lane restored.
import { expect, test, type Page } from '@playwright/test';
import { offline, watchForErrors } from './helpers';

test.use({ viewport: { width: 1400, height: 950 } });

const laneIds = (page: Page, lane: number) =>
  page
    .getByTestId(`decode-lane-${lane}`)
    .locator('[data-token-id]')
    .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-token-id') ?? ''));

test('a speculative lane beside a greedy lane: same tokens, the round in the inspector, a link', async ({
  page,
  browser,
}) => {
  test.setTimeout(900_000);
  const problems = watchForErrors(page);
  await offline(page);
  await page.goto('/#decode');
  await page.waitForFunction(() => window.logitlab !== undefined);
  // Start from a greedy lane on the expert with the draft in the amateur slot, text only.
  const link = await page.evaluate(() =>
    window.logitlab!.encodeLink({
      version: 1,
      models: {
        main: { source: 'default', id: 'shapes-expert', sha256: {} },
        amateur: { source: 'default', id: 'shapes-draft', sha256: {} },
      },
      prompt: 'the picture shows',
      image: null,
      seed: 0,
      maxTokens: 12,
      lanes: [
        {
          id: 'lane-1',
          method: { method: 'plain' },
          sampling: { greedy: true, temperature: 1, topK: 0, topP: 1, minP: 0 },
        },
      ],
    }),
  );
  await page.goto(`/#decode/${link}`);
  await expect(page.getByTestId('decode-lanes')).toHaveAttribute('data-count', '1');

  // The speculative lane, added in the editor: the amateur slot becomes its draft.
  await page.getByTestId('decode-add-lane').click();
  await page.getByTestId('decode-method-1').selectOption('speculative');
  await expect(page.getByTestId('decode-param-1-variant')).toHaveValue('speculative');
  await expect(page.getByTestId('decode-param-1-draftLength')).toHaveValue('4');
  await expect(page.getByTestId('decode-speculative-note-1')).toContainText('draft: shapes-draft');
  await expect(page.getByTestId('decode-model-amateur')).toContainText('draft');

  await expect(page.getByTestId('decode-run')).toBeEnabled({ timeout: 300_000 });
  await page.getByTestId('decode-run').click();
  await expect(page.getByTestId('decode-status')).toHaveAttribute('data-status', 'done', {
    timeout: 600_000,
  });
  const greedy = await laneIds(page, 0);
  expect(greedy.length).toBe(12);
  expect(await laneIds(page, 1)).toEqual(greedy);
  await expect(page.getByTestId('decode-divergence-1')).toContainText('same tokens as lane 1');
  await expect(page.getByTestId('decode-stats-1')).toContainText('acceptance');

  // The inspector of a speculative token: its round and what the verifier did with it.
  await page.getByTestId('decode-token-1-1').click();
  const round = page.getByTestId('decode-inspector-speculative');
  await expect(round).toBeVisible();
  await expect(round).toHaveAttribute('data-round', /^\d+$/);
  await expect(page.getByTestId('decode-inspector-round')).toContainText(/Round #\d+/);
  await expect(page.getByTestId('decode-inspector-status')).toHaveText(/^(accepted|resampled|bonus)$/);
  await expect(round.locator('[data-status]').first()).toBeVisible();

  // Copy link (the clipboard write is async: the button records the URL once it was attempted).
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.getByTestId('decode-copy-link').click();
  await expect(page.getByTestId('decode-copy-link')).toHaveAttribute('data-url', /#decode\/x1\./);
  const shared = await page.getByTestId('decode-copy-link').getAttribute('data-url');
  const fresh = await browser.newPage();
  const freshProblems = watchForErrors(fresh);
  await offline(fresh);
  await fresh.goto(shared!);
  await expect(fresh.getByTestId('decode-method-1')).toHaveValue('speculative');
  await expect(fresh.getByTestId('decode-param-1-variant')).toHaveValue('speculative');
  await expect(fresh.getByTestId('decode-param-1-draftLength')).toHaveValue('4');
  await expect(fresh.getByLabel('amateur model')).toHaveValue('shapes-draft');
  await fresh.close();

  expect([...problems, ...freshProblems]).toEqual([]);
});
