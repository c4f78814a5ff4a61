"""Quantity parsing and configuration resolution.

Oracles: exact values of hand-written quantities (``"20 ms"`` is 0.02 s), round trips through the formatter,
and the documented precedence (defaults < TOML < --set).
"""

from __future__ import annotations

import dataclasses

import brian2 as b2
import numpy as np
import pytest

from bioneuro.config import (
    apply_overrides,
    check_fields,
    param,
    parameters_to_dict,
    resolve_parameters,
)
from bioneuro.quantities import format_quantity, parse_quantity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20 ms", 20 * b2.ms),
        ("-65 mV", -65 * b2.mV),
        ("0.5 nA", 0.5 * b2.nA),
        ("10 uA/cm**2", 10 * b2.uA / b2.cm**2),
        ("10 µA/cm^2", 10 * b2.uA / b2.cm**2),
        ("120 mS/cm2", 120 * b2.msiemens / b2.cm**2),
        ("1e-3 second", 1 * b2.ms),
        ("2 /ms", 2 / b2.ms),
        ("100 Mohm", 100 * b2.Mohm),
        ("15 Hz", 15 * b2.Hz),
    ],
)
def test_parse_quantity_values(text, expected):
    value = parse_quantity(text)
    assert float(value / expected) == pytest.approx(1.0, rel=1e-12)
    assert float(parse_quantity(format_quantity(value)) / expected) == pytest.approx(1.0, rel=1e-12)


def test_dimensionless_numbers_are_floats():
    assert parse_quantity("0.3") == 0.3
    assert isinstance(parse_quantity("0.3"), float)


@pytest.mark.parametrize(
    ("text", "error", "fragment"),
    [
        ("20 mV", TypeError, "expected a time"),
        ("20 parsecs", ValueError, "unknown unit 'parsecs'"),
        ("__import__('os').system('true')", ValueError, "cannot parse"),
        ("ms", ValueError, "expected a number"),
        ("20 ms ms", ValueError, "trailing"),
        ("inf ms", ValueError, "cannot parse"),
    ],
)
def test_parse_quantity_rejects(text, error, fragment):
    with pytest.raises(error, match=fragment):
        parse_quantity(text, b2.ms, name="tau_m")


@dataclasses.dataclass(frozen=True)
class Inner:
    tau_m: b2.Quantity = param(20 * b2.ms, positive=True)
    v_rest: b2.Quantity = param(-65 * b2.mV)

    def __post_init__(self):
        check_fields(self)


@dataclasses.dataclass(frozen=True)
class Outer:
    n_neurons: int = param(10, positive=True)
    duration: b2.Quantity = param(100 * b2.ms, positive=True)
    label: str = "x"
    plastic: bool = True
    gain: float = 1.5
    neuron: Inner = param(Inner, choices={"slow": Inner(tau_m=50 * b2.ms), "fast": Inner})

    def __post_init__(self):
        check_fields(self)


def test_overrides_precedence_toml_then_set(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('n_neurons = 4\nduration = "1 s"\nlabel = "toml"\n[neuron]\ntau_m = "30 ms"\n')
    params = resolve_parameters(Outer, config_file=config, assignments=["label=cli", "neuron.v_rest=-70 mV"])
    assert params.n_neurons == 4
    assert params.duration == 1 * b2.second
    assert params.label == "cli"
    assert params.neuron.tau_m == 30 * b2.ms
    assert params.neuron.v_rest == -70 * b2.mV


def test_choice_then_nested_override_in_any_order():
    params = apply_overrides(Outer(), [("neuron.v_rest", "-50 mV"), ("neuron", "slow")])
    assert params.neuron.tau_m == 50 * b2.ms and params.neuron.v_rest == -50 * b2.mV
    assert apply_overrides(Outer(), [("neuron", "fast")]).neuron.tau_m == 20 * b2.ms


@pytest.mark.parametrize(
    ("assignment", "error", "fragment"),
    [
        ("tau=3 ms", ValueError, "unknown parameter 'tau'"),
        ("neuron.tau=3 ms", ValueError, "unknown parameter 'neuron.tau'"),
        ("neuron.tau_m=20 mV", TypeError, "neuron.tau_m: '20 mV' has the wrong dimension"),
        ("neuron.tau_m=0 ms", ValueError, "tau_m"),
        ("duration=-1 s", ValueError, "duration"),
        ("n_neurons=0", ValueError, "n_neurons"),
        ("n_neurons=2.5", ValueError, "'2.5' is not an integer"),
        ("plastic=maybe", ValueError, "'maybe' is not a boolean"),
        ("gain=3 ms", TypeError, "dimensionless"),
        ("neuron=medium", ValueError, "'medium' is not one of fast, slow"),
        ("novalue", ValueError, "name=value"),
    ],
)
def test_bad_assignments(assignment, error, fragment):
    with pytest.raises(error, match=fragment):
        resolve_parameters(Outer, assignments=[assignment], context="outer")


def test_malformed_and_missing_toml(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("n_neurons = = 3\n")
    with pytest.raises(ValueError, match="malformed TOML"):
        resolve_parameters(Outer, config_file=bad)
    with pytest.raises(ValueError, match="does not exist"):
        resolve_parameters(Outer, config_file=tmp_path / "absent.toml")


def test_parameters_to_dict_is_readable_back():
    params = Outer()
    flat = parameters_to_dict(params)
    assert flat["duration"] == "100.0 ms"
    assert flat["neuron"]["tau_m"] == "20.0 ms"
    rebuilt = resolve_parameters(Outer, assignments=[f"duration={flat['duration']}"])
    assert rebuilt == params


@dataclasses.dataclass(frozen=True)
class Window:
    duration: b2.Quantity = param(300 * b2.ms, positive=True)
    t_stop: b2.Quantity = param(250 * b2.ms, positive=True)
    amplitude: object = param(None, quantity=True)

    def __post_init__(self):
        check_fields(self)
        if self.t_stop > self.duration:
            raise ValueError(f"t_stop {self.t_stop} is after duration {self.duration}")


def test_related_fields_are_validated_together():
    # each override alone would be invalid (t_stop 400 ms > duration 300 ms); together they are fine
    params = resolve_parameters(Window, assignments=["t_stop=400 ms", "duration=500 ms"])
    assert params.t_stop == 400 * b2.ms and params.duration == 500 * b2.ms
    with pytest.raises(ValueError, match="after duration"):
        resolve_parameters(Window, assignments=["t_stop=400 ms"])


def test_later_assignment_wins_and_quantity_fields_are_parsed(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('duration = "1 s"\n')
    params = resolve_parameters(Window, config_file=config, assignments=["duration=2 s", "amplitude=10 uA/cm**2"])
    assert params.duration == 2 * b2.second
    assert float(params.amplitude / (b2.uA / b2.cm**2)) == pytest.approx(10.0, rel=1e-12)


def test_json_conversion_is_strict():
    import json

    from bioneuro.quantities import to_jsonable

    text = json.dumps(to_jsonable({"a": float("nan"), "b": np.float64(2.5), "c": np.array([1.0, np.inf]),
                                   "d": 3 * b2.ms}), allow_nan=False)
    assert json.loads(text) == {"a": None, "b": 2.5, "c": [1.0, None], "d": "3.0 ms"}
