"""Competitive STDP (Song, Miller & Abbott 2000)."""

import numpy as np
import pytest
from bioneuro.protocols.competitive_stdp import (
    SongParameters,
    bimodality,
    competitive_stdp,
    edge_densities,
)
from brian2 import Hz, second


def test_bimodality_measure():
    assert bimodality(np.array([0.0, 0.05, 0.95, 1.0])) == 1.0
    assert bimodality(np.array([0.5, 0.5, 0.02, 0.4])) == 0.25


def test_output_rate_falls_while_weights_start_to_separate():
    # Song et al. 2000 (Fig. 1): STDP with A-/A+ = 1.05 lowers the output rate from its initial value as the
    # synapses compete. Accelerated learning (A+ = 0.02 instead of 0.005) so that the fall shows within 6 s;
    # oracle: mean rate in the last 2 s below 80 % of the first 2 s, weights spreading towards the bounds.
    params = SongParameters(a_plus=0.02, duration=6 * second, snapshot_interval=1 * second)
    result = competitive_stdp(params, seed=2)
    rates = np.asarray(result.output_rate / Hz)
    assert rates[-2:].mean() < 0.8 * rates[:2].mean()
    assert bimodality(result.final_weights) > bimodality(result.weight_history[0])


@pytest.mark.long
@pytest.mark.standalone
def test_song_2000_bimodal_weights(tmp_path):
    # Song et al. 2000: after learning most weights are near 0 or near g_max (two modes at the bounds) and the
    # output rate has fallen. Paper parameters (A+ 0.005, 1000 inputs at 15 Hz), 500 s on the standalone device.
    params = SongParameters(duration=500 * second, snapshot_interval=5 * second)
    result = competitive_stdp(params, seed=1, device="standalone", cache_dir=tmp_path)
    rates = np.asarray(result.output_rate / Hz)
    assert bimodality(result.final_weights) > 0.5
    low, middle, high = edge_densities(result.final_weights)
    assert low > 2 * middle and high > 2 * middle
    assert rates[-10:].mean() < rates[:10].mean()
