"""Registry of runnable models, protocols and tasks.

The library never imports ``bioneuro.models`` or ``bioneuro.protocols``. Instead, packages are registered
under the entry-point group ``bioneuro.runnables`` (pyproject.toml registers both of ours; a third-party
package can register its own), and every submodule of a registered package that defines a module-level
``RUNNABLES`` list contributes its entries. Adding a module to ``models/`` therefore needs no
registration step.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Callable
from functools import cache
from importlib.metadata import entry_points
from typing import Any

__all__ = ["Runnable", "KINDS", "discover", "get_runnable"]

KINDS = ("model", "protocol", "task")


@dataclasses.dataclass(frozen=True)
class Runnable:
    """Something ``bioneuro run NAME`` can execute.

    Attributes
    ----------
    name : str
        Command-line name, lower case with hyphens (``"diehl-cook"``, ``"fi-curve"``).
    kind : str
        One of ``"model"``, ``"protocol"``, ``"task"``.
    summary : str
        One line shown by ``bioneuro list``.
    parameters : type
        Frozen dataclass of parameters; its defaults are the documented defaults.
    execute : callable
        ``execute(parameters, context) -> RunRecord``; ``context`` is a :class:`bioneuro.runner.RunContext`.
    figures : callable, optional
        ``figures(record) -> dict[str, matplotlib.figure.Figure]``, drawn after the run and saved as PNG.
    devices : tuple of str
        Devices the runnable supports; the first is its default (``--device`` picks another).
    """

    name: str
    kind: str
    summary: str
    parameters: type
    execute: Callable[..., Any]
    figures: Callable[..., dict[str, Any]] | None = None
    devices: tuple[str, ...] = ("runtime", "standalone")

    def __post_init__(self) -> None:
        unknown = [device for device in self.devices if device not in ("runtime", "standalone")]
        if not self.devices or unknown:
            raise ValueError(f"runnable {self.name!r}: devices {self.devices!r} must name runtime and/or standalone")
        if self.kind not in KINDS:
            raise ValueError(f"runnable {self.name!r}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if not dataclasses.is_dataclass(self.parameters):
            raise TypeError(f"runnable {self.name!r}: parameters must be a dataclass, got {self.parameters!r}")


def _packages() -> list[str]:
    return [entry.value for entry in entry_points(group="bioneuro.runnables")]


@cache
def discover() -> dict[str, Runnable]:
    """All registered runnables by name (modules are imported once, on first call)."""
    found: dict[str, Runnable] = {}
    for package_name in _packages():
        package = importlib.import_module(package_name)
        modules = [package]
        for info in pkgutil.walk_packages(package.__path__, prefix=package_name + "."):
            if info.name.rsplit(".", 1)[-1].startswith("_"):
                continue
            modules.append(importlib.import_module(info.name))
        for module in modules:
            for runnable in getattr(module, "RUNNABLES", ()):
                if runnable.name in found and found[runnable.name] is not runnable:
                    raise RuntimeError(f"two runnables are called {runnable.name!r}: rename one")
                found[runnable.name] = runnable
    return dict(sorted(found.items()))


def get_runnable(name: str) -> Runnable:
    """The runnable called ``name``; ``ValueError`` listing the known names otherwise."""
    runnables = discover()
    if name not in runnables:
        known = ", ".join(runnables) or "(none installed)"
        raise ValueError(f"unknown model, protocol or task {name!r}; known: {known} (see `bioneuro list`)")
    return runnables[name]
