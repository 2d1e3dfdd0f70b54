#!/bin/bash
# DRIT step cost at quarter vs half widths (issue 29's "what shipping would cost"), 1 thread, beside the maps6 pair.
cd "$(dirname "$0")/../../../.." && mkdir -p ${OUT:-/tmp/drit_t}
for spec in "q120 120 144 16 64" "h128 128 152 32 128"; do
  set -- $spec
  rm -rf ${OUT:-/tmp/drit_t}/$1
  /usr/bin/time -f "%e s wall" python training/fit.py --model msgan_drit_cat2dog --data-dir ${DATA:-../shared/data/cat2dog} \
    --out ${OUT:-/tmp/drit_t}/$1 --seed 0 --threads 1 --verbose 2 --epochs 2 --steps-per-epoch 30 --no-monitor \
    --set image_size=$2 --set load_size=$3 --set content_width=$4 --set attr_width=$4 --set dis_width=$4 --set mlp_width=$5 \
    > ${OUT:-/tmp/drit_t}/$1.log 2>&1
done
