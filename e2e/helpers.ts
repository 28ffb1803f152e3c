// What every end-to-end spec needs: the page's errors collected, and the network cut off except for
// the app's own server (the playground must work offline).
import type { Page } from '@playwright/test';

/** Console errors and uncaught page errors, collected as they happen. */
export function watchForErrors(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console.error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return problems;
}

/** Refuses every request that leaves 127.0.0.1 / localhost; returns the refused URLs as they come. */
export async function offline(page: Page): Promise<string[]> {
  const refused: string[] = [];
  await page.context().route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') return route.continue();
    refused.push(url.href);
    return route.abort('internetdisconnected');
  });
  return refused;
}
