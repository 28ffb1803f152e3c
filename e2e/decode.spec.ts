// The Decode workbench end to end on the default VLM, offline: three lanes (greedy, VCD,
// contrastive search) run on a Shapes scene; the inspector shows every component distribution;
// the copied link opened in a fresh page restores the experiment and Run reproduces the same token
// ids lane by lane; an invalid link shows its error and runs nothing; window.logitlab runs an
// experiment from a script. `UPDATE_SCREENSHOT=1` also rewrites public/decode-panel.png.
import { expect, test, type Page } from '@playwright/test';
import { offline, watchForErrors } from './helpers';

test.use({ viewport: { width: 1400, height: 950 } });

const status = (page: Page) => page.getByTestId('decode-status');

/** Token ids of every lane, read from the chips. */
async function laneTokens(page: Page, lanes: number): Promise<string[][]> {
  const out: string[][] = [];
  for (let lane = 0; lane < lanes; lane++) {
    const chips = page.getByTestId(`decode-lane-${lane}`).locator('[data-token-id]');
    out.push(await chips.evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-token-id') ?? '')));
  }
  return out;
}

async function runAndWait(page: Page): Promise<void> {
  await expect(page.getByTestId('decode-run')).toBeEnabled({ timeout: 300_000 });
  await page.getByTestId('decode-run').click();
  await expect(status(page)).toHaveAttribute('data-status', 'done', { timeout: 600_000 });
}

test('three lanes on the default VLM, inspector, and a link that reproduces the tokens', async ({
  page,
  browser,
}) => {
  test.setTimeout(1_200_000);
  const problems = watchForErrors(page);
  const refused = await offline(page);
  await page.goto('/#decode');
  await expect(page.getByTestId('decode-lane-2')).toBeVisible();
  await expect(page.getByTestId('decode-method-1')).toHaveValue('vcd');
  await expect(page.getByTestId('decode-method-2')).toHaveValue('contrastive-search');
  await runAndWait(page);
  const tokens = await laneTokens(page, 3);
  for (const lane of tokens) expect(lane.length).toBeGreaterThan(0);

  // The inspector of VCD's first token: the original and the noised image's distributions.
  await page.getByTestId('decode-token-1-0').click();
  const inspector = page.getByTestId('decode-inspector');
  await expect(inspector).toBeVisible();
  await expect(inspector.getByTestId('decode-inspector-distribution')).toHaveCount(3);
  await expect(inspector.getByTestId('decode-inspector-vhead')).toContainText(/\d/);
  await expect(inspector.getByTestId('decode-inspector-input').first()).toBeVisible();
  if (process.env.UPDATE_SCREENSHOT)
    await page.screenshot({ path: 'public/decode-panel.png', fullPage: true });

  // The address bar is the share link: open it in a fresh page and run again.
  const link = page.url();
  expect(link).toContain('#decode/x1.');
  const fresh = await browser.newPage();
  const freshProblems = watchForErrors(fresh);
  await offline(fresh);
  await fresh.goto(link);
  await expect(fresh.getByTestId('decode-method-1')).toHaveValue('vcd');
  await runAndWait(fresh);
  expect(await laneTokens(fresh, 3)).toEqual(tokens);
  await fresh.close();

  expect(refused).toEqual([]);
  expect(problems).toEqual([]);
  expect(freshProblems).toEqual([]);
});

test('an invalid link shows what is wrong and runs nothing', async ({ page }) => {
  const problems = watchForErrors(page);
  await offline(page);
  await page.goto('/#decode/x1.AAAA-not-deflate');
  await expect(page.getByTestId('decode-link-error')).toBeVisible();
  await expect(page.getByTestId('decode-link-error')).toContainText(/corrupted|damaged|not/i);
  await expect(status(page)).toHaveAttribute('data-status', 'idle');
  await expect(page.locator('[data-token-id]')).toHaveCount(0);
  expect(problems).toEqual([]);
});

test('window.logitlab runs an experiment from a script, with small readbacks', async ({ page }) => {
  test.setTimeout(600_000);
  await offline(page);
  await page.goto('/#decode');
  await page.waitForFunction(() => window.logitlab !== undefined);
  const result = await page.evaluate(async () => {
    const api = window.logitlab!;
    const link = api.encodeLink({
      version: 1,
      models: { main: { source: 'default', id: 'shapes-vlm', sha256: {} } },
      prompt: 'is there a star ?',
      image: { kind: 'scene', seed: 3, index: 0 },
      seed: 7,
      maxTokens: 3,
      lanes: [
        {
          id: 'lane-1',
          method: { method: 'plain' },
          sampling: { greedy: true, temperature: 1, topK: 0, topP: 1, minP: 0 },
        },
      ],
    });
    const decoded = api.decodeLink(`#decode/${link}`);
    if (!decoded.ok) throw new Error(decoded.error.message);
    const trace = await api.run(decoded.experiment);
    return {
      version: api.version,
      tokens: trace.lanes[0].tokens.map((t) => t.piece),
      perToken: trace.lanes[0].statistics.readbackBytesPerToken,
      file: api.exportTrace(trace).slice(0, 40),
    };
  });
  expect(result.version).toBe('1');
  expect(result.tokens.length).toBeGreaterThan(0);
  // The hot-path rule: ids and summaries only, far below one vocabulary row per component.
  expect(result.perToken).toBeGreaterThan(0);
  expect(result.perToken).toBeLessThan(4096);
  expect(result.file).toContain('logitlab-trace');
});
