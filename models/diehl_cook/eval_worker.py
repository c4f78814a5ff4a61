"""The second process of a run's evaluation (see :func:`.training.train_and_evaluate`).

``python -m bioneuro.models.diehl_cook.eval_worker SPEC`` runs one evaluation phase (labelling or test) on its
own copy of the compiled program, from the pickled specification ``SPEC`` that the run wrote: parameters,
images, labels, the trained state, seed, checkpoint. It prints ``progress N`` after every chunk of N images and
writes the phase's outcome (a pickled dict of arrays) to the file named in the specification. It is started as
a plain subprocess (not through ``multiprocessing``), so it never imports the script that started the run.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import shutil
import sys
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> int:
    """Run the phase described by the specification file ``argv[0]``; returns the exit status."""
    from .training import CompiledNetwork, run_eval_phase

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m bioneuro.models.diehl_cook.eval_worker SPEC", file=sys.stderr)
        return 2
    with open(args[0], "rb") as handle:
        spec = pickle.load(handle)
    Path(args[0]).unlink()  # its images and state are in memory now; nothing large is left if the run is killed
    params = spec["params"]
    try:
        with CompiledNetwork(params, spec["cache_dir"], device=spec["device"], build_suffix=spec["build_suffix"]) as net:
            outcome = run_eval_phase(
                net, params, spec["name"], spec["images"], spec["labels"], np.arange(len(spec["images"])),
                spec["start_state"], seed=spec["seed"], digest=spec["digest"], checkpoint=spec["checkpoint"],
                on_chunk=lambda k: print(f"progress {k}", flush=True), parent_pid=spec["parent_pid"],
            )
    except SystemExit:
        if os.getppid() != spec["parent_pid"]:  # orphaned (the run was killed): nobody else removes the folder
            shutil.rmtree(Path(args[0]).parent, ignore_errors=True)
        raise
    result = Path(spec["result"])
    partial = result.with_name(result.name + ".partial")
    with open(partial, "wb") as handle:
        pickle.dump(dataclasses.asdict(outcome), handle)
    os.replace(partial, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
