# Ad-hoc script of the issue-28 study (2026-12-06, step 6): bench/paired_fidelity.py with every U-Net/PatchGAN
# init at xavier gain INIT_GAIN instead of the official 0.02. Run: INIT_GAIN=1 python d5b.py ARGS (from any directory).
import os, sys
import keras
import zoo.unet, zoo.patchgan
gain = float(os.environ.get("INIT_GAIN", "0.02"))
init = lambda gain=gain: keras.initializers.VarianceScaling(scale=gain ** 2, mode="fan_avg", distribution="untruncated_normal")
zoo.unet.xavier_init = init; zoo.patchgan.xavier_init = init
import runpy
sys.argv = ["paired_fidelity.py", *sys.argv[1:]]
runpy.run_path(os.path.join(os.path.dirname(__file__), "..", "..", "..", "paired_fidelity.py"), run_name="__main__")
