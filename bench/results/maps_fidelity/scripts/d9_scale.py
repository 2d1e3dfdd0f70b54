"""Does road layout generalize when roads are wider in pixels? L1-only U-Net on 128 px crops of tiles resized to SCALE.

    python bench/results/maps_fidelity/scripts/d9_scale.py SCALE STEPS DATA_DIR [--ngf 16] [--lr 1e-3] [--json F]

The maps U-Net (zoo.unet.build_unet(128, 8), the size every maps run here trains at, same cost per step
whatever SCALE is), L1 only, Adam(lr, 0.5), batch 1, on random 128 crops (and flips) of the 1,096
training tiles resized to SCALE (128 = the whole tile, the earlier runs' setting; 512 ~ the tiles'
native 600 px, where a street is ~4-8 px wide instead of 1-2). Scored four times on fixed crops
(the four corner 128 crops of each tile; the whole tile at SCALE 128) of val 1-30 (never trained
on) and train 1-30, z = 0: L1 fidelity ratio and zoo.metrics.fidelity.structure_fidelity, with two
reference "outputs" at the same scale: each target box-blurred 9x9, and the photo itself.
One JSON line per evaluation.
"""
import argparse
import json
import time

import numpy as np


def crops(images, size):
    """The four corner ``size`` crops of each image (the image itself when it is ``size``)."""
    s = images.shape[1]
    if s == size:
        return images
    corners = [(0, 0), (0, s - size), (s - size, 0), (s - size, s - size)]
    return np.concatenate([images[:, y:y + size, x:x + size] for y, x in corners])


def as_uint8(x):
    return np.round((x + 1.0) * 127.5).astype(np.uint8)


def as_float(x):
    return x.astype(np.float32) / 127.5 - 1.0


def load(data_dir, scale, split, limit=None):
    from zoo.training.paired_data import paired_dataset

    dataset, _ = paired_dataset(data_dir, scale, split, augment=False, limit=limit)
    a, b = [], []
    for x, y in dataset.batch(16):
        a.append(as_uint8(x.numpy()))
        b.append(as_uint8(y.numpy()))
    return np.concatenate(a), np.concatenate(b)


def box_blur(images, k=9):
    from scipy.ndimage import uniform_filter

    return uniform_filter(images, size=(1, k, k, 1), mode="nearest")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("scale", type=int)
    parser.add_argument("steps", type=int)
    parser.add_argument("data_dir")
    parser.add_argument("--ngf", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--evals", type=int, default=4)
    parser.add_argument("--json")
    args = parser.parse_args()
    if args.scale < 128 or args.steps < args.evals or args.evals < 1:
        parser.error(f"need SCALE >= 128 (the crop) and STEPS >= --evals >= 1, got {args.scale}, {args.steps}, {args.evals}")

    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras

    from zoo.metrics.fidelity import fidelity_ratio, structure_fidelity
    from zoo.unet import build_unet

    size = 128
    a, b = load(args.data_dir, args.scale, "train")
    va, vb = load(args.data_dir, args.scale, "val", limit=30)
    evals = {"val30": (as_float(crops(va, size)), as_float(crops(vb, size))),
             "train30": (as_float(crops(a[:30], size)), as_float(crops(b[:30], size)))}
    reference = {}
    for name, (x, y) in evals.items():
        blur, photo = structure_fidelity(box_blur(y), y), structure_fidelity(x, y)
        reference[name] = {"blur9_edge_own": round(blur["own"], 3), "photo_edge_own": round(photo["own"], 3),
                           "blur9_l1_ratio": round(fidelity_ratio(box_blur(y), y)[0], 3)}
    keras.utils.set_random_seed(0)
    g = build_unet(size, 8, ngf=args.ngf)
    opt = keras.optimizers.Adam(args.lr, beta_1=0.5)

    @tf.function
    def step(x, t, z):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.abs(g([x, z], training=True) - t))
        opt.apply_gradients(zip(tape.gradient(loss, g.trainable_variables), g.trainable_variables))
        return loss

    rng = np.random.default_rng(0)
    start = time.time()
    every = args.steps // args.evals
    for s in range(args.steps):
        i = rng.integers(len(a))
        y0, x0 = rng.integers(args.scale - size + 1, size=2)
        x, t = a[i:i + 1, y0:y0 + size, x0:x0 + size], b[i:i + 1, y0:y0 + size, x0:x0 + size]
        if rng.random() < 0.5:
            x, t = x[:, :, ::-1], t[:, :, ::-1]
        step(as_float(x), as_float(t), rng.standard_normal((1, 8)).astype("float32"))
        if (s + 1) % every == 0:
            record = {"scale": args.scale, "crop": size, "ngf": args.ngf, "lr": args.lr, "step": s + 1,
                      "wall_s": round(time.time() - start)}
            for name, (x_, y_) in evals.items():
                out = g.predict([x_, np.zeros((len(x_), 8), "float32")], batch_size=32, verbose=0)
                sf = structure_fidelity(out, y_)
                record[name] = {"crops": len(x_), "l1_ratio": round(fidelity_ratio(out, y_)[0], 3),
                                "edge_own": round(sf["own"], 3), "edge_other": round(sf["other"], 3),
                                "edge_between": round(sf["between_outputs"], 3), **reference[name]}
            line = json.dumps(record)
            print(line, flush=True)
            if args.json:
                with open(args.json, "a") as f:
                    f.write(line + "\n")


if __name__ == "__main__":
    main()
