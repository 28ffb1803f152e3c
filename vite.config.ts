import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { playwright } from '@vitest/browser-playwright';
import { CHROMIUM_ARGS, findBrowser } from './scripts/browser.mjs';

// Cross-origin isolation lets onnxruntime-web use threaded wasm and gives precise timers.
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// The GPU project needs a browser; resolve it lazily so `vite dev` works without one.
function browserInstances() {
  const executablePath = findBrowser();
  return {
    enabled: true,
    headless: true,
    screenshotFailures: false,
    provider: playwright({ launchOptions: { executablePath, args: CHROMIUM_ARGS } }),
    instances: [{ browser: 'chromium' as const }],
  };
}

const wantsGpuProject = process.argv.some((a) => a === 'gpu' || a.includes('--project=gpu'));

export default defineConfig({
  plugins: [react()],
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  worker: { format: 'es' },
  // Pre-bundle up front: discovering these mid-run makes Vite reload a browser test on a clean clone.
  optimizeDeps: {
    include: [
      '@huggingface/tokenizers',
      '@huggingface/jinja',
      'zod',
      'fflate',
      'react',
      'react-dom',
      'react-dom/client',
      'zustand',
      'onnxruntime-web/webgpu',
      'onnx-proto',
      'idb-keyval',
      'zustand/vanilla',
    ],
  },
  build: { target: 'es2022', chunkSizeWarningLimit: 2000 },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          environment: 'node',
          include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: ['src/**/*.gpu.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'gpu',
          include: ['src/**/*.gpu.test.ts', 'src/**/*.gpu.test.tsx'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          // One page for every file: the shared test device keeps its compiled pipelines
          // (src/testing/gpu.ts), which cuts the run from ~21 to a few minutes on SwiftShader.
          isolate: false,
          browser: wantsGpuProject ? browserInstances() : { enabled: false },
        },
      },
    ],
  },
});
