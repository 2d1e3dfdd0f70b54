#!/bin/bash
# Evaluate the finished maps pair on val 1-100 (never trained on). Usage: bash eval.sh [MS_RUN] [BASE_RUN]
CODE=${CODE:-/root/code_snap_eval}
MS=${1:-/root/msgan_runs/maps3/msgan_pix2pix_maps}; BASE=${2:-/root/msgan_runs/maps3/pix2pix_maps}
OUT=${OUT:-/root/msgan_runs/maps3/eval}; mkdir -p $OUT
export PYTHONPATH=$CODE
python -m zoo.training.paired_eval $MS $BASE --data-dir /work/shared/data/maps --inputs 100 --samples 8 \
  --lpips-pairs 0 --grid-rows 6 --grid-columns 8 --write-cards > $OUT/paired_eval.txt 2>&1
python -m zoo.training.evaluate --preset image --model $MS --baseline $BASE --data-dir /work/shared/data/maps \
  --features alexnet --lpips-net alex --conditions 100 --samples-per-condition 50 --lpips-pairs 50 \
  --json $OUT/evaluate.json --write-cards > $OUT/evaluate.txt 2>&1
echo done > $OUT/DONE
