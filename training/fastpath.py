"""Which precision and whether XLA: the fastest correct training path for this machine.

``training/fit.py`` and ``bench/train_step.py`` take ``--mixed-precision
{auto,float32,mixed_bfloat16,mixed_float16}`` and ``--jit-compile {auto,on,off}``; ``auto`` (the
default) resolves with :func:`choose_path` from the machine (:func:`detect_machine`: the CPU's
``/proc/cpuinfo`` flags and the GPUs' compute capabilities). The rule, with the measurements
behind it (``bench/train_step.py``, DCGAN+MS CIFAR-10 batch 32 and Pix2Pix+MS 128 batch 1,
interleaved rounds in one run per machine; tables in BENCHMARKS.md, "Training step per CPU
kind"):

The AVX-512-without-bf16 figures were measured on a heavily loaded shared machine (1-min load
12-27 on 2 cores): medians of per-round ratios of one step per path per round, not times.

Precision
    * GPU, every one with compute capability >= 7.0 (tensor cores): ``mixed_float16``, with
      per-optimizer loss scaling (``zoo.base``). Not measured in this project (no GPU machine);
      it is what float16 tensor cores are for.
    * CPU with ``avx512_bf16`` or ``amx_bf16``: ``mixed_bfloat16``. Native bfloat16 matmuls:
      1.4x the float32 step (DCGAN), 1.3-1.5x (Pix2Pix 128) on an AVX-512 + ``avx512_bf16`` CPU.
    * any other CPU (AVX2 only, or AVX-512 without ``avx512_bf16``): ``float32``. TensorFlow
      emulates bfloat16 there; on the AVX-512 CPU without it the DCGAN bfloat16 step was 0.54x
      the float32 step without XLA and 0.98x (best steps 0.56x) with XLA on both: never faster.

XLA (``jit_compile``), by CPU kind and the chosen precision
    * AVX2 only (no ``avx512f``): on. It halves the float32 DCGAN step there and gains ~12 % on
      Pix2Pix 128.
    * AVX-512 with ``avx512_bf16``/AMX: off. float32 130-134 vs 112-117 img/s with XLA (DCGAN),
      4.5-4.7 vs 3.8-4.0 (Pix2Pix 128); bfloat16 184-187 vs 122-123 and 6.1-6.7 vs 4.1-4.2.
    * AVX-512 without ``avx512_bf16``: on (see :data:`XLA_BY_CPU_KIND` for the DCGAN figures;
      for Pix2Pix 128 the same run was inconclusive: median 0.70x, best steps 1.24x).
    * GPU: on (Keras' own default on GPUs).

Where a measurement is missing (bfloat16 or float16 emulated on an AVX2 CPU, a CPU without
AVX2) the entry says so and follows the float32 choice of that kind.

Everything here is pure except :func:`detect_machine`, so the rule is tested on every kind.
"""
import dataclasses

AUTO = "auto"
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
JIT_CHOICES = (AUTO, "on", "off")
BF16_FLAGS = ("avx512_bf16", "amx_bf16")
MIN_FLOAT16_CAPABILITY = (7, 0)
SEE = "BENCHMARKS.md, Training step per CPU kind"

# (cpu kind, precision) -> (XLA on?, why). The figures are generated images per second of the
# DCGAN+MS CIFAR-10 step (batch 32) and the Pix2Pix+MS 128 step (batch 1), without / with XLA.
XLA_BY_CPU_KIND = {
    ("avx2", "float32"): (True, "XLA halves the float32 DCGAN step on AVX2 CPUs and gains ~12 % on Pix2Pix 128"),
    ("avx512", "float32"): (True, "on AVX-512 CPUs without avx512_bf16 float32 + XLA measured 1.09x float32 "
                                  "(DCGAN, median of 15 interleaved rounds; best steps 1.32x)"),
    ("avx512", "mixed_bfloat16"): (True, "on AVX-512 CPUs without avx512_bf16 bf16 + XLA measured 1.93x bf16 "
                                         "(DCGAN, median of 15 interleaved rounds)"),
    ("avx512_bf16", "float32"): (False, "XLA measured slower on avx512_bf16 CPUs (DCGAN 130-134 vs 112-117 img/s)"),
    ("avx512_bf16", "mixed_bfloat16"): (False, "XLA measured slower on avx512_bf16 CPUs (DCGAN bf16 184-187 vs 122-123 img/s)"),
}


@dataclasses.dataclass(frozen=True)
class Machine:
    """What the choice depends on.

    Attributes:
        cpu_flags: the CPU's ``/proc/cpuinfo`` flags (any iterable of strings).
        gpu_capabilities: one ``(major, minor)`` compute capability per visible GPU; ``()`` for
            none. A GPU whose capability is unknown counts as ``(0, 0)``.
    """

    cpu_flags: frozenset = frozenset()
    gpu_capabilities: tuple = ()

    @property
    def cpu_kind(self):
        """``"avx512_bf16"`` (incl. AMX), ``"avx512"``, ``"avx2"`` or ``"other"``."""
        flags = set(self.cpu_flags)
        if flags & set(BF16_FLAGS):
            return "avx512_bf16"
        if "avx512f" in flags:
            return "avx512"
        if "avx2" in flags:
            return "avx2"
        return "other"

    @property
    def describe(self):
        if self.gpu_capabilities:
            return "GPU " + ", ".join(f"sm_{a}{b}" for a, b in self.gpu_capabilities)
        return {"avx512_bf16": "CPU with native bfloat16 (" + "/".join(sorted(set(self.cpu_flags) & set(BF16_FLAGS))) + ")",
                "avx512": "AVX-512 CPU without avx512_bf16", "avx2": "AVX2-only CPU",
                "other": "CPU without AVX2"}[self.cpu_kind]


@dataclasses.dataclass(frozen=True)
class TrainingPath:
    """The resolved choice and why; ``record()`` is what runs write into cards and history."""

    precision: str
    jit_compile: bool
    precision_reason: str
    jit_reason: str

    def record(self):
        return {"mixed_precision": self.precision, "jit_compile": self.jit_compile,
                "path_reason": f"{self.precision}: {self.precision_reason}; "
                               f"XLA {'on' if self.jit_compile else 'off'}: {self.jit_reason}"}

    def line(self):
        """One line for logs and cards, e.g. ``float32, XLA on (float32: ...; XLA on: ...)``."""
        return f"{self.precision}, XLA {'on' if self.jit_compile else 'off'} ({self.record()['path_reason']})"


def choose_precision(machine):
    """``(policy name, reason)`` for ``--mixed-precision auto`` on ``machine``."""
    if machine.gpu_capabilities:
        if all(tuple(c) >= MIN_FLOAT16_CAPABILITY for c in machine.gpu_capabilities):
            return "mixed_float16", f"auto: {machine.describe} has float16 tensor cores (>= sm_70); loss-scaled"
        return "float32", f"auto: {machine.describe} has no float16 tensor cores (< sm_70)"
    if machine.cpu_kind == "avx512_bf16":
        return "mixed_bfloat16", f"auto: {machine.describe} computes bfloat16 natively ({SEE})"
    return "float32", f"auto: bfloat16 is emulated on this {machine.describe}, slower than float32 ({SEE})"


# Families whose step XLA does not speed up, whatever the machine: their graphs are measured
# slower or too slow to compile (AVX-512 Xeon without avx512_bf16, loaded machine, Dec 2026).
XLA_OFF_FAMILIES = {
    "drit": "XLA was still compiling DRIT's train step after ~25 min (128 px smoke run); off",
    "stackgan": "StackGAN++ shapes step (32 px, batch 32) 2.23 s without vs 2.37 s with XLA (median); off",
}


def choose_jit(machine, precision, family=None):
    """``(XLA on?, reason)`` for ``--jit-compile auto`` on ``machine`` with ``precision``.

    ``family``: the model family; families in :data:`XLA_OFF_FAMILIES` train without XLA.
    """
    if family in XLA_OFF_FAMILIES:
        return False, f"auto: {XLA_OFF_FAMILIES[family]}"
    if machine.gpu_capabilities:
        return True, "auto: Keras' default on GPUs"
    kind = machine.cpu_kind
    if (kind, precision) in XLA_BY_CPU_KIND:
        on, why = XLA_BY_CPU_KIND[kind, precision]
        return on, f"auto: {why} ({SEE})"
    if (kind, "float32") in XLA_BY_CPU_KIND:
        on, _ = XLA_BY_CPU_KIND[kind, "float32"]
        return on, f"auto: {precision} not measured on a {machine.describe}; as float32 there ({SEE})"
    return False, f"auto: not measured on a {machine.describe}; Keras' CPU default"


def choose_path(precision=AUTO, jit_compile=AUTO, machine=None, family=None):
    """Resolve ``--mixed-precision`` and ``--jit-compile`` into a :class:`TrainingPath`.

    Args:
        precision: ``"auto"`` or one of :data:`PRECISIONS`.
        jit_compile: ``"auto"``, ``"on"``/``"off"`` or a bool.
        machine: a :class:`Machine`; default :func:`detect_machine` (needed only for ``auto``).
        family: the model family (``auto`` XLA is off for :data:`XLA_OFF_FAMILIES`).

    Raises:
        ValueError: an unknown precision or jit choice (one line).
    """
    if precision != AUTO and precision not in PRECISIONS:
        raise ValueError(f"unknown mixed precision {precision!r}; expected auto or one of {', '.join(PRECISIONS)}")
    if isinstance(jit_compile, bool):
        jit_compile = "on" if jit_compile else "off"
    if jit_compile not in JIT_CHOICES:
        raise ValueError(f"unknown jit-compile choice {jit_compile!r}; expected one of {', '.join(JIT_CHOICES)}")
    if AUTO in (precision, jit_compile) and machine is None:
        machine = detect_machine()
    if precision == AUTO:
        precision, precision_reason = choose_precision(machine)
    else:
        precision_reason = "given"
        if machine is not None and precision == "mixed_bfloat16" and not machine.gpu_capabilities \
                and machine.cpu_kind != "avx512_bf16":
            precision_reason = f"given (emulated on this {machine.describe}: slower than float32)"
    if jit_compile == AUTO:
        jit, jit_reason = choose_jit(machine, precision, family)
    else:
        jit, jit_reason = jit_compile == "on", "given"
    return TrainingPath(precision, jit, precision_reason, jit_reason)


def detect_machine():
    """The :class:`Machine` this process runs on (CPU flags; GPUs as TensorFlow sees them)."""
    import tensorflow as tf

    capabilities = []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        capabilities.append(tuple(details.get("compute_capability") or (0, 0)))
    return Machine(frozenset(read_cpu_flags()), tuple(capabilities))


def read_cpu_flags(path="/proc/cpuinfo"):
    """Every flag of the first CPU in ``path`` (empty when it cannot be read, e.g. not Linux)."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()
