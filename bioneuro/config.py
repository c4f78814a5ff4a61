"""One source of truth for configuration: dataclass defaults, then a TOML file, then ``--set name=value``.

Parameters of every model, protocol and task are frozen dataclasses. This module applies overrides to them:

* quantities are written as strings (``tau_m = "20 ms"``) and parsed by
  :func:`bioneuro.quantities.parse_quantity` against the dimension of the default (never ``eval``);
* a field holding a nested parameter dataclass is addressed with dotted names (``neuron.tau_m``);
* a field may accept keywords besides values (``field(metadata={"keywords": {"scaled": None}})``): the keyword
  stands for its value (None: computed from other fields by the parameter class);
* a field may offer named choices (``field(metadata={"choices": {...}})``), selected by name
  (``--set neuron=hodgkin-huxley``) before dotted overrides are applied to the chosen value;
* field metadata ``{"positive": True}`` (or ``"non_negative"``) is checked by :func:`check_fields`, which
  parameter classes call from ``__post_init__``.

Unknown names, wrong dimensions and malformed files raise ``ValueError``/``TypeError`` with one-line
messages that quote the bad value and say what is expected.
"""

from __future__ import annotations

import copy
import dataclasses
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from brian2.units.fundamentalunits import Quantity

from bioneuro.quantities import check_positive, format_quantity, parse_quantity, to_jsonable

__all__ = [
    "param",
    "field_default",
    "check_fields",
    "load_toml",
    "parse_assignment",
    "resolve_parameters",
    "apply_overrides",
    "parameters_to_dict",
]


def param(
    default: Any,
    *,
    positive: bool = False,
    non_negative: bool = False,
    choices: Mapping[str, Any] | None = None,
    quantity: bool = False,
    help: str = "",
) -> Any:
    """A dataclass field for a parameter: quantities (mutable arrays) become default factories.

    ``positive``/``non_negative`` are checked by :func:`check_fields`; ``choices`` maps names to values (or
    factories) selectable with ``--set field=name``; ``quantity`` marks a field (default ``None``) holding a
    quantity whose dimension its user checks (a current in amp or amp/metre**2 depending on the neuron), parsed
    from text without a dimension check here; ``help`` is shown by ``bioneuro params``.
    """
    metadata = {"positive": positive, "non_negative": non_negative, "help": help, "quantity": quantity}
    if choices is not None:
        metadata["choices"] = dict(choices)
    if isinstance(default, Quantity | np.ndarray) or dataclasses.is_dataclass(default) or callable(default):
        # quantities and arrays are mutable: each instance gets its own copy
        factory = default if (callable(default) and not isinstance(default, Quantity)) else (lambda: copy.copy(default))
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def field_default(field: dataclasses.Field) -> Any:
    """The default value of a dataclass field (calling its factory), or ``None``."""
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return None


def check_fields(instance: Any) -> None:
    """Validate a parameter dataclass (call from ``__post_init__``).

    Quantity fields must have the dimension of their default; fields marked ``positive``/``non_negative``
    must be so.
    """
    for field in dataclasses.fields(instance):
        value = getattr(instance, field.name)
        if value is None:
            continue
        reference = field_default(field)
        if isinstance(reference, Quantity) and not isinstance(value, str):
            parse_quantity(value, reference, name=field.name)
        if field.metadata.get("positive"):
            check_positive(value, name=field.name)
        elif field.metadata.get("non_negative"):
            check_positive(value, name=field.name, allow_zero=True)


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML configuration file, with a one-line error for a missing or malformed file."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ValueError(f"configuration file {str(path)!r} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"malformed TOML in {str(path)!r}: {error}") from None


def parse_assignment(text: str) -> tuple[str, str]:
    """Split ``"name=value"``; raise ``ValueError`` for anything else."""
    name, separator, value = text.partition("=")
    if not separator or not name.strip() or not value.strip():
        raise ValueError(f"--set expects name=value (e.g. --set tau_m='20 ms'), got {text!r}")
    return name.strip(), value.strip()


def _flatten(table: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items = []
    for key, value in table.items():
        if isinstance(value, Mapping):
            items += _flatten(value, f"{prefix}{key}.")
        else:
            items.append((f"{prefix}{key}", value))
    return items


def _coerce(name: str, value: Any, default: Any, field: dataclasses.Field) -> Any:
    choices = field.metadata.get("choices")
    if choices is not None:
        if not isinstance(value, str) or value not in choices:
            raise ValueError(f"{name}: {value!r} is not one of {', '.join(sorted(choices))}")
        chosen = choices[value]
        is_factory = isinstance(chosen, type) or (callable(chosen) and not dataclasses.is_dataclass(chosen))
        return chosen() if is_factory else chosen
    keywords = field.metadata.get("keywords", {})
    if isinstance(value, str) and value.strip().lower() in keywords:
        return keywords[value.strip().lower()]  # a named setting (e.g. None: computed from other fields)
    if isinstance(default, Quantity):
        try:
            return parse_quantity(value, default, name=name)
        except ValueError as error:
            if not keywords:
                raise
            raise ValueError(f"{error}, or one of: {', '.join(keywords)}") from None
    if field.metadata.get("quantity"):  # a quantity whose dimension depends on another field
        return parse_quantity(value, name=name)
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        lowered = str(value).lower()
        if lowered in ("true", "yes", "1", "on"):
            return True
        if lowered in ("false", "no", "0", "off"):
            return False
        raise ValueError(f"{name}: {value!r} is not a boolean; expected true or false")
    if isinstance(default, int):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: {value!r} is not an integer") from None
        if not number.is_integer():
            raise ValueError(f"{name}: {value!r} is not an integer")
        return int(number)
    if isinstance(default, float):
        if isinstance(value, str) and any(c.isalpha() for c in value.replace("e", "").replace("E", "")):
            raise TypeError(f"{name}: {value!r} has a unit but {name} is dimensionless; expected a plain number")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: {value!r} is not a number") from None
    if isinstance(default, tuple):
        parts = value if isinstance(value, list | tuple) else [p for p in str(value).split(",") if p.strip()]
        if default and len(default) and isinstance(default[0], Quantity):
            return tuple(parse_quantity(p, default[0], name=name) for p in parts)
        if default and isinstance(default[0], int | float):
            return tuple(type(default[0])(float(p)) for p in parts)
        return tuple(str(p).strip() for p in parts)
    if isinstance(default, str) or default is None:
        return value
    raise TypeError(f"{name}: cannot set a field of type {type(default).__name__} from {value!r}")


def _field_map(instance: Any) -> dict[str, dataclasses.Field]:
    return {field.name: field for field in dataclasses.fields(instance)}


def apply_overrides(instance: Any, overrides: Sequence[tuple[str, Any]], *, context: str = "parameters") -> Any:
    """Return ``instance`` with ``(dotted_name, value)`` overrides applied (a later override of a name wins).

    All overrides of one dataclass are applied in a single ``dataclasses.replace``, so validation in
    ``__post_init__`` sees the final combination (``duration`` and ``t_stop`` changed together), and a
    choice (``neuron=lif``) is applied before the dotted names below it (``neuron.tau_m``), in any order.
    """
    tree: dict[str, Any] = {}
    for name, value in overrides:
        node = tree
        parts = name.split(".")
        for depth, part in enumerate(parts):
            entry = node.setdefault(part, {"name": ".".join(parts[: depth + 1]), "children": {}})
            if depth == len(parts) - 1:
                entry["value"] = value
            node = entry["children"]
    return _apply_tree(instance, tree, context)


def _apply_tree(instance: Any, tree: Mapping[str, Any], context: str) -> Any:
    fields = _field_map(instance)
    changes = {}
    for head, node in tree.items():
        if head not in fields:
            known = ", ".join(sorted(name for name in fields if not name.startswith("_")))
            raise ValueError(f"unknown parameter {node['name']!r} for {context}; known parameters: {known}")
        field = fields[head]
        value = getattr(instance, head)
        if "value" in node:
            reference = field_default(field)
            value = _coerce(node["name"], node["value"], value if reference is None else reference, field)
        if node["children"]:
            if not dataclasses.is_dataclass(value):
                first = next(iter(node["children"].values()))["name"]
                raise ValueError(f"unknown parameter {first!r} for {context}: {head!r} has no sub-parameters")
            value = _apply_tree(value, node["children"], f"{context}.{head}")
        changes[head] = value
    return dataclasses.replace(instance, **changes) if changes else instance


def resolve_parameters(
    parameters: Any,
    *,
    config_file: str | Path | None = None,
    assignments: Sequence[str] = (),
    context: str = "parameters",
) -> Any:
    """Apply a TOML file and then ``name=value`` assignments to a parameter dataclass (class or instance)."""
    instance = parameters() if isinstance(parameters, type) else parameters
    overrides: list[tuple[str, Any]] = []
    if config_file is not None:
        overrides += _flatten(load_toml(config_file))
    overrides += [parse_assignment(text) for text in assignments]
    return apply_overrides(instance, overrides, context=context)


def parameters_to_dict(instance: Any) -> dict[str, Any]:
    """A JSON-friendly nested dict of a parameter dataclass; quantities become strings like ``"20.0 ms"``."""
    result: dict[str, Any] = {}
    for field in dataclasses.fields(instance):
        value = getattr(instance, field.name)
        if dataclasses.is_dataclass(value):
            result[field.name] = {"__class__": type(value).__name__, **parameters_to_dict(value)}
        elif isinstance(value, Quantity) and np.ndim(value) == 0:
            result[field.name] = format_quantity(value)
        else:
            result[field.name] = to_jsonable(value)
    return result
