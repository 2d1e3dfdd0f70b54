#!/bin/bash
# Maps, the long run (issue 28, step 7's "what would decide it"): the maps3 recipe (128 px, ngf/ndf 16,
# PatchGAN n_layers_d 2, lambda_L1 100; MS at lambda_ms 0.02) for 100 full epochs (1,096 steps each,
# constant lr for 50, linear decay over 50), both twins, same seed. Resumable: run again (it adds --resume
# when checkpoints exist). Score every 10th epoch with bench/results/maps_fidelity/scripts/d7_epochs.py --every 10.
CODE=${CODE:-/root/code_snap_maps6}
R=/root/msgan_runs/maps6
cd $R || exit 1
for spec in "pix2pix_maps" "msgan_pix2pix_maps --lambda-ms 0.02"; do
  set -- $spec; name=$1; shift
  out=$R/$name
  if [ -f $out.pid ] && kill -0 "$(cat $out.pid)" 2>/dev/null; then echo "$name running"; continue; fi
  RESUME=""; [ -d $out/checkpoints ] && RESUME="--resume"
  PYTHONPATH=$CODE setsid nohup python -m zoo.training.fit --model $name --out $out --data-dir /work/shared/data/maps \
    --seed 0 --threads 1 --verbose 2 --keep-every 10 --jit-compile off --epochs 100 \
    --set image_size=128 --set ngf=16 --set ndf=16 --set n_layers_d=2 --set lambda_l1=100 "$@" $RESUME >> $out.log 2>&1 < /dev/null &
  echo $! > $out.pid; echo "$name pid $! $RESUME -> $out"
done
