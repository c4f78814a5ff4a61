"""Run ``bioneuro run diehl-cook`` over one parameter's values and several seeds, then tabulate and plot.

Each run is an ordinary run folder (``<out>/<param>=<value>_seed<s>/model/diehl-cook/<run>/``), made by the
CLI in a subprocess pinned to one core (``--jobs`` runs at a time, each with ``eval_workers=1``). A finished
run is not run again and an interrupted one is resumed from its last checkpoint, so an interrupted sweep
continues where it stopped. The summary adds, from each
``run.h5``, what the model's learning depends on (see the model's docstring and
``results/diehl_cook/README.md``):

* presentations per training image (the retry rule shows an image again while it evokes < 5 spikes);
* the final adaptive thresholds (mean theta, mV);
* over the last 10,000 training images: excitatory spikes per image and the share of single-spike responses
  (a neuron firing exactly once for an image; the released triplet rule potentiates on a postsynaptic spike
  in proportion to ``post2`` from that neuron's previous spike, tau 40 ms, so a neuron that answers an image
  with a single spike is only depressed);
* how diffuse the learned weights are: each neuron's participation ratio ``(sum w)^2 / sum w^2`` over its 784
  input weights (~ the number of pixels it uses: a crisp digit prototype uses ~90-330, uniform weights 784).

Usage (the 100-neuron theta_plus sweep of ``results/diehl_cook/theta_plus_sweep_n100.md``)::

    BIONEURO_DATA=/work/shared/data python benchmarks/sweep_diehl_cook.py \\
        --vary "theta_plus=50 uV,35.4 uV,25 uV,17.7 uV,12.5 uV,8.84 uV,6.25 uV" \\
        --set n_neurons=100 --set clamp_refractory_v=false --seeds 1 2 --jobs 2 \\
        --out /tmp/sweep_thp --report results/diehl_cook/theta_plus_sweep_n100 --reference 82.9

and the 400-neuron one (``theta_plus_sweep_n400.md``)::

    BIONEURO_DATA=/work/shared/data python benchmarks/sweep_diehl_cook.py \\
        --vary "theta_plus=200 uV,100 uV,70.7 uV,50 uV,25 uV,12.5 uV" --set n_neurons=400 \\
        --set clamp_refractory_v=false --seeds 1 --jobs 2 --out /tmp/sweep_thp400 \\
        --report results/diehl_cook/theta_plus_sweep_n400 --reference 87.0

``--summarise-only`` tabulates the runs already in ``--out`` without starting any.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
#: training images at the end of the epoch over which spikes per image are summarised
LAST_IMAGES = 10000
#: participation ratio above which a neuron's weights count as diffuse: crisp digit prototypes score ~90-330,
#: the initial weights 0.3*(U[0,1)+0.01) ~590 (results/diehl_cook/README.md, "theta_plus sweeps")
DIFFUSE_RATIO = 400


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.=_-]+", "", text.replace(" ", ""))


def finished_run(folder: Path) -> Path | None:
    """The completed run folder under ``folder`` (the CLI's ``model/diehl-cook/<run>``), or None."""
    runs = sorted(p.parent for p in folder.glob("model/diehl-cook/*/run.h5") if not p.parent.name.endswith(".partial"))
    return runs[-1] if runs else None


def run_one(folder: Path, sets: list[str], seed: int, cpu: int | None, log: Path) -> Path:
    """Run the model once into ``folder``; returns its run folder.

    Skipped when a finished run is there; an interrupted one (a working folder with checkpoints, left by a
    killed run) is continued with ``--resume``.
    """
    done = finished_run(folder)
    if done is not None:
        return done
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "bioneuro.cli", "run", "diehl-cook", "--seed", str(seed), "--out", str(folder),
               "--no-progress", "--set", "eval_workers=1"]
    for assignment in sets:
        command += ["--set", assignment]
    interrupted = sorted(folder.glob("model/diehl-cook/.*.partial/checkpoints"))
    if interrupted:  # an interrupted run of this job: continue from its last checkpoint
        command += ["--resume", str(interrupted[-1].parent)]
    pin = None
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        def pin():  # in the child, before the CLI starts: the run and its compiled programs stay on this core
            os.sched_setaffinity(0, {cpu})
    with open(log, "w") as stream:
        status = subprocess.run(command, stdout=stream, stderr=subprocess.STDOUT, cwd=ROOT,
                                preexec_fn=pin).returncode
    done = finished_run(folder)
    if status != 0 or done is None:
        raise RuntimeError(f"run failed (status {status}); see {log}")
    return done


def participation_ratio(weights: np.ndarray) -> np.ndarray:
    """Per neuron (columns), ``(sum w)^2 / sum w^2``: 784 for equal weights, k for k equal nonzero weights."""
    w = np.asarray(weights, dtype=float)
    return w.sum(axis=0) ** 2 / np.maximum((w**2).sum(axis=0), 1e-300)


def summarise_run(run_dir: Path) -> dict:
    """Accuracy and learning diagnostics of one finished run folder."""
    from bioneuro.models.diehl_cook.evaluation import dense_counts
    from bioneuro.models.diehl_cook.network import N_INPUT

    from bioneuro.io.record import read_run_h5

    record = read_run_h5(run_dir / "run.h5")
    metrics = dict(record.metrics)
    arrays = record.arrays
    n = int(arrays["theta"].shape[0])
    theta_mv = np.asarray(arrays["theta"], dtype=float) * 1e3
    # only the last images are densified (images x neurons would be 3 GB for 60,000 images and 6,400 neurons)
    nonzero = np.asarray(arrays["train_spike_counts_nonzero"], dtype=np.int64)
    first = int(nonzero[:-LAST_IMAGES].sum())  # sparse entries of the earlier images
    last = dense_counts(nonzero[-LAST_IMAGES:], np.asarray(arrays["train_spike_counts_neuron"])[first:],
                        np.asarray(arrays["train_spike_counts_count"])[first:], n)
    responses = last[last > 0]
    synapses = record.weights["input_exc"]
    w = np.zeros((N_INPUT, n))
    w[np.asarray(synapses.pre), np.asarray(synapses.post)] = np.asarray(synapses.weights, dtype=float)
    pr = participation_ratio(w)
    n_images = int(metrics["n_train_images"])
    return {
        "run": str(run_dir),
        "test_accuracy": float(metrics["test_accuracy"]),
        "presentations_per_image": float(metrics["presentations_train"]) / n_images,
        "n_forced_accepts": int(metrics.get("n_forced_accepts", 0)),
        "n_unassigned_neurons": int(metrics.get("n_unassigned_neurons", 0)),
        "theta_mean_mV": float(theta_mv.mean()),
        "theta_median_mV": float(np.median(theta_mv)),
        "spikes_per_image_last": float(last.sum(axis=1).mean()),
        "share_single_spike_responses_last": float(np.mean(responses == 1)) if responses.size else float("nan"),
        "participation_ratio_median": float(np.median(pr)),
        "neurons_diffuse": int(np.sum(pr > DIFFUSE_RATIO)),
        "time_train_s": float(metrics.get("time_train_s", float("nan"))),
        "git_revision_of_run": record.provenance.get("git_revision"),
    }


def _short_revision(revision: str | None) -> str:
    """``abc1234`` or ``abc1234+dirty`` (a run made from a modified tree must say so)."""
    if not revision:
        return "unknown"
    commit, _, rest = str(revision).partition("+")
    return commit[:7] + (f"+{rest}" if rest else "")


def _x_positions(values: list[str]) -> tuple[dict[str, float], list[tuple[float, str]], str, bool]:
    """Plot positions of the swept values: numbers (with one shared unit) on a log2 axis when all are positive,
    else on a linear one; anything else (``euler``, ``true``) as categories in the order given."""
    parsed = [re.fullmatch(r"\s*([-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s*(.*?)\s*", str(v)) for v in values]
    units = {m.group(2) for m in parsed if m}
    if all(parsed) and len(units) == 1:
        numbers = {v: float(m.group(1)) for v, m in zip(values, parsed, strict=True)}
        ticks = sorted({(x, f"{x:g}") for x in numbers.values()})
        return numbers, ticks, units.pop(), min(numbers.values()) > 0
    positions = {v: float(k) for k, v in enumerate(values)}
    return positions, [(float(k), str(v)) for k, v in enumerate(values)], "", False


def write_report(report: Path, vary: str, values: list[str], seeds: list[int], rows: list[dict], command: str,
                 sets: list[str], reference: float | None = None) -> None:
    import matplotlib

    from bioneuro.runner import git_revision

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    report.parent.mkdir(parents=True, exist_ok=True)
    payload = {"command": command, "git_revision": git_revision() or "unknown", "vary": vary, "values": values, "seeds": seeds,
               "fixed": sets, "machine": {"platform": platform.platform(), "n_cpus": os.cpu_count()},
               "runs": rows}
    report.with_suffix(".json").write_text(json.dumps(payload, indent=1))
    made = ", ".join(sorted({f"`{_short_revision(row.get('git_revision_of_run'))}`" for row in rows}))
    lines = [f"# Diehl & Cook: accuracy and learning as a function of `{vary}`", "",
             f"Command: `{command}`  ",
             f"Git revision: `{payload['git_revision']}` (tabulation); the runs were made at {made}  ",
             f"Fixed settings: {', '.join(f'`{s}`' for s in sets) or 'none'}; every run also "
             f"`eval_workers=1`, one core; everything else at its default (`bioneuro params diehl-cook`).", "",
             f"| {vary} | seed | test accuracy | presentations / image | mean θ (mV) | spikes / image (last 10k) "
             f"| single-spike responses (last 10k) | median participation ratio | diffuse neurons (PR > {DIFFUSE_RATIO}) "
             f"| unlabelled | training (s) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['value']} | {row['seed']} | {100 * row['test_accuracy']:.2f} % | {row['presentations_per_image']:.2f} "
            f"| {row['theta_mean_mV']:.1f} | {row['spikes_per_image_last']:.1f} "
            f"| {100 * row['share_single_spike_responses_last']:.0f} % | {row['participation_ratio_median']:.0f} "
            f"| {row['neurons_diffuse']} | {row['n_unassigned_neurons']} | {row['time_train_s']:.0f} |")
    lines += ["", "Participation ratio of a neuron's input weights: (Σw)²/Σw², about the number of pixels it "
              "uses (784 for uniform weights; ~590 for the initial weights 0.3·(U[0,1)+0.01)). Spikes and "
              f"single-spike responses (a neuron firing exactly once for an image, among the neurons that fired) "
              f"are over the accepted presentations of the last {LAST_IMAGES:,} training images.", ""]
    report.with_suffix(".md").write_text("\n".join(lines))

    figure, axes = plt.subplots(1, 4, figsize=(16, 3.8))
    x_of, ticks, unit, log_scale = _x_positions(values)
    for seed in seeds:
        mine = sorted((r for r in rows if r["seed"] == seed), key=lambda r: x_of[r["value"]])
        xs = [x_of[r["value"]] for r in mine]
        for ax, key, scale in ((axes[0], "test_accuracy", 100), (axes[1], "spikes_per_image_last", 1),
                               (axes[2], "presentations_per_image", 1), (axes[3], "neurons_diffuse", 1)):
            ax.plot(xs, [r[key] * scale for r in mine], "o-", label=f"seed {seed}")
    if reference is not None:
        axes[0].axhline(reference, color="k", ls="--", lw=1, label=f"reference {reference:g} %")
    axes[0].set_ylabel("test accuracy (%)")
    axes[1].set_ylabel(f"excitatory spikes per image (last {LAST_IMAGES // 1000}k)")
    axes[2].set_ylabel("presentations per training image")
    axes[3].set_ylabel(f"diffuse neurons (participation ratio > {DIFFUSE_RATIO})")
    for ax in axes:
        if log_scale:
            ax.set_xscale("log", base=2)
        ax.set_xlabel(f"{vary} ({unit})" if unit else vary)
        ax.set_xticks([x for x, _ in ticks])
        ax.set_xticklabels([label for _, label in ticks], rotation=45)
        ax.grid(alpha=0.3)
    axes[0].legend()
    figure.suptitle(f"Diehl & Cook: {', '.join(sets)}", fontsize=9)
    figure.tight_layout()
    figure.savefig(report.with_suffix(".png"), dpi=110)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--vary", required=True, metavar="NAME=V1,V2,...",
                        help="the parameter to sweep and its values (as --set takes them, comma-separated)")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE",
                        help="a fixed setting for every run (repeatable)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time, each pinned to its own core")
    parser.add_argument("--cpus", type=int, nargs="+", default=None,
                        help="the cores to pin the runs to (default: the first --jobs cores)")
    parser.add_argument("--out", type=Path, required=True, help="root folder of the sweep's run folders")
    parser.add_argument("--report", type=Path, default=None,
                        help="path stem of the summary (.md, .json, .png); default <out>/sweep")
    parser.add_argument("--summarise-only", action="store_true", help="start no run; tabulate the finished ones")
    parser.add_argument("--reference", type=float, default=None, metavar="PERCENT",
                        help="draw this accuracy as a dashed line (e.g. the paper's figure)")
    args = parser.parse_args(argv)
    name, _, listed = args.vary.partition("=")
    values = [v.strip() for v in listed.split(",") if v.strip()]
    if not name or not values:
        parser.error("--vary needs NAME=V1,V2,...")
    for fixed in args.sets:
        if fixed.partition("=")[0].strip() == name:
            parser.error(f"{name} is both varied and fixed")
    jobs = [(value, seed) for seed in args.seeds for value in values]
    folders = {job: args.out / f"{_slug(name)}={_slug(job[0])}_seed{job[1]}" for job in jobs}
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[tuple[str, int], Path] = {}
    if args.summarise_only:
        results = {job: run for job in jobs if (run := finished_run(folders[job])) is not None}
    else:
        n_jobs = max(1, args.jobs)
        cpus = args.cpus if args.cpus else list(range(os.cpu_count() or 1))
        start = time.time()
        with concurrent.futures.ThreadPoolExecutor(n_jobs) as pool:
            free = list(cpus[:n_jobs]) if n_jobs <= len(cpus) else [None] * n_jobs

            def task(job):
                cpu = free.pop(0)
                try:
                    folder = folders[job]
                    return run_one(folder, [*args.sets, f"{name}={job[0]}"], job[1], cpu,
                                   args.out / f"{folder.name}.log")
                finally:
                    free.append(cpu)

            futures = {pool.submit(task, job): job for job in jobs}
            for future in concurrent.futures.as_completed(futures):
                job = futures[future]
                try:
                    results[job] = future.result()
                    print(f"[{time.time() - start:7.0f} s] {name}={job[0]} seed {job[1]}: done", flush=True)
                except RuntimeError as error:
                    print(f"{name}={job[0]} seed {job[1]}: {error}", file=sys.stderr, flush=True)
    rows = []
    for job in jobs:
        if job in results:
            rows.append({"value": job[0], "seed": job[1], **summarise_run(results[job])})
    if not rows:
        print("no finished runs to summarise", file=sys.stderr)
        return 1
    # the command that makes the runs (a finished run is not made again, so it also just tabulates them)
    command = "python benchmarks/sweep_diehl_cook.py " + " ".join(
        f"'{a}'" if " " in a else a for a in (sys.argv[1:] if argv is None else argv) if a != "--summarise-only")
    report = args.report or args.out / "sweep"
    write_report(report, name, values, args.seeds, rows, command, args.sets, args.reference)
    print(report.with_suffix(".md").read_text())
    return 0 if len(rows) == len(jobs) else 1


if __name__ == "__main__":
    sys.exit(main())
