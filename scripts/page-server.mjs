// A Vite server for the pages Node scripts drive in headless Chromium (the bench, training the
// default models): a free port, no HMR, no file watching.
import { createServer as createNetServer } from 'node:net';
import { resolve } from 'node:path';

/** A port the OS reports free now (Vite reads port 0 as its default 5173, which others may hold). */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createNetServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

/** Vite serves the page; no HMR or file watching, so edits elsewhere never reload a running page. */
export async function startServer(root, page) {
  const { createServer } = await import('vite');
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServerOn(createServer, await freePort(), root, page);
    } catch (error) {
      // Another process may take the port between the probe and Vite's listen; try a new one.
      if (attempt >= 5 || !/already in use/.test(error.message)) throw error;
    }
  }
}

async function startServerOn(createServer, port, root, page) {
  const server = await createServer({
    root,
    configFile: resolve(root, 'vite.config.ts'),
    clearScreen: false,
    logLevel: 'warn',
    server: { host: '127.0.0.1', port, strictPort: true, hmr: false, open: false },
    optimizeDeps: { entries: [page.slice(1)] },
    plugins: [
      {
        name: 'logitlab-page-no-watch',
        // mergeConfig drops null values, so `watch: null` (no file watcher) is set in place here.
        config(config) {
          config.server = { ...config.server, watch: null };
        },
      },
    ],
  });
  try {
    await server.listen();
  } catch (error) {
    await server.close();
    throw error;
  }
  return { server, origin: `http://127.0.0.1:${port}` };
}
