// Every decoding method the lane runner can run, by MethodConfig name. A method is a module with
// its paper and formula in its header (./types.ts has the contract). DoLa, LOL and contrastive
// search keep their step logic in src/decoding/layers/ and src/decoding/contrastive-search/; their
// modules here add the captures and a custom step (createStepper). Speculative runs the engine of
// src/speculative/ one draft/verify round at a time behind a custom step.
import type { MethodName } from '../../share/experiment';
import { cd } from './cd';
import { contrastiveSearch } from './contrastive-search';
import { debias } from './debias';
import { debiasCalibrate } from './debias-calibrate';
import { dola } from './dola';
import { icd } from './icd';
import { lol } from './lol';
import { plain } from './plain';
import { ritual } from './ritual';
import { speculative } from './speculative';
import type { DecodingMethod } from './types';
import { vcd } from './vcd';

export type * from './types';

type Registry = { [M in MethodName]: DecodingMethod<M> | null };

const REGISTRY: Registry = {
  plain,
  cd,
  vcd,
  icd,
  ritual,
  debias,
  'debias-calibrate': debiasCalibrate,
  dola,
  lol,
  'contrastive-search': contrastiveSearch,
  speculative,
};

/** The method module for `name`, or a clear error for one that is not wired in yet. */
export function decodingMethod<M extends MethodName>(name: M): DecodingMethod<M> {
  const method = REGISTRY[name] as DecodingMethod<M> | null | undefined;
  if (method === undefined) throw new Error(`unknown decoding method ${JSON.stringify(name)}`);
  if (method === null) {
    throw new Error(
      `the ${name} method is not available in this build yet: choose another method for this lane`,
    );
  }
  return method;
}
