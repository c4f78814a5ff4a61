"""Factory, specification and validation of neuron models (no long simulations)."""

import brian2 as b2
import numpy as np
import pytest
from brian2 import amp, cm, ms, mV, nA, nS, uA
from brian2.units.fundamentalunits import get_dimensions

from bioneuro.encoders import step_current
from bioneuro.neurons import (
    AdaptiveThresholdLIF,
    AdEx,
    HodgkinHuxley,
    Izhikevich,
    LIFConductance,
    LIFCurrent,
    make_neurons,
    parse_equations,
    unit_string,
)

ALL_MODELS = [
    LIFCurrent(),
    LIFConductance(),
    AdaptiveThresholdLIF(),
    HodgkinHuxley(),
    Izhikevich(),
    AdEx(),
]


@pytest.mark.parametrize(
    "unit",
    [ms, mV, nA, nS, uA / cm**2, b2.uF / cm**2, 1 / ms, b2.kelvin, b2.ohm, b2.mS / cm**2],
)
def test_unit_string_round_trips_through_brian2_equations(unit):
    # Oracle: Brian2 parses the declared unit back to the same dimensions.
    equations = parse_equations(f"x : {unit_string(unit)}")
    assert equations["x"].dim == get_dimensions(unit)


def test_unit_string_dimensionless():
    assert unit_string(3.0) == "1"


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: type(m).__name__)
def test_conventions_hold_for_every_model(model):
    # Oracle: the conventions of COMMON.md (v in volt, I_ext in the stated unit, synaptic inputs exist
    # with their stated units).
    spec = model.spec()
    group = make_neurons(model, 2)
    assert group.variables["v"].dim == get_dimensions(b2.volt)
    assert group.variables["I_ext"].dim == get_dimensions(spec.input_current_unit)
    assert set(spec.synaptic_inputs) == {"exc", "inh"}
    for variable in spec.synaptic_inputs.values():
        assert group.variables[variable].dim == get_dimensions(spec.synaptic_input_units[variable])
    for symbol in spec.namespace:
        assert symbol in group.namespace  # explicit namespace, nothing from the caller's frame
    assert set(spec.parameter_symbols.values()) <= set(spec.namespace)


def test_per_neuron_override_by_symbol_and_field_name():
    taus = np.array([5.0, 10.0, 20.0]) * ms
    by_symbol = make_neurons(LIFCurrent(), 3, per_neuron={"tau_m": taus})
    by_field = make_neurons(LIFCurrent(), 3, per_neuron={"membrane_time_constant": taus})
    for group in (by_symbol, by_field):
        assert np.allclose(group.tau_m[:] / ms, [5, 10, 20])
        assert "tau_m" not in group.namespace
        assert group.variables["tau_m"].constant


def test_per_neuron_scalar_broadcasts_and_settable_keeps_default():
    group = make_neurons(
        LIFCurrent(), 4, per_neuron={"V_th": -40 * mV, "I_ext": 2 * nA}, settable=["t_ref"]
    )
    assert np.allclose(group.V_th[:] / mV, -40)
    assert np.allclose(group.I_ext[:] / nA, 2)
    assert np.allclose(group.t_ref[:] / ms, 2)  # the model's default, now a per-neuron variable
    group.t_ref = [1, 2, 3, 4] * ms
    assert np.allclose(group.t_ref[:] / ms, [1, 2, 3, 4])


def test_initial_values_are_set():
    group = make_neurons(AdaptiveThresholdLIF(initial_theta=7 * mV), 2)
    assert np.allclose(group.v[:] / mV, -65)
    assert np.allclose(group.theta[:] / mV, 7)
    izh = make_neurons(Izhikevich.preset("LTS"), 1)
    assert np.allclose(izh.u[:] / mV, 0.25 * -65)  # u = b v


@pytest.mark.parametrize("n_neurons", [0, -3])
def test_bad_group_size_is_value_error(n_neurons):
    with pytest.raises(ValueError, match=str(n_neurons)):
        make_neurons(LIFCurrent(), n_neurons)


@pytest.mark.parametrize("n_neurons", [2.5, "10", True, None])
def test_non_integer_group_size_is_type_error(n_neurons):
    with pytest.raises(TypeError, match="positive int"):
        make_neurons(LIFCurrent(), n_neurons)


def test_unknown_parameter_is_named():
    with pytest.raises(ValueError, match="tau_x"):
        make_neurons(LIFCurrent(), 2, per_neuron={"tau_x": 3 * ms})
    with pytest.raises(ValueError, match="nonsense"):
        make_neurons(LIFCurrent(), 2, settable=["nonsense"])


def test_wrong_dimensions_and_lengths():
    with pytest.raises(TypeError, match="dimensions"):
        make_neurons(LIFCurrent(), 2, per_neuron={"tau_m": [1, 2] * mV})
    with pytest.raises(TypeError, match="dimensions"):
        make_neurons(LIFCurrent(), 2, per_neuron={"I_ext": 1 * uA / cm**2})
    with pytest.raises(ValueError, match="shape"):
        make_neurons(LIFCurrent(), 3, per_neuron={"tau_m": [1, 2] * ms})
    with pytest.raises(TypeError):
        make_neurons(LIFCurrent(), 3, per_neuron={"tau_m": "10 ms"})
    with pytest.raises(TypeError, match="NeuronModel"):
        make_neurons("lif", 3)


def test_input_current_waveform_checks_units_and_shape():
    waveform = step_current(1 * nA, 1 * ms, 2 * ms, 5 * ms, 0.1 * ms)
    group = make_neurons(LIFCurrent(), 3, input_current=waveform)
    assert "I_ext_waveform" in group.namespace
    with pytest.raises(TypeError, match="I_ext"):
        make_neurons(HodgkinHuxley(), 1, input_current=waveform)
    with pytest.raises(ValueError, match="shape"):
        make_neurons(
            LIFCurrent(), 3, input_current=b2.TimedArray(np.zeros((5, 2)) * nA, dt=0.1 * ms)
        )
    with pytest.raises(ValueError, match="not both"):
        make_neurons(LIFCurrent(), 3, input_current=waveform, per_neuron={"I_ext": 1 * nA})


def test_parse_equations_wraps_brian_errors():
    assert "v" in parse_equations("dv/dt = -v / (10*ms) : volt").names
    with pytest.raises(ValueError, match="could not parse"):
        parse_equations("dv/dt = (-v / tau : volt")
    with pytest.raises(ValueError, match="could not parse"):
        parse_equations("dv/dt = -v / tau")  # no unit
    with pytest.raises(TypeError):
        parse_equations(42)


@pytest.mark.parametrize(
    ("factory", "error", "text"),
    [
        (lambda: LIFCurrent(membrane_time_constant=-1 * ms), ValueError, "positive"),
        (lambda: LIFCurrent(membrane_time_constant=10 * mV), TypeError, "dimensions"),
        (lambda: LIFCurrent(threshold_potential=-70 * mV), ValueError, "above reset"),
        (lambda: LIFConductance(leak_conductance=0 * nS), ValueError, "positive"),
        (lambda: AdaptiveThresholdLIF(theta_plastic=0.5), ValueError, "theta_plastic"),
        (lambda: AdaptiveThresholdLIF(theta_increment=-1 * mV), ValueError, "non-negative"),
        (lambda: HodgkinHuxley(temperature=6.3), TypeError, "dimensions"),
        (lambda: Izhikevich(a=0.02), TypeError, "dimensions"),
        (lambda: Izhikevich.preset("XY"), ValueError, "XY"),
        (lambda: AdEx(slope_factor=0 * mV), ValueError, "positive"),
        (lambda: AdEx(refractory_period=-1 * ms), ValueError, "non-negative"),
        (lambda: AdEx(peak_potential=-60 * mV), ValueError, "peak_potential"),
    ],
)
def test_model_validation(factory, error, text):
    with pytest.raises(error, match=text):
        factory()


def test_dimensionally_wrong_model_is_value_error():
    # A model whose equations are inconsistent fails at build time, with the model named.
    from dataclasses import dataclass

    from bioneuro.neurons.base import NeuronModel, NeuronSpec

    @dataclass(frozen=True)
    class Broken(NeuronModel):
        def spec(self):
            return NeuronSpec(
                equations="dv/dt = (-v + I_ext) / tau : volt",
                threshold=None,
                reset=None,
                refractory=False,
                method="euler",
                namespace={"tau": 10 * ms},
                initial_values={},
                synaptic_inputs={},
                synaptic_input_units={},
                input_current_unit=amp,
            )

    with pytest.raises(ValueError, match="Broken"):
        make_neurons(Broken(), 1)


def test_frozen_copy_and_presets():
    model = AdaptiveThresholdLIF()
    assert model.frozen().theta_plastic == 0.0 and model.theta_plastic == 1.0
    fs = Izhikevich.preset("fs")
    assert fs.a == 0.1 / ms and fs.d == 2 * mV
    inhibitory = LIFConductance.diehl_cook_inhibitory()
    assert inhibitory.reset_potential == -45 * mV and inhibitory.refractory_period == 2 * ms


def test_every_catalogued_model_builds():
    from bioneuro.neurons.catalog import NEURON_CATALOG, neuron_model

    for name in NEURON_CATALOG:
        model = neuron_model(name)
        group = make_neurons(model, 2)
        assert group.variables["I_ext"].dim == get_dimensions(model.input_current_unit)
    with pytest.raises(ValueError, match="nosuch"):
        neuron_model("nosuch")


def test_equation_neuron_rejects_malformed_equations():
    from bioneuro.neurons.catalog import EquationNeuron

    with pytest.raises(ValueError, match="could not parse"):
        EquationNeuron(equations="dv/dt = (-v : volt")
    with pytest.raises(ValueError, match="membrane potential"):
        EquationNeuron(equations="du/dt = -u / (10*ms) : volt")
