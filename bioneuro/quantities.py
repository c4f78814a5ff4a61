"""Parsing and formatting of physical quantities written as text (``"20 ms"``, ``"-65 mV"``).

Configuration files and ``--set name=value`` arguments carry quantities as strings. They are parsed with a
small grammar over a whitelist of Brian2 units — never with ``eval`` — so that a typo cannot execute code
and a value with the wrong dimension is caught at the boundary with a message that names it.

Grammar::

    quantity := number [unit_expr]
    unit_expr := unit_term (("*" | "/") unit_term)*
    unit_term := unit_name ["**" integer] | "(" unit_expr ")"

Unit names are the Brian2 base and scaled units for time, voltage, current, conductance, capacitance,
resistance, frequency, length, area and their densities (``uA/cm**2``, ``mS/cm**2``, ``uF/cm**2``), plus
``celsius``-free temperatures given as plain numbers.
"""

from __future__ import annotations

import math
import re
from typing import Any

import brian2 as b2
import numpy as np
from brian2.units.fundamentalunits import DimensionMismatchError, Quantity, get_dimensions

__all__ = [
    "UNIT_WHITELIST",
    "parse_quantity",
    "format_quantity",
    "check_dimension",
    "check_positive",
    "is_quantity",
    "to_jsonable",
]


def _whitelist() -> dict[str, Quantity]:
    bases = [
        "second", "volt", "amp", "siemens", "farad", "ohm", "hertz", "meter", "metre", "coulomb",
        "mole", "molar", "gram", "kilogram", "joule", "watt", "liter", "litre",
    ]
    prefixes = ["", "m", "u", "n", "p", "k", "M", "G", "f", "c"]
    from brian2.units import allunits

    table: dict[str, Quantity] = {}
    for base in bases:
        for prefix in prefixes:
            name = prefix + base
            unit = getattr(allunits, name, None)
            if unit is not None and isinstance(unit, Quantity):
                table[name] = unit
    aliases = {
        "s": "second", "ms": "msecond", "us": "usecond", "ns": "nsecond",
        "V": "volt", "mV": "mvolt", "uV": "uvolt",
        "A": "amp", "mA": "mamp", "uA": "uamp", "nA": "namp", "pA": "pamp", "fA": "famp",
        "S": "siemens", "mS": "msiemens", "uS": "usiemens", "nS": "nsiemens", "pS": "psiemens",
        "F": "farad", "mF": "mfarad", "uF": "ufarad", "nF": "nfarad", "pF": "pfarad",
        "Ohm": "ohm", "kohm": "kohm", "Mohm": "Mohm", "Gohm": "Gohm",
        "kOhm": "kohm", "MOhm": "Mohm", "GOhm": "Gohm",
        "Hz": "hertz", "kHz": "khertz", "MHz": "Mhertz",
        "m": "metre", "cm": "cmetre", "mm": "mmetre", "um": "umetre", "nm": "nmetre",
        "mM": "mmolar", "uM": "umolar",
    }
    short = {alias: getattr(allunits, target) for alias, target in aliases.items()}
    short.update({"cm2": allunits.cmetre**2, "um2": allunits.umetre**2, "mm2": allunits.mmetre**2,
                  "minute": 60 * allunits.second})
    table.update(short)
    return table


UNIT_WHITELIST: dict[str, Quantity] = _whitelist()

_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_TOKEN = re.compile(rf"\s*(?:(?P<number>{_NUMBER})|(?P<name>[A-Za-z_][A-Za-z_0-9]*)|(?P<op>\*\*|[*/()]))")


def _tokens(text: str) -> list[tuple[str, str]]:
    position, found = 0, []
    text = text.replace("µ", "u").replace("μ", "u").replace("Ω", "ohm").replace("^", "**")
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:
            raise ValueError(f"cannot parse quantity {text!r}: unexpected {text[position:].strip()!r}")
        kind = match.lastgroup
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


class _UnitParser:
    def __init__(self, text: str, tokens: list[tuple[str, str]]):
        self.text, self.tokens, self.position = text, tokens, 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise ValueError(f"cannot parse quantity {self.text!r}: it ends too early")
        self.position += 1
        return token

    def expression(self) -> Quantity:
        token = self.peek()
        value = 1.0 if token is not None and token[1] in ("*", "/") else self.term()
        while (token := self.peek()) is not None and token[1] in ("*", "/"):
            self.take()
            right = self.term()
            value = value * right if token[1] == "*" else value / right
        return value

    def term(self) -> Quantity:
        kind, text = self.take()
        if text == "(":
            value = self.expression()
            if self.take()[1] != ")":
                raise ValueError(f"cannot parse quantity {self.text!r}: missing ')'")
        elif kind == "name":
            if text not in UNIT_WHITELIST:
                raise ValueError(
                    f"unknown unit {text!r} in {self.text!r}; expected one of e.g. ms, mV, nA, nS, pF, "
                    "Mohm, Hz, uA/cm**2, mS/cm**2, uF/cm**2"
                )
            value = UNIT_WHITELIST[text]
        elif kind == "number" and text == "1":
            value = 1.0  # allows "1/ms"
        else:
            raise ValueError(f"cannot parse quantity {self.text!r}: expected a unit, got {text!r}")
        if (token := self.peek()) is not None and token[1] == "**":
            self.take()
            kind, exponent = self.take()
            if kind != "number" or not re.fullmatch(r"[+-]?\d+", exponent):
                raise ValueError(f"cannot parse quantity {self.text!r}: exponent must be an integer")
            value = value ** int(exponent)
        return value


def parse_quantity(text: str | float | int | Quantity, expected_unit: Any = None, *, name: str = "value"):
    """Parse ``"20 ms"``-style text into a Brian2 quantity, checking its dimension.

    Parameters
    ----------
    text : str or number or Quantity
        The value as written, e.g. ``"20 ms"``, ``"-65 mV"``, ``"10 uA/cm**2"``, ``"0.3"``. Numbers and
        quantities pass through (numbers only where the expected unit is dimensionless).
    expected_unit : Quantity or Unit, optional
        A quantity of the expected dimension; ``None`` accepts any dimension.
    name : str
        Name used in error messages.

    Returns
    -------
    Quantity or float
        The parsed value (a plain float when dimensionless).
    """
    if isinstance(text, bool):
        raise TypeError(f"{name}: expected a quantity, got the boolean {text!r}")
    if isinstance(text, Quantity):
        value = text
    elif isinstance(text, int | float | np.number):
        value = float(text)
    elif isinstance(text, str):
        tokens = _tokens(text.strip())
        if not tokens or tokens[0][0] != "number":
            raise ValueError(f"{name}: cannot parse {text!r}; expected a number followed by a unit, e.g. '20 ms'")
        number = float(tokens[0][1])
        if not math.isfinite(number):
            raise ValueError(f"{name}: {text!r} is not a finite number")
        value = number
        if len(tokens) > 1:
            parser = _UnitParser(text, tokens[1:])
            value = number * parser.expression()
            if parser.position != len(parser.tokens):
                raise ValueError(f"{name}: cannot parse {text!r}: trailing {parser.tokens[parser.position][1]!r}")
    else:
        raise TypeError(f"{name}: expected a quantity string such as '20 ms', got {type(text).__name__} {text!r}")
    if expected_unit is not None:
        check_dimension(value, expected_unit, name=name, shown=text if isinstance(text, str) else None)
    if isinstance(value, Quantity) and get_dimensions(value).is_dimensionless:
        value = float(value)
    return value


def check_dimension(value: Any, expected_unit: Any, *, name: str = "value", shown: str | None = None) -> None:
    """Raise ``TypeError`` naming ``value`` unless it has the dimension of ``expected_unit``."""
    expected_dims = get_dimensions(expected_unit)
    got_dims = get_dimensions(value)
    if got_dims is not expected_dims and got_dims != expected_dims:
        expected_text = "dimensionless" if expected_dims.is_dimensionless else _unit_name(expected_unit)
        shown = format_quantity(value) if shown is None else shown
        raise TypeError(f"{name}: {shown!r} has the wrong dimension; expected {expected_text}")


_EXAMPLES = {
    "s": "a time such as '20 ms'", "V": "a voltage such as '-65 mV'",
    "A": "a current such as '0.5 nA'", "S": "a conductance such as '10 nS'",
    "F": "a capacitance such as '200 pF'", "ohm": "a resistance such as '100 Mohm'",
    "Hz": "a rate such as '10 Hz'", "Ω": "a resistance such as '100 Mohm'",
}


def _unit_name(unit: Any) -> str:
    try:
        base = str(b2.get_unit(get_dimensions(unit)))
    except (KeyError, DimensionMismatchError):
        return str(get_dimensions(unit))
    return _EXAMPLES.get(base, f"a quantity in {base.replace('^', '**')}")


def check_positive(value: Any, *, name: str = "value", allow_zero: bool = False) -> None:
    """Raise ``ValueError`` naming ``value`` unless every element is > 0 (or >= 0 with ``allow_zero``)."""
    raw = np.asarray(value)
    bad = raw < 0 if allow_zero else raw <= 0
    if np.any(bad) or np.any(~np.isfinite(raw)):
        requirement = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name}: {format_quantity(value)!r} is not allowed; expected a finite {requirement} value")


def is_quantity(value: Any) -> bool:
    """True for Brian2 quantities with a physical dimension."""
    return isinstance(value, Quantity) and not get_dimensions(value).is_dimensionless


def format_quantity(value: Any) -> str:
    """Format a quantity (or number) as text that :func:`parse_quantity` reads back exactly."""
    if isinstance(value, Quantity) and not get_dimensions(value).is_dimensionless:
        if np.ndim(value) == 0:
            unit = value.get_best_unit()
            return f"{_short(float(value / unit))} {str(unit).replace('^', '**')}"
        return str(value)
    if isinstance(value, Quantity | np.floating):
        value = float(value)
    if isinstance(value, float) and math.isfinite(value):
        return _short(value)
    return str(value)


def _short(number: float) -> str:
    """Shortest text of ``number`` at 15 significant digits (hides binary noise: 0.35, not 0.35000000000000003)."""
    return repr(float(f"{number:.15g}"))


def to_jsonable(value: Any) -> Any:
    """Convert for strict JSON: quantities become ``"20.0 ms"`` strings, numpy values Python values, paths
    strings, and non-finite floats (NaN, infinities: undefined statistics) ``None``."""
    if isinstance(value, Quantity) and not get_dimensions(value).is_dimensionless:
        return format_quantity(value) if np.ndim(value) == 0 else [format_quantity(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Quantity):
        return to_jsonable(float(value)) if np.ndim(value) == 0 else to_jsonable(np.asarray(value).tolist())
    if hasattr(value, "__fspath__"):
        return str(value)
    return value
