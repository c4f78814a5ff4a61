"""Time one Diehl & Cook training image: the compiled model on bioneuro's device, on Brian2's, a hand-written
C++ loop of the same network, and a Brian2 runtime loop.

All run in the same invocation, interleaved (a chunk on each device, the hand-written loop, baseline
images), so that machine load affects them alike; medians are reported. The baseline
(``benchmarks/diehl_cook_runtime_baseline.py``) runs in a subprocess on Brian2's Cython runtime (one
``run()`` per presentation and per rest). Each uses one thread.

Usage::

    python benchmarks/bench_diehl_cook.py --n-neurons 400 --rounds 7 --chunk 1000 --baseline-images 2

(chunks of 1,000 images, as training runs by default; shorter chunks add each process start and state
transfer to fewer images: ~0.2-0.3 ms per image with 200). ``--cpu 0`` pins everything to one core: this
VM's cores switch between a fast and a slow mode independently (``results/diehl_cook/profile.md``), and
programs that share one core share its mode.

Writes ``results/diehl_cook/benchmark.json`` and ``benchmark.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
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


def _compile_handwritten(out_dir: Path) -> Path | None:
    """Compile ``handwritten_dc.cpp`` with the flags Brian2 uses (g++ -O3 -march=native -ffast-math); None
    without a C++ compiler."""
    binary = out_dir / "handwritten_dc"
    command = ["g++", "-O3", "-march=native", "-ffast-math", "-std=c++17", "-o", str(binary),
               str(ROOT / "benchmarks" / "handwritten_dc.cpp")]
    try:
        subprocess.run(command, check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"hand-written reference not built: {error}", file=sys.stderr)
        return None
    return binary


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns 0."""
    from bioneuro.models.diehl_cook import DiehlCookParameters, load_data
    from bioneuro.models.diehl_cook.network import initial_state
    from bioneuro.models.diehl_cook.training import CompiledNetwork, RunawayError

    from bioneuro.runner import default_cache_dir, git_revision

    revision = git_revision() or "unknown"  # at the start: the code that runs (+dirty when modified)

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-neurons", type=int, default=400)
    parser.add_argument("--chunk", type=int, default=100, help="images per compiled chunk")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline-images", type=int, default=2, help="timed baseline images per round")
    parser.add_argument("--dataset", choices=("mnist", "embedded"), default="mnist")
    parser.add_argument("--out", default=str(ROOT / "results" / "diehl_cook"))
    parser.add_argument(
        "--cpu", type=int, default=None,
        help="pin this process and every program it starts to this core (Linux): all variants then share "
             "the core's speed; on a VM whose cores run at different speeds at times, rounds compare better",
    )
    args = parser.parse_args(argv)
    if args.cpu is not None:
        if not hasattr(os, "sched_setaffinity"):
            parser.error("--cpu needs os.sched_setaffinity (Linux)")
        if args.cpu not in os.sched_getaffinity(0):
            parser.error(f"--cpu {args.cpu}: this process may run on cores {sorted(os.sched_getaffinity(0))}")
        os.sched_setaffinity(0, {args.cpu})  # inherited by the compiled programs and the baseline

    params = DiehlCookParameters(n_neurons=args.n_neurons, chunk_images=args.chunk, dataset=args.dataset)
    data = load_data(params)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    # name -> (device, parameters): the default model on both devices, and the released forward Euler
    variants = {
        "bioneuro": ("bioneuro_standalone", params),
        # the same program stepping through every rest step (as the hand-written loop and Brian2's device do)
        "bioneuro_stepped": ("bioneuro_standalone", dataclasses.replace(params, rest_fast_forward=False)),
        "bioneuro_euler": ("bioneuro_standalone", dataclasses.replace(params, membrane_integration="euler")),
        "brian2": ("cpp_standalone", params),
    }
    if params.membrane_integration == "euler":
        del variants["bioneuro_euler"]
    compiled_rows = {name: [] for name in variants}
    build_seconds = {}
    baseline_rows = []
    handwritten_variants = {
        "handwritten": [],  # exponential Euler, stepping through every rest step
        "handwritten_ff": ["--rest-fast-forward"],  # the same, skipping the quiet end of each rest (as ours)
        "handwritten_euler": ["--euler"],
    }
    handwritten_rows: dict[str, list[dict]] = {name: [] for name in handwritten_variants}
    # the loop simulates the model's threshold increase and refractory hold
    same_model = ["--theta-plus", repr(float(params.theta_increment)), *([] if params.clamp_refractory_v else ["--no-hold"])]
    scratch_dir = tempfile.TemporaryDirectory(prefix="bench_dc_")  # removed when main() returns
    scratch = Path(scratch_dir.name)
    handwritten = _compile_handwritten(scratch)
    started = time.perf_counter()

    def run_handwritten(images, r):
        path = scratch / "images.u8"
        np.asarray(images, dtype=np.uint8).tofile(path)
        for name, extra in handwritten_variants.items():
            cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            result = subprocess.run(
                [str(handwritten), str(path), str(len(images)), str(args.n_neurons), str(1 + r), *extra, *same_model],
                capture_output=True, text=True, check=True,
            )
            cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
            out = json.loads(result.stdout.strip().splitlines()[-1])
            row = {
                "round": r, "cpu_seconds": cpu, "loop_cpu_seconds": out["cpu_seconds"],
                "presentations": out["presentations"], "images": out["images"],
                "cpu_ms_per_presentation": 1e3 * cpu / out["presentations"],
                "cpu_ms_per_image": 1e3 * cpu / out["images"],
                "exc_spikes_per_presentation": out["exc_spikes_per_presentation"],
                "rest_steps_skipped_per_presentation": out["skipped_steps_per_presentation"],
            }
            handwritten_rows[name].append(row)
            print(f"{name} round {r}: {row['cpu_ms_per_image']:.2f} ms CPU per image", file=sys.stderr)

    def run_compiled(name, state, images, rng_key, r):
        device, variant_params = variants[name]
        with CompiledNetwork(variant_params, default_cache_dir(), device=device) as network:
            build_seconds.setdefault(name, network.build_seconds)
            network.run_chunk(state, images[:10], 1.0, rng_key=rng_key, params=variant_params)  # warm-up
            t0 = time.perf_counter()
            cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            out = network.run_chunk(state, images, 1.0, rng_key=rng_key, params=variant_params)
            seconds = time.perf_counter() - t0
            cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
        row = {
            "round": r,
            "seconds": seconds,
            "cpu_seconds": cpu,
            "presentations": out.n_presentations,
            "images": out.n_accepted,
            "ms_per_presentation": 1e3 * seconds / out.n_presentations,
            "cpu_ms_per_presentation": 1e3 * cpu / out.n_presentations,
            "ms_per_image": 1e3 * seconds / out.n_accepted,
            "cpu_ms_per_image": 1e3 * cpu / out.n_accepted,
            "exc_spikes_per_image": float(out.counts.sum() / max(out.n_accepted, 1)),
            "rest_steps_skipped_per_presentation": out.skipped_steps / max(out.n_presentations, 1),
        }
        compiled_rows[name].append(row)
        print(
            f"{name} round {r}: {row['ms_per_image']:.2f} ms wall, {row['cpu_ms_per_image']:.2f} ms CPU "
            f"per image ({out.n_presentations} presentations, {out.n_accepted} images)",
            file=sys.stderr,
        )
        return out

    # every round trains each compiled program on the same images from the same state with the same
    # random key; the state then advances with bioneuro's result
    state = initial_state(params, np.random.default_rng(0))
    position = 0
    agree = []
    agree_stepped = []
    ran_away: dict[str, dict] = {}  # variant -> round and image position where it stopped
    for r in range(args.rounds):
        images = data.train_images[position : position + args.chunk]
        ours = run_compiled("bioneuro", state, images, 100 + r, r)
        for name in variants:
            if name != "bioneuro" and name not in ran_away:
                try:
                    other = run_compiled(name, state, images, 100 + r, r)
                except RunawayError as error:
                    # e.g. the released forward Euler under strong inhibition: timed no further
                    ran_away[name] = {"round": r, "first_image": position, "error": str(error)}
                    print(f"{name} round {r}: ran away ({error})", file=sys.stderr)
                    continue
                if name == "brian2":
                    agree.append(bool(np.array_equal(ours.counts, other.counts)))
                if name == "bioneuro_stepped":
                    agree_stepped.append(bool(np.array_equal(ours.counts, other.counts)))
        if handwritten is not None:
            run_handwritten(images[: ours.n_accepted], r)
        state, position = ours.state, position + ours.n_accepted
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

    def median(rows, key):
        return float(np.median([row[key] for row in rows]))

    def fastest(rows):
        return min(row["cpu_ms_per_image"] for row in rows)

    summary = {
        name: {
            key: median(rows, key)
            for key in ("ms_per_image", "cpu_ms_per_image", "ms_per_presentation", "cpu_ms_per_presentation")
        }
        | {"min_cpu_ms_per_image": fastest(rows), "rounds": len(rows)}
        for name, rows in compiled_rows.items()
        if rows
    }
    for name, rows in handwritten_rows.items():
        if rows:
            summary[name] = {
                "cpu_ms_per_image": median(rows, "cpu_ms_per_image"),
                "cpu_ms_per_presentation": median(rows, "cpu_ms_per_presentation"),
                "min_cpu_ms_per_image": fastest(rows),
            }
    # Paired within each round (the machine's speed drifts between rounds more than it does within one):
    # the compiled model's CPU time per image over the hand-written loop's, per round, then the median.
    paired = {}
    # like with like: the default model against the loop that also skips the quiet rest, the program
    # stepping through the rest against the loop that does too
    for ours_name, loop_name in (("bioneuro", "handwritten_ff"), ("bioneuro_stepped", "handwritten"),
                                 ("bioneuro_euler", "handwritten_euler")):
        loop_by_round = {row["round"]: row["cpu_ms_per_image"] for row in handwritten_rows[loop_name]}
        ratios = [row["cpu_ms_per_image"] / loop_by_round[row["round"]]
                  for row in compiled_rows.get(ours_name, []) if row["round"] in loop_by_round]
        if ratios:
            paired[ours_name] = {"loop": loop_name, "ratios": ratios, "median": float(np.median(ratios))}
    # the baseline's per-presentation times (its images are accepted without retries far less often than
    # they are repeated, so per image it is at least this slow)
    summary["baseline"] = {
        "ms_per_presentation": median(baseline_rows, "ms_per_presentation"),
        "cpu_ms_per_presentation": median(baseline_rows, "cpu_ms_per_presentation"),
    }
    report = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "git_revision": revision,
        "versions": _versions(),
        "machine": _machine(),
        "pinned_cpu": args.cpu,
        "n_neurons": args.n_neurons,
        "membrane_integration": {name: p.membrane_integration for name, (_, p) in variants.items()},
        # the default model's threshold increase and refractory hold (the hand-written loop uses the same)
        "theta_plus_mV": float(params.theta_increment) * 1e3,
        "clamp_refractory_v": params.clamp_refractory_v,
        "dataset": data.dataset,
        "chunk_images": args.chunk,
        "build_seconds": build_seconds,
        "compiled": compiled_rows,
        "baseline": baseline_rows,
        "handwritten": handwritten_rows,
        "summary": summary,
        "identical_spike_counts_bioneuro_vs_brian2_device": agree,
        "identical_spike_counts_rest_fast_forward_vs_stepped": agree_stepped,
        "ran_away": ran_away,
        "ratio_to_handwritten_same_round": paired,
        "speedup_vs_baseline_cpu_per_presentation": summary["baseline"]["cpu_ms_per_presentation"]
        / summary["bioneuro"]["cpu_ms_per_presentation"],
        "speedup_vs_brian2_device_cpu_per_image": summary["brian2"]["cpu_ms_per_image"]
        / summary["bioneuro"]["cpu_ms_per_image"],
        "wall_seconds": time.perf_counter() - started,
        "note": "Training (plasticity on), 350 ms presentation + 150 ms rest at dt 0.5 ms. An image is "
        "shown again with a higher intensity while it evokes fewer than 5 spikes, so an image costs "
        "1-1.1 presentations. Compiled times are whole chunks including process start and state file "
        "I/O; CPU = the compiled program's user+sys time. Baseline: its process time per presentation. "
        "The hand-written loop trains each round's images from a fresh random state (its own weights, delays "
        "and input draws: the same statistics, not the same spikes); its CPU time is the whole process's. "
        "Wall times depend on machine load (load_average_at_start); CPU times much less.",
    }
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "benchmark.json").write_text(json.dumps(report, indent=2) + "\n")
    base = summary["baseline"]
    lines = [
        "# Diehl & Cook training speed: bioneuro device vs Brian2's device vs a hand-written loop vs Brian2 runtime loop",
        "",
        f"Command: `{report['command']}`  ",
        f"Git revision: `{report['git_revision']}`  ",
        f"Versions: {report['versions']}  ",
        f"Machine: {report['machine']}" + (f", all timed programs pinned to core {args.cpu}" if args.cpu is not None else ""),
        "",
        f"{args.n_neurons} excitatory neurons, {data.dataset}, one thread each, {args.rounds} interleaved "
        f"rounds (medians); theta_plus {report['theta_plus_mV'] * 1e3:g} uV, excitatory v "
        f"{'held' if report['clamp_refractory_v'] else 'not held'} while refractory (model and hand-written loop).",
        "",
        "| implementation | wall ms / image | CPU ms / image (median) | CPU ms / image (fastest round) | "
        "wall ms / presentation | CPU ms / presentation |",
        "|---|---|---|---|---|---|",
        *[
            f"| {label} | {summary[name]['ms_per_image']:.2f} | {summary[name]['cpu_ms_per_image']:.2f} | "
            f"{summary[name]['min_cpu_ms_per_image']:.2f} | {summary[name]['ms_per_presentation']:.2f} | "
            f"{summary[name]['cpu_ms_per_presentation']:.2f} |"
            for name, label in (
                ("bioneuro", f"this model (defaults: exponential Euler for v, rest fast-forward) on "
                             f"`bioneuro_standalone`, chunks of {args.chunk}"),
                ("bioneuro_stepped", "the same program stepping through every rest step "
                                     "(`rest_fast_forward=false`)"),
                ("bioneuro_euler", "the same with the released forward Euler (`membrane_integration=euler`)"),
                ("brian2", "the default model on Brian2's `cpp_standalone`"),
            )
            if name in summary
        ],
        *[
            f"| {label} | - | {summary[name]['cpu_ms_per_image']:.2f} | {summary[name]['min_cpu_ms_per_image']:.2f} | "
            f"- | {summary[name]['cpu_ms_per_presentation']:.2f} |"
            for name, label in (
                ("handwritten", "hand-written C++ loop of the same network (`benchmarks/handwritten_dc.cpp`), "
                                "exponential Euler, stepping through every rest step"),
                ("handwritten_ff", "the same hand-written loop skipping the quiet end of each rest "
                                   "(`--rest-fast-forward`)"),
                ("handwritten_euler", "the same hand-written loop, forward Euler"),
            )
            if name in summary
        ],
        f"| Brian2 runtime (Cython) loop, run() per presentation | - | - | - | {base['ms_per_presentation']:.1f} | "
        f"{base['cpu_ms_per_presentation']:.1f} |",
        "",
        f"Speed-up, CPU per presentation, over the runtime loop: "
        f"{report['speedup_vs_baseline_cpu_per_presentation']:.0f}x; over Brian2's device, CPU per image: "
        f"{report['speedup_vs_brian2_device_cpu_per_image']:.2f}x. Rounds with identical per-image spike "
        f"counts on both devices: {sum(agree)} of {len(agree)} (the generated arithmetic is the same except "
        f"exp, vectorised on bioneuro's device, and the rest fast-forward, which Brian2's device does not "
        f"have: last-bit differences can change a spike); with and without the rest fast-forward: "
        f"{sum(agree_stepped)} of {len(agree_stepped)}. Rest steps skipped per presentation: "
        f"{np.median([row['rest_steps_skipped_per_presentation'] for row in compiled_rows['bioneuro']]):.0f} "
        f"of {int(round(float(params.rest_time / params.dt)))} (hand-written loop: "
        f"{np.median([row['rest_steps_skipped_per_presentation'] for row in handwritten_rows['handwritten_ff']] or [np.nan]):.0f}). Builds (code "
        f"generation + compilation, once per structure): "
        f"{ {k: round(v, 1) for k, v in build_seconds.items()} } s.",
        *[
            f"\nCPU per image of {name} relative to {info['loop']} in the same round: median "
            f"{info['median']:.2f}, rounds {', '.join(f'{x:.2f}' for x in info['ratios'])}."
            for name, info in paired.items()
        ],
        *[
            f"\n**{name} ran away** in round {info['round']} (chunk from training image {info['first_image']}, "
            f"the state the default model reached): its row is the median of the {info['round']} rounds before."
            for name, info in ran_away.items()
        ],
        "",
        report["note"],
    ]
    (out_dir / "benchmark.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
