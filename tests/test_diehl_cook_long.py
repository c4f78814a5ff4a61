"""Long Diehl & Cook validations: kill -9 and resume through the CLI; accuracy on full MNIST.

Run with ``pytest -m long tests/test_diehl_cook_long.py`` (the accuracy runs need the MNIST files, found
through $BIONEURO_DATA, and take about an hour for 100 neurons on one core).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

pytestmark = [pytest.mark.long, pytest.mark.standalone]

CLI = [str(Path(sys.executable).parent / "bioneuro")]
SMALL = [
    "--set", "n_neurons=25", "--set", "chunk_images=50", "--set", "n_train=300", "--set", "n_label=50",
    "--set", "n_test=50", "--set", "dataset=embedded", "--seed", "5", "--no-figures", "--no-progress",
]


def _weights(out_root: Path) -> np.ndarray:
    (run_h5,) = out_root.glob("model/diehl-cook/*/run.h5")
    with h5py.File(run_h5) as handle:
        return handle["weights/input_exc/weights"][:]


def test_kill_9_then_resume_gives_identical_weights(tmp_path):
    subprocess.run([*CLI, "run", "diehl-cook", *SMALL, "--out", str(tmp_path / "a")], check=True)
    process = subprocess.Popen([*CLI, "run", "diehl-cook", *SMALL, "--out", str(tmp_path / "b")])
    deadline = time.time() + 600
    while time.time() < deadline:
        checkpoints = list((tmp_path / "b").glob("model/diehl-cook/.*partial/checkpoints/*.npz"))
        if checkpoints:
            break
        time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("no checkpoint appeared")
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    (partial,) = (tmp_path / "b").glob("model/diehl-cook/.*partial")
    subprocess.run(
        [*CLI, "run", "diehl-cook", *SMALL, "--out", str(tmp_path / "b"), "--resume", str(partial)], check=True
    )
    assert np.array_equal(_weights(tmp_path / "b"), _weights(tmp_path / "a"))


def _responses(out_root: Path) -> dict:
    (run_h5,) = out_root.glob("model/diehl-cook/*/run.h5")
    with h5py.File(run_h5) as handle:
        return {name: handle[f"arrays/{name}"][:] for name in ("label_spike_counts", "test_spike_counts")}


def test_kill_9_during_evaluation_then_resume_gives_identical_responses(tmp_path):
    """Killed while labelling (the test phase running in a second process), then resumed: the labelling
    continues from its checkpoint, the second process (orphaned, it stops at its next chunk) is started
    again, and the responses equal an uninterrupted run's."""
    args = [*SMALL, "--set", "n_label=1500", "--set", "n_test=1000", "--set", "eval_workers=2"]
    subprocess.run([*CLI, "run", "diehl-cook", *args, "--out", str(tmp_path / "a")], check=True)
    process = subprocess.Popen([*CLI, "run", "diehl-cook", *args, "--out", str(tmp_path / "b")])
    deadline = time.time() + 600
    pattern = "model/diehl-cook/.*partial/checkpoints/diehl_cook_checkpoint_label.npz"
    while time.time() < deadline and not list((tmp_path / "b").glob(pattern)):
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    (partial,) = (tmp_path / "b").glob("model/diehl-cook/.*partial")
    assert (partial / "checkpoints" / "diehl_cook_checkpoint_label.npz").is_file()
    subprocess.run(
        [*CLI, "run", "diehl-cook", *args, "--out", str(tmp_path / "b"), "--resume", str(partial)], check=True
    )
    straight, resumed = _responses(tmp_path / "a"), _responses(tmp_path / "b")
    for name, value in straight.items():
        assert np.array_equal(resumed[name], value), name
    assert np.array_equal(_weights(tmp_path / "b"), _weights(tmp_path / "a"))


# 100 neurons reach the paper's value with theta_plus scaled to the size (model docstring, deviation 10);
# with the released 0.05 mV one epoch gives 73-76 % (results/diehl_cook/README.md).
@pytest.mark.parametrize("n_neurons, published, extra",
                         [(100, 0.829, ["--set", "theta_plus=scaled"]), (400, 0.870, [])])
def test_accuracy_after_one_epoch_of_mnist(tmp_path, n_neurons, published, extra):
    """Diehl & Cook (2015), Table 1: 82.9 % (100 neurons), 87.0 % (400), with the released parameters
    (100 neurons: theta_plus scaled). Tolerance: 2 percentage points below the published value, for the spread
    between seeds (one seed here; 5 seeds of 100 neurons gave 82.40-84.90 %; the paper used 40,000 examples for
    100 and 3 epochs for 400)."""
    if not os.environ.get("BIONEURO_DATA"):
        pytest.skip("set BIONEURO_DATA to the folder holding mnist/")
    subprocess.run(
        [*CLI, "run", "diehl-cook", "--set", f"n_neurons={n_neurons}", "--set", "n_train=60000", *extra,
         "--seed", "1", "--no-figures", "--out", str(tmp_path)],
        check=True,
    )
    (run_h5,) = tmp_path.glob("model/diehl-cook/*/run.h5")
    with h5py.File(run_h5) as handle:
        accuracy = float(handle["metrics"].attrs["test_accuracy"])
    assert accuracy >= published - 0.02
