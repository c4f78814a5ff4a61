"""Diehl & Cook (2015) compiled model: learning, retry rule, normalisation, exact resumption.

One C++ standalone build (25 neurons, chunks of 50 images) is shared by the whole module; it is cached
under the bioneuro cache folder, so later runs only regenerate code.
"""

import dataclasses

import numpy as np
import pytest
from bioneuro.models.diehl_cook import DiehlCookParameters, evaluation, load_data
from bioneuro.models.diehl_cook.network import initial_state
from bioneuro.models.diehl_cook.training import CHECKPOINT_NAME, CompiledNetwork, train_and_evaluate

from bioneuro.runner import default_cache_dir

pytestmark = pytest.mark.standalone

SMALL = DiehlCookParameters(
    n_neurons=25, chunk_images=50, n_train=400, n_label=400, n_test=300, dataset="embedded", eval_workers=1
)


@pytest.fixture(scope="module")
def compiled():
    with CompiledNetwork(SMALL, default_cache_dir()) as network:
        yield network


@pytest.fixture(scope="module")
def data():
    return load_data(SMALL)


def test_small_network_learns_well_above_chance(compiled, data):
    result = train_and_evaluate(
        SMALL, data, seed=3, cache_dir=default_cache_dir(), checkpoint_dir=None, progress=False,
        compiled=compiled,
    )
    accuracy = float(np.mean(result.test_predictions == result.test_labels))
    # Chance is 10 %; with 300 test images its binomial sd is 1.7 %, so 25 % is > 8 sd above chance.
    # (25 neurons after 400 images reached 46 % in development runs.)
    assert accuracy > 0.25, accuracy
    assert len(result.test_labels) == 300 and result.label_counts.shape == (400, 25)
    assert np.all(result.weights >= 0) and np.all(result.weights <= 1)
    # every training image's counts are kept (sparse); an image is accepted with >= min_spikes spikes
    # unless the retry cap forced it, so at most n_forced training images fall short
    counts = evaluation.dense_counts(result.train_nonzero, result.train_neuron, result.train_count, 25)
    assert counts.shape == (400, 25)
    assert np.sum(counts.sum(axis=1) < SMALL.min_spikes) <= result.n_forced
    assert counts.sum() > 400 * SMALL.min_spikes * 0.9


def test_retry_rule_on_silent_input_is_bounded_and_normalises_to_78(compiled):
    state = initial_state(SMALL, np.random.default_rng(0))
    before = state["syn.w"].reshape(784, 25).sum(axis=0)
    assert not np.allclose(before, 78.0)
    blank = np.zeros((5, 784), dtype=np.uint8)
    out = compiled.run_chunk(state, blank, plastic=1.0, rng_key=11, max_retries=3)
    # each silent image is shown 1 + 3 times, then accepted anyway (forced)
    assert out.n_accepted == 5 and out.n_presentations == 20
    assert int(out.state["ctrl.n_forced"][0]) == 5
    assert out.slot_images[:8].tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    # intensity rose 2 -> 5 during the repeats and is back at its start value after acceptance
    assert float(out.state["ctrl.intensity"][0]) == pytest.approx(SMALL.intensity)
    # no spikes, no STDP: the weights are exactly the normalised ones
    np.testing.assert_allclose(out.state["syn.w"].reshape(784, 25).sum(axis=0), 78.0, rtol=1e-12)


def test_threshold_grows_by_theta_plus_at_each_spike(compiled, data):
    """The compiled model adds ``theta_plus`` (the released 0.05 mV) at every excitatory spike, retried
    presentations included, and lets theta decay with tau_theta. Oracle: the closed form
    theta_end = theta_0 f^S + theta_plus * sum_k f^(S - s_k), f = exp(-dt/tau_theta), over the chunk's S steps
    and the recorded spike steps s_k. Tolerance 1e-9 V: an off-by-one step in every s_k would change each term
    by theta_plus * dt/tau_theta = 2.5e-12 V (< 250 spikes per neuron here: the early winner fires ~200);
    theta_plus 1 % off would miss by 1e-4 V on that neuron."""
    state = initial_state(SMALL, np.random.default_rng(4))
    out = compiled.run_chunk(state, data.train_images[:20], plastic=1.0, rng_key=21)
    n_steps = len(out.slot_images) * SMALL.slot_steps
    f = np.exp(-float(SMALL.dt / SMALL.tau_theta))
    increments = np.zeros(SMALL.n_neurons)
    np.add.at(increments, out.spike_neurons, f ** (n_steps - out.spike_steps.astype(float)))
    expected = state["exc.theta"] * f**n_steps + float(SMALL.theta_increment) * increments
    assert len(out.spike_neurons) > 100 and out.n_presentations >= 20
    assert 100 < np.bincount(out.spike_neurons, minlength=SMALL.n_neurons).max() < 250
    np.testing.assert_allclose(out.state["exc.theta"], expected, rtol=0, atol=1e-9)


def test_retry_rule_repeats_weak_images_with_higher_intensity(compiled, data):
    state = initial_state(SMALL, np.random.default_rng(1))
    out = compiled.run_chunk(state, data.train_images[:10], plastic=0.0, rng_key=5, intensity=0.25)
    assert out.n_accepted == 10
    assert out.n_presentations > 10  # some images needed repeats at this weak intensity
    forced = int(out.state["ctrl.n_forced"][0])
    assert forced == 0
    assert np.all(out.counts.sum(axis=1) >= SMALL.min_spikes)


def test_resume_after_interruption_gives_identical_weights(compiled, data, tmp_path):
    params = DiehlCookParameters(
        n_neurons=25, chunk_images=50, n_train=150, n_label=50, n_test=50, dataset="embedded", eval_workers=1
    )
    common = dict(seed=9, cache_dir=default_cache_dir(), progress=False, compiled=compiled)
    straight = train_and_evaluate(params, data, checkpoint_dir=None, **common)
    total = straight.n_chunks_run  # training chunks (retries use slots: >= 3), then >= 1 each to label, test
    assert total >= 5
    partial = train_and_evaluate(params, data, checkpoint_dir=tmp_path, stop_after_chunks=2, **common)
    assert partial.n_chunks_run == 2 and len(partial.test_labels) == 0
    # on through the end of training and the labelling, into the test phase's last chunk
    partial = train_and_evaluate(params, data, checkpoint_dir=tmp_path, stop_after_chunks=total - 3, **common)
    assert partial.n_chunks_run == total - 3
    assert len(partial.label_counts) == 50 and len(partial.test_labels) < 50
    # the end, with the test phase in a second process (resumed from its checkpoint)
    resumed = train_and_evaluate(
        dataclasses.replace(params, eval_workers=2), data, checkpoint_dir=tmp_path, **common
    )
    assert resumed.n_chunks_run == 1 and resumed.eval_workers == 2
    assert np.array_equal(resumed.weights, straight.weights)
    assert np.array_equal(resumed.theta, straight.theta)
    assert np.array_equal(resumed.label_counts, straight.label_counts)
    assert np.array_equal(resumed.test_counts, straight.test_counts)
    assert np.array_equal(resumed.test_predictions, straight.test_predictions)
    for key in ("train_nonzero", "train_neuron", "train_count"):
        assert np.array_equal(getattr(resumed, key), getattr(straight, key)), key
    other = DiehlCookParameters(
        n_neurons=25, chunk_images=50, n_train=100, n_label=50, n_test=50, dataset="embedded"
    )
    with pytest.raises(ValueError, match="other parameters"):
        train_and_evaluate(other, data, checkpoint_dir=tmp_path, **common)
    # a checkpoint without the current format (an earlier version's) is refused, not misread
    np.savez(tmp_path / "old" , **{"run/digest": np.asarray("x"), "run/phase": np.asarray(1)})
    (tmp_path / "old.npz").replace(tmp_path / CHECKPOINT_NAME)
    with pytest.raises(ValueError, match="another version"):
        train_and_evaluate(params, data, checkpoint_dir=tmp_path, **common)


def test_evaluation_in_a_second_process_gives_the_same_responses(compiled, data):
    """Labelling and testing start from the trained state, so running the test phase in a second process
    (its own copy of the compiled program) must give exactly the responses of one phase after the other."""
    params = DiehlCookParameters(
        n_neurons=25, chunk_images=50, n_train=100, n_label=120, n_test=80, dataset="embedded"
    )
    common = dict(seed=6, cache_dir=default_cache_dir(), progress=False, compiled=compiled, checkpoint_dir=None)
    one = train_and_evaluate(dataclasses.replace(params, eval_workers=1), data, **common)
    two = train_and_evaluate(dataclasses.replace(params, eval_workers=2), data, **common)
    assert (one.eval_workers, two.eval_workers) == (1, 2)
    assert one.label_counts.shape == (120, 25) and one.test_counts.shape == (80, 25)
    assert one.test_counts.sum() > 80 * params.min_spikes * 0.9  # the phases ran (responses, not zeros)
    for key in ("label_counts", "test_counts", "test_labels", "test_predictions", "assignments", "weights"):
        assert np.array_equal(getattr(one, key), getattr(two, key)), key
    assert one.n_presentations == two.n_presentations and one.n_forced == two.n_forced


def test_compiled_and_runtime_baseline_agree_on_spike_counts(compiled, data, tmp_path):
    """Second formulation: the runtime loop with per-synapse event-driven traces and a PoissonGroup."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    n_images = 6
    state = initial_state(SMALL, np.random.default_rng(4))
    np.savez(tmp_path / "w.npz", w=state["syn.w"], delay=state["syn.delay"])
    images = data.train_images[:n_images]
    # average the compiled side over three independent input realisations
    compiled_totals = [
        compiled.run_chunk(state, images, plastic=0.0, rng_key=key).counts.sum() for key in (21, 22, 23)
    ]
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "diehl_cook_runtime_baseline.py"
    result = subprocess.run(
        [sys.executable, str(script), "--n-neurons", "25", "--images", str(n_images), "--dataset",
         "embedded", "--target", "numpy", "--warmup", "0", "--no-learn", "--weights", str(tmp_path / "w.npz")],
        capture_output=True, text=True, check=True, timeout=600,
    )
    rows = json.loads(result.stdout.strip().splitlines()[-1])["presentations"]
    accepted = [row for row in rows if row["exc_spikes"] >= SMALL.min_spikes]
    assert len(accepted) == n_images
    baseline_total = sum(row["exc_spikes"] for row in accepted)
    # Input spikes of the baseline against their expectation sum(pixel)/8 * intensity * 350 ms
    expected_inputs = sum(
        float(images[k].sum()) / 8 * row["intensity"] * 0.35 for k, row in enumerate(accepted)
    )
    observed_inputs = sum(row["input_spikes"] for row in accepted)
    assert observed_inputs == pytest.approx(expected_inputs, rel=0.05)
    # Same weights, no plasticity: only the Poisson realisation differs. Tolerance 30 % of the total.
    mean_compiled = float(np.mean(compiled_totals))
    assert mean_compiled == pytest.approx(baseline_total, rel=0.3), (compiled_totals, baseline_total)


def test_recorded_raster_holds_every_counted_spike_and_does_not_perturb(compiled, data):
    params = DiehlCookParameters(
        n_neurons=25, chunk_images=50, n_train=100, n_label=50, n_test=50, dataset="embedded"
    )
    common = dict(seed=4, cache_dir=default_cache_dir(), progress=False, compiled=compiled, checkpoint_dir=None)
    plain = train_and_evaluate(params, data, **common)
    recorded = train_and_evaluate(dataclasses.replace(params, record_spikes=True), data, **common)
    assert len(plain.spike_steps) == 0
    # recording is read-out only: same weights
    assert np.array_equal(recorded.weights, plain.weights)
    # every spike counted for an image (training, labelling, test) is in the raster; the raster also holds
    # the spikes of repeated presentations and of the last rest, which no image counts
    counted = (
        evaluation.dense_counts(recorded.train_nonzero, recorded.train_neuron, recorded.train_count, 25).sum(0)
        + recorded.label_counts.sum(0) + recorded.test_counts.sum(0)
    )
    in_raster = np.bincount(recorded.spike_neurons, minlength=25)
    assert np.all(in_raster >= counted) and in_raster.sum() > 0
    assert np.all(np.diff(recorded.spike_steps) >= 0)
    # chunks of 50 slots of 1000 steps follow each other without gaps (retries use slots: >= 4 chunks)
    assert recorded.spike_steps.max() < recorded.n_steps == recorded.n_chunks_run * 50 * 1000


def test_handwritten_benchmark_loop_is_the_same_network(compiled, data, tmp_path):
    """The benchmark's hand-written C++ loop (benchmarks/handwritten_dc.cpp) must simulate the same network,
    or its speed says nothing. Oracle: a second formulation, the compiled model, on the same 50 images from
    fresh random states (two seeds each, different random draws): presentations per image (retry rule) within
    0.15 and excitatory spikes per presentation within 25 % (measured with v held, before dc441c2: 1.09-1.14 vs 1.12-1.16 and 11.6 vs
    10.4-10.8; ours counts accepted presentations only, the loop all presentations)."""
    import json
    import shutil
    import subprocess
    from pathlib import Path

    if shutil.which("g++") is None:
        pytest.skip("no g++ to compile the hand-written loop")
    source = Path(__file__).resolve().parents[1] / "benchmarks" / "handwritten_dc.cpp"
    binary = tmp_path / "handwritten_dc"
    subprocess.run(["g++", "-O2", "-ffast-math", "-std=c++17", "-o", str(binary), str(source)], check=True)
    images = np.asarray(data.train_images[:50], dtype=np.uint8)
    images.tofile(tmp_path / "images.u8")
    ours, loop = [], []
    for seed in (1, 2):
        out = compiled.run_chunk(initial_state(SMALL, np.random.default_rng(seed)), images, 1.0, rng_key=seed)
        ours.append((out.n_presentations / out.n_accepted, out.counts.sum() / out.n_accepted))
        result = subprocess.run(
            [str(binary), str(tmp_path / "images.u8"), "50", str(SMALL.n_neurons), str(seed),
             "--theta-plus", repr(float(SMALL.theta_increment)), *([] if SMALL.clamp_refractory_v else ["--no-hold"])],
            capture_output=True, text=True, check=True,
        )
        row = json.loads(result.stdout)
        assert row["images"] == 50
        loop.append((row["presentations"] / row["images"], row["exc_spikes_per_presentation"]))
    ours_mean, loop_mean = np.mean(ours, axis=0), np.mean(loop, axis=0)
    assert abs(ours_mean[0] - loop_mean[0]) <= 0.15
    assert loop_mean[1] == pytest.approx(ours_mean[1], rel=0.25)
    assert loop_mean[1] > 3  # the network is driven (the retry rule needs 5 spikes per presentation)


def test_rest_fast_forward_matches_stepping_through_the_rest(compiled, data):
    """Second formulation: the same chunk stepping through every rest step (``rest_fast_forward=False``).
    Tolerances: the closed form neglects conductances below 1e-9 in v, < 1e-11 V per rest (model docstring,
    deviation 9), and rounds differently (measured on 400 neurons: v 3e-13 V, weights 6e-17); spikes are
    whole steps, so the counts must agree exactly unless a membrane potential lies within ~1e-11 V of its
    threshold (not the case here)."""
    from bioneuro.models.diehl_cook.network import fast_forward_first_step

    state = initial_state(SMALL, np.random.default_rng(6))
    images = data.train_images[:50]
    out = {
        ff: compiled.run_chunk(state, images, 1.0, rng_key=13, params=dataclasses.replace(SMALL, rest_fast_forward=ff))
        for ff in (True, False)
    }
    skipping, stepped = out[True], out[False]
    most = SMALL.slot_steps - fast_forward_first_step(SMALL, state["syn.delay"])  # per slot, if quiet at once
    assert stepped.skipped_steps == 0
    # the rests were skipped: more than half of what is possible in every slot on average
    assert 0.5 * most * SMALL.chunk_images < skipping.skipped_steps <= most * SMALL.chunk_images
    np.testing.assert_array_equal(skipping.counts, stepped.counts)
    np.testing.assert_array_equal(skipping.slot_accepted, stepped.slot_accepted)
    np.testing.assert_array_equal(skipping.spike_steps, stepped.spike_steps)
    a, b = skipping.state, stepped.state
    assert np.max(np.abs(a["exc.v"] - b["exc.v"])) <= 2e-11
    assert np.max(np.abs(a["inh.v"] - b["inh.v"])) <= 2e-11
    np.testing.assert_allclose(a["exc.theta"], b["exc.theta"], rtol=1e-10, atol=0)
    np.testing.assert_allclose(a["syn.w"], b["syn.w"], rtol=0, atol=1e-12)
    for name in ("exc.post1", "exc.post2"):
        np.testing.assert_allclose(a[name], b[name], rtol=1e-10, atol=1e-300)
    assert not np.array_equal(a["exc.v"], b["exc.v"])  # a different computation, not the same one twice


def test_run_chunk_refuses_parameters_of_another_structure(compiled, data):
    state = initial_state(SMALL, np.random.default_rng(6))
    with pytest.raises(ValueError, match="n_neurons"):
        compiled.run_chunk(state, data.train_images[:2], 1.0, rng_key=1,
                           params=dataclasses.replace(SMALL, n_neurons=30))
