"""Sample grids: rows = conditions, columns = noise vectors (mode collapse at a glance)."""
from pathlib import Path

import numpy as np


def grid_image(images, pad=1, scale=1):
    """Tile ``(rows, cols, H, W, C)`` uint8 images into one ``(rows*H, cols*W, C)`` uint8 array."""
    images = np.asarray(images)
    if images.ndim != 5:
        raise ValueError(f"grid_image expects (rows, cols, H, W, C), got shape {images.shape}")
    rows, cols, height, width, channels = images.shape
    canvas = np.full((rows * (height + pad) + pad, cols * (width + pad) + pad, channels), 255, np.uint8)
    for r in range(rows):
        for c in range(cols):
            y, x = pad + r * (height + pad), pad + c * (width + pad)
            canvas[y:y + height, x:x + width] = images[r, c]
    if scale > 1:
        canvas = canvas.repeat(scale, axis=0).repeat(scale, axis=1)
    return canvas


def save_grid(images, path, scale=None):
    """Write a sample grid PNG; small images are upscaled (nearest) so they can be seen."""
    from PIL import Image

    images = np.asarray(images)
    if scale is None:
        scale = max(1, 64 // images.shape[2])
    canvas = grid_image(images, scale=scale)
    if canvas.shape[-1] == 1:
        canvas = canvas[..., 0]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(canvas).save(path)
    return path
