// Compute pipelines cached by (shader, entry point, override constants); bind groups cached by buffers.
import { GpuError } from './errors';
import { composedShader } from './shaders';

export interface PipelineSpec {
  /** File name under shaders/, e.g. "logits.wgsl". */
  shader: string;
  entryPoint: string;
  /** Values for `override` declarations (workgroup sizes, tuning knobs); never shapes. */
  constants?: Record<string, number>;
}

export function pipelineKey(spec: PipelineSpec): string {
  const constants = Object.entries(spec.constants ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${spec.shader}:${spec.entryPoint}{${constants}}`;
}

interface CompiledModule {
  module: GPUShaderModule;
  /** Where each line of the composed source came from (for compiler messages). */
  lines: { file: string; line: number }[];
  /** Asked once: a second getCompilationInfo() on one module can hang in Chromium. */
  info?: Promise<GPUCompilationInfo>;
}

export class PipelineCache {
  private readonly modules = new Map<string, CompiledModule>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  private readonly device: GPUDevice;

  constructor(device: GPUDevice) {
    this.device = device;
  }

  get size(): number {
    return this.pipelines.size;
  }

  private module(shader: string): CompiledModule {
    let compiled = this.modules.get(shader);
    if (!compiled) {
      const { code, lines } = composedShader(shader);
      // Compile errors are reported through the pipeline's rejection, not as uncaptured errors.
      this.device.pushErrorScope('validation');
      const module = this.device.createShaderModule({ label: shader, code });
      void this.device.popErrorScope();
      compiled = { module, lines };
      this.modules.set(shader, compiled);
    }
    return compiled;
  }

  private async compilerMessages(compiled: CompiledModule): Promise<string> {
    compiled.info ??= compiled.module.getCompilationInfo();
    const info = await compiled.info;
    return info.messages
      .filter((m) => m.type === 'error')
      .map((m) => {
        const origin = compiled.lines[m.lineNum - 1];
        const where =
          origin && origin.line > 0
            ? `${origin.file}:${origin.line}`
            : `${compiled.module.label}:${m.lineNum}`;
        return `${where}:${m.linePos} ${m.message}`;
      })
      .join('\n');
  }

  /** Resolves once the pipeline is compiled; rejects with the compiler's messages (file:line). */
  get(spec: PipelineSpec): Promise<GPUComputePipeline> {
    const key = pipelineKey(spec);
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      let compiled: CompiledModule;
      try {
        compiled = this.module(spec.shader);
      } catch (cause) {
        return Promise.reject(new GpuError('validation', `Pipeline ${key}: ${(cause as Error).message}`));
      }
      pipeline = this.device
        .createComputePipelineAsync({
          label: key,
          layout: 'auto',
          compute: { module: compiled.module, entryPoint: spec.entryPoint, constants: spec.constants },
        })
        .catch(async (cause: unknown) => {
          this.pipelines.delete(key);
          const messages = await this.compilerMessages(compiled);
          throw new GpuError(
            'validation',
            `Pipeline ${key} failed: ${(cause as Error).message}\n${messages}`,
          );
        });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }
}

const bufferIds = new WeakMap<GPUBuffer, number>();
let nextBufferId = 1;
function bufferId(buffer: GPUBuffer): number {
  let id = bufferIds.get(buffer);
  if (id === undefined) bufferIds.set(buffer, (id = nextBufferId++));
  return id;
}

/** Bind groups for group 0, cached by pipeline and the exact buffers bound (bounded LRU). */
export class BindGroupCache {
  private readonly cache = new Map<string, GPUBindGroup>();
  private readonly device: GPUDevice;
  private readonly capacity: number;

  constructor(device: GPUDevice, capacity = 512) {
    this.device = device;
    this.capacity = capacity;
  }

  get(pipeline: GPUComputePipeline, buffers: readonly GPUBuffer[]): GPUBindGroup {
    const key = `${pipeline.label}|${buffers.map(bufferId).join(',')}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const group = this.device.createBindGroup({
      label: pipeline.label,
      layout: pipeline.getBindGroupLayout(0),
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    this.cache.set(key, group);
    if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value as string);
    return group;
  }
}
