"""Benchmark wrapper (deselected by default): runs benchmarks/bench_analysis.py on the full raster
(10,000 neurons, 1,000,000 spikes), writes results/analysis_benchmark/ and checks the memory goal
(peak of each statistic at most twice the raster's size). Speed is recorded, never asserted."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.benchmark
def test_analysis_benchmark_memory_goal():
    pytest.importorskip("elephant")
    spec = importlib.util.spec_from_file_location("bench_analysis", ROOT / "benchmarks" / "bench_analysis.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = ROOT / "results" / "analysis_benchmark"
    assert bench.main(["--out", str(out)]) == 0
    result = json.loads((out / "bench_analysis.json").read_text())
    assert result["n_neurons"] == 10_000 and result["n_spikes"] == 1_000_000
    for name, row in result["statistics"].items():
        assert row["peak_over_raster"] <= 2.0, name
