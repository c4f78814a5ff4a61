"""Base class, specification and factory shared by all neuron models.

A neuron model is a frozen dataclass of physical parameters. Its :meth:`NeuronModel.spec` returns a
:class:`NeuronSpec`: the equation string with *symbolic* parameters, threshold / reset / refractory
statements, the integration method, an explicit namespace binding every parameter symbol to a value,
the initial values, and the names of the variables that synapses target.

:func:`make_neurons` turns a model into a :class:`brian2.NeuronGroup`. Parameters stay namespace
constants unless they are listed in ``per_neuron`` (given one value per neuron) or in ``settable``; those
become ``name : unit (constant)`` variables of the group, so that C++ standalone can change them through
``device.run(run_args=...)`` without recompiling.

Conventions shared with ``bioneuro.synapses``
---------------------------------------------
* the membrane potential is ``v`` (volt);
* the injected current is ``I_ext`` (unit :attr:`NeuronSpec.input_current_unit`, amp unless the model
  works with current densities, as Hodgkin-Huxley does); it is a per-neuron variable, zero at start,
  or a function of time when ``make_neurons(..., input_current=...)`` is given;
* linear synaptic dynamics live in the neuron; :attr:`NeuronSpec.synaptic_inputs` maps ``"exc"`` /
  ``"inh"`` to the variable a presynaptic spike increments (``g_exc`` or ``I_syn_exc``, ...), and
  :attr:`NeuronSpec.synaptic_input_units` gives its unit. Increments are non-negative for both
  excitation and inhibition: the sign comes from the reversal potential (conductance models) or from the
  equation (current models subtract ``I_syn_inh``).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from brian2 import Equations, NeuronGroup, Quantity, TimedArray, second
from brian2.equations.equations import EquationError
from brian2.units.fundamentalunits import (
    DIMENSIONLESS,
    Dimension,
    DimensionMismatchError,
    get_dimensions,
    have_same_dimensions,
)

from bioneuro.config import param

__all__ = [
    "NeuronModel",
    "NeuronSpec",
    "make_neurons",
    "parse_equations",
    "unit_string",
    "check_quantity",
    "default",
]

_BASE_UNIT_NAMES = ("metre", "kilogram", "second", "amp", "kelvin", "mole", "candle")


def unit_string(dimensions: Dimension | Quantity | float) -> str:
    """Return a Brian2 equation unit string (SI base units) for a dimension or a quantity.

    Parameters
    ----------
    dimensions : Dimension or Quantity or float
        The dimension, or any value that has it.

    Returns
    -------
    str
        E.g. ``"metre**2 * kilogram * second**-3 * amp**-1"`` for volt, ``"1"`` for dimensionless.
    """
    dim = dimensions if isinstance(dimensions, Dimension) else get_dimensions(dimensions)
    if dim is DIMENSIONLESS:
        return "1"
    parts = []
    for unit_name, exponent in zip(_BASE_UNIT_NAMES, dim._dims, strict=True):
        exponent = float(exponent)
        if exponent == 0:
            continue
        exponent_text = str(int(exponent)) if exponent.is_integer() else repr(exponent)
        parts.append(unit_name if exponent_text == "1" else f"{unit_name}**{exponent_text}")
    return " * ".join(parts)


def default(value):
    """Dataclass field with a Quantity default (Quantities are unhashable, hence a default factory).

    Parameters
    ----------
    value : Quantity or float
        The default value (copied for each instance).

    Returns
    -------
    dataclasses.Field
    """
    return param(value)


def parse_equations(text: str) -> Equations:
    """Parse an equation string into :class:`brian2.Equations`, with a clear error.

    Parameters
    ----------
    text : str
        Equations in Brian2 syntax.

    Returns
    -------
    brian2.Equations

    Raises
    ------
    TypeError
        If ``text`` is not a string.
    ValueError
        If Brian2 cannot parse the text; the message quotes the text and Brian2's reason.
    """
    if not isinstance(text, str):
        raise TypeError(f"equations must be a string, got {type(text).__name__}: {text!r}")
    try:
        return Equations(text)
    except (EquationError, SyntaxError, ValueError) as error:
        raise ValueError(
            f"could not parse the neuron equations {text!r}: {error}; expected Brian2 equation syntax, "
            "one 'dx/dt = expression : unit', 'x = expression : unit' or 'x : unit' per line"
        ) from error


def check_quantity(
    name: str,
    value,
    expected_unit: Quantity,
    *,
    positive: bool = False,
    non_negative: bool = False,
) -> None:
    """Check that ``value`` is a scalar with the dimensions of ``expected_unit`` (and its sign).

    Parameters
    ----------
    name : str
        Parameter name used in the error message.
    value : Quantity or float
        The value to check.
    expected_unit : Quantity
        A unit with the expected dimensions (``1`` for dimensionless).
    positive, non_negative : bool
        Require ``value > 0`` or ``value >= 0``.

    Raises
    ------
    TypeError
        If ``value`` is not a number or has the wrong dimensions.
    ValueError
        If the sign or finiteness requirement fails.
    """
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, Quantity, np.ndarray)):
        raise TypeError(f"{name} must be a number with units of {expected_unit!r}, got {value!r}")
    if np.ndim(value) != 0:
        raise TypeError(f"{name} must be a scalar, got {value!r}")
    if not have_same_dimensions(value, expected_unit):
        raise TypeError(
            f"{name} = {value!r} has the wrong dimensions; expected a quantity in units of "
            f"{expected_unit!r} (dimensions {get_dimensions(expected_unit)})"
        )
    number = float(np.asarray(value))
    if not np.isfinite(number):
        raise ValueError(f"{name} = {value!r} must be finite")
    if positive and not number > 0:
        raise ValueError(f"{name} = {value!r} must be positive")
    if non_negative and not number >= 0:
        raise ValueError(f"{name} = {value!r} must be non-negative")


@dataclass(frozen=True)
class NeuronSpec:
    """Everything needed to build a :class:`brian2.NeuronGroup` for one neuron model.

    Attributes
    ----------
    equations : str
        Model equations with symbolic parameters (``I_ext`` is used but not declared: the factory
        declares it).
    threshold : str or None
        Threshold condition.
    reset : str or None
        Reset statements.
    refractory : str or Quantity or bool
        Refractoriness: a time expression (``"t_ref"``), a condition, or ``False``.
    method : str
        Brian2 integration method.
    namespace : dict
        Parameter symbol -> value (Quantity or float). These are the names ``per_neuron`` may override.
    initial_values : dict
        Variable -> initial value (Quantity or a Brian2 expression string evaluated in the group, in
        order).
    synaptic_inputs : dict
        ``{"exc": variable, "inh": variable}`` incremented by synapses.
    synaptic_input_units : dict
        Variable -> unit of the increment.
    input_current_unit : Quantity
        Unit of ``I_ext`` (amp, or amp/metre**2 for density models).
    parameter_symbols : dict
        Dataclass field name -> namespace symbol (``"membrane_time_constant" -> "tau_m"``), so that
        ``per_neuron`` and ``settable`` accept either name.
    events : dict
        Extra custom events (name -> condition), if any.
    """

    equations: str
    threshold: str | None
    reset: str | None
    refractory: str | Quantity | bool
    method: str
    namespace: dict
    initial_values: dict
    synaptic_inputs: dict
    synaptic_input_units: dict
    input_current_unit: Quantity
    parameter_symbols: dict = field(default_factory=dict)
    events: dict = field(default_factory=dict)


@dataclass(frozen=True)
class NeuronModel:
    """Base class of neuron models: a frozen dataclass of parameters that produces a :class:`NeuronSpec`.

    Subclasses define :meth:`spec`, validate their fields in ``__post_init__`` (helper
    :meth:`_check_fields`) and cite their paper in the docstring.
    """

    def spec(self) -> NeuronSpec:  # pragma: no cover - abstract
        """Return the :class:`NeuronSpec` of this model."""
        raise NotImplementedError

    @property
    def parameters(self) -> dict:
        """Parameter symbol -> value, as bound in the namespace of the equations."""
        return dict(self.spec().namespace)

    @property
    def synaptic_inputs(self) -> dict:
        """``{"exc": variable, "inh": variable}`` targeted by synapses."""
        return dict(self.spec().synaptic_inputs)

    @property
    def input_current_unit(self) -> Quantity:
        """Unit of the injected current ``I_ext``."""
        return self.spec().input_current_unit

    def _check_fields(self, rules: Mapping[str, tuple[Quantity, str]]) -> None:
        """Validate fields: ``rules[name] = (unit, sign)`` with sign ``"positive"``,
        ``"non_negative"`` or ``"any"``."""
        for name, (unit, sign) in rules.items():
            check_quantity(
                f"{type(self).__name__}.{name}",
                getattr(self, name),
                unit,
                positive=sign == "positive",
                non_negative=sign == "non_negative",
            )


def _check_n_neurons(n_neurons) -> int:
    if isinstance(n_neurons, bool) or not isinstance(n_neurons, numbers.Integral):
        raise TypeError(f"n_neurons must be a positive int, got {n_neurons!r}")
    if n_neurons <= 0:
        raise ValueError(f"n_neurons must be a positive int, got {n_neurons!r}")
    return int(n_neurons)


def _per_neuron_values(name: str, values, reference, n_neurons: int):
    """Check a per-neuron override against the default value's dimensions and the group size."""
    if isinstance(values, (str, bytes)) or (
        not isinstance(values, (numbers.Real, Quantity, np.ndarray, list, tuple))
        or isinstance(values, bool)
    ):
        raise TypeError(
            f"per_neuron[{name!r}] must be a scalar or an array of {n_neurons} values with the "
            f"dimensions of {reference!r}, got {values!r}"
        )
    if isinstance(values, (list, tuple)):
        values = Quantity(values) if any(isinstance(x, Quantity) for x in values) else np.array(values)
    if not have_same_dimensions(values, reference):
        raise TypeError(
            f"per_neuron[{name!r}] = {values!r} has the wrong dimensions; expected values in units "
            f"of {reference!r} (dimensions {get_dimensions(reference)})"
        )
    shape = np.shape(values)
    if shape not in ((), (n_neurons,)):
        raise ValueError(
            f"per_neuron[{name!r}] has shape {shape}; expected a scalar or {n_neurons} values "
            "(one per neuron)"
        )
    if not np.all(np.isfinite(np.asarray(values))):
        raise ValueError(f"per_neuron[{name!r}] = {values!r} must be finite")
    return values


def _input_current_declaration(input_current, current_unit, n_neurons):
    """Return (equation line for I_ext, extra namespace) for the input_current argument."""
    unit_text = unit_string(current_unit)
    if input_current is None:
        return f"I_ext : {unit_text}", {}
    from bioneuro.encoders.waveforms import CurrentWaveform  # encoders has no neuron imports

    if isinstance(input_current, CurrentWaveform):
        input_current = input_current.to_timed_array()
    if not isinstance(input_current, TimedArray):
        raise TypeError(
            "input_current must be None, a brian2.TimedArray or a bioneuro CurrentWaveform, "
            f"got {input_current!r}"
        )
    values = input_current.values
    if not have_same_dimensions(Quantity(1, dim=input_current.dim), current_unit):
        raise TypeError(
            f"input_current has dimensions {input_current.dim}; this model expects I_ext in units "
            f"of {current_unit!r}"
        )
    if values.ndim == 1:
        call = "I_ext_waveform(t)"
    elif values.ndim == 2 and values.shape[1] == n_neurons:
        call = "I_ext_waveform(t, i)"
    else:
        raise ValueError(
            f"input_current has shape {values.shape}; expected (n_times,) or (n_times, {n_neurons})"
        )
    return f"I_ext = {call} : {unit_text}", {"I_ext_waveform": input_current}


def make_neurons(
    model: NeuronModel,
    n_neurons: int,
    *,
    name: str | None = None,
    per_neuron: Mapping[str, Quantity | float | np.ndarray] | None = None,
    settable: Iterable[str] = (),
    method: str | None = None,
    dt: Quantity | None = None,
    input_current: TimedArray | None = None,
) -> NeuronGroup:
    """Build a :class:`brian2.NeuronGroup` of ``n_neurons`` neurons of ``model``.

    Parameters
    ----------
    model : NeuronModel
        The neuron model (parameters).
    n_neurons : int
        Number of neurons, positive.
    name : str, optional
        Name of the group (Brian2 picks one if omitted).
    per_neuron : dict, optional
        Parameter (symbol such as ``"tau_m"`` or field name such as ``"membrane_time_constant"``) -> scalar or array of ``n_neurons`` values (same dimensions as the model's
        value). These parameters become per-neuron ``(constant)`` variables initialised to the given
        values. ``"I_ext"`` may be given too (unless ``input_current`` is).
    settable : iterable of str
        Parameter symbols to turn into per-neuron variables even if not overridden (initialised to the
        model's value), so they can be changed after building (e.g. through standalone ``run_args``).
    method : str, optional
        Integration method; default the model's.
    dt : Quantity, optional
        Time step of the group's clock [second]; default Brian2's ``defaultclock``.
    input_current : brian2.TimedArray or CurrentWaveform, optional
        If given, ``I_ext`` is this function of time, ``f(t)`` (1-D values, same for all neurons) or
        ``f(t, i)`` (2-D values, one column per neuron), instead of a settable variable. After the
        waveform's end its last value holds (Brian2 ``TimedArray`` behaviour).

    Returns
    -------
    brian2.NeuronGroup
        The group, its namespace bound explicitly, initial values set.

    Raises
    ------
    TypeError, ValueError
        For a bad size, an unknown parameter name, wrong dimensions or a wrong array length.
    """
    if not isinstance(model, NeuronModel):
        raise TypeError(f"model must be a bioneuro NeuronModel, got {model!r}")
    n_neurons = _check_n_neurons(n_neurons)
    spec = model.spec()
    symbols = spec.parameter_symbols
    per_neuron = {symbols.get(k, k): v for k, v in dict(per_neuron or {}).items()}
    if isinstance(settable, str):
        settable = (settable,)
    settable = tuple(symbols.get(k, k) for k in settable)
    known = set(spec.namespace)
    for key in list(per_neuron) + list(settable):
        if key == "I_ext":
            continue
        if key not in known:
            raise ValueError(
                f"unknown parameter {key!r} for {type(model).__name__}; expected one of "
                f"{sorted(known) + ['I_ext']} or the field names {sorted(symbols)}"
            )
    if "I_ext" in per_neuron and input_current is not None:
        raise ValueError("give I_ext either in per_neuron or as input_current, not both")

    i_ext_line, extra_namespace = _input_current_declaration(
        input_current, spec.input_current_unit, n_neurons
    )
    variable_parameters = [p for p in spec.namespace if p in per_neuron or p in settable]
    lines = [spec.equations, i_ext_line]
    for parameter in variable_parameters:
        lines.append(f"{parameter} : {unit_string(spec.namespace[parameter])} (constant)")
    equations = parse_equations("\n".join(lines))
    namespace = {k: v for k, v in spec.namespace.items() if k not in variable_parameters}
    namespace.update(extra_namespace)

    checked = {}
    for key, values in per_neuron.items():
        reference = spec.input_current_unit if key == "I_ext" else spec.namespace[key]
        checked[key] = _per_neuron_values(key, values, reference, n_neurons)

    kwargs = {"threshold": spec.threshold, "reset": spec.reset, "method": method or spec.method}
    if spec.refractory is not False:
        kwargs["refractory"] = spec.refractory
    if spec.events:
        kwargs["events"] = dict(spec.events)
    if name is not None:
        kwargs["name"] = name
    if dt is not None:
        check_quantity("dt", dt, second, positive=True)
        kwargs["dt"] = dt
    group = NeuronGroup(n_neurons, equations, namespace=namespace, **kwargs)
    try:
        group.equations.check_units(group, run_namespace={})
    except DimensionMismatchError as error:
        raise ValueError(
            f"the equations of {type(model).__name__} are dimensionally inconsistent: {error}"
        ) from error

    for parameter in variable_parameters:
        setattr(group, parameter, checked.get(parameter, spec.namespace[parameter]))
    if "I_ext" in checked:
        group.I_ext = checked["I_ext"]
    for variable, value in spec.initial_values.items():
        setattr(group, variable, value)
    return group

