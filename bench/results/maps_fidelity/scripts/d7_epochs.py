"""Structure over training: L1 fidelity ratio and edge correlations of a run's per-epoch generators.

    python bench/results/maps_fidelity/scripts/d7_epochs.py RUN_DIR [RUN_DIR ...] --every 3 --data-dir ../shared/data/maps

For every ``RUN/epochs/epoch_NNN`` (fit.py ``--keep-every``), on val and train pairs 1-30 at the run's
size, one fixed z per input (seeded, the same for every epoch): ``zoo.metrics.fidelity`` ratio and
``structure_fidelity`` (own with its standard error over the inputs / between outputs). One JSON line per (run, epoch, split).
"""
import argparse
import json
from pathlib import Path

import numpy as np

import zoo
from zoo.metrics.fidelity import fidelity_ratio, structure_fidelity
from zoo.training.paired_data import load_pairs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--every", type=int, default=3)
    parser.add_argument("--inputs", type=int, default=30)
    args = parser.parse_args()
    for run in args.runs:
        epochs = sorted(Path(run, "epochs").glob("epoch_*"))
        chosen = [e for e in epochs if int(e.name.split("_")[1]) % args.every == 0]
        config = Path(run) / "config.json"  # written when the run ends; a running run has it per epoch
        config = config if config.is_file() else chosen[0] / "config.json"
        size = json.loads(config.read_text())["image_size"]
        data = {split: load_pairs(args.data_dir, size, split=split, limit=args.inputs) for split in ("val", "train")}
        for epoch in chosen:
            sampler = zoo.load(str(epoch))
            nz = sampler.generator.inputs[1].shape[-1]
            for split, (inputs, targets) in data.items():
                z = np.random.default_rng(0).standard_normal((len(inputs), nz)).astype("float32")
                out = np.asarray(sampler.generate(inputs, z))
                structure = structure_fidelity(out, targets)
                print(json.dumps({"run": Path(run).name, "epoch": int(epoch.name.split("_")[1]), "split": split,
                                  "l1_ratio": round(fidelity_ratio(out, targets)[0], 3),
                                  "edge_own": round(structure["own"], 4), "edge_own_se": round(structure["own_se"], 4),
                                  "edge_other": round(structure["other"], 4),
                                  "edge_between_outputs": round(structure["between_outputs"], 3)}), flush=True)


if __name__ == "__main__":
    main()
