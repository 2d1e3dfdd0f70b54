# Ad-hoc script of the issue-28 fidelity study (2026-12-06), run as-is from a snapshot of the repo at
# /root/msgan_code (commit 8e8162d) with PYTHONPATH set to it; kept for provenance of bench/results/maps_fidelity/README.md.
# was run with PYTHONPATH=/root/msgan_code/bench:/root/msgan_code (imports renamed since: training.* is now zoo.training.*)
import os
import keras
import zoo.unet, zoo.patchgan
gain = os.environ.get("INIT_GAIN")
if gain:
    init = lambda gain=float(gain): keras.initializers.VarianceScaling(scale=float(os.environ["INIT_GAIN"]) ** 2, mode="fan_avg", distribution="untruncated_normal")
    zoo.unet.xavier_init = init; zoo.patchgan.xavier_init = init
import paired_fidelity
paired_fidelity.main(sys.argv[1:])
