// A Shapes-world scene drawn on a <canvas>: the rasterizer's 48×48 image, exactly the pixels a
// model sees, scaled up with nearest-neighbour (image-rendering: pixelated) so no smoothing adds
// colours the model never saw. Optionally lists the objects beside it (ground truth for the eye).
// No store wiring: the scene comes in as a prop.
import { useEffect, useMemo, useRef } from 'react';
import { describeObject, imageToRgba, rasterize, IMAGE_SIZE, type Scene } from '../../world';

export interface SceneCanvasProps {
  scene: Scene;
  /** Screen pixels per image pixel (default 6: a 288 px square). */
  scale?: number;
  /** List the scene's objects under the image. */
  showObjects?: boolean;
  /** Accessible name of the image (default: the object list). */
  label?: string;
  className?: string;
  testId?: string;
}

type Rendered = { rgba: Uint8ClampedArray; error: null } | { rgba: null; error: string };

function render(scene: Scene): Rendered {
  try {
    return { rgba: imageToRgba(rasterize(scene)), error: null };
  } catch (error) {
    return { rgba: null, error: error instanceof Error ? error.message : String(error) };
  }
}

export function SceneCanvas({
  scene,
  scale = 6,
  showObjects = false,
  label,
  className,
  testId,
}: SceneCanvasProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const rendered = useMemo(() => render(scene), [scene]);
  const descriptions = useMemo(() => scene.objects.map(describeObject), [scene]);

  useEffect(() => {
    const canvas = canvasRef.current;
    const context = canvas?.getContext('2d');
    if (!canvas || !context || rendered.rgba === null) return;
    const pixels = new Uint8ClampedArray(rendered.rgba);
    context.putImageData(new ImageData(pixels, IMAGE_SIZE, IMAGE_SIZE), 0, 0);
  }, [rendered]);

  if (rendered.error !== null) {
    return (
      <div className={className} data-testid={testId} role="alert">
        This scene cannot be drawn: {rendered.error}
      </div>
    );
  }
  const size = IMAGE_SIZE * scale;
  const name = label ?? (descriptions.length === 0 ? 'An empty scene' : `Scene: ${descriptions.join('; ')}`);
  return (
    <figure className={className} data-testid={testId} style={{ margin: 0 }}>
      <canvas
        ref={canvasRef}
        width={IMAGE_SIZE}
        height={IMAGE_SIZE}
        role="img"
        aria-label={name}
        style={{ width: size, height: size, imageRendering: 'pixelated', display: 'block' }}
      />
      {showObjects && (
        <figcaption>
          {descriptions.length === 0 ? (
            <span>No objects</span>
          ) : (
            <ol style={{ margin: '4px 0 0', paddingLeft: '1.4em' }}>
              {descriptions.map((d, i) => (
                <li key={i}>{d}</li>
              ))}
            </ol>
          )}
        </figcaption>
      )}
    </figure>
  );
}
