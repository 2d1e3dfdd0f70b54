# Ad-hoc script of the issue-28 fidelity study (2026-12-06), run as-is from a snapshot of the repo at
# /root/msgan_code (commit 8e8162d) with PYTHONPATH set to it; kept for provenance of bench/results/maps_fidelity/README.md.
# was run with PYTHONPATH=/root/msgan_code (imports renamed since: training.* is now zoo.training.*)
import os, time
import numpy as np, keras, tensorflow as tf
tf.config.threading.set_intra_op_parallelism_threads(1)
import zoo.unet
lr = float(sys.argv[1]); gain = float(sys.argv[2]); size = int(sys.argv[3]); ngf = int(sys.argv[4]); steps = int(sys.argv[5])
zoo.unet.xavier_init = lambda g=gain: keras.initializers.VarianceScaling(scale=gain**2, mode="fan_avg", distribution="untruncated_normal")
from zoo.training.paired_data import load_pairs
from zoo.metrics.fidelity import fidelity_ratio
keras.utils.set_random_seed(0)
x, t = load_pairs("/work/shared/data/maps", size, "train", limit=32)
g = zoo.unet.build_unet(size, 8, ngf=ngf)
opt = keras.optimizers.Adam(lr, 0.5)
@tf.function
def step(a, b, z):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.abs(g([a, z], training=True) - b))
    opt.apply(tape.gradient(loss, g.trainable_variables), g.trainable_variables)
    return loss
rng = np.random.default_rng(0); t0 = time.time()
for i in range(1, steps + 1):
    k = rng.integers(32)
    step(x[k:k+1], t[k:k+1], rng.standard_normal((1, 8)).astype(np.float32))
    if i % 250 == 0:
        out = np.asarray(g([x, np.zeros((32, 8), np.float32)]))
        print(sys.argv[1:], i, round(time.time() - t0), fidelity_ratio(out, t), flush=True)
