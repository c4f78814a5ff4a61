"""The validation command: registry entries and a small end-to-end run of run_validation."""

import pytest
from bioneuro.protocols.validation import CHECKS, run_validation

from bioneuro.registry import discover

PROTOCOLS = ["current-clamp", "fi-curve", "stdp-window", "frequency-dependence", "song-2000",
             "short-term-plasticity", "brunel-network"]


def test_every_protocol_is_registered_as_a_protocol():
    runnables = discover()
    for name in PROTOCOLS:
        assert runnables[name].kind == "protocol"
        assert runnables[name].figures is not None


def test_run_validation_writes_table_and_figures(tmp_path):
    # Oracle: the HH pulse check against Hodgkin & Huxley 1952 (peak +40, AHP -76 mV, 2 mV) must pass and
    # its figure must be linked from the table.
    path = run_validation(tmp_path, ["hh_pulse"])
    text = path.read_text()
    assert text.count("**pass**") == 2 and "**FAIL**" not in text
    assert (tmp_path / "validation" / "hh_pulse.png").stat().st_size > 0
    assert "validation/hh_pulse.png" in text
    with pytest.raises(ValueError):
        run_validation(tmp_path, ["no-such-check"])


@pytest.mark.long
@pytest.mark.standalone
def test_full_validation_passes(tmp_path, monkeypatch):
    # Every tested row of the table passes (each row carries its own source and tolerance). The speed rows
    # are measured on the Cython runtime and the standalone device, as `bioneuro validate` runs them.
    monkeypatch.setenv("BIONEURO_CODEGEN", "cython")
    path = run_validation(tmp_path)
    text = path.read_text()
    assert "**FAIL**" not in text and "Checks that raised" not in text
    assert len(CHECKS) == 8
