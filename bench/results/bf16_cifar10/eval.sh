#!/bin/bash
# Score the three runs of run.sh on the same seeded NDB bins: bf16 against float32 seed 0, and
# float32 seed 1 against float32 seed 0 (the yardstick: how far two float32 seeds land apart).
# Usage: bash eval.sh [RUN_DIR] [DATA_DIR]   (writes eval_*.json and eval_*.txt beside this script)
R=${1:-/root/msgan_runs/bf16_cifar10}
DATA=${2:-../shared/data/cifar10}
HERE=$(dirname "$0")
for pair in "bf16_seed0 f32_seed0" "f32_seed1 f32_seed0"; do
  set -- $pair
  python training/evaluate.py --preset label --model "$R/$1" --baseline "$R/$2" --data-dir "$DATA" \
    --features cifar10 --samples-per-class 1000 --k 50 --lpips-pairs 50 --seed 0 \
    --json "$HERE/eval_$1_vs_$2.json" > "$HERE/eval_$1_vs_$2.txt" 2> "$R/eval_$1.err"
done
