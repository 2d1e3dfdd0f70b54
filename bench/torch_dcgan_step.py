"""The official DCGAN+MS training step re-written in PyTorch: the peer of ``bench/train_step.py``.

    pip install torch numpy            # any environment; not a dependency of the project
    python bench/torch_dcgan_step.py --steps 10 --threads 2

NOTES.md gives the official DCGAN-Mode-Seeking step (batch 32, 32x32, float32) only for the
AVX-512 machine (0.78 s). To compare ours with it on *this* machine, this script repeats that
step with the official code's networks and update order, in PyTorch, so both run on the same
CPU in the same minute:

* G: ``cat(z, one_hot)`` (110 x 1 x 1) -> ConvT 4 valid (512) -> ConvT 4/2 (256) -> ConvT 4/2
  (128) -> ConvT 4/2 (3), batch norm + ReLU between, tanh; 3,531,395 parameters (the figure
  ``tests/test_dcgan.py`` checks for our Keras generator).
* D: ``cat(image, one_hot tiled)`` -> Conv 4/2 (128) -> Conv 4/2 (256, BN) -> Conv 4/2 (512,
  BN), LeakyReLU 0.2 -> Conv 4 valid -> logit; BCE on a sigmoid.
* One step as the official ``model.py`` does it: both fakes from one batched G call; D update
  with ``backward_D`` once per fake (each call scores ``D(fake.detach())`` and ``D(real)``);
  G update with BCE on both fakes plus ``1 / (ratio + 1e-5)``; Adam(2e-4, 0.5/0.999) with
  ``weight_decay=1e-4`` on both networks.

It prints one JSON line with the same keys as ``bench/train_step.py`` (``step_s`` = median,
``images_per_s`` = generated images per second = 64 / step_s).
"""
import argparse
import json
import os
import platform
import statistics
import time


def build(torch, d=128, nz=100, classes=10):
    nn = torch.nn

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            widths = [d * 4, d * 2, d]
            layers, channels = [], nz + classes
            for i, width in enumerate(widths):
                layers += [nn.ConvTranspose2d(channels, width, 4, 1 if i == 0 else 2, 0 if i == 0 else 1),
                           nn.BatchNorm2d(width), nn.ReLU()]
                channels = width
            layers += [nn.ConvTranspose2d(channels, 3, 4, 2, 1), nn.Tanh()]
            self.net = nn.Sequential(*layers)

        def forward(self, z, label):
            return self.net(torch.cat([z, label], 1)[:, :, None, None])

    class Discriminator(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(
                nn.Conv2d(3 + classes, d, 4, 2, 1), nn.LeakyReLU(0.2),
                nn.Conv2d(d, d * 2, 4, 2, 1), nn.BatchNorm2d(d * 2), nn.LeakyReLU(0.2),
                nn.Conv2d(d * 2, d * 4, 4, 2, 1), nn.BatchNorm2d(d * 4), nn.LeakyReLU(0.2),
                nn.Conv2d(d * 4, 1, 4, 1, 0), nn.Sigmoid())

        def forward(self, image, label):
            tiled = label[:, :, None, None].expand(-1, -1, image.shape[2], image.shape[3])
            return self.net(torch.cat([image, tiled], 1)).view(-1)

    for module in (generator := Generator(), discriminator := Discriminator()):
        for layer in module.modules():
            if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.normal_(layer.weight, 0.0, 0.02)
                nn.init.zeros_(layer.bias)
    return generator, discriminator


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python bench/torch_dcgan_step.py", description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (NOTES: 2)")
    parser.add_argument("--lambda-ms", type=float, default=1.0)
    parser.add_argument("--serve", action="store_true",
                        help="after the warm-up, read a step count per stdin line and answer each with one JSON "
                             "line of step times (bench/train_step.py --official interleaves its rounds this way)")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        raise SystemExit("torch_dcgan_step.py: error: PyTorch is not installed (pip install torch)") from None
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    generator, discriminator = build(torch)
    g_opt = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999), weight_decay=1e-4)
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999), weight_decay=1e-4)
    bce = torch.nn.BCELoss()
    n = args.batch_size
    real = torch.rand(n, 3, 32, 32) * 2 - 1
    label = torch.nn.functional.one_hot(torch.randint(0, 10, (n,)), 10).float()
    ones, zeros = torch.ones(n), torch.zeros(n)

    def step():
        z1, z2 = torch.randn(n, 100), torch.randn(n, 100)
        fake = generator(torch.cat([z1, z2]), torch.cat([label, label]))
        fake1, fake2 = torch.split(fake, n)
        d_opt.zero_grad()
        d_loss = 0.0
        for f in (fake1, fake2):  # official backward_D, once per fake
            loss = bce(discriminator(f.detach(), label), zeros) + bce(discriminator(real, label), ones)
            loss.backward()
            d_loss += loss.item()
        d_opt.step()
        g_opt.zero_grad()
        g_loss = bce(discriminator(fake1, label), ones) + bce(discriminator(fake2, label), ones)
        ratio = torch.mean(torch.abs(fake2 - fake1)) / torch.mean(torch.abs(z2 - z1))
        g_loss = g_loss + args.lambda_ms * (1 / (ratio + 1e-5))
        g_loss.backward()
        g_opt.step()
        return d_loss, g_loss.item()

    for _ in range(args.warmup):
        step()
    if args.serve:
        return serve(step, torch)
    times = timed(step, args.steps)
    step_s = statistics.median(times)
    flags = sorted({f for line in open("/proc/cpuinfo") if line.startswith("flags")
                    for f in line.split(":", 1)[1].split() if f in ("avx2", "fma", "avx512f", "avx512_bf16")})
    print(json.dumps({
        "model": "official DCGAN+MS step (PyTorch re-implementation)", "torch": torch.__version__,
        "threads": args.threads, "batch_size": n, "lambda_ms": args.lambda_ms, "steps": args.steps,
        "step_s": round(step_s, 4), "step_s_mean": round(statistics.mean(times), 4),
        "step_s_min": round(min(times), 4), "images_per_s": round(2 * n / step_s, 3),
        "g_params": sum(p.numel() for p in generator.parameters()),
        "cpu": platform.processor() or platform.machine(), "cpu_flags": flags,
        "load_avg_1min": round(os.getloadavg()[0], 2),
    }))


def timed(step, steps):
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


def serve(step, torch):
    """One JSON line of step times per stdin line holding a step count; ends at EOF."""
    import sys

    print(json.dumps({"ready": True, "torch": torch.__version__}), flush=True)
    for line in sys.stdin:
        print(json.dumps({"step_s": timed(step, int(line))}), flush=True)


if __name__ == "__main__":
    main()
