#!/bin/bash
# Issue 27, item 2: does mixed_bfloat16 train CIFAR-10 DCGAN+MS as well as float32?
# Three short runs of msgan_dcgan_cifar10 (EPOCHS Keras epochs of 521 steps, the shipped model's
# epoch length; batch 32; 2 epochs = 1,042 generator steps = 0.67 passes over the 50,000 images),
# XLA off on all three so only the precision differs: float32 seeds 0 and 1, mixed_bfloat16 seed 0.
# The recorded runs were launched with EPOCHS=3 and stopped after epoch 2 (the CPU's time), then
# published with EPOCHS=2 --resume: the same steps as EPOCHS=2 (DCGAN's learning rate is constant).
# Usage: bash run.sh [RUN_DIR] [DATA_DIR]   (resumable: re-run the same command)
R=${1:-/root/msgan_runs/bf16_cifar10}
DATA=${2:-../shared/data/cifar10}
EPOCHS=${EPOCHS:-2}
mkdir -p "$R"
for spec in "f32_seed0 0 float32" "f32_seed1 1 float32" "bf16_seed0 0 mixed_bfloat16"; do
  set -- $spec
  resume=""; [ -d "$R/$1/checkpoints" ] && resume="--resume"
  setsid nohup python -m zoo.training.fit --model msgan_dcgan_cifar10 --data-dir "$DATA" \
    --epochs "$EPOCHS" --steps-per-epoch 521 --seed "$2" --mixed-precision "$3" --jit-compile off \
    --threads 1 --verbose 2 $resume --out "$R/$1" > "$R/$1.log" 2>&1 &
  echo "$1 pid $!"
done
