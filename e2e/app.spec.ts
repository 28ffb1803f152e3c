// End-to-end tests of the production build in Chromium with WebGPU (SwiftShader when no GPU).
// Run with `npx playwright test`; `UPDATE_SCREENSHOT=1` also rewrites public/screenshot.png.
import { expect, test, type Page } from '@playwright/test';
import { watchForErrors } from './helpers';
import { formatBytes } from '../src/ui/format';

test.use({ viewport: { width: 1280, height: 800 } });

/** Collects console errors and uncaught page errors (the worker's console included). */

/** What the browser itself reports about its adapter, read on the main thread. */
async function browserAdapter(page: Page) {
  return page.evaluate(async () => {
    const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new Error('the test browser has no WebGPU adapter');
    return {
      vendor: adapter.info.vendor,
      architecture: adapter.info.architecture,
      f16: adapter.features.has('shader-f16'),
      workgroupStorage: adapter.limits.maxComputeWorkgroupStorageSize,
      storageBinding: adapter.limits.maxStorageBufferBindingSize,
    };
  });
}

const panel = (page: Page) => page.getByRole('region', { name: 'Kernel check' });

/** Opens the Kernel check tab (the landing tab is Shapes) with the GPU ready. */
async function openReady(page: Page, path = '/#checks') {
  await page.goto(path);
  await expect(page.getByTestId('gpu-status')).toHaveText('GPU ready');
  await expect(page.getByRole('button', { name: 'Run all checks' })).toBeEnabled();
}

test('loads without console errors and shows the adapter, f16 support and key limits', async ({ page }) => {
  const problems = watchForErrors(page);
  await openReady(page);
  await expect(page).toHaveTitle('LogitLab');

  const adapter = await browserAdapter(page);
  expect(adapter.architecture).toBe('swiftshader'); // what this machine has; the rest follows the adapter
  await expect(page.getByTestId('adapter-vendor')).toHaveText(adapter.vendor);
  await expect(page.getByTestId('adapter-architecture')).toHaveText(adapter.architecture);
  await expect(page.getByTestId('adapter-f16')).toHaveText(adapter.f16 ? 'yes' : 'no');
  await expect(page.getByTestId('limit-maxComputeWorkgroupStorageSize')).toHaveText(
    formatBytes(adapter.workgroupStorage),
  );
  await expect(page.getByTestId('limit-maxStorageBufferBindingSize')).toHaveText(
    formatBytes(adapter.storageBinding),
  );
  await expect(page.getByTestId('count-total')).toHaveText(/^\d+$/);
  expect(problems).toEqual([]);
});

test('Kernel check: every check passes and the UI stays responsive while they run', async ({ page }) => {
  const problems = watchForErrors(page);
  await openReady(page);
  const total = Number(await page.getByTestId('count-total').textContent());
  expect(total, 'no kernel checks are registered (src/kernels/*/checks.ts)').toBeGreaterThan(0);

  // A family filter only changes React state. Record, at the moment its change reaches the DOM,
  // whether the check run was still in progress: proof the page reacted while the worker worked.
  const filter = page.locator('[data-testid^="filter-"]:not([data-testid="filter-all"])').first();
  const filterId = await filter.getAttribute('data-testid');
  await page.evaluate((testId) => {
    const state = window as unknown as { filterChangedWhileRunning?: boolean };
    const observer = new MutationObserver(() => {
      const button = document.querySelector(`[data-testid="${testId}"]`);
      if (button?.getAttribute('aria-pressed') !== 'true') return;
      const section = document.querySelector('section[data-running]');
      state.filterChangedWhileRunning = section?.getAttribute('data-running') === 'true';
      observer.disconnect();
    });
    observer.observe(document.body, { subtree: true, attributes: true, attributeFilter: ['aria-pressed'] });
  }, filterId);

  await page.getByRole('button', { name: 'Run all checks' }).click();
  await expect(panel(page)).toHaveAttribute('data-running', 'true');
  await filter.click();
  await expect(filter).toHaveAttribute('aria-pressed', 'true');
  const whileRunning = await page.evaluate(
    () => (window as unknown as { filterChangedWhileRunning?: boolean }).filterChangedWhileRunning,
  );
  expect(whileRunning, 'the filter should update before the checks finish').toBe(true);

  await expect(panel(page)).toHaveAttribute('data-running', 'false', { timeout: 170_000 });
  await page.getByTestId('filter-all').click();
  const rows = panel(page).locator('tbody tr');
  await expect(rows).toHaveCount(total);
  const failures = await panel(page)
    .locator('tbody tr:not([data-status="pass"])')
    .evaluateAll((trs) =>
      trs.map(
        (tr) =>
          `${tr.getAttribute('data-check-id')} (${tr.getAttribute('data-status')}): ` +
          (tr.querySelector('.check-detail')?.textContent ?? ''),
      ),
    );
  expect(failures).toEqual([]);
  await expect(page.getByTestId('count-passed')).toHaveText(String(total));
  await expect(page.getByTestId('count-failed')).toHaveText('0');
  await expect(page.getByTestId('check-error')).toHaveCount(0);
  expect(problems).toEqual([]);

  if (process.env.UPDATE_SCREENSHOT) {
    await page.mouse.move(0, 0);
    // A short viewport makes the full-page shot as tall as the content, without empty space.
    await page.setViewportSize({ width: 1280, height: 400 });
    await page.screenshot({ path: 'public/screenshot.png', fullPage: true });
  }
});

test('without WebGPU the page says so and what to do, and starts no worker', async ({ page }) => {
  const problems = watchForErrors(page);
  // Runs before the app: the main thread then sees no navigator.gpu, as in a browser without WebGPU.
  await page.addInitScript(() => {
    delete (Navigator.prototype as { gpu?: unknown }).gpu;
  });
  await page.goto('/');
  const notice = page.getByTestId('webgpu-missing');
  await expect(notice).toContainText('WebGPU is not available in this browser');
  await expect(notice).toContainText('Chrome or Chromium 113 or newer');
  await expect(notice).toContainText('--enable-unsafe-webgpu');
  await expect(page.getByTestId('gpu-status')).toHaveText('No GPU');
  await expect(page.getByRole('button', { name: 'Run all checks' })).toHaveCount(0);
  expect(page.workers()).toHaveLength(0);
  expect(problems).toEqual([]);
});

test('a device lost mid-run ends the run with a clear error, and Reconnect GPU recovers', async ({
  page,
}) => {
  await openReady(page, '/?debug#checks');
  // Lose the device as soon as the first check starts, from inside the page (no round trips).
  await page.evaluate(() => {
    const observer = new MutationObserver(() => {
      if (!document.querySelector('tr[data-status="running"]')) return;
      observer.disconnect();
      const lose = [...document.querySelectorAll('button')].find(
        (b) => b.textContent === 'Simulate device loss',
      );
      lose?.click();
    });
    observer.observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-status'] });
  });
  await page.getByRole('button', { name: 'Run all checks' }).click();

  const banner = page.getByTestId('device-lost');
  await expect(banner).toContainText('The GPU device was lost');
  await expect(banner).toContainText('destroyed');
  await expect(page.getByTestId('gpu-status')).toHaveText('Device lost');
  await expect(panel(page)).toHaveAttribute('data-running', 'false');
  await expect(page.getByTestId('check-error')).toContainText('The GPU device was lost');
  await expect(panel(page).locator('tbody tr[data-status="not-run"]').first()).toBeVisible();

  await banner.getByRole('button', { name: 'Reconnect GPU' }).click();
  await expect(page.getByTestId('gpu-status')).toHaveText('GPU ready');
  await expect(banner).toHaveCount(0);

  const first = panel(page).locator('tbody tr').first();
  const id = await first.getAttribute('data-check-id');
  await first.getByRole('button', { name: `Run ${id}` }).click();
  await expect(first).toHaveAttribute('data-status', 'pass', { timeout: 120_000 });
});
