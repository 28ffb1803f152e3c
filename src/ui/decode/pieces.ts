// Naming token ids in the inspector. A trace stores the piece of each chosen token, not of the
// top-10 ids beside it, so: the Shapes models' ids are read from the shared Shapes vocabulary (all
// default models use it), and other models' ids from every piece the trace itself shows; an id
// seen nowhere stays a number ("#4711").
import type { Trace } from '../../share/trace';
import { knownPieces } from '../../store/decodeTrace';
import { SHAPES_VOCABULARY } from '../../world';

export function pieceNamer(trace: Trace, promptPieces: readonly string[]): (id: number) => string | null {
  const pieces = knownPieces(trace);
  trace.promptTokens.forEach((id, i) => {
    if (promptPieces[i] !== undefined && !pieces.has(id)) pieces.set(id, promptPieces[i]);
  });
  const shapes = trace.experiment.models.main.source === 'default';
  return (id) => pieces.get(id) ?? (shapes ? (SHAPES_VOCABULARY[id] ?? null) : null);
}
