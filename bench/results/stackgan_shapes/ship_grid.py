"""Grid of a shapes text model on held-out captions: rows = captions, columns = the same 8 (z, CA noise)
draws in every row, so a column compares captions under one noise and a row shows what stays free.

    python bench/results/stackgan_shapes/ship_grid.py MODEL_DIR OUT.png [--rows 12] [--columns 8] [--seed 0]
"""
import argparse

import numpy as np

import zoo
from zoo.stackgan.text import caption_split
from zoo.training.grids import save_grid


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("out")
    parser.add_argument("--rows", type=int, default=12)
    parser.add_argument("--columns", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sampler = zoo.load(args.model)
    captions = [c.text for c in caption_split("test")][:args.rows]
    encoded, _ = sampler.encode(captions)
    rng = np.random.default_rng(args.seed)
    z = rng.standard_normal((args.columns, sampler.config.nz)).astype(np.float32)
    ca_eps = rng.standard_normal((args.columns, sampler.config.embedding_dim)).astype(np.float32)
    rows = len(captions)
    images = np.asarray(sampler.generate(np.repeat(encoded, args.columns, axis=0), np.tile(z, (rows, 1)),
                                         np.tile(ca_eps, (rows, 1))))
    images = ((images + 1.0) * 127.5).round().clip(0, 255).astype(np.uint8)
    save_grid(images.reshape(rows, args.columns, *images.shape[1:]), args.out, row_labels=captions)
    print(f"wrote {args.out}: {rows} held-out captions x {args.columns} noise draws (the same in every row)")


if __name__ == "__main__":
    main()
