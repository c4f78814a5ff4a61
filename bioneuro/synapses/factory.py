"""Build a ``brian2.Synapses`` object from a synapse model of :mod:`bioneuro.synapses`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import brian2 as b2
import numpy as np

from ._base import SynapseEquations, check_formulation


class SynapseModel(Protocol):
    """What :func:`make_synapses` needs from a synapse model."""

    @property
    def weight_dimensions(self) -> Any: ...

    def equations(self, target_expression: str, formulation: str) -> SynapseEquations: ...


def make_synapses(
    source: b2.Group,
    target: b2.Group,
    rule: SynapseModel,
    *,
    target_expression: str = "g_exc_post += w",
    connect: bool | str | Mapping[str, Any] | tuple = True,
    weights: b2.Quantity | float | np.ndarray | str | None = None,
    delays: b2.Quantity | str | None = None,
    name: str | None = None,
    formulation: str = "event-driven",
    method: str = "exact",
    namespace: Mapping[str, Any] | None = None,
    dt: b2.Quantity | None = None,
) -> b2.Synapses:
    """Create, connect and initialise the Brian2 synapses of ``rule`` from source to target.

    Parameters
    ----------
    source, target : brian2.Group
        Presynaptic and postsynaptic groups (``NeuronGroup``, ``SpikeGeneratorGroup``, ...).
    rule : SynapseModel
        A synapse model, e.g. ``StaticSynapse(nS)``, ``PairSTDP()``, ``TsodyksMarkram()``.
    target_expression : str
        Statement run on each presynaptic spike, written with the weight ``w``; use the neuron
        model's input variable (``target_expression_for``) or ``"v_post += w"`` for a delta
        synapse. An empty string transmits nothing (plasticity only).
    connect : bool, str, Mapping or tuple
        ``True`` for all-to-all, a Brian2 condition string (``"i != j"``), keyword arguments of
        ``Synapses.connect`` (``{"p": 0.1}``, ``{"j": "i"}``), or an ``(i, j)`` pair of index
        arrays.
    weights : Quantity, float, ndarray or str, optional
        Initial weights, with the rule's weight dimensions, or a Brian2 expression string.
        Left at zero when None.
    delays : Quantity [second] or str, optional
        Presynaptic transmission delays (scalar, one per synapse, or an expression string).
    name : str, optional
        Name of the ``Synapses`` object.
    formulation : str
        ``"event-driven"`` or ``"clock-driven"`` integration of synaptic state variables.
    method : str
        Brian2 integration method for clock-driven state variables (``"exact"``, ``"euler"``);
        a model that needs a particular method (``SynapseEquations.method``) overrides it.
    namespace : Mapping[str, Any], optional
        Extra symbols used in ``target_expression`` (e.g. a conductance scale); they must not
        clash with the rule's own parameters.
    dt : Quantity [second], optional
        Time step of the synapses' clock (Brian2's default clock when None).

    Returns
    -------
    brian2.Synapses
        The connected synapses, with state variables initialised.
    """
    check_formulation(formulation)
    if weights is not None:
        _check_weights(weights, rule.weight_dimensions)
    if delays is not None:
        _check_delays(delays)
    if not (connect is True or isinstance(connect, str | Mapping)
            or (isinstance(connect, tuple) and len(connect) == 2)):  # fmt: skip
        raise ValueError(
            "connect must be True, a condition string, a mapping of Synapses.connect keyword "
            f"arguments or an (i, j) pair of index arrays, got {connect!r}"
        )
    eqs = rule.equations(target_expression=target_expression, formulation=formulation)
    symbols = dict(eqs.namespace)
    for key, value in (namespace or {}).items():
        if key in symbols:
            raise ValueError(
                f"namespace key {key!r} clashes with a parameter of {type(rule).__name__}"
            )
        symbols[key] = value
    synapses = b2.Synapses(
        source,
        target,
        model=eqs.model,
        on_pre=eqs.on_pre or None,
        on_post=eqs.on_post or None,
        namespace=symbols,
        method=eqs.method or method,
        name=name or "synapses*",
        dt=dt,
    )
    _connect(synapses, connect, symbols)
    for variable, value in eqs.initial_values.items():
        setattr(synapses, variable, value)
    if weights is not None:
        synapses.w = weights
    if delays is not None:
        synapses.delay = delays
    return synapses


def _connect(synapses: b2.Synapses, connect: Any, symbols: Mapping[str, Any]) -> None:
    if connect is True:
        synapses.connect()
    elif isinstance(connect, str):
        synapses.connect(condition=connect, namespace=dict(symbols))
    elif isinstance(connect, Mapping):
        synapses.connect(**connect)
    else:  # an (i, j) pair, checked by make_synapses
        synapses.connect(i=np.asarray(connect[0]), j=np.asarray(connect[1]))


def _check_weights(weights: Any, dimensions: Any) -> None:
    if isinstance(weights, str):
        return
    if b2.get_dimensions(weights) != dimensions:
        raise ValueError(
            f"weights must have the dimensions of the rule's weight ({dimensions!r}), "
            f"got {weights!r}"
        )
    if not np.all(np.isfinite(np.asarray(weights, dtype=float))):
        raise ValueError(f"weights must be finite, got {weights!r}")


def _check_delays(delays: Any) -> None:
    if isinstance(delays, str):
        return
    if b2.get_dimensions(delays) != b2.second.dim:
        raise ValueError(f"delays must be times (e.g. 1.5*ms), got {delays!r}")
    values = np.asarray(delays, dtype=float)
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(f"delays must be finite and non-negative, got {delays!r}")
