#!/bin/bash
# Maps, second recipe (2026-12-06): 128 px, ngf/ndf 16, PatchGAN n_layers_d 2, lambda_L1 100 (pix2pix's
# paper value; the BicycleGAN/MSGAN code's default is 10). Usage: bash launch.sh NAME OUT_SUFFIX [extra fit.py args]
# e.g. bash launch.sh pix2pix_maps "" ; bash launch.sh msgan_pix2pix_maps "" --lambda-ms 0.1 ; add --resume to continue.
CODE=${CODE:-/root/code_snap_maps}
name=$1; suffix=$2; shift 2
out=/root/msgan_runs/maps3/$name$suffix
case $name in
  *pix2pix*) SPEC="--epochs ${P2P_EPOCHS:-16} --steps-per-epoch ${P2P_SPE:-500}";;
  *bicyclegan*) SPEC="--epochs ${BIC_EPOCHS:-16} --steps-per-epoch ${BIC_SPE:-250} --set nef=16";;
esac
cd /root/msgan_runs/maps3
PYTHONPATH=$CODE setsid nohup python -m zoo.training.fit --model $name --out $out --data-dir /work/shared/data/maps \
  --seed 0 --threads 1 --verbose 2 --keep-every 1 --jit-compile off \
  --set image_size=128 --set ngf=16 --set ndf=16 --set n_layers_d=2 --set lambda_l1=100 $SPEC "$@" >> $out.log 2>&1 &
echo $! > $out.pid; echo "$name$suffix pid $! -> $out"
