# Ad-hoc script of the issue-28 fidelity study (2026-12-06), run as-is from a snapshot of the repo at
# /root/msgan_code (commit 8e8162d) with PYTHONPATH set to it; kept for provenance of bench/results/maps_fidelity/README.md.
# was run with PYTHONPATH=/root/msgan_code:/root/msgan_code/tests (imports renamed since: training.* is now zoo.training.*)
import numpy as np, keras, tensorflow as tf
from test_paired_fidelity import synthetic_pairs, PAIRS
from zoo.metrics.fidelity import fidelity_ratio
from zoo.registry import get_config, get_family
lam = float(sys.argv[1]); lgan = float(sys.argv[2])
keras.utils.set_random_seed(0)
config = get_config("msgan_pix2pix_maps").replace(image_size=16, ngf=8, ndf=8, nz=2, n_layers_d=1, num_d=2, epochs=1, niter=1, niter_decay=0, seed=0, lambda_ms=lam, lambda_gan=lgan)
gan = get_family("pix2pix").gan_class(config)
gan.compile(jit_compile=False)
inputs, targets = synthetic_pairs()
data = tf.data.Dataset.from_tensor_slices((inputs, targets)).shuffle(PAIRS, seed=0).repeat().batch(2)
h = gan.fit(data, epochs=1, steps_per_epoch=250, verbose=0)
z = np.zeros((PAIRS, 2), np.float32)
out = np.asarray(gan.generator([inputs, z]))
print(lam, lgan, {k: round(float(v[-1]), 4) for k, v in h.history.items()}, fidelity_ratio(out, targets))
