"""The paper's counts per evaluation preset (the defaults of every protocol and CLI flag).

Plain data, no heavy imports: ``evaluate.py`` reads it to build its flags before TensorFlow loads.
``unpaired`` (DRIT): the paper's 100 inputs x 50 translations and 50 LPIPS pairs; its K = 20 is
this zoo's choice (:data:`OWN_CHOICES`): the NDB reference is the target domain's ~100 test
images (5 per bin), and the paper gives no K for this task.
"""
PRESETS = {
    "label": {"samples_per_class": 5000, "k": 100, "diversity_samples": 50, "lpips_pairs": 50},
    "image": {"conditions": 100, "samples_per_condition": 50, "lpips_pairs": 50, "k": 50},
    "text": {"conditions": 200, "samples_per_condition": 10, "lpips_pairs": 10, "k": 100, "real_count": 2000},
    "unpaired": {"conditions": 100, "samples_per_condition": 50, "lpips_pairs": 50, "k": 20},
}
# Preset values the paper does not give (reports say "preset", not "paper", beside them).
OWN_CHOICES = {"unpaired": ("k",)}
