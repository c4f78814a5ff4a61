"""Time one Diehl & Cook training image: the compiled chunked model against a plain Brian2 runtime loop.

Both run in the same invocation, interleaved (compiled chunk, baseline images, compiled chunk, ...), so
that machine load affects both alike; medians are reported. The baseline
(``benchmarks/diehl_cook_runtime_baseline.py``) runs in a subprocess on Brian2's Cython runtime (one
``run()`` per presentation and per rest). Each uses one thread.

Usage::

    python benchmarks/bench_diehl_cook.py --n-neurons 400 --rounds 3 --chunk 100 --baseline-images 2

Writes ``results/diehl_cook/benchmark.json`` and ``benchmark.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "n_cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
    }


def _versions() -> dict:
    import brian2

    return {"brian2": brian2.__version__, "numpy": np.__version__}


def _git() -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns 0."""
    from bioneuro.models.diehl_cook import DiehlCookParameters, load_data
    from bioneuro.models.diehl_cook.network import initial_state
    from bioneuro.models.diehl_cook.training import CompiledNetwork

    from bioneuro.runner import default_cache_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-neurons", type=int, default=400)
    parser.add_argument("--chunk", type=int, default=100, help="images per compiled chunk")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline-images", type=int, default=2, help="timed baseline images per round")
    parser.add_argument("--dataset", choices=("mnist", "embedded"), default="mnist")
    parser.add_argument("--out", default=str(ROOT / "results" / "diehl_cook"))
    args = parser.parse_args(argv)

    params = DiehlCookParameters(n_neurons=args.n_neurons, chunk_images=args.chunk, dataset=args.dataset)
    data = load_data(params)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    compiled_rows, baseline_rows = [], []
    started = time.perf_counter()
    with CompiledNetwork(params, default_cache_dir()) as network:
        build_seconds = network.build_seconds
        state = initial_state(params, np.random.default_rng(0))
        position = 0
        # warm-up chunk (first run of the binary, page cache)
        out = network.run_chunk(state, data.train_images[: args.chunk], 1.0, rng_key=1)
        state, position = out.state, out.n_accepted
        for r in range(args.rounds):
            images = data.train_images[position : position + args.chunk]
            t0 = time.perf_counter()
            cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            out = network.run_chunk(state, images, 1.0, rng_key=100 + r)
            seconds = time.perf_counter() - t0
            cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
            state, position = out.state, position + out.n_accepted
            compiled_rows.append(
                {
                    "round": r,
                    "seconds": seconds,
                    "presentations": out.n_presentations,
                    "images": out.n_accepted,
                    "ms_per_presentation": 1e3 * seconds / out.n_presentations,
                    "cpu_ms_per_presentation": 1e3 * cpu / out.n_presentations,
                    "exc_spikes_per_presentation": float(out.counts.sum() / max(out.n_accepted, 1)),
                }
            )
            row = compiled_rows[-1]
            print(
                f"compiled round {r}: {row['ms_per_presentation']:.2f} ms wall, "
                f"{row['cpu_ms_per_presentation']:.2f} ms CPU",
                file=sys.stderr,
            )
            result = subprocess.run(
                [
                    sys.executable, str(ROOT / "benchmarks" / "diehl_cook_runtime_baseline.py"),
                    "--n-neurons", str(args.n_neurons), "--images", str(args.baseline_images),
                    "--first", str(r * args.baseline_images), "--dataset", args.dataset,
                ],
                capture_output=True, text=True, env=env, check=True,
            )
            rows = json.loads(result.stdout.strip().splitlines()[-1])["presentations"]
            for row in rows:
                baseline_rows.append(
                    {
                        "round": r,
                        **row,
                        "ms_per_presentation": 1e3 * row["seconds"],
                        "cpu_ms_per_presentation": 1e3 * row["cpu_seconds"],
                    }
                )
            print(f"baseline round {r}: {[round(x['seconds'] * 1e3) for x in rows]} ms", file=sys.stderr)
    compiled_median = float(np.median([row["ms_per_presentation"] for row in compiled_rows]))
    baseline_median = float(np.median([row["ms_per_presentation"] for row in baseline_rows]))
    compiled_cpu = float(np.median([row["cpu_ms_per_presentation"] for row in compiled_rows]))
    baseline_cpu = float(np.median([row["cpu_ms_per_presentation"] for row in baseline_rows]))
    report = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "git_revision": _git(),
        "versions": _versions(),
        "machine": _machine(),
        "n_neurons": args.n_neurons,
        "dataset": data.dataset,
        "chunk_images": args.chunk,
        "compiled_build_seconds": build_seconds,
        "compiled": compiled_rows,
        "baseline": baseline_rows,
        "compiled_median_ms_per_image": compiled_median,
        "baseline_median_ms_per_image": baseline_median,
        "compiled_median_cpu_ms_per_image": compiled_cpu,
        "baseline_median_cpu_ms_per_image": baseline_cpu,
        "speedup": baseline_median / compiled_median,
        "speedup_cpu": baseline_cpu / compiled_cpu,
        "wall_seconds": time.perf_counter() - started,
        "note": "ms per presentation of 350 ms + 150 ms rest at dt 0.5 ms, training (plasticity on); compiled "
        "times are whole chunks including process start and state file I/O (CPU: the compiled program's "
        "user+sys time; baseline: its process time per presentation). Wall times depend on machine load "
        "(see load_average_at_start); CPU times much less.",
    }
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "benchmark.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        "# Diehl & Cook training speed: compiled chunks vs Brian2 runtime loop",
        "",
        f"Command: `{report['command']}`  ",
        f"Git revision: `{report['git_revision']}`  ",
        f"Versions: {report['versions']}  ",
        f"Machine: {report['machine']}",
        "",
        f"{args.n_neurons} excitatory neurons, {data.dataset}, one thread each, interleaved rounds.",
        "",
        "| implementation | median wall ms / training image | median CPU ms / image | presentations timed |",
        "|---|---|---|---|",
        f"| compiled C++ standalone, chunks of {args.chunk} | {compiled_median:.1f} | {compiled_cpu:.1f} | "
        f"{sum(r['presentations'] for r in compiled_rows)} |",
        f"| Brian2 runtime (Cython) loop, run() per image | {baseline_median:.1f} | {baseline_cpu:.1f} | "
        f"{len(baseline_rows)} |",
        "",
        f"Speed-up: {report['speedup']:.1f}x wall, {report['speedup_cpu']:.1f}x CPU. Build (code generation + compilation) of the compiled model: "
        f"{build_seconds:.1f} s (once per network structure).",
        "",
        report["note"],
    ]
    (out_dir / "benchmark.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
