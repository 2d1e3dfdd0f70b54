#!/bin/bash
# Launch (or resume with RESUME=--resume) the four maps trainings from the code snapshot.
# Usage: bash launch_maps.sh [--resume]
CODE=/root/msgan_code2
DATA=/work/shared/data/maps
COMMON="--data-dir $DATA --seed 0 --threads 2 --verbose 2 --keep-every 1 --set image_size=128 --set ngf=16 --set ndf=16 --set n_layers_d=2 $EXTRA"
P2P="--epochs ${P2P_EPOCHS:-12} --steps-per-epoch ${P2P_SPE:-200}"
BIC="--epochs ${BIC_EPOCHS:-10} --steps-per-epoch ${BIC_SPE:-100} --set batch_size=1 --set nef=16"
cd $CODE
for spec in "msgan_pix2pix_maps:$P2P" "pix2pix_maps:$P2P" "msgan_bicyclegan_maps:$BIC" "bicyclegan_maps:$BIC"; do
  name=${spec%%:*}; args=${spec#*:}
  out=/root/msgan_runs/maps_$name
  PYTHONPATH=$CODE setsid nohup python training/fit.py --model $name --out $out $COMMON $args "$@" >> /root/msgan_runs/maps_$name.log 2>&1 &
  echo "$name pid $! -> $out"
  echo $! > /root/msgan_runs/maps_$name.pid
done
# Hedge: the MS model at lambda_ms 0.1 (same steps as the other two Pix2Pix runs).
name=msgan_pix2pix_maps; out=/root/msgan_runs/maps_msgan_pix2pix_maps_lms0.1
PYTHONPATH=$CODE setsid nohup python training/fit.py --model $name --out $out $COMMON $P2P --lambda-ms 0.1 "$@" >> $out.log 2>&1 &
echo "$name lambda 0.1 pid $! -> $out"; echo $! > $out.pid
# lambda_ms 0.02 branch (created 11:50 from the baseline's epoch-18 checkpoint; resume only).
name=msgan_pix2pix_maps; out=/root/msgan_runs/maps_msgan_pix2pix_maps_lms0.02
PYTHONPATH=$CODE setsid nohup python training/fit.py --model $name --out $out $COMMON $P2P --lambda-ms 0.02 "$@" >> $out.log 2>&1 &
echo "$name lambda 0.02 pid $! -> $out"; echo $! > $out.pid
