"""The paper's counts per evaluation preset (the defaults of every protocol and CLI flag).

Plain data, no heavy imports: ``evaluate.py`` reads it to build its flags before TensorFlow loads.
"""
PRESETS = {
    "label": {"samples_per_class": 5000, "k": 100, "diversity_samples": 50, "lpips_pairs": 50},
    "image": {"conditions": 100, "samples_per_condition": 50, "lpips_pairs": 50, "k": 50},
    "text": {"conditions": 200, "samples_per_condition": 10, "lpips_pairs": 10, "k": 100, "real_count": 2000},
}
