"""L1-only U-Net (zoo.unet.build_unet, the maps generator, nz 8) on the whole maps train split at 128 px
(resized, random flips, no crops), scored on val and train pairs 1-30 (z = 0): L1 fidelity ratio and
zoo.metrics.fidelity.structure_fidelity, four times per run; one JSON line each.

    python bench/results/maps_fidelity/scripts/d6_l1study.py LR STEPS NGF BATCH TAG DATA_DIR CACHE_DIR [REPORTS]
"""
import sys, time, json, numpy as np, tensorflow as tf, keras
tf.config.threading.set_intra_op_parallelism_threads(1); tf.config.threading.set_inter_op_parallelism_threads(1)
from zoo.unet import build_unet
from zoo.metrics.fidelity import structure_fidelity, fidelity_ratio
from zoo.training.paired_data import load_pairs
lr, steps, ngf, batch, tag = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
data_dir, cache_dir = sys.argv[6], sys.argv[7]
cache = f"{cache_dir}/train128.npz"
try:
    d = np.load(cache); a, b = d["a"], d["b"]
except FileNotFoundError:
    a, b = load_pairs(data_dir, 128, split="train"); np.savez(cache, a=a, b=b)
va, vb = load_pairs(data_dir, 128, split="val", limit=30)
keras.utils.set_random_seed(0)
g = build_unet(128, 8, ngf=ngf)
opt = keras.optimizers.Adam(lr, beta_1=0.5)
@tf.function
def step(x, t, z):
    with tf.GradientTape() as tape:
        out = g([x, z], training=True); loss = tf.reduce_mean(tf.abs(out - t))
    opt.apply_gradients(zip(tape.gradient(loss, g.trainable_variables), g.trainable_variables)); return loss
t0 = time.time(); rng = np.random.default_rng(0)
for s in range(steps):
    i = rng.integers(len(a), size=batch); flip = rng.random() < 0.5
    x, t = a[i], b[i]
    if flip: x, t = x[:, :, ::-1], t[:, :, ::-1]
    l = step(x, t, rng.standard_normal((batch, 8)).astype("float32"))
    if (s + 1) % (steps // int(sys.argv[8] if len(sys.argv) > 8 else 4)) == 0:
        res = {"tag": tag, "lr": lr, "ngf": ngf, "batch": batch, "step": s + 1, "wall_s": round(time.time() - t0)}
        for name, (x_, y_) in {"val30": (va, vb), "train30": (a[:30], b[:30])}.items():
            out = g.predict([x_, np.zeros((len(x_), 8), "float32")], verbose=0)
            sf = structure_fidelity(out, y_)
            res[name] = {"l1": float(np.abs(out - y_).mean()), "ratio": round(fidelity_ratio(out, y_)[0], 3),
                         "edge_own": round(sf["own"], 3), "edge_between": round(sf["between_outputs"], 3)}
        print(json.dumps(res), flush=True)
        if s + 1 == steps: g.save_weights(f"{cache_dir}/{tag}.weights.h5")
