# Ad-hoc script of the issue-28 fidelity study (2026-12-06), run as-is from a snapshot of the repo at
# /root/msgan_code (commit 8e8162d) with PYTHONPATH set to it; kept for provenance of bench/results/maps_fidelity/README.md.
# was run with PYTHONPATH=/root/msgan_code (imports renamed since: training.* is now zoo.training.*)
import numpy as np, tensorflow as tf
from PIL import Image
from zoo.training.paired_data import training_pairs, load_pairs
from zoo.metrics.fidelity import fidelity_ratio
ds, n = training_pairs("/work/shared/data/maps", 128, 1, "AtoB", load_size=143, limit=4, seed=0)
rows = []
for a, b in ds.take(4):
    rows.append(np.concatenate([a[0].numpy(), b[0].numpy(), 0.5*a[0].numpy()+0.5*b[0].numpy()], 1))
Image.fromarray(((np.concatenate(rows, 0)+1)*127.5).astype(np.uint8)).save("/root/dbg/pairs.png")
for size in (128, 256):
    x, t = load_pairs("/work/shared/data/maps", size, "val", limit=64)
    mean_map = np.broadcast_to(t.mean(0), t.shape)
    print(size, "mean-map", fidelity_ratio(mean_map, t))
    for k in (3, 9, 17):
        blur = tf.nn.avg_pool2d(t, k, 1, "SAME").numpy()
        print(size, "blur", k, fidelity_ratio(blur, t))
    print(size, "per-image mean color", fidelity_ratio(np.broadcast_to(t.mean((1,2), keepdims=True), t.shape), t))
