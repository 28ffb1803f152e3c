// The experiment's image: a Shapes scene by seed and index (drawn as the model sees it), an uploaded
// picture (resized to 48x48, pinned by the SHA-256 of its pixels), or none for text-only models.
import { useMemo, useState, type ChangeEvent } from 'react';
import { EXPERIMENT_PARAMETERS } from '../../share/methods';
import { useAppStore } from '../../store';
import { DEFAULT_WORLD, IMAGE_SIZE, sampleSceneAt } from '../../world';
import { decodeImageFile } from '../shapes/SceneControls';
import { SceneCanvas } from '../world/SceneCanvas';
import { NumberField, parameterTitle } from './fields';
import { useUploadThumbnail } from './useUploadThumbnail';

function SceneThumbnail({ seed, index }: { seed: number; index: number }) {
  const scene = useMemo(
    () => (Number.isSafeInteger(seed) && seed >= 0 && Number.isSafeInteger(index) && index >= 0 ? sampleSceneAt(DEFAULT_WORLD, seed, index) : null), // prettier-ignore
    [seed, index],
  );
  if (!scene) return <div className="image-thumb image-none">no scene</div>;
  return <SceneCanvas scene={scene} scale={2} className="image-thumb" testId="decode-scene-canvas" />;
}

export function ImagePicker({ locked, problems }: { locked: boolean; problems: Record<string, string> }) {
  const image = useAppStore((s) => s.decode.experiment.image);
  const upload = useAppStore((s) => s.decode.upload);
  const imageError = useAppStore((s) => s.decode.imageError);
  const setScene = useAppStore((s) => s.setDecodeScene);
  const clearImage = useAppStore((s) => s.clearDecodeImage);
  const uploadImage = useAppStore((s) => s.uploadDecodeImage);
  const [readError, setReadError] = useState<string | null>(null);
  const uploaded = image?.kind === 'upload' && upload?.sha256 === image.sha256 ? upload : null;
  const uploadCanvas = useUploadThumbnail(uploaded?.pixels ?? null);
  const scene = image?.kind === 'scene' ? image : { seed: EXPERIMENT_PARAMETERS.sceneSeed.default, index: 0 };

  const onFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const input = event.currentTarget;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    setReadError(null);
    try {
      await uploadImage(await decodeImageFile(file), file.name, 'resize');
    } catch (cause) {
      setReadError(`${file.name} could not be read as an image: ${(cause as Error).message}`);
    }
  };

  return (
    <div className="setup-block image-picker">
      <h3>Image</h3>
      <div className="image-row">
        {image?.kind === 'scene' ? <SceneThumbnail seed={image.seed} index={image.index} /> : null}
        {image?.kind === 'upload' ? (
          uploaded ? (
            <canvas ref={uploadCanvas} className="image-thumb" width={IMAGE_SIZE} height={IMAGE_SIZE} role="img" aria-label={`Uploaded image ${image.name}`} /> // prettier-ignore
          ) : (
            <div className="image-thumb image-none" data-testid="decode-upload-missing">
              upload {image.name} again
            </div>
          )
        ) : null}
        {image === null ? <div className="image-thumb image-none">no image</div> : null}
        <div className="image-controls">
          <fieldset className="image-kind" disabled={locked}>
            <legend className="sr-only">Image source</legend>
            <label className="small">
              <input
                type="radio"
                name="decode-image"
                checked={image?.kind === 'scene'}
                data-testid="decode-image-scene"
                onChange={() => setScene(scene.seed, scene.index)}
              />
              scene
            </label>
            <label className="file-button small" data-testid="decode-upload-label">
              Upload…
              <input
                type="file"
                accept="image/*"
                data-testid="decode-upload"
                onChange={(e) => void onFile(e)}
              />
            </label>
            <label className="small">
              <input
                type="radio"
                name="decode-image"
                checked={image === null}
                data-testid="decode-image-none"
                onChange={() => clearImage()}
              />
              none
            </label>
          </fieldset>
          {image?.kind === 'scene' ? (
            <div className="image-fields">
              <NumberField
                spec={EXPERIMENT_PARAMETERS.sceneSeed}
                label="scene seed"
                title={parameterTitle(EXPERIMENT_PARAMETERS.sceneSeed)}
                value={image.seed}
                problem={problems['image.seed']}
                disabled={locked}
                testId="decode-scene-seed"
                onChange={(seed) => setScene(seed, image.index)}
              />
              <NumberField
                spec={EXPERIMENT_PARAMETERS.sceneIndex}
                label="index"
                title={parameterTitle(EXPERIMENT_PARAMETERS.sceneIndex)}
                value={image.index}
                problem={problems['image.index']}
                disabled={locked}
                testId="decode-scene-index"
                onChange={(index) => setScene(image.seed, index)}
              />
            </div>
          ) : null}
          {image?.kind === 'upload' ? (
            <div className="small">
              <code>{image.name}</code> <span className="muted">sha {image.sha256.slice(0, 8)}…</span>
              {uploaded?.message ? <div className="muted">{uploaded.message}</div> : null}
            </div>
          ) : null}
        </div>
      </div>
      {imageError || readError ? (
        <p className="field-problem" role="alert" data-testid="decode-image-error">
          {imageError ?? readError}
        </p>
      ) : null}
    </div>
  );
}
