// What the run is doing: status, the controls that steer it (pause, resume, stop), its numbers
// (step, loss, throughput, learning rate, gradient norm, time, size), and why it ended.
import { useAppStore } from '../../store';
import { isTrainingActive } from '../../store/trainSlice';
import type { TrainingStatus } from '../../worker/trainTypes';
import { formatBytes, formatCount } from '../format';
import { formatClock, formatLoss, formatRate, formatSci, recentMean, smoothed } from './trainFormat';

const STATUS_TEXT: Record<TrainingStatus, string> = {
  idle: 'Not started',
  preparing: 'Preparing…',
  running: 'Training',
  paused: 'Paused',
  completed: 'Completed',
  stopped: 'Stopped',
  'stopped-nan': 'Stopped: NaN/Inf',
  failed: 'Failed',
};

function Stat({
  label,
  value,
  testId,
  title,
}: {
  label: string;
  value: string;
  testId?: string;
  title?: string;
}) {
  return (
    <div className="stat" title={title}>
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}

export function TrainControls() {
  const status = useAppStore((s) => s.train.status);
  const pause = useAppStore((s) => s.pauseTraining);
  const resume = useAppStore((s) => s.resumeTraining);
  const stop = useAppStore((s) => s.stopTraining);
  return (
    <div className="train-controls">
      <span className={`train-status status-${status}`} data-testid="train-status" data-status={status}>
        <span className="status-dot" />
        {STATUS_TEXT[status]}
      </span>
      {status === 'paused' ? (
        <button
          type="button"
          className="button-ghost control"
          data-testid="train-resume"
          onClick={() => void resume()}
        >
          Resume
        </button>
      ) : (
        <button
          type="button"
          className="button-ghost control"
          data-testid="train-pause"
          disabled={status !== 'running'}
          onClick={() => void pause()}
        >
          Pause
        </button>
      )}
      <button
        type="button"
        className="button-ghost control stop"
        data-testid="train-stop"
        disabled={!isTrainingActive(status)}
        onClick={() => void stop()}
      >
        Stop
      </button>
    </div>
  );
}

export function TrainStats() {
  const train = useAppStore((s) => s.train);
  const { info, points } = train;
  const last = points.at(-1);
  const stepsDone = last ? last.step + 1 : 0;
  const total = info?.totalSteps ?? null;
  const smoothLoss = last ? smoothed(points.map((p) => p.loss)).at(-1)! : null;
  const rate = recentMean(
    points.map((p) => p.tokensPerSecond),
    20,
  );
  const eta = last && total && stepsDone > 0 ? (last.elapsedMs / stepsDone) * (total - stepsDone) : null;
  return (
    <dl className="train-stats">
      <Stat
        label="step"
        testId="stat-step"
        value={total === null ? '—' : `${formatCount(stepsDone)} / ${formatCount(total)}`}
      />
      <Stat label="loss" testId="stat-loss" value={formatLoss(last?.loss)} title="this step's loss" />
      <Stat label="smoothed" value={formatLoss(smoothLoss)} title="exponential moving average, α = 0.9" />
      <Stat
        label="tokens/s"
        testId="stat-tokens-per-second"
        value={formatRate(rate)}
        title="mean over the last 20 steps"
      />
      <Stat label="learning rate" testId="stat-lr" value={formatSci(last?.learningRate)} />
      <Stat
        label="grad norm"
        testId="stat-grad-norm"
        value={formatSci(last?.gradientNorm)}
        title="before clipping"
      />
      <Stat
        label="elapsed"
        testId="stat-elapsed"
        value={formatClock(last?.elapsedMs)}
        title="pauses excluded"
      />
      <Stat label="remaining" value={train.status === 'running' ? formatClock(eta) : '—'} />
      <Stat
        label="parameters"
        testId="stat-parameters"
        value={info ? formatCount(info.parameterCount) : '—'}
      />
      <Stat
        label="GPU memory"
        value={info ? formatBytes(info.gpuBytes) : '—'}
        title="parameters, gradients, AdamW moments, activations"
      />
    </dl>
  );
}

/** One line on what is being trained; the reason a run ended when it did not complete. */
export function TrainRunInfo() {
  const info = useAppStore((s) => s.train.info);
  const status = useAppStore((s) => s.train.status);
  const outcome = useAppStore((s) => s.train.outcome);
  const error = useAppStore((s) => s.train.error);
  return (
    <>
      {info ? (
        <p className="run-info small" data-testid="train-info">
          <strong>{info.modelName}</strong> · {info.modelType} · d {info.hiddenSize} · {info.layers} layers ·{' '}
          {info.heads} heads · vocabulary {formatCount(info.vocabSize)} ({info.tokenizer}) · on{' '}
          {info.corpusName}, {formatCount(info.corpusTokens)} tokens · {formatCount(info.tokensPerStep)}{' '}
          tokens per step
        </p>
      ) : null}
      {status === 'stopped-nan' && outcome?.message ? (
        <div className="inline-error nan-error" role="alert" data-testid="train-error">
          <strong>{outcome.message}</strong>
          <div>The last good parameters are kept: Save checkpoint writes them.</div>
        </div>
      ) : null}
      {error ? (
        <p className="inline-error" role="alert" data-testid="train-error">
          {error}
        </p>
      ) : null}
    </>
  );
}
