"""How often a generator paints saturated colour (the orange-blue blob of the maps6 grids), and whether z or the photo drives it.

    python bench/results/maps_fidelity/scripts/chroma_rate.py MODEL_DIR [MODEL_DIR ...] --data-dir DATA_DIR

Val photos 1-20 x the same 100 seeded z. A sample "has saturated colour" when more than 20 of its
pixels have max - min channel > 140 (uint8). Real maps have such pixels only on highways (orange)
and the like, so the rate of the targets is printed beside. A z that gives saturated colour for at
least half of the photos is z-driven; a photo that has it for every z is photo-driven.
"""
import argparse

import numpy as np

import zoo
from zoo.sampling import to_uint8
from zoo.training.paired_data import load_pairs


def saturated(images):
    pixels = to_uint8(images).astype(int)
    return (pixels.max(-1) - pixels.min(-1) > 140).sum(axis=(1, 2)) > 20


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="+")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--z", type=int, default=100)
    args = parser.parse_args()
    inputs, targets = load_pairs(args.data_dir, 128, split="val", limit=args.photos)
    print(f"targets with saturated colour: {int(saturated(targets).sum())} of {len(targets)}")
    z = np.random.default_rng(11).standard_normal((args.z, 8)).astype("float32")
    for model in args.models:
        sampler = zoo.load(model)
        hits = np.stack([saturated(np.asarray(sampler.generate(np.repeat(inputs[i:i + 1], len(z), 0), z)))
                         for i in range(len(inputs))])
        print(f"{model}: rate {hits.mean():.3f}; photos with any {int(hits.any(1).sum())} of {len(inputs)}; "
              f"photo-driven (every z) {int(hits.all(1).sum())}; z-driven (>= half the photos) "
              f"{int((hits.mean(0) >= 0.5).sum())} of {len(z)}")


if __name__ == "__main__":
    main()
