"""The issue's grid for a kept epoch of the long run: rows = val photos 1-6; columns = photo, target, 8 outputs
with the same 8 seeded z in every row. Writes one JPEG per run.

    python bench/results/maps_fidelity/scripts/grid_epoch.py RUNS_ROOT EPOCH DATA_DIR OUT_PREFIX
    (e.g. /root/msgan_runs/maps6 40 ../shared/data/maps recipe3/maps6_epoch040)
"""
import sys

import numpy as np
from PIL import Image

import zoo
from zoo.sampling import to_uint8
from zoo.training.grids import save_grid
from zoo.training.paired_data import load_pairs

root, epoch, data_dir, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
inputs, targets = load_pairs(data_dir, 128, split="val", limit=6)
z = np.random.default_rng(7).standard_normal((8, 8)).astype("float32")
for run in ("msgan_pix2pix_maps", "pix2pix_maps"):
    sampler = zoo.load(f"{root}/{run}/epochs/epoch_{epoch:03d}")
    out = np.stack([to_uint8(np.asarray(sampler.generate(np.repeat(inputs[i:i + 1], 8, 0), z))) for i in range(6)])
    grid = np.concatenate([to_uint8(inputs)[:, None], to_uint8(targets)[:, None], out], 1)
    png = save_grid(grid, f"/tmp/{run}_grid.png")
    Image.open(png).convert("RGB").save(f"{prefix}_{run}_val_grid.jpg", quality=85)
