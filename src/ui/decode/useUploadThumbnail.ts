// Draws 48x48 RGB bytes on the canvas the returned ref is attached to (nearest-neighbour scaling
// comes from the CSS: image-rendering: pixelated).
import { useEffect, useRef } from 'react';
import { IMAGE_SIZE, imageToRgba } from '../../world';

export function useUploadThumbnail(pixels: Uint8Array | null) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const context = ref.current?.getContext('2d');
    if (!context || !pixels) return;
    const rgba = new Uint8ClampedArray(imageToRgba(pixels));
    context.putImageData(new ImageData(rgba, IMAGE_SIZE, IMAGE_SIZE), 0, 0);
  }, [pixels]);
  return ref;
}
