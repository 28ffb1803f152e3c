// The Evaluate workbench end to end on the default VLM, offline: greedy vs VCD vs RITUAL on POPE's
// random split over 2 held-out scenes (CHAIR off), run in the GPU worker with progress; the table has
// a row per lane with every metric in [0, 1] and its 95% interval around it, and Δ to the baseline on
// the other lanes; a row's worst case opens in the Decode tab with that example's experiment.
// The result survives a reload (IndexedDB), listed by the model's name. `EVAL_SCREENSHOT=path` saves
// the results view.
import { expect, test } from '@playwright/test';
import { offline } from './helpers';

test.use({ viewport: { width: 1500, height: 1000 } });

const ESTIMATE = /^(-?\d+\.\d+) \[(-?\d+\.\d+), (-?\d+\.\d+)\]$/;

test('greedy vs VCD vs RITUAL on POPE random, 2 scenes: table, worst case in Decode, saved', async ({
  page,
}) => {
  test.setTimeout(900_000);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await offline(page);
  await page.goto('/#evaluate');
  await expect(page.getByTestId('eval-panel')).toBeVisible();
  await expect(page.getByTestId('eval-method-0')).toHaveValue('plain');
  await expect(page.getByTestId('eval-method-1')).toHaveValue('vcd');
  await expect(page.getByTestId('eval-method-2')).toHaveValue('ritual');
  await page.getByTestId('eval-chair').uncheck();
  await page.getByTestId('eval-split-popular').uncheck();
  await page.getByTestId('eval-split-adversarial').uncheck();
  await page.getByTestId('eval-pope-scenes').fill('2');
  await expect(page.getByTestId('eval-problems')).toHaveCount(0);
  await expect(page.getByTestId('eval-run')).toBeEnabled({ timeout: 120_000 });
  await page.getByTestId('eval-run').click();
  await expect(page.getByTestId('eval-progress')).toBeVisible();
  await expect(page.getByTestId('eval-status')).toHaveAttribute('data-status', 'done', { timeout: 600_000 });

  const rows = page.getByTestId('eval-pope-row');
  await expect(rows).toHaveCount(3);
  for (let lane = 0; lane < 3; lane++) {
    const row = rows.nth(lane);
    await expect(row).toHaveAttribute('data-split', 'random');
    const estimates = await row.locator('.eval-estimate').allTextContents();
    expect(estimates).toHaveLength(5); // accuracy, precision, recall, F1, yes-ratio
    for (const text of estimates) {
      const match = ESTIMATE.exec(text);
      if (!match) {
        // Precision is undefined (–) when a lane never says yes; everything else is a number.
        expect(text).toBe('– [–, –]');
        continue;
      }
      const [value, low, high] = match.slice(1).map(Number);
      for (const x of [value, low, high]) expect(x >= 0 && x <= 1).toBe(true);
      expect(low <= value + 1e-9 && value <= high + 1e-9).toBe(true);
    }
    await expect(row.locator('.eval-diff')).toHaveCount(lane === 0 ? 0 : 5);
  }
  await expect(page.getByTestId('eval-bars-random')).toBeVisible();
  const screenshot = process.env.EVAL_SCREENSHOT;
  if (screenshot) await page.getByTestId('eval-panel').screenshot({ path: screenshot });

  // The first lane with a wrong answer: its worst case opens in Decode with that example.
  let link = null;
  for (let lane = 0; lane < 3 && !link; lane++) {
    await rows.nth(lane).click();
    await expect(page.getByTestId('eval-worst')).toBeVisible();
    if ((await page.getByTestId('eval-worst-link').count()) > 0)
      link = page.getByTestId('eval-worst-link').first();
  }
  expect(link, 'no lane answered any question wrong on 2 scenes: nothing to open').not.toBeNull();
  const href = (await link!.getAttribute('href'))!;
  expect(href).toMatch(/^#decode\/x1\./);
  const prompt = /"(.*)" truth/.exec((await link!.textContent())!)![1];
  await link!.click();
  await expect(page.getByTestId('tab-decode')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('decode-lane-0')).toBeVisible();
  await expect(page.getByTestId('decode-lanes')).toHaveAttribute('data-count', '1');
  await expect(page.getByTestId('decode-prompt')).toHaveValue(prompt);

  // Kept across a reload.
  await page.goto('/#evaluate');
  await expect(page.getByTestId('eval-saved-open')).toHaveCount(1);
  await expect(page.getByTestId('eval-saved-model')).toHaveText('shapes-vlm');
  await page.getByTestId('eval-saved-open').first().click();
  await expect(page.getByTestId('eval-pope-row')).toHaveCount(3);
  expect(errors).toEqual([]);
});
