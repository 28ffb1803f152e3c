// Headless evaluations in the page, for `window.logitlab.evaluate` (src/ui/decode/automation.ts)
// and `npm run experiment -- --evaluate`: a GPU device and model hosts of its own, the config's
// models loaded through the app's loader (ModelHost: 'default' refs from the folders served with
// the app, 'hub' and 'url' refs from there), then runEvaluation. Loaded models are kept for the next
// call. Imported on demand (its modules need WebGPU); the Evaluate tab runs the same runner in the
// GPU worker instead, so the page stays responsive.
import { Gpu } from '../gpu/runtime';
import type { ModelRef } from '../share/experiment';
import { ModelHost } from '../worker/modelHost';
import type { ModelSourceSpec } from '../worker/modelTypes';
import type { EvaluationConfig } from './config';
import type { EvaluationResult } from './result';
import { runEvaluation, EvaluationSetupError, type RunEvaluationOptions } from './runner';
import { validateEvaluationConfig } from './schema';

let gpu: Promise<Gpu> | null = null;
const hosts = new Map<string, ModelHost>();

function specOf(ref: ModelRef): ModelSourceSpec {
  if (ref.source === 'default')
    return { kind: 'url', url: new URL(`models/${ref.id}/`, location.href).href, useCache: false };
  if (ref.source === 'hub') return { kind: 'hub', repo: ref.id, revision: ref.revision ?? 'main' };
  return { kind: 'url', url: ref.id };
}

async function load(device: Gpu, ref: ModelRef) {
  const spec = specOf(ref);
  const key = JSON.stringify(spec);
  let host = hosts.get(key);
  if (!host) {
    host = new ModelHost();
    hosts.set(key, host);
  }
  if (!host.loadedModel()) await host.load(device, 0, spec, () => undefined);
  const loaded = host.loadedModel();
  if (!loaded) throw new EvaluationSetupError([`the model ${ref.id} could not be loaded`]);
  return loaded;
}

export async function evaluateInPage(
  input: unknown,
  options: RunEvaluationOptions = {},
): Promise<EvaluationResult> {
  const validation = validateEvaluationConfig(input);
  if (!validation.ok) throw new EvaluationSetupError(validation.issues);
  const config: EvaluationConfig = validation.config;
  if (config.dataset.kind === 'folder') {
    throw new EvaluationSetupError([
      'a folder dataset needs its images: run it from the Evaluate tab, where the folder is opened',
    ]);
  }
  gpu ??= Gpu.create();
  let device = await gpu;
  if (device.isLost) {
    for (const host of hosts.values()) host.reset();
    hosts.clear();
    gpu = Gpu.create();
    device = await gpu;
  }
  const main = await load(device, config.models.main);
  const amateur = config.models.amateur ? await load(device, config.models.amateur) : null;
  return runEvaluation(
    config,
    {
      gpu: device,
      models: { main: main.model, ...(amateur ? { amateur: amateur.model } : {}) },
      tokenizer: main.tokenizer,
    },
    options,
  );
}
