// What the VLM is shown, and how to change it: a seed field and "New scene", the empty scene, or a
// picture of your own (decoded here, resized to 48x48 or refused). The canvas draws the exact
// 48x48 pixels the model reads, scaled up without smoothing; the object list is the ground truth.
import { useEffect, useRef, useState, type ChangeEvent } from 'react';
import { useAppStore } from '../../store';
import type { ImageInput } from '../../world';
import { describeObject, imageToRgba, IMAGE_SIZE } from '../../world';
import { useCheckedCaption } from './CaptionView';

const SCALE = 6;

/** Decodes an image file to RGBA pixels in the page (any format the browser reads). */
export async function decodeImageFile(file: File): Promise<ImageInput> {
  const bitmap = await createImageBitmap(file);
  try {
    const { width, height } = bitmap;
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d');
    if (!context) throw new Error('this browser gives no 2D canvas to decode images with');
    context.drawImage(bitmap, 0, 0);
    return { width, height, channels: 4, data: context.getImageData(0, 0, width, height).data };
  } finally {
    bitmap.close();
  }
}

function PixelCanvas({ pixels, label }: { pixels: Uint8Array; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const context = ref.current?.getContext('2d');
    if (!context) return;
    const rgba = new Uint8ClampedArray(imageToRgba(pixels)); // ImageData wants its own ArrayBuffer
    context.putImageData(new ImageData(rgba, IMAGE_SIZE, IMAGE_SIZE), 0, 0);
  }, [pixels]);
  return (
    <canvas
      ref={ref}
      className="shapes-canvas"
      width={IMAGE_SIZE}
      height={IMAGE_SIZE}
      role="img"
      aria-label={label}
      data-testid="shapes-canvas"
      style={{ width: IMAGE_SIZE * SCALE, height: IMAGE_SIZE * SCALE }}
    />
  );
}

export function SceneControls() {
  const image = useAppStore((s) => s.shapes.image);
  const pixels = useAppStore((s) => s.shapes.pixels);
  const imageError = useAppStore((s) => s.shapes.imageError);
  const setSeed = useAppStore((s) => s.setSeed);
  const newScene = useAppStore((s) => s.newScene);
  const clearScene = useAppStore((s) => s.clearScene);
  const uploadImage = useAppStore((s) => s.uploadImage);
  const captionDone = useAppStore((s) => !s.shapes.caption.running && s.shapes.caption.summary !== null);
  const { checked } = useCheckedCaption();
  const [resize, setResize] = useState(true);
  const [decodeError, setDecodeError] = useState<string | null>(null);
  // A half-typed or invalid seed stays in the field only; the store holds valid seeds.
  const [draft, setDraft] = useState<string | null>(null);
  const seedText = draft ?? (image.kind === 'scene' ? String(image.seed) : '');
  const onSeed = (text: string) => {
    const seed = Number(text);
    const valid = text.trim() !== '' && Number.isSafeInteger(seed) && seed >= 0;
    setDraft(valid ? null : text);
    if (valid) setSeed(seed);
  };
  const onFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const input = event.currentTarget;
    const file = input.files?.[0];
    input.value = ''; // choosing the same file again still fires
    if (!file) return;
    setDecodeError(null);
    try {
      uploadImage(await decodeImageFile(file), file.name, resize ? 'resize' : 'refuse');
    } catch (cause) {
      setDecodeError(`${file.name} could not be read as an image: ${(cause as Error).message}`);
    }
  };

  const objects = image.kind === 'upload' ? null : image.scene.objects;
  const label =
    image.kind === 'upload'
      ? `Uploaded image ${image.name}`
      : objects!.length === 0
        ? 'An empty scene'
        : `Scene: ${objects!.map(describeObject).join('; ')}`;

  return (
    <div className="shapes-left">
      <PixelCanvas pixels={pixels} label={label} />
      <div className="shapes-image-title" data-testid="shapes-image-title">
        {image.kind === 'scene' ? `Scene of seed ${image.seed}` : null}
        {image.kind === 'empty' ? 'The empty scene' : null}
        {image.kind === 'upload' ? `Uploaded: ${image.name}` : null}
        <div className="muted small">48×48 pixels, exactly what the model sees</div>
      </div>
      {image.kind === 'upload' && image.message ? (
        <p className="shapes-note" data-testid="shapes-resize-message">
          {image.message}
        </p>
      ) : null}
      <div className="shapes-controls">
        <label className="field">
          <span>seed</span>
          <input
            type="number"
            className="text-input num-input"
            min={0}
            step={1}
            value={seedText}
            aria-invalid={draft !== null && draft !== ''}
            data-testid="shapes-seed"
            onChange={(e) => onSeed(e.currentTarget.value)}
            onBlur={() => setDraft(null)}
          />
        </label>
        <button
          type="button"
          className="button-primary"
          data-testid="shapes-new-scene"
          onClick={() => {
            setDraft(null);
            newScene();
          }}
        >
          New scene
        </button>
        <button
          type="button"
          className="button-ghost"
          data-testid="shapes-clear"
          onClick={() => {
            setDraft(null);
            clearScene();
          }}
        >
          Empty scene
        </button>
      </div>
      <div className="shapes-controls">
        <label className="file-button">
          Upload image…
          <input type="file" accept="image/*" data-testid="shapes-upload" onChange={(e) => void onFile(e)} />
        </label>
        <label className="small shapes-check">
          <input type="checkbox" checked={resize} onChange={(e) => setResize(e.currentTarget.checked)} />
          resize other sizes to 48×48
        </label>
      </div>
      {imageError || decodeError ? (
        <p className="inline-error" role="alert" data-testid="shapes-image-error">
          {imageError ?? decodeError}
        </p>
      ) : null}
      <div className="shapes-truth">
        <h3>Ground truth</h3>
        {objects === null ? (
          <p className="muted small">An uploaded picture has no ground truth: its caption is not checked.</p>
        ) : objects.length === 0 ? (
          <p className="muted small">No objects.</p>
        ) : (
          <ol data-testid="shapes-objects">
            {objects.map((o, i) => (
              <li key={i}>
                {describeObject(o)}
                {captionDone && checked ? (
                  checked.mentioned.has(i) ? (
                    <span className="truth-tag truth-mentioned"> ✓ mentioned</span>
                  ) : (
                    <span className="truth-tag muted"> left out</span>
                  )
                ) : null}
              </li>
            ))}
          </ol>
        )}
      </div>
    </div>
  );
}
