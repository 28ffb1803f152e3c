// The UI side of the protocol: `request()` sends one request and resolves with its reply event;
// `subscribe()` sees every event (streamed progress and unsolicited ones like `deviceLost`).
import {
  REPLY_TYPE,
  isWorkerEvent,
  type MessageEndpoint,
  type ReplyTo,
  type WorkerErrorKind,
  type WorkerEvent,
  type WorkerRequest,
  type WorkerRequestBody,
} from './protocol';

/** A failed request: carries the worker's error kind and its message unchanged. */
export class WorkerRequestError extends Error {
  readonly kind: WorkerErrorKind;
  constructor(kind: WorkerErrorKind, message: string) {
    super(message);
    this.name = 'WorkerRequestError';
    this.kind = kind;
  }
}

export type WorkerEventListener = (event: WorkerEvent) => void;

export interface RequestOptions {
  /** Called for each streamed event of this request (not for its final reply). */
  onProgress?: WorkerEventListener;
}

interface Pending {
  replyType: WorkerEvent['type'];
  resolve: (event: WorkerEvent) => void;
  reject: (error: WorkerRequestError) => void;
  onProgress?: WorkerEventListener;
}

export type GpuWorkerEndpoint = MessageEndpoint<WorkerRequest, WorkerEvent>;

export class WorkerClient {
  private readonly endpoint: GpuWorkerEndpoint;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<WorkerEventListener>();
  private nextId = 1;
  private crashed: WorkerRequestError | null = null;

  constructor(endpoint: GpuWorkerEndpoint) {
    this.endpoint = endpoint;
    endpoint.addEventListener('message', (event: MessageEvent<WorkerEvent>) => this.receive(event.data));
    endpoint.addEventListener('error', (event: ErrorEvent) => {
      this.fail(
        new WorkerRequestError(
          'worker-crashed',
          `The GPU worker stopped with an uncaught error: ${event.message || 'no message'}. Reload the page.`,
        ),
      );
    });
  }

  /** Sends `body` and resolves with its reply event; rejects with the worker's error message. */
  request<R extends WorkerRequestBody>(body: R, options: RequestOptions = {}): Promise<ReplyTo<R>> {
    if (this.crashed) return Promise.reject(this.crashed);
    const id = this.nextId++;
    return new Promise<ReplyTo<R>>((resolve, reject) => {
      this.pending.set(id, {
        replyType: REPLY_TYPE[body.type],
        resolve: resolve as (event: WorkerEvent) => void,
        reject,
        onProgress: options.onProgress,
      });
      this.endpoint.postMessage({ ...body, id } as WorkerRequest);
    });
  }

  /** Sees every event from the worker; returns the unsubscribe function. */
  subscribe(listener: WorkerEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** True once the worker died or was terminated; every request then rejects at once. */
  get isCrashed(): boolean {
    return this.crashed !== null;
  }

  /** How many requests are awaiting their reply (for tests and diagnostics). */
  get pendingCount(): number {
    return this.pending.size;
  }

  terminate(): void {
    this.endpoint.terminate?.();
    this.fail(new WorkerRequestError('worker-crashed', 'The GPU worker was shut down.'));
  }

  private receive(data: unknown): void {
    if (!isWorkerEvent(data)) {
      console.error('GPU worker sent a message outside the protocol:', data);
      return;
    }
    for (const listener of this.listeners) listener(data);
    if (data.requestId === null) return;
    const pending = this.pending.get(data.requestId);
    if (!pending) return;
    if (data.type === 'error') {
      this.pending.delete(data.requestId);
      pending.reject(new WorkerRequestError(data.kind, data.message));
    } else if (data.type === pending.replyType) {
      this.pending.delete(data.requestId);
      pending.resolve(data);
    } else {
      pending.onProgress?.(data);
    }
  }

  private fail(error: WorkerRequestError): void {
    this.crashed = error;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const pending of waiting) pending.reject(error);
  }
}
