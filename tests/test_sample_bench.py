"""bench/sample.py's timing loop: every path gets the same number of timed calls, in blocks."""


def test_interleaved_times_each_path_in_blocks(load_script):
    bench = load_script("bench/sample.py")
    order = []
    calls = {label: (lambda label=label: order.append(label)) for label in ("a", "b")}
    best = bench.interleaved(calls, repeats=4, warmup=2, block=3)
    assert set(best) == {"a", "b"} and all(0 <= t < 1 for t in best.values())
    # 2 warm-up calls, then per round one untimed call + the block: rounds of 3 and 1 timed calls.
    assert order == ["a"] * 2 + ["b"] * 2 + ["a"] * 4 + ["b"] * 4 + ["a"] * 2 + ["b"] * 2
