#!/bin/bash
# Launch (or resume: bash launch_drit.sh --resume) the DRIT cat2dog pair from the installed code snapshot
# /root/code_snap_drit (`pip install . --no-deps --target /root/code_snap_drit` of commit 07a5610, plus saved_models/).
CODE=${CODE:-/root/code_snap_drit}
cd /root/msgan_runs
for name in msgan_drit_cat2dog drit_cat2dog; do
  out=/root/msgan_runs/$name
  PYTHONPATH=$CODE setsid nohup python -m zoo.training.fit --model $name --data-dir /work/shared/data/cat2dog \
    --out $out --seed 0 --threads 1 --verbose 2 --keep-every 5 --epochs ${EPOCHS:-20} \
    --set image_size=128 --set load_size=152 --set content_width=32 --set attr_width=32 --set dis_width=32 \
    --set mlp_width=128 --set n_ep_decay=${DECAY:-10} "$@" >> $out.log 2>&1 &
  echo $! > $out.pid; echo "$name pid $!"
done
