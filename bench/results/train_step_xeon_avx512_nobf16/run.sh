cd /work/main
O=bench/results/train_step_xeon_avx512_nobf16
python bench/train_step.py --model msgan_pix2pix_maps --size 128 --compare float32,float32+xla,mixed_bfloat16 --rounds 5 --steps 5 --warmup 2 --threads 2 --official /root/torchvenv/bin/python > $O/p2p128.out 2> $O/p2p128.err
python bench/train_step.py --model msgan_dcgan_cifar10 --compare float32,float32+xla --rounds 5 --steps 3 --warmup 2 --threads 2 --official /root/torchvenv/bin/python > $O/dcgan.out 2> $O/dcgan.err
python bench/train_step.py --model msgan_pix2pix_maps --size 256 --compare float32,float32+xla --rounds 3 --steps 3 --warmup 2 --threads 2 --official /root/torchvenv/bin/python > $O/p2p256.out 2> $O/p2p256.err
python bench/sample.py msgan_dcgan_cifar10 --random-weights --markdown --repeats 10 > $O/sample_cifar.out 2> $O/sample_cifar.err
echo finished > $O/done
