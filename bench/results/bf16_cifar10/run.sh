#!/bin/bash
# Issue 27, item 2: does mixed_bfloat16 train CIFAR-10 DCGAN+MS as well as float32?
# Three short runs of msgan_dcgan_cifar10 (3 Keras epochs of 521 steps = 1,563 generator steps
# = 1 pass over the 50,000 images, batch 32; the shipped model's epoch length), XLA off on all
# three so only the precision differs: float32 seeds 0 and 1, mixed_bfloat16 seed 0.
# Usage: bash run.sh [RUN_DIR] [DATA_DIR]   (resumable: re-run the same command)
R=${1:-/root/msgan_runs/bf16_cifar10}
DATA=${2:-../shared/data/cifar10}
mkdir -p "$R"
for spec in "f32_seed0 0 float32" "f32_seed1 1 float32" "bf16_seed0 0 mixed_bfloat16"; do
  set -- $spec
  resume=""; [ -d "$R/$1/checkpoints" ] && resume="--resume"
  setsid nohup python -m zoo.training.fit --model msgan_dcgan_cifar10 --data-dir "$DATA" \
    --epochs 3 --steps-per-epoch 521 --seed "$2" --mixed-precision "$3" --jit-compile off \
    --threads 1 --verbose 2 $resume --out "$R/$1" > "$R/$1.log" 2>&1 &
  echo "$1 pid $!"
done
