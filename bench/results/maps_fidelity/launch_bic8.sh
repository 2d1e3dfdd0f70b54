#!/bin/bash
# Maps, the BicycleGAN pair (issue 28, Step 8): the maps6 recipe (128 px, ngf/ndf/nef 16, PatchGAN n_layers_d 2,
# lambda_L1 100) with lambda_kl 1 (Step 8: the KL weight that makes BicycleGAN follow the photo) and, for the MS
# model, lambda_ms 0.02 (Step 8's 1,500-step check: photo / z 0.095 / 0.031 at fidelity 1.28). Batch 2 (one cVAE
# and one cLR half, as BicycleGAN), 100 epochs of 548 steps, constant lr for 50, linear decay over 50; same seed.
# Resumable: run again (it adds --resume when checkpoints exist). Code: an installed snapshot (CODE).
CODE=${CODE:-/root/code_snap_bic8}
R=${R:-/root/msgan_runs/bic8}
mkdir -p $R && cd $R || exit 1
for spec in "bicyclegan_maps" "msgan_bicyclegan_maps --lambda-ms 0.02"; do
  set -- $spec; name=$1; shift
  out=$R/$name
  if [ -f $out.pid ] && kill -0 "$(cat $out.pid)" 2>/dev/null; then echo "$name running"; continue; fi
  RESUME=""; [ -d $out/checkpoints ] && RESUME="--resume"
  PYTHONPATH=$CODE setsid nohup python -m zoo.training.fit --model $name --out $out --data-dir /work/shared/data/maps \
    --seed 0 --threads 1 --verbose 2 --keep-every 10 --jit-compile off --epochs 100 \
    --set image_size=128 --set ngf=16 --set ndf=16 --set nef=16 --set n_layers_d=2 --set lambda_l1=100 \
    --set lambda_kl=1 "$@" $RESUME >> $out.log 2>&1 < /dev/null &
  echo $! > $out.pid; echo "$name pid $! $RESUME -> $out"
done
