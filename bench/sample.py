"""Diverse-sampling speed: one condition x 50 noise vectors through every serving path.

    python bench/sample.py msgan_dcgan_digits
    python bench/sample.py msgan_dcgan_cifar10 --random-weights   # speed does not depend on weights
    python bench/sample.py msgan_pix2pix_maps --random-weights --markdown

Paths: Keras ``predict``, a ``tf.function`` around the generator, the exported SavedModel's
``serving_default``, the tf2onnx graph as converted, the same with the norms folded only,
and the exported graph (norms folded + the exact rewrites of :mod:`zoo.export.onnx_rewrites`)
bare and through :class:`zoo.export.onnx_sampler.OnnxSampler` (all graph optimizations; its time
includes drawing the noise and the uint8 conversion, and for a graph that broadcasts the
condition it feeds the one photo once instead of 50 copies). Each path is timed per call of
the whole batch: the best of ``--repeats`` timed calls, the paths interleaved round-robin in
blocks of 3 calls after warm-up (robust to other load on a shared machine; see
:func:`interleaved`).
Achieved GFLOP/s use the generator's analytic convolution/dense FLOPs. The rewritten graph
executes a different count (it skips the tiled noise channels' multiply-adds and runs tiny
convolutions as dense matmuls), so "% of peak (executed)" divides the FLOPs each path's graph
really runs (:func:`onnx_flops` for the ONNX graphs); the peak is
the best of a TensorFlow and an ONNX Runtime ``--peak-size``-square float32 matmul measured
in the same run, interleaved with the paths, on the same threads.
"""
import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def layer_flops(layer):
    """Multiply-adds x 2 of one Conv2D / Conv2DTranspose / Dense layer for one sample (0 else)."""
    import keras

    kind = type(layer)
    if not issubclass(kind, (keras.layers.Conv2D, keras.layers.Conv2DTranspose, keras.layers.Dense)):
        return 0
    kernel = layer.kernel.shape
    if isinstance(layer, keras.layers.Dense):
        return 2 * int(np.prod(kernel))
    if isinstance(layer, keras.layers.Conv2DTranspose):
        # Every input position scatters a kh x kw x out patch: 2 * in_positions * kh*kw*in*out.
        return 2 * int(np.prod(layer.input.shape[1:3])) * int(np.prod(kernel))
    return 2 * int(np.prod(layer.output.shape[1:3])) * int(np.prod(kernel))


def generator_flops(model):
    """Analytic FLOPs of one generator forward pass for one sample (nested models included)."""
    import keras

    total = 0
    for layer in model.layers:
        total += generator_flops(layer) if isinstance(layer, keras.Model) else layer_flops(layer)
    return total


def onnx_flops(model):
    """Multiply-adds x 2 per sample of the Conv/ConvTranspose/MatMul/Gemm nodes of an ONNX model.

    Uses ONNX shape inference; the batch (first) dimension is the only dynamic one.
    """
    import onnx
    from onnx import numpy_helper

    inferred = onnx.shape_inference.infer_shapes(model)
    shapes = {v.name: [d.dim_value or None for d in v.type.tensor_type.shape.dim]
              for v in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output)}
    weights = {init.name: numpy_helper.to_array(init).shape for init in model.graph.initializer}
    macs = 0
    for node in model.graph.node:
        if node.op_type in ("Conv", "ConvTranspose") and node.input[1] in weights:
            kernel = weights[node.input[1]]
            groups = next((a.i for a in node.attribute if a.name == "group"), 1)
            if node.op_type == "Conv":
                macs += int(np.prod(shapes[node.output[0]][1:])) * int(np.prod(kernel[1:]))
            else:
                macs += int(np.prod(shapes[node.input[0]][1:])) * kernel[1] * groups * int(np.prod(kernel[2:]))
        elif node.op_type in ("MatMul", "Gemm") and node.input[1] in weights:
            macs += int(np.prod(weights[node.input[1]]))
    return 2 * macs


def interleaved(calls, repeats, warmup=2, block=3):
    """``{label: best seconds}``, timing the paths round-robin in short blocks of calls.

    On a shared machine other processes come and go; interleaving gives every path the same
    chances, and the minimum is the run least disturbed by them. Each turn times ``block``
    calls of one path in a row (the first of them uncounted): ONNX Runtime's and TensorFlow's
    thread pools spin for a while after a call, and a path timed right after another one's
    call competes with those spinning threads (measured here: the same ONNX graph took 75 ms
    interleaved call by call and 43 ms in a row).
    """
    for call in calls.values():
        for _ in range(warmup):
            call()
    best = {label: float("inf") for label in calls}
    for done in range(0, repeats, block):
        for label, call in calls.items():
            call()  # lets the previous path's threads go idle
            for _ in range(min(block, repeats - done)):
                start = time.perf_counter()
                call()
                best[label] = min(best[label], time.perf_counter() - start)
    return best


def matmul_calls(size, threads):
    """``{"tensorflow": call, "onnxruntime": call}``: one square float32 matmul each."""
    import onnxruntime as ort
    import tensorflow as tf
    from onnx import TensorProto, helper

    from zoo.export.onnx_sampler import session_options

    a = np.random.default_rng(0).standard_normal((size, size)).astype(np.float32)
    b = np.random.default_rng(1).standard_normal((size, size)).astype(np.float32)
    ta, tb = tf.constant(a), tf.constant(b)
    matmul = tf.function(lambda x, y: tf.matmul(x, y))
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["c"])], "matmul",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, [size, size]) for n in ("a", "b")],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, [size, size])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    session = ort.InferenceSession(model.SerializeToString(), session_options(threads),
                                   providers=["CPUExecutionProvider"])
    return {"tensorflow": lambda: matmul(ta, tb).numpy(), "onnxruntime": lambda: session.run(None, {"a": a, "b": b})}


def benchmark(name, num_samples=50, repeats=10, random_weights=False, threads=None, peak_size=2048):
    """Measure every path; returns a dict with ``rows`` (one per path) and the context."""
    import onnx
    import onnxruntime as ort
    import tensorflow as tf

    import zoo
    from zoo.export.onnx import convert, export_onnx, fold_channel_affines
    from zoo.export.onnx_sampler import OnnxSampler, session_options
    from zoo.export.savedmodel import export_savedmodel
    from zoo.machine import machine_line

    # Other processes on a shared machine slow every path: record how busy it was.
    load_average = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    sampler = zoo.load(name, weights=None if random_weights else "default")
    generator, nz = sampler.generator, sampler.config.nz
    threads = threads or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count())
    shape = tuple(generator.inputs[0].shape[1:])
    rng = np.random.default_rng(0)
    if len(shape) == 1:
        condition_input = 0
        condition = np.eye(shape[0], dtype=np.float32)[np.zeros(num_samples, int)]
    else:
        condition_input = rng.integers(0, 256, shape, dtype=np.uint8)
        condition = np.repeat(condition_input[None].astype(np.float32) / 127.5 - 1.0, num_samples, axis=0)
    z = rng.standard_normal((num_samples, nz)).astype(np.float32)

    with tempfile.TemporaryDirectory() as scratch:
        savedmodel = tf.saved_model.load(str(export_savedmodel(sampler, scratch)))
        serving = savedmodel.signatures["serving_default"]
        onnx_file = export_onnx(sampler, scratch)
        onnx_sampler = OnnxSampler(onnx_file, threads=threads)
        unfolded_file = Path(scratch) / "unfolded.onnx"
        onnx.save(convert(generator, nz), str(unfolded_file))
        unfolded = ort.InferenceSession(str(unfolded_file), session_options(threads),
                                        providers=["CPUExecutionProvider"])
        folded_model = convert(generator, nz)
        fold_channel_affines(folded_model)
        folded_file = Path(scratch) / "folded.onnx"
        onnx.save(folded_model, str(folded_file))
        folded = ort.InferenceSession(str(folded_file), session_options(threads), providers=["CPUExecutionProvider"])
        executed = {"as converted": onnx_flops(onnx.load(str(unfolded_file))),
                    "folded": onnx_flops(folded_model), "exported": onnx_flops(onnx.load(str(onnx_file)))}
        function = tf.function(lambda c, v: generator([c, v], training=False))
        tc, tz = tf.constant(condition), tf.constant(z)
        paths = [
            ("Keras predict", lambda: generator.predict([condition, z], batch_size=num_samples, verbose=0)),
            ("tf.function", lambda: function(tc, tz).numpy()),
            ("SavedModel serving_default", lambda: serving(condition=tc, z=tz)["image"].numpy()),
            ("ONNX Runtime, tf2onnx graph as converted", lambda: unfolded.run(None, {"condition": condition, "z": z})),
            ("ONNX Runtime, norms folded only", lambda: folded.run(None, {"condition": condition, "z": z})),
            ("ONNX Runtime, exported graph (folded + rewritten)", lambda: onnx_sampler.generate(condition, z)),
            ("OnnxSampler.sample (noise + ORT + uint8)", lambda: onnx_sampler.sample(condition_input, num_samples, seed=0)),
        ]
        # The peak matmuls run in the same round-robin, so they meet the same machine load.
        peak_calls = {f"peak {k}": call for k, call in matmul_calls(peak_size, threads).items()}
        seconds = interleaved({**dict(paths), **peak_calls}, repeats)
    peaks = {k[len("peak "):]: 2 * peak_size ** 3 / seconds.pop(k) / 1e9 for k in peak_calls}
    peak = max(peaks.values())
    flops = generator_flops(generator) * num_samples
    predict = seconds["Keras predict"]

    def executed_flops(label):
        for key, graph in (("as converted", "as converted"), ("folded only", "folded"), ("exported", "exported"),
                           ("OnnxSampler", "exported")):
            if key in label:
                return executed[graph] * num_samples
        return flops

    rows = [{"path": label, "ms": 1e3 * s, "samples_per_s": num_samples / s, "speedup": predict / s,
             "gflops": flops / s / 1e9, "peak_fraction": flops / s / 1e9 / peak,
             "executed_peak_fraction": executed_flops(label) / s / 1e9 / peak} for label, s in seconds.items()]
    return {"name": name, "weights": "random (speed only)" if random_weights else "trained",
            "load_average": load_average,
            "num_samples": num_samples, "threads": threads, "machine": machine_line(),
            "flops_per_sample": flops / num_samples, "executed_flops_per_sample": executed, "peaks": peaks,
            "rows": rows, "repeats": repeats}


def table(result, markdown=False):
    head = (f"{result['name']} ({result['weights']} weights), 1 condition x {result['num_samples']} noise vectors, "
            f"{result['flops_per_sample'] / 1e6:.2f} MFLOP per sample (analytic), best of {result['repeats']} interleaved, "
            f"{result['threads']} threads; the exported ONNX graph executes "
            f"{result['executed_flops_per_sample']['exported'] / 1e6:.2f} MFLOP per sample\n"
            f"machine: {result['machine']}; 1-min load average at start {result['load_average']:.1f}\n"
            f"dense peak (float32 matmul): TensorFlow {result['peaks']['tensorflow']:.1f} GFLOP/s, "
            f"ONNX Runtime {result['peaks']['onnxruntime']:.1f} GFLOP/s")
    columns = ("path", "ms per call", "samples/s", "x predict", "GFLOP/s", "% of peak", "% of peak (executed)")
    lines = []
    for row in result["rows"]:
        lines.append((row["path"], f"{row['ms']:.2f}", f"{row['samples_per_s']:.0f}", f"{row['speedup']:.1f}",
                      f"{row['gflops']:.2f}", f"{100 * row['peak_fraction']:.1f}",
                      f"{100 * row['executed_peak_fraction']:.1f}"))
    if markdown:
        body = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        body += ["| " + " | ".join(line) + " |" for line in lines]
    else:
        widths = [max(len(str(r[i])) for r in [columns] + lines) for i in range(len(columns))]
        body = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in [columns] + lines]
    return head + "\n\n" + "\n".join(body)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python bench/sample.py", description=__doc__.split("\n")[0])
    parser.add_argument("name", help="zoo name")
    parser.add_argument("--samples", type=int, default=50, help="noise vectors for the one condition (default 50)")
    parser.add_argument("--repeats", type=int, default=10, help="timed calls per path (default 10)")
    parser.add_argument("--random-weights", action="store_true", help="time an untrained generator (no weights needed)")
    parser.add_argument("--threads", type=int, help="ONNX Runtime threads (default: available cores)")
    parser.add_argument("--peak-size", type=int, default=2048, help="matmul size of the peak measurement")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = parser.parse_args(argv)
    if args.samples < 1 or args.repeats < 1:
        parser.error("--samples and --repeats must be >= 1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        result = benchmark(args.name, args.samples, args.repeats, args.random_weights, args.threads, args.peak_size)
    except (KeyError, ValueError, FileNotFoundError) as error:
        parser.exit(2, f"python bench/sample.py: error: {error.args[0] if error.args else error}\n")
    print(table(result, markdown=args.markdown))
    return result


if __name__ == "__main__":
    main()
