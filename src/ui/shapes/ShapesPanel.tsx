// The landing tab: the Shapes world with its default models, offline. A seeded scene (or the empty
// scene, or an uploaded picture) on the left; on the right the VLM's greedy caption with every
// object it mentions checked against the scene, a question box, and the four default models.
// Everything comes from this origin: the models from public/models/, the rest from the bundle.
import { useEffect } from 'react';
import { useAppStore } from '../../store';
import { AskBox } from './AskBox';
import { CaptionView } from './CaptionView';
import { DefaultModels } from './DefaultModels';
import { SceneControls } from './SceneControls';
import './shapes.css';

export function ShapesPanel({ active }: { active: boolean }) {
  const gpuReady = useAppStore((s) => s.gpu.status === 'ready');
  const started = useAppStore((s) => s.shapes.started);
  const startShapes = useAppStore((s) => s.startShapes);
  const vlm = useAppStore((s) => s.shapes.models['shapes-vlm']);

  // The models load the first time the tab is shown (again after a reconnect), not while another
  // tab opened from a link runs its own work.
  useEffect(() => {
    if (active && gpuReady && !started) void startShapes();
  }, [active, gpuReady, started, startShapes]);

  return (
    <section className="panel shapes-panel" aria-labelledby="shapes-panel-title" data-vlm-status={vlm.status}>
      <div className="panel-head">
        <div>
          <h2 id="shapes-panel-title">Shapes</h2>
          <p className="muted">
            A synthetic world with known ground truth: seeded scenes of coloured shapes, and a tiny
            vision-language model trained by this repo that runs offline in the WGSL engine. Each object the
            caption mentions is checked against the scene: correct, wrong (the shape is there, not as said) or
            hallucinated (no such shape).
          </p>
        </div>
      </div>
      {vlm.status === 'error' ? (
        <div className="inline-error shapes-vlm-error" role="alert" data-testid="shapes-vlm-error">
          <strong>The captioning model did not load.</strong> {vlm.error}
          <div className="small">
            The default models live in <code>public/models/</code>; <code>npm run train:defaults</code> writes
            them (a few minutes on a laptop).
          </div>
        </div>
      ) : null}
      <div className="shapes-layout">
        <SceneControls />
        <div className="shapes-right">
          <CaptionView />
          <AskBox />
          <DefaultModels />
        </div>
      </div>
    </section>
  );
}
