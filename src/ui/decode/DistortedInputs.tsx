// What each component distribution of a lane was computed from. Images are recomputed from the
// trace's DistortionRecord with the same code the worker uses (src/decoding/inputs): VCD's noised
// image from (image, t, seed), RITUAL's transformed view from the seed; a disturbed prompt is shown
// as text, a premature layer by number. No pixels are stored in a trace.
import { useEffect, useMemo, useRef } from 'react';
import { meaninglessImage } from '../../decoding/inputs/calibration';
import { diffusionNoise } from '../../decoding/inputs/noise';
import { applyTransform, describeTransform, randomTransform } from '../../decoding/inputs/transforms';
import type { Experiment } from '../../share/experiment';
import type { ComponentInput, DistortionRecord } from '../../share/trace';
import type { DecodeUpload } from '../../store';
import { DEFAULT_WORLD, IMAGE_SIZE, imageToFloat32, rasterize, sampleSceneAt } from '../../world';

/** The undistorted image of an experiment as [0, 1] HWC floats, or null (no image, or an upload not in this page). */
export function baseImage(experiment: Experiment, upload: DecodeUpload | null): Float32Array | null {
  const image = experiment.image;
  if (!image) return null;
  if (image.kind === 'scene')
    return imageToFloat32(rasterize(sampleSceneAt(DEFAULT_WORLD, image.seed, image.index)));
  return upload && upload.sha256 === image.sha256 ? imageToFloat32(upload.pixels) : null;
}

type Rendered = { pixels: Float32Array | null; note: string | null; error: string | null };

/** Recomputes a component's input image; unclamped values are clamped for display only. */
export function distortedImage(base: Float32Array | null, distortion: DistortionRecord | null): Rendered {
  if (distortion === null) return { pixels: base, note: null, error: null };
  if (distortion.kind === 'meaningless') {
    const pixels = meaninglessImage(distortion.image, IMAGE_SIZE, IMAGE_SIZE, { seed: distortion.seed });
    return { pixels, note: distortion.image === 'noise' ? `seed ${distortion.seed}` : null, error: null };
  }
  if (distortion.kind !== 'noise' && distortion.kind !== 'transform')
    return { pixels: null, note: null, error: null };
  if (!base)
    return {
      pixels: null,
      note: null,
      error: 'the original image is not in this page, so it cannot be recomputed',
    };
  try {
    if (distortion.kind === 'noise') {
      return { pixels: diffusionNoise(base, distortion.step, distortion.seed), note: `t = ${distortion.step}, seed ${distortion.seed}`, error: null }; // prettier-ignore
    }
    const transform = randomTransform(distortion.seed, IMAGE_SIZE, IMAGE_SIZE);
    const recomputed = describeTransform(transform);
    const note = recomputed === distortion.transform ? recomputed : `${distortion.transform} (recomputed here: ${recomputed})`; // prettier-ignore
    return { pixels: applyTransform(base, IMAGE_SIZE, IMAGE_SIZE, transform), note, error: null };
  } catch (cause) {
    return { pixels: null, note: null, error: cause instanceof Error ? cause.message : String(cause) };
  }
}

function Thumbnail({ pixels, label }: { pixels: Float32Array; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const context = ref.current?.getContext('2d');
    if (!context) return;
    const rgba = new Uint8ClampedArray(IMAGE_SIZE * IMAGE_SIZE * 4);
    for (let i = 0, j = 0; i < pixels.length; i += 3, j += 4) {
      rgba[j] = pixels[i] * 255;
      rgba[j + 1] = pixels[i + 1] * 255;
      rgba[j + 2] = pixels[i + 2] * 255;
      rgba[j + 3] = 255;
    }
    context.putImageData(new ImageData(rgba, IMAGE_SIZE, IMAGE_SIZE), 0, 0);
  }, [pixels]);
  return <canvas ref={ref} className="input-thumb" width={IMAGE_SIZE} height={IMAGE_SIZE} role="img" aria-label={label} />; // prettier-ignore
}

function describeDistortion(distortion: DistortionRecord | null): string {
  if (distortion === null) return 'undistorted input';
  switch (distortion.kind) {
    case 'noise':
      return `diffusion noise at step ${distortion.step}`;
    case 'transform':
      return 'random transform';
    case 'no-image':
      return 'no image';
    case 'prompt':
      return 'disturbed prompt';
    case 'layer':
      return `layer ${distortion.layer} (logit lens)`;
    case 'meaningless':
      return distortion.image === 'noise' ? 'meaningless image: noise' : 'meaningless image: mean colour';
  }
}

function InputCard({
  input,
  base,
  hasImage,
}: {
  input: ComponentInput;
  base: Float32Array | null;
  hasImage: boolean;
}) {
  const rendered = useMemo(() => distortedImage(base, input.distortion), [base, input.distortion]);
  const d = input.distortion;
  const showsImage = hasImage && (d === null || d.kind === 'noise' || d.kind === 'transform' || d.kind === 'meaningless'); // prettier-ignore
  return (
    <figure className="input-card" data-testid="decode-inspector-input" data-kind={d?.kind ?? 'original'}>
      {showsImage && rendered.pixels ? (
        <Thumbnail pixels={rendered.pixels} label={`${input.label}: ${describeDistortion(d)}`} />
      ) : null}
      {d?.kind === 'no-image' ? <div className="input-thumb input-none">no image</div> : null}
      <figcaption>
        <strong>{input.label}</strong> <span className="muted small">({input.model} model)</span>
        <div className="small">{describeDistortion(d)}</div>
        {rendered.note ? <div className="small muted">{rendered.note}</div> : null}
        {d?.kind === 'prompt' ? <blockquote className="input-prompt">{d.text}</blockquote> : null}
        {rendered.error ? <div className="small field-problem">{rendered.error}</div> : null}
      </figcaption>
    </figure>
  );
}

export function DistortedInputs({
  inputs,
  experiment,
  upload,
}: {
  inputs: readonly ComponentInput[];
  experiment: Experiment;
  upload: DecodeUpload | null;
}) {
  const base = useMemo(() => baseImage(experiment, upload), [experiment, upload]);
  if (inputs.length === 0) return null;
  return (
    <div className="input-cards">
      {inputs.map((input, i) => (
        <InputCard key={i} input={input} base={base} hasImage={experiment.image !== null} />
      ))}
    </div>
  );
}
