"""The captioned shapes dataset: pictures drawn by code for captions of :mod:`zoo.stackgan.text`.

Each picture shows one or two shapes on black. What the caption names is fixed: count, colour,
shape, and size (``small`` / ``big``) and position (the ``left`` / ``right`` / ``top`` /
``bottom`` half) when named. The rest is free and drawn at random: the shade of the colour (a
brightness in [0.45, 1]), the exact centres (anywhere when no position is named, anywhere in the
named half otherwise), and each object's size class and radius when no size is named (radii in
[0.08, 0.13] of the image for small, [0.17, 0.24] for big). Edges are anti-aliased by drawing
at 4x and averaging.

Every picture comes with its ground truth (:func:`render`), which the attribute classifier of
``training/shapes_classifier.py`` learns and the caption-fidelity score checks.
"""
import argparse
from pathlib import Path

import numpy as np
from PIL import Image


from zoo.stackgan.text import COLOURS, SHAPES, caption_split  # noqa: E402

RGB = {"red": (1.0, 0.15, 0.12), "green": (0.15, 0.85, 0.2), "blue": (0.2, 0.4, 1.0), "yellow": (1.0, 0.88, 0.1)}
RADIUS = {"small": (0.08, 0.13), "big": (0.17, 0.24)}
SHADE = (0.45, 1.0)
SUPERSAMPLE = 4
# Ground-truth classes per attribute (what the classifier predicts); "mixed" = objects disagree.
TRUTH_CLASSES = {
    "count": (1, 2), "colour": COLOURS, "shape": SHAPES, "size": ("small", "big", "mixed"),
    "horizontal": ("left", "right", "mixed"), "vertical": ("top", "bottom", "mixed"),
}


def _mask(shape, cx, cy, r, grid_x, grid_y):
    if shape == "circle":
        return (grid_x - cx) ** 2 + (grid_y - cy) ** 2 <= r * r
    if shape == "square":
        half = 0.85 * r
        return (np.abs(grid_x - cx) <= half) & (np.abs(grid_y - cy) <= half)
    # Upward triangle with circumradius r: below the two slanted sides, above the base.
    top, base = cy - r, cy + 0.5 * r
    half_width = (grid_y - top) / (1.5 * r) * (np.sqrt(3) / 2 * r)
    return (grid_y >= top) & (grid_y <= base) & (np.abs(grid_x - cx) <= half_width)


def _centre_range(r, position, axis):
    low, high = r, 1.0 - r
    named = {"x": {"left": (low, 0.5 - 0.02), "right": (0.5 + 0.02, high)},
             "y": {"top": (low, 0.5 - 0.02), "bottom": (0.5 + 0.02, high)}}[axis]
    return named.get(position, (low, high))


def _place(caption, rng):
    """Radii and centres (fractions of the image) of the caption's objects, not overlapping."""
    for _ in range(200):
        classes = [caption.size or rng.choice(("small", "big")) for _ in range(caption.count)]
        radii = [rng.uniform(*RADIUS[c]) for c in classes]
        centres = []
        for r in radii:
            x = rng.uniform(*_centre_range(r, caption.position, "x"))
            y = rng.uniform(*_centre_range(r, caption.position, "y"))
            centres.append((x, y))
        if caption.count == 1 or np.hypot(centres[0][0] - centres[1][0], centres[0][1] - centres[1][1]) > radii[0] + radii[1] + 0.03:
            return classes, radii, centres
    raise RuntimeError(f"cannot place {caption.text!r} without overlap")  # never seen: 200 tries


def _half(values, low_name, high_name):
    sides = {low_name if v < 0.5 else high_name for v in values}
    return sides.pop() if len(sides) == 1 else "mixed"


def render(caption, size, rng):
    """One picture for ``caption`` (a :class:`zoo.stackgan.text.Caption`).

    Returns:
        ``(image, truth)``: uint8 ``(size, size, 3)``, and a dict with the classes of
        :data:`TRUTH_CLASSES` plus ``cx``, ``cy`` (mean object centre, fractions in [0, 1]),
        ``radius`` (mean, fraction of the image) and ``shade`` (the brightness factor).
    """
    classes, radii, centres = _place(caption, rng)
    shade = rng.uniform(*SHADE)
    fine = size * SUPERSAMPLE
    coords = (np.arange(fine) + 0.5) / fine
    grid_x, grid_y = np.meshgrid(coords, coords)
    mask = np.zeros((fine, fine), bool)
    for r, (cx, cy) in zip(radii, centres):
        mask |= _mask(caption.shape, cx, cy, r, grid_x, grid_y)
    coverage = mask.reshape(size, SUPERSAMPLE, size, SUPERSAMPLE).mean(axis=(1, 3))
    image = coverage[..., None] * (shade * np.asarray(RGB[caption.colour]))
    truth = {
        "count": caption.count, "colour": caption.colour, "shape": caption.shape,
        "size": classes[0] if len(set(classes)) == 1 else "mixed",
        "horizontal": _half([c[0] for c in centres], "left", "right"),
        "vertical": _half([c[1] for c in centres], "top", "bottom"),
        "cx": float(np.mean([c[0] for c in centres])), "cy": float(np.mean([c[1] for c in centres])),
        "radius": float(np.mean(radii)), "shade": float(shade),
    }
    return np.clip(np.rint(image * 255), 0, 255).astype(np.uint8), truth


def make_shapes(num_examples, image_size=32, split="train", seed=0):
    """``num_examples`` captioned pictures, captions drawn uniformly from the split's captions.

    Args:
        split: ``"train"`` (the training captions) or ``"test"`` (the held-out captions).

    Returns:
        ``(captions, images, truth)``: a list of :class:`zoo.stackgan.text.Caption`, uint8
        ``(N, S, S, 3)``, and the ground truth as a dict of ``(N,)`` arrays (class indices into
        :data:`TRUTH_CLASSES` for the classes; floats for ``cx``, ``cy``, ``radius``, ``shade``).
    """
    if num_examples < 1:
        raise ValueError(f"num_examples must be >= 1, got {num_examples}")
    rng = np.random.default_rng(seed)
    pool = caption_split(split)
    captions = [pool[i] for i in rng.integers(0, len(pool), num_examples)]
    images = np.empty((num_examples, image_size, image_size, 3), np.uint8)
    records = []
    for i, caption in enumerate(captions):
        images[i], truth = render(caption, image_size, rng)
        records.append(truth)
    truth = {name: np.asarray([classes.index(r[name]) for r in records], np.int32)
             for name, classes in TRUTH_CLASSES.items()}
    truth.update({name: np.asarray([r[name] for r in records], np.float32)
                  for name in ("cx", "cy", "radius", "shade")})
    return captions, images, truth


def named_truth(caption):
    """The truth classes a caption fixes: ``{attribute: class index}`` (free attributes absent)."""
    named = {"count": caption.count, "colour": caption.colour, "shape": caption.shape}
    if caption.size:
        named["size"] = caption.size
    if caption.position in ("left", "right"):
        named["horizontal"] = caption.position
    if caption.position in ("top", "bottom"):
        named["vertical"] = caption.position
    return {name: TRUTH_CLASSES[name].index(value) for name, value in named.items()}


def write_evaluation_files(out, num_images=2000, image_size=32, seed=0):
    """What ``evaluate.py --preset text`` reads: ``out/captions_test.txt`` (the held-out captions, one
    per line) and ``out/images/NNNNN.png`` (``num_images`` training pictures, the real reference).

    Returns ``(captions file, image folder)``.
    """
    out = Path(out)
    folder = out / "images"
    folder.mkdir(parents=True, exist_ok=True)
    _, images, _ = make_shapes(num_images, image_size, "train", seed)
    for i, image in enumerate(images):
        Image.fromarray(image).save(folder / f"{i:05d}.png")
    captions = out / "captions_test.txt"
    captions.write_text("".join(c.text + "\n" for c in caption_split("test")))
    return captions, folder


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python training/shapes_data.py",
        description="Write the shapes task's evaluation files: held-out captions and real pictures.")
    parser.add_argument("out", help="output folder (captions_test.txt, images/)")
    parser.add_argument("--images", type=int, default=2000, help="real pictures to write (default 2000)")
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    captions, folder = write_evaluation_files(args.out, args.images, args.image_size, args.seed)
    print(f"wrote {captions} and {args.images} pictures in {folder}")


if __name__ == "__main__":
    main()
