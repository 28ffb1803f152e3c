// Finds a Chromium-family browser with WebGPU for tests, benchmarks and headless scripts.
// Order: $CHROME_PATH, then the usual system paths. Nothing is ever downloaded.
import { existsSync } from 'node:fs';

const SYSTEM_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
];

/** Launch arguments that give a WebGPU adapter headless (SwiftShader when there is no GPU). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
];

/** @returns {string} absolute path of the browser executable; throws with install advice. */
export function findBrowser() {
  const fromEnv = process.env.CHROME_PATH;
  if (fromEnv) {
    if (existsSync(fromEnv)) return fromEnv;
    throw new Error(`CHROME_PATH is set to "${fromEnv}" but no file exists there.`);
  }
  for (const candidate of SYSTEM_PATHS) if (existsSync(candidate)) return candidate;
  throw new Error(
    'No Chromium or Chrome found (looked at $CHROME_PATH and ' +
      SYSTEM_PATHS.join(', ') +
      '). Install one, e.g. on Debian/Ubuntu: `sudo apt-get install -y chromium`, ' +
      'or point CHROME_PATH at an existing Chrome/Chromium executable. Tests never download a browser.',
  );
}
