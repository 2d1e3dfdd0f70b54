"""Diversity and fidelity of image-conditioned models on validation pairs.

For each input, every model draws ``num_samples`` outputs with the *same* noise vectors
(seeded); on the generator's [-1, 1] output:

* ``pairwise L1``: mean L1 over all pairs of the samples of one input (diversity), averaged
  over inputs;
* ``LPIPS``: LPIPS over random pairs of the samples of one input (the MSGAN paper's protocol:
  50 samples and 50 pairs per input), averaged over inputs;
* ``L1 to target``: mean L1 between each sample and the ground truth (fidelity), and the best
  of the n samples;
* ``fidelity ratio``: mean L1 to *another* input's target over mean L1 to the own target, for
  one z at a time (the first ``FIDELITY_Z`` z, averaged): about 1 for a model that ignores its
  input (:func:`zoo.metrics.fidelity.fidelity_ratio`);
* ``photo vs noise``: mean L1 between the outputs of different inputs with one z, and between
  the outputs of one input with different z (:func:`zoo.metrics.fidelity.photo_vs_noise`, same
  first ``FIDELITY_Z`` z);
* ``edge correlation``: the correlation of each output's edge map with its own target's and
  with the other inputs' targets (:func:`zoo.metrics.fidelity.structure_fidelity`, same first
  ``FIDELITY_Z`` z): does the output draw its own input's roads and outlines, or one template?

``training/paired_eval.py`` is its command line.
"""
import numpy as np

from zoo.training.evaluation.progress import progress_bar
from zoo.training.grids import save_grid
from zoo.metrics.diversity import lpips_diversity, per_condition_l1_diversity
from zoo.metrics.fidelity import fidelity_ratio, photo_vs_noise, structure_fidelity
from zoo.sampling import to_uint8

FIDELITY_Z = 8  # z per input for the fidelity ratio and photo vs noise (N x N distances per z)


def model_samples(sampler, inputs, num_samples, seed):
    """``(inputs, num_samples, S, S, C)`` float32 in [-1, 1]; the same z for every model and input."""
    z = sampler.noise(num_samples, seed)
    samples = []
    progress = progress_bar(len(inputs), "input")
    for image in inputs:
        samples.append(sampler.generate(np.repeat(image[None], num_samples, axis=0), z))
        progress.add(1)
    return np.stack(samples)


def evaluate(samples, targets, lpips=None, lpips_pairs=50, seed=0):
    """Diversity and fidelity numbers for ``samples (N, n, S, S, C)`` and ``targets (N, S, S, C)``."""
    pairwise, per_input = per_condition_l1_diversity(samples)
    to_target = np.abs(samples - targets[:, None]).mean(axis=(2, 3, 4))
    result = {"pairwise_l1": pairwise, "pairwise_l1_min": float(per_input.min()),
              "l1_to_target": float(to_target.mean()), "best_of_n_l1": float(to_target.min(axis=1).mean())}
    if len(samples) >= 2 and samples.shape[1] >= 2:
        first = samples[:, :FIDELITY_Z]
        ratios = [fidelity_ratio(first[:, k], targets) for k in range(first.shape[1])]
        result["fidelity_ratio"] = float(np.mean([r[0] for r in ratios]))
        result["l1_other_target"] = float(np.mean([r[2] for r in ratios]))
        structure = [structure_fidelity(first[:, k], targets) for k in range(first.shape[1])]
        for key in ("own", "other", "between_outputs", "between_targets"):
            result[f"edge_corr_{key}"] = float(np.mean([s[key] for s in structure]))
        noise = photo_vs_noise(first)
        result["across_inputs_l1"], result["across_z_l1"] = noise["across_inputs"], noise["across_noise"]
    if lpips is not None and lpips_pairs:
        result["lpips"] = lpips_diversity(samples, lpips, num_pairs=lpips_pairs, seed=seed)[0]
    return result


def table(names, results):
    """Markdown: one row per model, diversity (pairwise L1, LPIPS) beside fidelity (L1 to the target)."""
    has_lpips = all("lpips" in r for r in results)
    header = "| model | pairwise L1 (diversity) | lowest input | " + ("LPIPS (diversity) | " if has_lpips else "")
    header += "L1 to target | best of n L1 |"
    has_fidelity = all("fidelity_ratio" in r for r in results)
    header += (" fidelity ratio | across inputs L1 / across z L1 | edge corr. own / other target |"
               " edge corr. between outputs / targets |") if has_fidelity else ""
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for name, r in zip(names, results):
        lpips = f"{r['lpips']:.4f} | " if has_lpips else ""
        lines.append(f"| `{name}` | {r['pairwise_l1']:.4f} | {r['pairwise_l1_min']:.4f} | {lpips}"
                     f"{r['l1_to_target']:.4f} | {r['best_of_n_l1']:.4f} |"
                     + (f" {r['fidelity_ratio']:.3f} | {r['across_inputs_l1']:.4f} / {r['across_z_l1']:.4f} |"
                        f" {r['edge_corr_own']:.3f} / {r['edge_corr_other']:.3f} |"
                        f" {r['edge_corr_between_outputs']:.3f} / {r['edge_corr_between_targets']:.3f} |"
                        if has_fidelity else ""))
    return "\n".join(lines)


def save_val_grid(sampler, inputs, targets, samples, path):
    """Rows = inputs; columns = input, ground truth, then samples with different z."""
    rows = np.concatenate([inputs[:, None], targets[:, None], samples], axis=1)
    return save_grid(to_uint8(rows), path, scale=2 if inputs.shape[1] <= 64 else 1)
