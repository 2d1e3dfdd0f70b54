"""The official Pix2Pix+MS training step re-written in PyTorch: the peer of ``bench/train_step.py``.

    pip install torch numpy            # any environment; not a dependency of the project
    python bench/torch_pix2pix_step.py --size 128 --steps 10 --threads 2
    python bench/torch_pix2pix_step.py --size 256 --steps 10 --threads 2

NOTES.md quotes the official Pix2Pix-Mode-Seeking step (batch 1, float32, 2 threads) on two
CPU kinds only. To compare ours with it on *this* machine, this script repeats that step with
the official code's networks and update order, in PyTorch, so both run on the same CPU in the
same minute (``bench/train_step.py --model msgan_pix2pix_maps --official PYTHON`` runs it beside
ours). The networks, as ``models/networks.py`` builds them for ``--netG unet_256 --where_add all
--netD basic_256_multi --num_Ds 2 --norm instance`` (at 128 px ``--netG unet_128``):

* G (``G_Unet_add_all``): a U-Net of ``log2(size)`` downsamplings (8 at 256, 7 at 128: the
  image reaches 1x1), ``z`` (nz 8) tiled and concatenated to the input of *every* down block;
  down block i: ``[LeakyReLU 0.2 unless outermost] -> Conv 4/2 (ngf * min(2^i, 8)) -> [instance
  norm unless outermost or innermost]``; up block i: ``ReLU -> ConvT 4/2 -> instance norm`` (tanh
  at the outermost), then ``cat(up, block input without z)``. Same layout as
  :func:`zoo.unet.build_unet` at the same size.
* D (``D_NLayersMulti``): ``num_d`` PatchGANs on ``cat(input image, image)`` (6 channels), the
  k-th on the input average-pooled k times (3x3/2, pad 1, padding left out of the means) with
  ``round(ndf / 2^k)`` filters: ``Conv 4/2 -> LReLU -> [Conv 4/2 -> IN -> LReLU] x (n_layers - 1)
  -> Conv 4/1 -> IN -> LReLU -> Conv 4/1 (1)``, raw scores (LSGAN). Same as
  :func:`zoo.patchgan.build_patchgan`.
* Instance norm without affine parameters; convolutions initialized ``xavier_normal_(gain 0.02)``
  with zero biases.

One step as the official ``Pix2PixModel.optimize_parameters`` does it: ``forward`` (both fakes
from one G call on ``cat(A, A)`` and ``cat(z1, z2)``), then ``update_G`` (D frozen:
``LSGAN(D(A|fake1), 1) + LSGAN(D(A|fake2), 1) + 10 * L1(fake1, B) + 1 / (ratio + 1e-5)``, ratio =
``mean|fake2 - fake1| / mean|z2 - z1|``), then ``update_D`` on the same fakes, detached
(``LSGAN(fake1, 0) + LSGAN(fake2, 0) + 2 * LSGAN(real, 1)``: the official loss counts the one
real prediction twice); LSGAN sums the MSE of every scale; Adam(2e-4, 0.5/0.999), no weight
decay, on both networks.

Per step the official code runs D forward five times per condition (two fakes with D frozen in
``update_G``, two detached fakes and the real pair in ``update_D``); our Keras step runs it three
times (one batched pass on real, fake1, fake2 serves both gradients, which is the same
arithmetic since both updates see the same D and the same fakes). The networks are the same:
the JSON line gives parameters and forward FLOPs per image (multiply-adds x 2 of the convolutions,
biases and norms left out, as ``bench/sample.py`` counts them) to check against ours.

It prints one JSON line with the same keys as ``bench/train_step.py`` (``step_s`` = median,
``images_per_s`` = generated images per second = 2 * batch / step_s).
"""
import argparse
import json
import math
import os
import platform
import statistics
import time


def depth_for(size):
    """Downsamplings of the official U-Net at ``size`` (``unet_256``: 8, ``unet_128``: 7)."""
    depth = math.log2(size) if size > 0 else 0
    if depth != int(depth) or depth < 2:
        raise ValueError(f"--size must be a power of two >= 4 (the U-Net halves it to 1x1), got {size}")
    return int(depth)


def build_generator(torch, size, nz=8, ngf=64, in_channels=3, out_channels=3):
    """``(A (N, in, S, S) in [-1, 1], z (N, nz)) -> image (N, out, S, S)`` in [-1, 1]."""
    nn = torch.nn
    depth = depth_for(size)
    widths = [ngf * min(2 ** i, 8) for i in range(depth)]

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.downs, self.ups = nn.ModuleList(), nn.ModuleList()
            channels = in_channels
            for i, width in enumerate(widths):
                block = [] if i == 0 else [nn.LeakyReLU(0.2, True)]
                block.append(nn.Conv2d(channels + nz, width, 4, 2, 1))
                if 0 < i < depth - 1:
                    block.append(nn.InstanceNorm2d(width))
                self.downs.append(nn.Sequential(*block))
                channels = width
            for i in range(depth):
                inner = widths[i] if i == depth - 1 else 2 * widths[i]  # the innermost has no skip below
                outer = out_channels if i == 0 else widths[i - 1]
                tail = nn.Tanh() if i == 0 else nn.InstanceNorm2d(outer)
                self.ups.append(nn.Sequential(nn.ReLU(True), nn.ConvTranspose2d(inner, outer, 4, 2, 1), tail))

        def forward(self, condition, z):
            skips, x = [], condition
            for down in self.downs:
                skips.append(x)
                tiled = z[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])
                x = down(torch.cat([x, tiled], 1))
            for i in reversed(range(depth)):
                x = self.ups[i](x)
                if i > 0:
                    x = torch.cat([x, skips[i]], 1)
            return x

    return _initialized(torch, Generator())


def build_discriminator(torch, ndf=64, n_layers=3, num_d=2, channels=6):
    """``cat(A, B) (N, channels, S, S) -> [patch scores (N, 1, h_k, w_k)] * num_d``, full scale first."""
    nn = torch.nn

    def patchgan(width):
        layers = [nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        previous = width
        for n in range(1, n_layers + 1):
            wide = width * min(2 ** n, 8)
            layers += [nn.Conv2d(previous, wide, 4, 2 if n < n_layers else 1, 1),
                       nn.InstanceNorm2d(wide), nn.LeakyReLU(0.2, True)]
            previous = wide
        layers.append(nn.Conv2d(previous, 1, 4, 1, 1))
        return nn.Sequential(*layers)

    class Discriminator(nn.Module):
        def __init__(self):
            super().__init__()
            self.scales = nn.ModuleList(patchgan(int(round(ndf / 2 ** k))) for k in range(num_d))
            self.downsample = nn.AvgPool2d(3, 2, 1, count_include_pad=False)

        def forward(self, pair):
            scores = []
            for k, scale in enumerate(self.scales):
                scores.append(scale(pair))
                if k < num_d - 1:
                    pair = self.downsample(pair)
            return scores

    return _initialized(torch, Discriminator())


def _initialized(torch, network):
    # BicycleGAN's init_type 'xavier' (the official default) with its gain of 0.02: tiny weights.
    for layer in network.modules():
        if isinstance(layer, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            torch.nn.init.xavier_normal_(layer.weight, gain=0.02)
            torch.nn.init.zeros_(layer.bias)
    return network


def forward_flops(torch, network, *inputs):
    """Multiply-adds x 2 of the network's convolutions for one sample of ``inputs``."""
    total = [0]

    def count(layer, args, output):
        if isinstance(layer, torch.nn.ConvTranspose2d):  # each input position scatters a k x k x out patch
            positions, kernel = args[0][0].numel(), layer.out_channels
        else:
            positions, kernel = output[0].numel(), layer.in_channels // layer.groups
        total[0] += 2 * positions * kernel * layer.kernel_size[0] * layer.kernel_size[1]

    hooks = [m.register_forward_hook(count) for m in network.modules()
             if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
    try:
        with torch.no_grad():
            network(*[x[:1] for x in inputs])
    finally:
        for hook in hooks:
            hook.remove()
    return total[0]


def lsgan(scores, target):
    """The official ``GANLoss`` with MSE: the sum over the scales of ``mean((D_k - target)^2)``."""
    return sum(((s - target) ** 2).mean() for s in scores)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python bench/torch_pix2pix_step.py", description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=256, help="image size (256: unet_256; 128: unet_128)")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (NOTES: 2)")
    parser.add_argument("--nz", type=int, default=8)
    parser.add_argument("--ngf", type=int, default=64)
    parser.add_argument("--ndf", type=int, default=64)
    parser.add_argument("--n-layers-d", type=int, default=3)
    parser.add_argument("--num-d", type=int, default=2)
    parser.add_argument("--in-channels", type=int, default=3)
    parser.add_argument("--out-channels", type=int, default=3)
    parser.add_argument("--lambda-l1", type=float, default=10.0)
    parser.add_argument("--lambda-gan", type=float, default=1.0)
    parser.add_argument("--lambda-ms", type=float, default=1.0)
    parser.add_argument("--serve", action="store_true",
                        help="after the warm-up, read a step count per stdin line and answer each with one JSON "
                             "line of step times (bench/train_step.py --official interleaves its rounds this way)")
    args = parser.parse_args(argv)
    try:
        depth_for(args.size)
        smallest = args.size // 2 ** (args.num_d - 1 + args.n_layers_d) - 2
        if smallest < 1:
            raise ValueError(f"--size {args.size} is too small for {args.num_d} PatchGANs of {args.n_layers_d} "
                             f"layers (the coarsest would output {smallest}x{smallest} patches)")
        if min(args.steps, args.batch_size, args.threads, args.num_d, args.n_layers_d) < 1 or args.warmup < 0:
            raise ValueError("--steps, --batch-size, --threads, --num-d and --n-layers-d must be >= 1, --warmup >= 0")
    except ValueError as error:
        parser.exit(2, f"torch_pix2pix_step.py: error: {error}\n")
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        import torch
    except ImportError:
        raise SystemExit("torch_pix2pix_step.py: error: PyTorch is not installed (pip install torch)") from None
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    generator = build_generator(torch, args.size, args.nz, args.ngf, args.in_channels, args.out_channels)
    discriminator = build_discriminator(torch, args.ndf, args.n_layers_d, args.num_d,
                                        args.in_channels + args.out_channels)
    g_opt = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    n, s = args.batch_size, args.size
    real_a = torch.rand(n, args.in_channels, s, s) * 2 - 1
    real_b = torch.rand(n, args.out_channels, s, s) * 2 - 1

    def set_requires_grad(network, flag):
        for p in network.parameters():
            p.requires_grad_(flag)

    def step():
        # forward()
        z1, z2 = torch.randn(n, args.nz), torch.randn(n, args.nz)
        fake1, fake2 = torch.split(generator(torch.cat([real_a, real_a]), torch.cat([z1, z2])), n)
        fake1_pair, fake2_pair = torch.cat([real_a, fake1], 1), torch.cat([real_a, fake2], 1)
        real_pair = torch.cat([real_a, real_b], 1)
        # update_G(): D frozen, so its backward computes input gradients only.
        set_requires_grad(discriminator, False)
        g_opt.zero_grad()
        g_gan = args.lambda_gan * (lsgan(discriminator(fake1_pair), 1.0) + lsgan(discriminator(fake2_pair), 1.0))
        g_l1 = args.lambda_l1 * torch.mean(torch.abs(fake1 - real_b))
        ms_ratio = torch.mean(torch.abs(fake2 - fake1)) / torch.mean(torch.abs(z2 - z1))
        g_loss = g_gan + g_l1 + args.lambda_ms * (1 / (ms_ratio + 1e-5))
        g_loss.backward()
        g_opt.step()
        # update_D(): the fakes of the same forward, detached; the real prediction counted twice.
        set_requires_grad(discriminator, True)
        d_opt.zero_grad()
        d_loss = (lsgan(discriminator(fake1_pair.detach()), 0.0) + lsgan(discriminator(fake2_pair.detach()), 0.0)
                  + 2 * lsgan(discriminator(real_pair), 1.0))
        d_loss.backward()
        d_opt.step()
        return {"g_loss": g_loss.item(), "d_loss": d_loss.item(), "g_l1": g_l1.item(), "ms_ratio": ms_ratio.item()}

    networks = {
        "g_params": sum(p.numel() for p in generator.parameters()),
        "d_params": sum(p.numel() for p in discriminator.parameters()),
        "g_flops": forward_flops(torch, generator, real_a, torch.zeros(n, args.nz)),
        "d_flops": forward_flops(torch, discriminator, torch.cat([real_a, real_b], 1)),
    }
    first = [step() for _ in range(args.warmup)]
    if args.serve:
        return serve(step, torch, networks)
    times, last = timed(step, args.steps)
    step_s = statistics.median(times)
    flags = sorted({f for line in open("/proc/cpuinfo") if line.startswith("flags")
                    for f in line.split(":", 1)[1].split() if f in ("avx2", "fma", "avx512f", "avx512_bf16")})
    print(json.dumps({
        "model": "official Pix2Pix+MS step (PyTorch re-implementation)", "torch": torch.__version__,
        "threads": args.threads, "size": s, "batch_size": n, "lambda_ms": args.lambda_ms,
        "ngf": args.ngf, "ndf": args.ndf, "steps": args.steps,
        "step_s": round(step_s, 4), "step_s_mean": round(statistics.mean(times), 4),
        "step_s_min": round(min(times), 4), "images_per_s": round(2 * n / step_s, 3), **networks,
        "losses_first": _rounded((first or [last])[0]), "losses_last": _rounded(last),
        "cpu": platform.processor() or platform.machine(), "cpu_flags": flags,
        "load_avg_1min": round(os.getloadavg()[0], 2),
    }))


def _rounded(losses):
    return {k: round(v, 5) for k, v in losses.items()}


def timed(step, steps):
    """Step times in seconds and the last step's losses."""
    times, losses = [], None
    for _ in range(steps):
        start = time.perf_counter()
        losses = step()
        times.append(time.perf_counter() - start)
    return times, losses


def serve(step, torch, networks):
    """One JSON line of step times per stdin line holding a step count; ends at EOF."""
    import sys

    print(json.dumps({"ready": True, "torch": torch.__version__, **networks}), flush=True)
    for line in sys.stdin:
        times, losses = timed(step, int(line))
        print(json.dumps({"step_s": times, "losses": _rounded(losses)}), flush=True)


if __name__ == "__main__":
    main()
