"""Can the maps U-Net (zoo.unet.build_unet, nz 8) learn photo -> map (or photo -> photo) at all? L1 only,
on the first N train pairs at 128 px (resized, no jitter), Adam(LR, 0.5), batch 1; scored on the same
pairs (z = 0) five times: edge correlation (zoo.metrics.fidelity.structure_fidelity) and L1 ratio.

    python bench/results/maps_fidelity/scripts/d8_overfit.py map|identity LR STEPS NGF N DATA_DIR
"""
import sys, time, numpy as np, tensorflow as tf, keras
tf.config.threading.set_intra_op_parallelism_threads(1); tf.config.threading.set_inter_op_parallelism_threads(1)
from zoo.unet import build_unet
from zoo.training.paired_data import load_pairs
from zoo.metrics.fidelity import structure_fidelity
task, lr, steps, ngf = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
a, b = load_pairs(sys.argv[6], 128, split="train", limit=int(sys.argv[5]))
y = a if task == "identity" else b
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
    i = rng.integers(len(a)); l = step(a[i:i+1], y[i:i+1], rng.standard_normal((1, 8)).astype("float32"))
    if (s + 1) % (steps // 5) == 0:
        out = g([a, np.zeros((len(a), 8), "float32")], training=False).numpy()
        own = np.abs(out - y).mean(); other = np.abs(out - np.roll(y, 1, 0)).mean()
        sf = structure_fidelity(out, y); print(f"edge own {sf['own']:.3f} between {sf['between_outputs']:.3f} targets {sf['between_targets']:.3f}", end=" | "); print(f"{task} lr {lr} ngf {ngf} step {s+1}: train-loss {float(l):.4f} eval L1 own {own:.4f} other {other:.4f} ratio {other/own:.2f} ({time.time()-t0:.0f}s)", flush=True)
