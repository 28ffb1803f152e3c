// The Train workbench: set up a run on the left (model, corpus, hyper-parameters), watch it on the
// right (status and controls, numbers, live loss / learning-rate / gradient-norm curves), and save
// or reload checkpoints. The worker trains; this panel only reads the store and sends requests.
import { CheckpointActions } from './CheckpointActions';
import { TrainCharts } from './TrainCharts';
import { TrainSetup } from './TrainSetup';
import { TrainControls, TrainRunInfo, TrainStats } from './TrainStatus';
import './train.css';

export function TrainPanel() {
  return (
    <section className="panel train-panel" aria-labelledby="train-panel-title">
      <div className="panel-head">
        <div>
          <h2 id="train-panel-title">Train</h2>
          <p className="muted">
            Supervised next-token training in WGSL on your GPU: a new tiny model or the loaded one, on the
            built-in fables or your own text. AdamW with warmup and cosine decay; a NaN or Inf stops the run
            and names the step and tensor.
          </p>
        </div>
      </div>
      <div className="train-layout">
        <div className="train-left">
          <h3>Set-up</h3>
          <TrainSetup />
          <CheckpointActions />
        </div>
        <div className="train-right">
          <TrainControls />
          <TrainRunInfo />
          <TrainStats />
          <TrainCharts />
        </div>
      </div>
    </section>
  );
}
