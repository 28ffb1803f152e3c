// The Decode workbench's messages between the UI and the GPU worker (pure: both sides import it).
// A run: `startDecode` → `decodeStarted` (prompt, each lane's component inputs) → `decodeTokens`
// (a batch of new tokens, at most a few per second per lane) … → the reply `decodeEnded` with the
// whole Trace. While it runs, `pauseDecode` / `resumeDecode` / `stepDecode` (one token in every
// unfinished lane while paused) / `stopDecode` steer it; they are handled at once.
//
// Models: the experiment names them (ModelRef). 'default' refs are the Shapes defaults, loaded in
// their worker slots (shapesTypes.ts); other refs must be the model loaded in the 'workbench' slot.
// When a ref pins SHA-256s, the loaded model's file hashes must match or the run is refused.
import type { Experiment } from '../share/experiment';
import type { ComponentInput, LaneStatistics, LaneStopReason, TokenRecord, Trace } from '../share/trace';

export interface StartDecodeParams {
  experiment: Experiment;
  /**
   * The pixels of an uploaded image (experiment.image.kind === 'upload'): HWC f32 in [0, 1] at the
   * main model's image size, as the page prepared them (the worker cannot read the file). Scenes
   * need none: the worker renders them from their seed exactly as the Shapes tab does.
   */
  imagePixels?: Float32Array;
  /** Start paused: nothing runs until `stepDecode` or `resumeDecode`. */
  paused: boolean;
}

export interface DecodeStartedInfo {
  promptTokens: number[];
  /** Each prompt token as shown. */
  promptPieces: string[];
  lanes: { laneId: string; inputs: ComponentInput[] }[];
}

/** New tokens of one lane since the previous batch, with the lane's statistics so far. */
export interface LaneTokens {
  laneId: string;
  tokens: TokenRecord[];
  statistics: LaneStatistics;
  /** Set once the lane has finished. */
  stopReason: LaneStopReason | null;
  error?: string;
}

export interface DecodeOutcome {
  trace: Trace;
  /** 'stopped' when stopDecode ended it early. */
  status: 'completed' | 'stopped';
}
