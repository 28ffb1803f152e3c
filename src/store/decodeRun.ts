// When a Decode run may start, and the request that starts it (pure). A run is refused in the page,
// with the reason worded for the banner, before the worker is asked: an invalid field, what the link
// validator refuses, an uploaded image that is not in the page, a model not loaded or not the pinned one.
import type { Experiment } from '../share/experiment';
import { validateExperiment } from '../share/schema';
import type { StartDecodeParams } from '../worker/decodeTypes';
import { imageToFloat32 } from '../world';
import { experimentProblems } from './decodeExperiment';
import { modelAvailability, modelsInUse } from './decodeModels';
import type { DecodeUpload } from './decodeState';
import type { AppState } from './types';

/**
 * The request that starts a run: the experiment, and for an uploaded image its pixels (HWC floats
 * in [0, 1], as the worker's models read them; Shapes scenes are rendered in the worker from their
 * seed, exactly as the Shapes tab renders them).
 */
export function startDecodeParams(
  experiment: Experiment,
  paused: boolean,
  upload: DecodeUpload | null = null,
): StartDecodeParams {
  const image = experiment.image;
  if (image?.kind === 'upload' && upload && upload.sha256 === image.sha256) {
    return { experiment, paused, imagePixels: imageToFloat32(upload.pixels) };
  }
  return { experiment, paused };
}

/** Why a run cannot start (worded for the banner), or null. */
export function runProblem(state: AppState): string | null {
  const { decode, gpu } = state;
  if (gpu.status !== 'ready')
    return 'The GPU is not ready: wait for the worker to connect (or reconnect it).';
  const problems = Object.entries(experimentProblems(decode.experiment));
  if (problems.length > 0) {
    const [path, message] = problems[0];
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    return `Run refused: ${path}: ${message}${more}. Fix the highlighted field${problems.length > 1 ? 's' : ''} first.`;
  }
  // The link validator has the last word (lane ids, cross-field rules): a run is what a link can carry.
  const validation = validateExperiment(decode.experiment);
  if (!validation.ok) return `Run refused: ${validation.issues[0]}`;
  const image = decode.experiment.image;
  if (image?.kind === 'upload') {
    if (!decode.upload || decode.upload.sha256 !== image.sha256) {
      return `Run refused: the experiment uses the uploaded image ${image.name} (sha ${image.sha256.slice(0, 8)}…), which is not in this page: upload the same file again.`;
    }
  }
  for (const [role, ref] of modelsInUse(decode.experiment)) {
    const available = modelAvailability(ref, state.shapes, state.model);
    if (available.status !== 'ready') return `Run refused: the ${role} model ${available.message}`;
  }
  return null;
}
