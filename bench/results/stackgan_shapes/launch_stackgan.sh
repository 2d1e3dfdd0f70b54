#!/bin/bash
# Launch (or resume: bash launch_stackgan.sh --resume) the StackGAN++ shapes pair from the code snapshot.
CODE=/root/code_snap
cd $CODE
for name in msgan_stackgan_shapes stackgan_shapes; do
  out=/root/msgan_runs/$name
  PYTHONPATH=$CODE setsid nohup python training/fit.py --model $name --out $out --seed 0 --threads 1 --verbose 2 --keep-every 5 "$@" >> $out.log 2>&1 &
  echo $! > $out.pid; echo "$name pid $!"
done
