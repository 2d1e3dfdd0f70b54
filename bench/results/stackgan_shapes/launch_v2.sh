#!/bin/bash
# StackGAN++ shapes pair v2 (issue 30): msgan_stackgan_shapes (lambda_ms 1) and stackgan_shapes
# (lambda_ms 0), same seed, steps and setting, one thread each, from an installed code snapshot
# (/root/code_snap_sg2: git archive of /work/main HEAD + saved_models). Run again to resume: a run
# with checkpoints continues with --resume (pass the same --epochs; constant learning rates).
# Setting (bench/results/stackgan_shapes/README.md, "v2"): no 8 px branch (base_size 16, two
# branches 16/32 px), KL weight 0.5, the caption encoder's output standardized over the training
# captions, and the discriminators conditioned on that frozen sentence embedding instead of mu.
SNAP=/root/code_snap_sg2
R=/root/msgan_runs/stackgan_v2
EPOCHS=${EPOCHS:-12}
SETTING="--set base_size=16 --set branch_num=2 --set kl_coeff=0.5 --set text_standardize=true --set d_condition=embedding"
cd "$R" || exit 1
for NAME in msgan_stackgan_shapes stackgan_shapes; do
  if [ -f "$R/$NAME.pid" ] && kill -0 "$(cat "$R/$NAME.pid")" 2>/dev/null; then
    echo "$NAME is running (pid $(cat "$R/$NAME.pid")), not started again"; continue
  fi
  RESUME=""
  [ -d "$R/$NAME/checkpoints" ] && RESUME="--resume"
  PYTHONPATH=$SNAP setsid nohup python -m zoo.training.fit --model "$NAME" --out "$R/$NAME" --seed 0 \
      --threads 1 --verbose 2 --keep-every 2 --epochs "$EPOCHS" $SETTING $RESUME >> "$R/$NAME.log" 2>&1 < /dev/null &
  echo $! > "$R/$NAME.pid"
  echo "$NAME: pid $(cat "$R/$NAME.pid") $RESUME"
done
