// The GPU runtime: one device with its buffer pool, pipeline cache and bind-group cache.
// Everything that runs kernels receives a `Gpu`; nothing else touches navigator.gpu.
import { BufferPool } from './buffers';
import { acquireDevice, type AdapterSummary, type GpuRequirements } from './device';
import { GpuError } from './errors';
import { BindGroupCache, PipelineCache } from './pipelines';

export interface GpuLoss {
  reason: GPUDeviceLostReason | 'unknown';
  message: string;
}

export class Gpu {
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
  readonly summary: AdapterSummary;
  readonly buffers: BufferPool;
  readonly pipelines: PipelineCache;
  readonly bindGroups: BindGroupCache;
  /** Resolves when the device is lost (never rejects). Destroying the runtime resolves it too. */
  readonly lost: Promise<GpuLoss>;
  private lossInfo: GpuLoss | null = null;
  private readonly requirements: GpuRequirements;
  private readonly uncaptured: string[] = [];

  private constructor(
    adapter: GPUAdapter,
    device: GPUDevice,
    summary: AdapterSummary,
    requirements: GpuRequirements,
  ) {
    this.adapter = adapter;
    this.device = device;
    this.summary = summary;
    this.requirements = requirements;
    this.buffers = new BufferPool(device);
    this.pipelines = new PipelineCache(device);
    this.bindGroups = new BindGroupCache(device);
    this.lost = device.lost.then((info) => {
      this.lossInfo = { reason: info.reason ?? 'unknown', message: info.message };
      return this.lossInfo;
    });
    device.addEventListener('uncapturederror', (event) => {
      const message = (event as GPUUncapturedErrorEvent).error.message;
      this.uncaptured.push(message);
      console.error(`WebGPU error: ${message}`);
    });
  }

  static async create(requirements: GpuRequirements = {}): Promise<Gpu> {
    const { adapter, device, summary } = await acquireDevice(requirements);
    return new Gpu(adapter, device, summary, requirements);
  }

  get isLost(): boolean {
    return this.lossInfo !== null;
  }

  /** Throws a `device-lost` error naming the cause if the device is gone. */
  assertAlive(): void {
    if (this.lossInfo) {
      throw new GpuError(
        'device-lost',
        `The GPU device was lost (${this.lossInfo.reason}: ${this.lossInfo.message || 'no details'}). ` +
          'Results in flight are discarded; re-acquire the device to continue.',
      );
    }
  }

  /** A fresh runtime with the same requirements (after a loss); this one's caches are dropped. */
  async reacquire(): Promise<Gpu> {
    if (!this.isLost) this.destroy();
    return Gpu.create(this.requirements);
  }

  /** Uncaptured WebGPU errors since the last call (validation bugs surface here in tests). */
  takeUncapturedErrors(): string[] {
    return this.uncaptured.splice(0);
  }

  /** Runs `work` inside validation and out-of-memory error scopes and throws what they caught. */
  async checked<T>(label: string, work: () => T | Promise<T>): Promise<T> {
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    let result: T | undefined;
    let failure: unknown = null;
    try {
      result = await work();
    } catch (cause) {
      failure = cause;
    }
    const validation = await this.device.popErrorScope();
    const memory = await this.device.popErrorScope();
    if (memory) throw new GpuError('out-of-memory', `${label}: GPU out of memory: ${memory.message}`);
    if (validation) throw new GpuError('validation', `${label}: ${validation.message}`);
    if (failure !== null) throw failure;
    return result as T;
  }

  destroy(): void {
    // Known at once (device.lost settles a task later), so nobody reuses a destroyed runtime.
    this.lossInfo ??= { reason: 'destroyed', message: 'The runtime was destroyed.' };
    this.buffers.destroy();
    this.device.destroy();
  }
}
