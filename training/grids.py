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


def save_grid(images, path, scale=None, row_labels=None):
    """Write a sample grid PNG; small images are upscaled (nearest) so they can be seen.

    Args:
        images: ``(rows, cols, H, W, C)`` uint8.
        path: output ``.png``.
        scale: integer upscaling (default: up to 64 px per image).
        row_labels: one text per row (e.g. class names), written in a margin on the left.
    """
    from PIL import Image, ImageDraw

    images = np.asarray(images)
    if scale is None:
        scale = max(1, 64 // images.shape[2])
    if row_labels is not None and len(row_labels) != images.shape[0]:
        raise ValueError(f"{len(row_labels)} row labels for a grid of {images.shape[0]} rows")
    canvas = grid_image(images, scale=scale)
    if canvas.shape[-1] == 1:
        canvas = canvas[..., 0]
    picture = Image.fromarray(canvas)
    if row_labels is not None:
        draw = ImageDraw.Draw(picture)
        margin = max(int(draw.textlength(str(label))) for label in row_labels) + 8
        labelled = Image.new(picture.mode, (picture.width + margin, picture.height), "white")
        labelled.paste(picture, (margin, 0))
        draw = ImageDraw.Draw(labelled)
        cell = (images.shape[2] + 1) * scale
        for r, label in enumerate(row_labels):
            draw.text((4, scale + r * cell + cell // 2 - 6), str(label), fill="black")
        picture = labelled
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    picture.save(path)
    return path
