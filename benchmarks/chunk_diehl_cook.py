"""Run and time single compiled chunks of Diehl & Cook training (400 neurons), e.g. under a profiler.

Trains one chunk of 200 images from the initial state, then runs the next 200 training images ``--repeats``
times from the same state and prints the compiled program's CPU time per presentation and per image for
each. Used for the perf sample shares in ``results/diehl_cook/profile.md``::

    BIONEURO_DATA=... perf record -F 4000 -o perf.data -- python benchmarks/chunk_diehl_cook.py --repeats 3
    perf report -i perf.data --comm main --sort symbol --percentage relative

``--compare-rest-fast-forward`` alternates the same program with and without the rest fast-forward::

    taskset -c 0 python benchmarks/chunk_diehl_cook.py --repeats 4 --compare-rest-fast-forward

Two builds can be compared in concurrent or interleaved runs with separate ``BIONEURO_CACHE`` folders, e.g.
the calendar threshold of the inputs against the threshold that tests every input in every step::

    python benchmarks/chunk_diehl_cook.py --repeats 8 &
    BIONEURO_CACHE=/tmp/plain python benchmarks/chunk_diehl_cook.py --repeats 8 --no-calendar
"""
from __future__ import annotations

import argparse
import dataclasses
import os

import numpy as np


def main(argv: list[str] | None = None) -> int:
    """Run the chunks; returns 0."""
    from bioneuro.models.diehl_cook import DiehlCookParameters, load_data
    from bioneuro.models.diehl_cook.network import initial_state
    from bioneuro.models.diehl_cook.training import CompiledNetwork

    from bioneuro.runner import default_cache_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-neurons", type=int, default=400)
    parser.add_argument("--integration", default="exponential_euler", choices=("exponential_euler", "euler"),
                        help="the model's membrane_integration")
    parser.add_argument("--compare-rest-fast-forward", action="store_true",
                        help="run each repeat twice, with and without the rest fast-forward (same program, "
                             "interleaved; pin with taskset so that both share a core's speed)")
    parser.add_argument("--no-calendar", action="store_true",
                        help="inputs keep the threshold that tests every neuron in every step (for A/B runs; "
                             "use a separate BIONEURO_CACHE)")
    args = parser.parse_args(argv)
    if args.no_calendar:
        from bioneuro import devices

        devices.use_calendar_threshold = lambda group: False
    params = DiehlCookParameters(n_neurons=args.n_neurons, chunk_images=200,
                                 membrane_integration=args.integration)
    data = load_data(params)
    state = initial_state(params, np.random.default_rng(0))
    with CompiledNetwork(params, default_cache_dir()) as network:
        state = network.run_chunk(state, data.train_images[:200], 1.0, rng_key=3).state
        settings = (True, False) if args.compare_rest_fast_forward else (params.rest_fast_forward,)
        per_presentation = {setting: [] for setting in settings}
        counts = {}
        for _ in range(args.repeats):
            for setting in settings:
                run_params = dataclasses.replace(params, rest_fast_forward=setting)
                before = os.times()
                out = network.run_chunk(state, data.train_images[200:400], 1.0, rng_key=7, params=run_params)
                after = os.times()
                cpu = (after.children_user + after.children_system) - (before.children_user + before.children_system)
                per_presentation[setting].append(1e3 * cpu / out.n_presentations)
                counts[setting] = out.counts
                print(f"rest_fast_forward={setting}: CPU ms per presentation {1e3 * cpu / out.n_presentations:.3f}, "
                      f"per image {1e3 * cpu / out.n_accepted:.3f} ({out.n_presentations} presentations, "
                      f"{out.n_accepted} images, {out.skipped_steps} rest steps skipped)", flush=True)
    for setting, values in per_presentation.items():
        print(f"rest_fast_forward={setting}: median CPU ms per presentation over {args.repeats} runs: "
              f"{np.median(values):.3f}")
    if len(counts) == 2:
        print(f"identical spike counts with and without: {bool(np.array_equal(counts[True], counts[False]))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
