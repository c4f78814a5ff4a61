"""Benchmark: bioneuro.analysis against Elephant on a raster of 10,000 neurons and 1,000,000 spikes.

Both libraries compute the same statistics on the same data in the same run: per-neuron rates,
ISIs, CV, Fano factor (100 ms windows) and the PSTH / population rate (10 ms bins). Elephant works
on a list of ``neo.SpikeTrain`` (building that list is timed separately and *not* charged to
Elephant). Peak memory of each of our statistics is measured with ``tracemalloc`` (allocations on
top of the input raster) and compared with the raster's own size (int64 ids + float64 times).

Usage::

    python benchmarks/bench_analysis.py [--n-neurons 10000] [--n-spikes 1000000] [--repeats 3]
        [--elephant-subset N] [--out results/analysis_benchmark]

``--elephant-subset N`` times Elephant on the first N neurons only and extrapolates linearly in the
number of neurons; the results file says so explicitly. By default the full set is timed.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

from bioneuro.analysis import (
    Raster,
    fano_factor,
    firing_rates,
    interspike_intervals,
    isi_cv,
    make_raster,
    psth,
)
from bioneuro.runner import git_revision

RATE_DURATION_S = 10.0
FANO_WINDOW_S = 0.1
PSTH_BIN_S = 0.01


def make_data(n_neurons: int, n_spikes: int, seed: int = 0):
    """Poisson-like raster: log-normal rates, uniform times, sorted by time (monitor order)."""
    rng = np.random.default_rng(seed)
    weights = rng.lognormal(0.0, 0.7, n_neurons)
    ids = rng.choice(n_neurons, size=n_spikes, p=weights / weights.sum()).astype(np.int64)
    times = rng.uniform(0.0, RATE_DURATION_S, n_spikes)
    order = np.argsort(times, kind="stable")
    return ids[order], times[order]


def best_time(fn, repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def peak_bytes(fn) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return int(peak - base)


def ours(raster):
    def fresh():  # a Raster without its cached per-neuron index, so rates pay for the bincount
        return Raster(raster.node_ids, raster.times_s, raster.n_neurons, raster.t_start_s, raster.t_stop_s)

    return {
        "rates": lambda: firing_rates(fresh()),
        "isi": lambda: interspike_intervals(raster),
        "cv": lambda: isi_cv(raster),
        "fano_factor": lambda: fano_factor(raster, FANO_WINDOW_S),
        "psth": lambda: psth(raster, PSTH_BIN_S),
    }


def theirs(trains):
    import quantities as pq
    from elephant import statistics as est

    def isis():
        return [est.isi(st) for st in trains]

    def cvs():
        out = []
        for st in trains:
            intervals = est.isi(st).magnitude
            out.append(est.cv(intervals) if intervals.size >= 2 else np.nan)
        return out

    def fanos():
        # Elephant's fanofactor takes one train per counting window. Cutting with neo's time_slice
        # costs ~1.4 ms per window (would dominate: ~25 min here), so we cut each train's plain
        # times with searchsorted and hand Elephant the pieces (it only uses their lengths).
        inner_edges = np.arange(1, int(round(RATE_DURATION_S / FANO_WINDOW_S))) * FANO_WINDOW_S
        out = []
        for st in trains:
            times = st.magnitude
            pieces = np.split(times, np.searchsorted(times, inner_edges, side="left"))
            out.append(est.fanofactor(pieces))
        return out

    return {
        "rates": lambda: [est.mean_firing_rate(st) for st in trains],
        "isi": isis,
        "cv": cvs,
        "fano_factor": fanos,
        "psth": lambda: est.time_histogram(trains, bin_size=PSTH_BIN_S * pq.s, output="rate"),
    }


def versions() -> dict:
    import elephant
    import neo
    import scipy

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "elephant": elephant.__version__,
        "neo": neo.__version__,
    }


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}; "
        f"load average at the end (1, 5, 15 min): {load}"
    )


def run(n_neurons: int, n_spikes: int, repeats: int, subset: int | None) -> dict:
    from bioneuro.io.interchange import to_neo

    ids, times = make_data(n_neurons, n_spikes)
    raster_bytes = ids.nbytes + times.nbytes
    t0 = time.perf_counter()
    raster = make_raster(ids, times, n_neurons=n_neurons, t_start_s=0.0, t_stop_s=RATE_DURATION_S)
    build_s = time.perf_counter() - t0
    build_peak = peak_bytes(
        lambda: make_raster(ids, times, n_neurons=n_neurons, t_start_s=0.0, t_stop_s=RATE_DURATION_S)
    )
    _ = raster.offsets  # cached index, part of the raster
    el_raster = raster if subset is None else raster.select(np.arange(subset))
    t0 = time.perf_counter()
    trains = to_neo(el_raster)
    neo_build_s = time.perf_counter() - t0
    scale = 1.0 if subset is None else n_neurons / subset
    rows = {}
    our_fns, their_fns = ours(raster), theirs(trains)
    for name in our_fns:
        ours_s = best_time(our_fns[name], repeats)
        peak = peak_bytes(our_fns[name])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            el_s = best_time(their_fns[name], 1) * scale
        rows[name] = {
            "bioneuro_s": ours_s,
            "elephant_s": el_s,
            "speedup": el_s / ours_s,
            "speedup_charging_raster_build": el_s / (ours_s + build_s),
            "peak_bytes": peak,
            "peak_over_raster": peak / raster_bytes,
        }
        print(f"{name:12s} ours {ours_s * 1e3:9.2f} ms  elephant {el_s:9.3f} s  "
              f"x{el_s / ours_s:9.0f}  peak {peak / raster_bytes:.2f} x raster", flush=True)
    return {
        "n_neurons": n_neurons,
        "n_spikes": n_spikes,
        "duration_s": RATE_DURATION_S,
        "fano_window_s": FANO_WINDOW_S,
        "psth_bin_s": PSTH_BIN_S,
        "raster_bytes": raster_bytes,
        "raster_build_s": build_s,
        "raster_build_peak_bytes": build_peak,
        "neo_trains_build_s": neo_build_s,
        "elephant_timed_on": "all neurons" if subset is None else
        f"first {subset} neurons, extrapolated linearly x{scale:g} to {n_neurons}",
        "repeats_bioneuro_best_of": repeats,
        "repeats_elephant": 1,
        "statistics": rows,
    }


def write_results(result: dict, out: Path, command: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    result = {
        **result,
        "command": command,
        "git_revision": git_revision() or "unknown",
        "versions": versions(),
        "machine": machine(),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (out / "bench_analysis.json").write_text(json.dumps(result, indent=2) + "\n")
    mb = result["raster_bytes"] / 1e6
    lines = [
        "# Analysis benchmark: bioneuro vs Elephant",
        "",
        f"Raster: {result['n_neurons']} neurons, {result['n_spikes']} spikes over "
        f"{result['duration_s']} s ({mb:.1f} MB as int64 ids + float64 times).",
        f"Elephant timed on: {result['elephant_timed_on']}, one run; bioneuro best of "
        f"{result['repeats_bioneuro_best_of']}. Building the list of neo.SpikeTrain "
        f"({result['neo_trains_build_s']:.2f} s) is not charged to Elephant; building and sorting "
        f"our Raster took {result['raster_build_s'] * 1e3:.0f} ms (peak "
        f"{result['raster_build_peak_bytes'] / result['raster_bytes']:.2f} x raster) and is not "
        "charged to us either.",
        f"Fano factor: {result['fano_window_s'] * 1e3:g} ms windows; PSTH: "
        f"{result['psth_bin_s'] * 1e3:g} ms bins over the whole population. Peak memory: tracemalloc "
        "peak of each call on top of the input raster, as a multiple of the raster's size.",
        "",
        "| statistic | bioneuro (ms) | Elephant (s) | speed-up | speed-up if our raster build were "
        "charged to this one statistic | peak memory / raster |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in result["statistics"].items():
        lines.append(
            f"| {name} | {row['bioneuro_s'] * 1e3:.2f} | {row['elephant_s']:.3f} | "
            f"{row['speedup']:.0f}x | {row['speedup_charging_raster_build']:.1f}x | "
            f"{row['peak_over_raster']:.2f} |"
        )
    lines += [
        "",
        f"Command: `{result['command']}`  ",
        f"Git revision: {result['git_revision']}  ",
        f"Versions: {', '.join(f'{k} {v}' for k, v in result['versions'].items())}  ",
        f"Machine: {result['machine']} (shared with other jobs; timings are indicative)  ",
        f"Date: {result['date_utc']}",
        "",
    ]
    (out / "bench_analysis.md").write_text("\n".join(lines))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-neurons", type=int, default=10_000)
    parser.add_argument("--n-spikes", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--elephant-subset", type=int, default=None)
    parser.add_argument("--out", type=Path, default=Path("results/analysis_benchmark"))
    args = parser.parse_args(argv)
    command = "python benchmarks/bench_analysis.py " + " ".join(sys.argv[1:] if argv is None else argv)
    result = run(args.n_neurons, args.n_spikes, args.repeats, args.elephant_subset)
    write_results(result, args.out, command.strip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
