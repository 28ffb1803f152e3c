// Up-front validation of a Decode session: everything that can be known before a forward runs is
// checked here, and every problem is reported at once (with the lane it concerns and what to do),
// so a bad experiment never half-runs.
import type { LanguageModel } from '../../model/interface';
import type { Experiment } from '../../share/experiment';
import { METHODS } from '../../share/methods';
import { validateExperiment } from '../../share/schema';

/** A session that cannot start; the message lists every problem and is written for the user. */
export class DecodeSetupError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(
      problems.length === 1
        ? `This experiment cannot run: ${problems[0]}`
        : `This experiment cannot run:\n${problems.map((p) => `- ${p}`).join('\n')}`,
    );
    this.name = 'DecodeSetupError';
    this.problems = problems;
  }
}

export interface SessionModels {
  main: LanguageModel;
  amateur?: LanguageModel;
}

/** Problems of the experiment against the models and image it is given (empty when it can run). */
export function sessionProblems(
  experiment: Experiment,
  models: SessionModels,
  image: Float32Array | null,
): string[] {
  const validation = validateExperiment(experiment);
  if (!validation.ok) return validation.issues;
  const problems: string[] = [];
  const { main, amateur } = models;
  const mainName = main.info.name;
  const vision = main.info.config.vision;
  if (experiment.image !== null && !main.capabilities.images) {
    problems.push(`the experiment shows an image, but ${mainName} reads text only: load a vision-language model or remove the image`); // prettier-ignore
  }
  if (experiment.image !== null && image === null) {
    problems.push('the experiment names an image, but no pixels were given for it');
  }
  if (experiment.image === null && image !== null) {
    problems.push('pixels were given, but the experiment names no image: set experiment.image');
  }
  if (image !== null && vision) {
    const expected = vision.imageSize * vision.imageSize * vision.channels;
    if (image.length !== expected) {
      problems.push(
        `the image has ${image.length} values, but ${mainName} reads ${vision.imageSize} x ${vision.imageSize} x ` +
          `${vision.channels} = ${expected} (HWC in [0, 1]): resize it first`,
      );
    }
  }
  if (experiment.models.amateur && !amateur) {
    problems.push(
      `the experiment names an amateur model (${experiment.models.amateur.id}), but none is loaded`,
    );
  }
  if (amateur === main) {
    // One model's outputs are valid until its next forward: the amateur's would overwrite the main's.
    problems.push(`the main and amateur models are the same loaded model (${mainName}): contrast two different models`); // prettier-ignore
  }
  if (amateur && amateur.info.config.vocabSize !== main.info.config.vocabSize) {
    problems.push(
      `the main model (${mainName}) has a vocabulary of ${main.info.config.vocabSize} tokens and the amateur ` +
        `(${amateur.info.name}) ${amateur.info.config.vocabSize}: contrasting them needs one shared vocabulary`,
    );
  }
  experiment.lanes.forEach((lane, index) => {
    const spec = METHODS[lane.method.method];
    const where = `lane ${index + 1} (${lane.id}, ${spec.label})`;
    if (spec.needs.amateur && !amateur)
      problems.push(`${where} contrasts against an amateur model, but none is loaded: load one or pick another method`); // prettier-ignore
    if (spec.needs.image && !main.capabilities.images)
      problems.push(`${where} contrasts views of an image, but ${mainName} reads text only: pick a vision-language model or another method`); // prettier-ignore
    if (spec.needs.hiddenStates) {
      const lacking = [main, ...(spec.needs.amateur && amateur ? [amateur] : [])].filter(
        (m) => !m.capabilities.hiddenStates || !m.capabilities.logitLens,
      );
      for (const m of lacking)
        problems.push(`${where} needs hidden states and the logit lens, which ${m.info.name}'s backend does not provide`); // prettier-ignore
    }
  });
  return problems;
}

/** Throws DecodeSetupError listing every problem. */
export function validateSession(
  experiment: Experiment,
  models: SessionModels,
  image: Float32Array | null,
): void {
  const problems = sessionProblems(experiment, models, image);
  if (problems.length > 0) throw new DecodeSetupError(problems);
}
