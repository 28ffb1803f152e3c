import { WorkerRequestError } from '../worker/client';
import type { WorkerErrorKind } from '../worker/protocol';

/** The kind and message of a failed request, for showing as is. */
export function errorOf(cause: unknown): { kind: WorkerErrorKind; message: string } {
  if (cause instanceof WorkerRequestError) return { kind: cause.kind, message: cause.message };
  return { kind: 'failed', message: cause instanceof Error ? cause.message : String(cause) };
}
