"""zoo.training.fastpath: the precision/XLA rule on every machine kind, and the flags that use it."""
import json

import pytest

from zoo.training.fastpath import XLA_BY_CPU_KIND, XLA_OFF_FAMILIES, Machine, choose_path, read_cpu_flags

AVX2 = Machine(frozenset({"sse4_2", "avx", "avx2", "fma"}))
AVX512 = Machine(frozenset({"avx2", "fma", "avx512f", "avx512_vnni"}))
AVX512_BF16 = Machine(frozenset({"avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16"}))
AMX = Machine(frozenset({"avx2", "avx512f", "amx_bf16", "amx_tile"}))
OLD_CPU = Machine(frozenset({"sse4_2", "avx"}))


@pytest.mark.parametrize("machine, precision, jit", [
    (AVX512_BF16, "mixed_bfloat16", False),  # native bf16; XLA measured slower there
    (AMX, "mixed_bfloat16", False),
    (AVX512, "float32", True),  # bf16 emulated (slower); XLA measured faster for float32
    (AVX2, "float32", True),  # XLA halves the DCGAN step there
    (OLD_CPU, "float32", False),  # nothing measured: Keras' CPU default
    (Machine(frozenset({"avx2"}), ((8, 0),)), "mixed_float16", True),
    (Machine(frozenset({"avx2"}), ((7, 0), (9, 0))), "mixed_float16", True),
    (Machine(frozenset({"avx2"}), ((6, 1),)), "float32", True),  # Pascal: no float16 tensor cores
    (Machine(frozenset({"avx2"}), ((8, 0), (6, 1))), "float32", True),  # the slowest GPU decides
])
def test_auto_picks_the_measured_fastest_path(machine, precision, jit):
    path = choose_path("auto", "auto", machine)
    assert (path.precision, path.jit_compile) == (precision, jit)
    assert path.precision_reason.startswith("auto: ") and path.jit_reason.startswith("auto: ")


@pytest.mark.parametrize("machine", [AVX2, AVX512, Machine(frozenset({"avx2"}), ((8, 0),))])
def test_families_measured_slower_with_xla_train_without_it(machine):
    for family, why in XLA_OFF_FAMILIES.items():
        path = choose_path("auto", "auto", machine, family=family)
        assert path.jit_compile is False and family not in ("dcgan", "pix2pix")
        assert any(ch.isdigit() for ch in why) and why in path.jit_reason
    assert choose_path("auto", "auto", machine, family="dcgan").jit_compile is True
    assert choose_path("auto", "on", machine, family="drit").jit_compile is True  # given wins


def test_every_cpu_rule_names_its_measurement():
    for (kind, precision), (on, why) in XLA_BY_CPU_KIND.items():
        assert kind in ("avx2", "avx512", "avx512_bf16") and precision in ("float32", "mixed_bfloat16")
        assert any(ch.isdigit() for ch in why), why  # a figure, not a habit
    path = choose_path("auto", "auto", AVX512_BF16)
    assert "BENCHMARKS.md" in path.jit_reason and "BENCHMARKS.md" in path.precision_reason


def test_given_choices_win_and_auto_jit_follows_the_given_precision():
    path = choose_path("mixed_bfloat16", "auto", AVX512_BF16)
    assert path.precision == "mixed_bfloat16" and path.jit_compile is False  # bf16 + XLA measured slower there
    path = choose_path("mixed_bfloat16", "auto", AVX512)
    assert "emulated" in path.precision_reason
    assert choose_path("float32", "off", AVX2).jit_compile is False
    assert choose_path("float32", True, AVX512_BF16).jit_compile is True
    assert choose_path("mixed_bfloat16", "on", AVX512_BF16).precision_reason == "given"
    # Not measured: emulated bf16 on AVX2 follows float32's XLA choice there, and says so.
    path = choose_path("mixed_bfloat16", "auto", AVX2)
    assert path.jit_compile is True and "not measured" in path.jit_reason


def test_record_and_line_say_what_and_why():
    path = choose_path("auto", "auto", AVX512_BF16)
    record = path.record()
    assert record["mixed_precision"] == "mixed_bfloat16" and record["jit_compile"] is False
    assert "avx512_bf16" in record["path_reason"] and "XLA off" in record["path_reason"]
    assert path.line().startswith("mixed_bfloat16, XLA off (")
    json.dumps(record)  # goes into history.jsonl as it is


@pytest.mark.parametrize("precision, jit, message", [
    ("bfloat16", "auto", "unknown mixed precision 'bfloat16'"),
    ("float32", "maybe", "unknown jit-compile choice 'maybe'"),
])
def test_unknown_choices_are_one_line_errors(precision, jit, message):
    with pytest.raises(ValueError, match=message):
        choose_path(precision, jit, AVX2)


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16\n\nprocessor\t: 1\nflags\t: fpu\n")
    assert read_cpu_flags(cpuinfo) == {"fpu", "avx2", "avx512f", "avx512_bf16"}
    assert Machine(frozenset(read_cpu_flags(cpuinfo))).cpu_kind == "avx512_bf16"
    assert read_cpu_flags(tmp_path / "missing") == set()


def test_bench_train_step_takes_the_same_flags_and_prints_the_choice(load_script, capsys):
    bench = load_script("bench/train_step.py")
    common = ["--model", "msgan_dcgan_digits", "--steps", "1", "--warmup", "1", "--set", "d=8"]
    bench.main(common)  # auto: what fit.py would choose on this machine
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    expected = choose_path("auto", "auto")
    assert (line["mixed_precision"], line["jit_compile"]) == (expected.precision, expected.jit_compile)
    assert line["path_reason"] == expected.record()["path_reason"]
    bench.main([*common, "--mixed-precision", "mixed_bfloat16", "--jit-compile", "off"])
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (line["mixed_precision"], line["jit_compile"]) == ("mixed_bfloat16", False)
    assert line["images_per_s"] > 0


def test_bench_compare_times_every_path_in_rounds(load_script, capsys):
    bench = load_script("bench/train_step.py")
    bench.main(["--model", "msgan_dcgan_digits", "--steps", "1", "--warmup", "1", "--set", "d=8",
                "--compare", "float32,mixed_bfloat16", "--rounds", "2"])
    lines = [json.loads(x) for x in capsys.readouterr().out.strip().splitlines()]
    timed = [x for x in lines if "round" in x]
    assert [(x["round"], x["mixed_precision"]) for x in timed] == [
        (1, "float32"), (1, "mixed_bfloat16"), (2, "mixed_bfloat16"), (2, "float32")]  # order rotated
    summary = lines[-1]
    assert summary["x_float32"]["float32"] == [1.0, 1.0] and len(summary["images_per_s"]["mixed_bfloat16"]) == 2
    assert summary["x_float32_best"]["float32"] == 1.0 and summary["best_images_per_s"]["mixed_bfloat16"] > 0
