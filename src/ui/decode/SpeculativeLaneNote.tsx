// Under a speculative lane's parameters: which model drafts (the amateur slot, or none for prompt
// lookup and ADED) and what the speculative engine would refuse that the fields' ranges allow,
// in the Speculative tab's words (a run is refused with the same message).
import type { LaneConfig } from '../../share/experiment';
import { useAppStore } from '../../store';
import type { FieldProblems } from '../../store/decodeExperiment';
import { draftsWithAmateur, speculativeLaneProblems } from './speculative';

export function SpeculativeLaneNote({
  index,
  lane,
  problems,
}: {
  index: number;
  lane: LaneConfig;
  problems: FieldProblems;
}) {
  const experiment = useAppStore((s) => s.decode.experiment);
  if (lane.method.method !== 'speculative') return null;
  const prefix = `lanes[${index}].`;
  const fieldProblems = Object.keys(problems).some((path) => path.startsWith(prefix));
  const refused = speculativeLaneProblems(lane, experiment, fieldProblems);
  const amateur = experiment.models.amateur;
  return (
    <div className="lane-speculative small" data-testid={`decode-speculative-note-${index}`}>
      <span className="muted">
        target: main model ·{' '}
        {draftsWithAmateur(lane)
          ? `draft: ${amateur ? amateur.id : 'none yet'} (the amateur slot under Models)`
          : 'drafts from the text: no draft model'}
      </span>
      {refused.map((message) => (
        <span key={message} className="field-problem" role="alert">
          {message}
        </span>
      ))}
    </div>
  );
}
