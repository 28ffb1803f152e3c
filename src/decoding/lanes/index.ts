// The lane runner of the Decode workbench (issue 6): DecodeSession and what it is built from.
export { DecodeSession, type DecodeSessionOptions, type LaneStepReport } from './session';
export { DecodeSetupError, sessionProblems, validateSession, type SessionModels } from './validate';
export type { SessionCounts } from './forward';
export { laneStream } from './plan';
export { LaneInspector, type InspectRequest, type Inspection, type RowRef } from './inspect';
export { combinationStepper, stepParams } from './combine-step';
export { componentPromptIds } from './prompt';
