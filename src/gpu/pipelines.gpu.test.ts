// The pipeline cache in real Chromium: caching, compile errors with file:line, no hangs.
import { afterAll, describe, expect, test } from 'vitest';
import { testGpu } from '../testing/gpu';
import { GpuError } from './errors';
import { pipelineKey, type PipelineSpec } from './pipelines';
import { Gpu } from './runtime';
import { shaderLibrary } from './shaders';
import { settled, within } from '../testing/async';

describe('PipelineCache', () => {
  test('the same key gives the same pipeline object, whatever the constant order', async () => {
    const gpu = await testGpu();
    const spec: PipelineSpec = {
      shader: 'logit-filter.wgsl',
      entryPoint: 'applyThreshold',
      constants: { WORKGROUP_SIZE: 128 },
    };
    const before = gpu.pipelines.size;
    const first = gpu.pipelines.get(spec);
    const second = gpu.pipelines.get({ ...spec, constants: { WORKGROUP_SIZE: 128 } });
    expect(second).toBe(first);
    const [a, b] = await Promise.all([first, second]);
    expect(a).toBe(b);
    expect(a.label).toBe(pipelineKey(spec));
    expect(await gpu.pipelines.get(spec)).toBe(a);
    expect(gpu.pipelines.size).toBe(before + 1);
    const other = await gpu.pipelines.get({ ...spec, constants: { WORKGROUP_SIZE: 64 } });
    expect(other).not.toBe(a);
    expect(gpu.pipelines.size).toBe(before + 2);
  });

  test('an unknown entry point of a real shader rejects with a validation GpuError naming it', async () => {
    const gpu = await testGpu();
    const spec = { shader: 'logit-stats.wgsl', entryPoint: 'noSuchEntry' };
    const before = gpu.pipelines.size;
    const error = await settled(gpu.pipelines.get(spec), 'pipeline noSuchEntry');
    expect(error).toBeInstanceOf(GpuError);
    expect((error as GpuError).kind).toBe('validation');
    expect((error as GpuError).message).toContain('Pipeline logit-stats.wgsl:noSuchEntry{} failed');
    expect((error as GpuError).message).toContain('noSuchEntry');
    // A failed pipeline is dropped from the cache so that a later call can try again.
    expect(gpu.pipelines.size).toBe(before);
  });

  // Regression (fixed in src/gpu/pipelines.ts:57): every failure calls module.getCompilationInfo() on the cached
  // module again. In this Chromium (156, SwiftShader) a second sequential getCompilationInfo() on a
  // module that compiled fine never settles, so the second failing pipeline of a shader (a retry,
  // or another bad entry point or constant) hangs forever instead of rejecting.
  test('a second failing pipeline from the same shader also rejects (no hang)', async () => {
    const gpu = await Gpu.create();
    try {
      const first = await settled(
        gpu.pipelines.get({ shader: 'logit-sample.wgsl', entryPoint: 'nope1' }),
        'first',
      );
      expect(first).toBeInstanceOf(GpuError);
      const second = gpu.pipelines.get({ shader: 'logit-sample.wgsl', entryPoint: 'nope2' });
      expect(
        await within(
          second.then(
            () => null,
            (error: unknown) => error,
          ),
          'second failing pipeline',
          10,
        ),
      ).toBeInstanceOf(GpuError);
    } finally {
      gpu.destroy();
    }
  });

  test('an unknown shader file is reported with the known file names', async () => {
    const gpu = await testGpu();
    const error = await settled(
      Promise.resolve().then(() => gpu.pipelines.get({ shader: 'no-such-shader.wgsl', entryPoint: 'main' })),
      'unknown shader',
    );
    expect((error as Error).message).toContain('WGSL include "no-such-shader.wgsl" not found; known: ');
    expect((error as Error).message).toContain('logit-stats.wgsl');
  });

  // Shader files cannot be added for a test, so broken sources are put into the in-memory library
  // (this file runs in its own iframe; the entries are removed afterwards).
  const library = shaderLibrary as Record<string, string>;
  const BROKEN_PLAIN = 'test-broken-plain.wgsl';
  const BROKEN_INCLUDING = 'test-broken-including.wgsl';
  const brokenBody = ['@compute @workgroup_size(1)', 'fn main() {', '  let x: u32 = undefinedThing;', '}'];
  library[BROKEN_PLAIN] = brokenBody.join('\n'); // error on line 3
  library[BROKEN_INCLUDING] = ['#include "float-keys.wgsl"', ...brokenBody].join('\n'); // error on line 4
  // Shader-module errors also surface as uncaptured errors; keep them off the shared device.
  let ownGpu: Promise<Gpu> | null = null;
  const brokenGpu = () => (ownGpu ??= Gpu.create());
  afterAll(async () => {
    delete library[BROKEN_PLAIN];
    delete library[BROKEN_INCLUDING];
    if (ownGpu) (await ownGpu).destroy();
  });

  test('a shader that does not compile rejects with file name, line and the compiler message', async () => {
    const gpu = await brokenGpu();
    const error = await settled(
      gpu.pipelines.get({ shader: BROKEN_PLAIN, entryPoint: 'main' }),
      'broken shader',
    );
    expect(error).toBeInstanceOf(GpuError);
    expect((error as GpuError).kind).toBe('validation');
    expect((error as GpuError).message).toMatch(new RegExp(`${BROKEN_PLAIN}:3:\\d+ .*undefinedThing`));
  });

  // Regression (fixed in src/gpu/pipelines.ts:60): compiler line numbers refer to the composed source (includes
  // expanded), but are printed as lines of the shader file. Any error after an #include points
  // to the wrong line of the file (here line 4 + the include's length + 1 instead of 4).
  test('a compile error after an #include names the line in the shader file', async () => {
    const gpu = await brokenGpu();
    const error = await settled(
      gpu.pipelines.get({ shader: BROKEN_INCLUDING, entryPoint: 'main' }),
      'broken',
    );
    expect(error).toBeInstanceOf(GpuError);
    expect((error as GpuError).message).toMatch(new RegExp(`${BROKEN_INCLUDING}:4:\\d+ .*undefinedThing`));
  });
});
