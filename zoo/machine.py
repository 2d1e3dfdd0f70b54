"""What machine a number was measured on: CPU model, SIMD flags, cores, library versions.

Used by model cards, evaluations, exports and benchmarks alike, so it lives in ``zoo/``.
TensorFlow is imported inside the functions that ask it: ``cpu_flags`` and ``cpu_model`` read
``/proc/cpuinfo`` only.
"""
import os
import platform


def cpu_flags():
    """The SIMD flags that decide TensorFlow's CPU speed (avx2, fma, avx512f, avx512_bf16, ...)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
            else:
                flags = set()
    except OSError:
        flags = set()
    wanted = ["avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16"]
    return [f for f in wanted if f in flags]


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_machine():
    """A dict naming the machine, for model cards and benchmark output."""
    import keras
    import tensorflow as tf

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
    return {
        "cpu": cpu_model(),
        "cpu_flags": cpu_flags(),
        "cores": cores,
        "gpus": gpus,
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }


def machine_line(info=None):
    info = info or describe_machine()
    gpu = f", GPU: {', '.join(info['gpus'])}" if info["gpus"] else ", no GPU"
    return (f"{info['cpu']} ({info['cores']} cores, {' '.join(info['cpu_flags']) or 'no AVX2'}){gpu}; "
            f"TensorFlow {info['tensorflow']}, Keras {info['keras']}")


def set_threads(threads, inter_op=False):
    """Limit TensorFlow's intra-op (and optionally inter-op) threads; True when it took effect.

    TensorFlow fixes its thread pools when its runtime starts: a script calling this after
    TensorFlow ran (a test calling ``main()`` in a process that already trained a model) keeps
    the old pools, and this returns False instead of raising.
    """
    import tensorflow as tf

    threading = tf.config.threading
    if threading.get_intra_op_parallelism_threads() == threads and (
            not inter_op or threading.get_inter_op_parallelism_threads() == threads):
        return True
    try:
        threading.set_intra_op_parallelism_threads(threads)
        if inter_op:
            threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        return False
    return True
