"""Where XLA:CPU spends a GAN step's convolution time, layer by layer (not a test).

    python bench/conv_forms.py --net unet128     # the Pix2Pix U-Net 128's 4x4/2 layers, batch 2
    python bench/conv_forms.py --net dcgan       # the CIFAR-10 DCGAN's big layers, batch 64 / 96
    python bench/conv_forms.py --net unet128 --layers 1,2   # only these rows of the net's table

Every 4x4 stride-2 layer of the zoo's G and D (``Conv2D`` and ``Conv2DTranspose``, padding
"same") is timed, XLA-compiled, in these exact forms:

* ``std``: the op Keras emits (``conv2d`` / ``conv2d_transpose``);
* ``gemm``: the same linear map written as one matrix product: pad, space-to-depth, the four
  2x2 shifted windows concatenated (im2col), a matmul with the re-ordered kernel, and for the
  transposed convolution depth-to-space and a crop;
* ``subpixel`` (transposed convolutions only): four stride-1 2x2 convolutions, one per output
  pixel parity, interleaved by depth-to-space: no zero-dilated input.
* ``hybrid`` (transposed convolutions only): ``subpixel`` forward with ``std``'s gradients.

The forms agree to float32 rounding (``maxdiff``: the largest difference from ``std``).

For each it prints the forward time and the forward + backward time (gradients for the input
and the kernel, as a training step needs), and at the end the sums: each form's total (``std``
for the layers that form does not apply to) and what the best per-layer choice would save. The
shapes carry the zoo's extra channels (nz = 8 noise planes at every U-Net block, the skip
concatenations).
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# (kind, batch, input size, input channels, output channels)
NETS = {
    "unet128": [("deconv", 2, 1, 520, 512), ("deconv", 2, 2, 1032, 512), ("deconv", 2, 4, 1032, 512),
                ("deconv", 2, 8, 1032, 256), ("deconv", 2, 16, 520, 128), ("deconv", 2, 32, 264, 64),
                ("deconv", 2, 64, 136, 3),
                ("conv", 2, 128, 11, 64), ("conv", 2, 64, 72, 128), ("conv", 2, 32, 136, 256),
                ("conv", 2, 16, 264, 512), ("conv", 2, 8, 520, 512), ("conv", 2, 4, 520, 512),
                ("conv", 2, 2, 520, 512)],
    # G's two big transposed convolutions on 64 images, D's two big convolutions on 96
    "dcgan": [("deconv", 64, 4, 512, 256), ("deconv", 64, 8, 256, 128),
              ("conv", 96, 16, 128, 256), ("conv", 96, 8, 256, 512)],
}


PAD1 = [[0, 0], [1, 1], [1, 1], [0, 0]]  # "same" padding of a 4x4/2 layer on an even grid


def s2d_kernel(w):
    """``(4, 4, ci, co) -> (2, 2, 4 ci, co)``, channels in ``space_to_depth``'s order."""
    import tensorflow as tf

    ci, co = w.shape[2], w.shape[3]
    w = tf.transpose(tf.reshape(w, (2, 2, 2, 2, ci, co)), (0, 2, 1, 3, 4, 5))
    return tf.reshape(w, (2, 2, 4 * ci, co))


def windows(x, h, w):
    """The four 2x2-shifted ``h x w`` views of ``x``, concatenated on channels (im2col)."""
    import tensorflow as tf

    return tf.concat([x[:, a:a + h, b:b + w, :] for a in (0, 1) for b in (0, 1)], -1)


def conv_std(x, w):
    """Keras' ``Conv2D(4, strides=2, padding="same")`` op; ``w`` is ``(4, 4, ci, co)``."""
    import tensorflow as tf

    return tf.nn.conv2d(x, w, 2, PAD1)


def conv_gemm(x, w):
    """The same map as :func:`conv_std`: pad, space-to-depth, im2col, one matmul."""
    import tensorflow as tf

    n, h, wd, c = x.shape
    s = tf.nn.space_to_depth(tf.pad(x, PAD1), 2)
    cols = tf.reshape(windows(s, h // 2, wd // 2), (-1, 16 * c))
    return tf.reshape(cols @ tf.reshape(s2d_kernel(w), (16 * c, -1)), (n, h // 2, wd // 2, -1))


def deconv_std(x, w):
    """Keras' ``Conv2DTranspose(4, strides=2, padding="same")`` op; ``w`` is ``(4, 4, co, ci)``."""
    import tensorflow as tf

    n, h, wd, _ = x.shape
    return tf.nn.conv2d_transpose(x, w, (n, 2 * h, 2 * wd, w.shape[2]), 2, "SAME")


def deconv_gemm(x, w):
    """The same map as :func:`deconv_std` (the adjoint of :func:`conv_gemm`): im2col on the
    padded input, one matmul with the flipped, transposed kernel, depth-to-space, crop."""
    import tensorflow as tf

    n, h, wd, c = x.shape
    k = tf.transpose(tf.reverse(s2d_kernel(w), [0, 1]), (0, 1, 3, 2))
    cols = tf.reshape(windows(tf.pad(x, PAD1), h + 1, wd + 1), (-1, 4 * c))
    y = tf.reshape(cols @ tf.reshape(k, (4 * c, -1)), (n, h + 1, wd + 1, -1))
    return tf.nn.depth_to_space(y, 2)[:, 1:-1, 1:-1, :]


TAPS = ((3, 1), (2, 0))  # kernel rows feeding output parity 0 / 1 from padded-input rows (i, i + 1)


def deconv_subpixel(x, w):
    """The same map as :func:`deconv_std` as four stride-1 2x2 convolutions, one per output
    pixel parity (sub-pixel form: no zero-dilated input), interleaved by depth-to-space."""
    import tensorflow as tf

    n, h, wd, _ = x.shape
    xp = tf.pad(x, PAD1)
    k = tf.transpose(w, (0, 1, 3, 2))  # (4, 4, ci, co)
    parts = []
    for py in (0, 1):
        rows = tf.gather(k, TAPS[py], axis=0)
        for px in (0, 1):
            window = xp[:, py:py + h + 1, px:px + wd + 1, :]
            parts.append(tf.nn.conv2d(window, tf.gather(rows, TAPS[px], axis=1), 1, "VALID"))
    return tf.nn.depth_to_space(tf.concat(parts, -1), 2)


def deconv_hybrid(x, w):
    """:func:`deconv_subpixel` forward, :func:`deconv_std`'s own gradients backward (the
    gradients of a linear map do not need its output, so XLA drops ``std``'s forward)."""
    import tensorflow as tf

    @tf.custom_gradient
    def apply(x, w):
        def grad(dy):
            with tf.GradientTape() as tape:
                tape.watch([x, w])
                y = deconv_std(x, w)
            return tape.gradient(y, [x, w], output_gradients=dy)
        return deconv_subpixel(x, w), grad

    return apply(tf.convert_to_tensor(x), tf.convert_to_tensor(w))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python bench/conv_forms.py", description=__doc__.split("\n")[0])
    parser.add_argument("--net", choices=sorted(NETS), default="unet128")
    parser.add_argument("--repeats", type=int, default=10, help="timed calls per form (after 3 warm-up calls)")
    parser.add_argument("--threads", type=int, default=2, help="TF intra-op threads")
    parser.add_argument("--layers", help="comma-separated row indices of --net to time (default: all)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1, got {args.repeats}")
    if args.threads < 1:
        parser.error(f"--threads must be >= 1, got {args.threads}")

    import numpy as np
    import tensorflow as tf

    from zoo.machine import machine_line, set_threads

    if not set_threads(args.threads):
        print(f"conv_forms.py: note: TensorFlow is already running; --threads {args.threads} ignored", file=sys.stderr)

    def timed(fn, x):
        for _ in range(3):
            fn(x)
        start = time.perf_counter()
        for _ in range(args.repeats):
            out = fn(x)
        [np.asarray(t) for t in tf.nest.flatten(out)]
        return (time.perf_counter() - start) / args.repeats * 1e3

    def with_grads(fn, w):
        def step(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = fn(x, w)
                loss = tf.reduce_sum(y * y)
            return tape.gradient(loss, [x, w])
        return step

    rng = np.random.default_rng(0)
    totals = {"std": [0.0, 0.0], "gemm": [0.0, 0.0], "subpixel": [0.0, 0.0], "hybrid": [0.0, 0.0],
              "best": [0.0, 0.0]}
    rows = NETS[args.net]
    if args.layers:
        try:
            rows = [rows[int(i)] for i in args.layers.split(",")]
        except (ValueError, IndexError):
            parser.error(f"--layers must be comma-separated row indices 0..{len(rows) - 1} of --net {args.net}, "
                         f"got {args.layers!r}")
    for kind, batch, size, cin, cout in rows:
        x = tf.constant(rng.standard_normal((batch, size, size, cin)).astype("float32"))
        shape = (4, 4, cout, cin) if kind == "deconv" else (4, 4, cin, cout)
        w = tf.Variable(rng.standard_normal(shape).astype("float32") * 0.02)
        forms = ({"std": deconv_std, "gemm": deconv_gemm, "subpixel": deconv_subpixel, "hybrid": deconv_hybrid}
                 if kind == "deconv"
                 else {"std": conv_std, "gemm": conv_gemm})
        maxdiff = max(float(tf.reduce_max(tf.abs(forms["std"](x, w) - f(x, w)))) for f in forms.values())
        row = {"layer": kind, "batch": batch, "in": f"{size}x{size}x{cin}", "out_channels": cout,
               "maxdiff": maxdiff}
        for name, fn in forms.items():
            fwd = timed(tf.function(lambda t, fn=fn: fn(t, w), jit_compile=True), x)
            both = timed(tf.function(with_grads(fn, w), jit_compile=True), x)
            row[f"{name}_fwd_ms"], row[f"{name}_fwd_bwd_ms"] = round(fwd, 2), round(both, 2)
        # A form's total: the net with that form wherever it exists (``std`` elsewhere).
        for name in totals:
            for column, suffix in ((0, "fwd_ms"), (1, "fwd_bwd_ms")):
                if name == "best":
                    totals[name][column] += min(row[f"{form}_{suffix}"] for form in forms)
                else:
                    totals[name][column] += row[f"{name if name in forms else 'std'}_{suffix}"]
        print(json.dumps(row), flush=True)
    print(json.dumps({"net": args.net, "total_ms": {k: [round(v, 1) for v in t] for k, t in totals.items()},
                      "columns": ["forward", "forward + backward"], "machine": machine_line()}))


if __name__ == "__main__":
    main()
