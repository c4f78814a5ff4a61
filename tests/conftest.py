"""Test-session settings.

* Brian2's runtime device uses the ``numpy`` code-generation target in tests unless ``BIONEURO_CODEGEN`` is set:
  it needs no compilation, so a fresh machine (cold Cython cache, ~50 s per small network) runs the suite in
  minutes. The Cython path is exercised by the tests that set it explicitly and by ``bioneuro demo``.
* Matplotlib draws off-screen.
* Brian2's default clock is reset before each test on the runtime device.
"""

import os

os.environ.setdefault("BIONEURO_CODEGEN", "numpy")
os.environ.setdefault("MPLBACKEND", "Agg")

import brian2  # noqa: E402

brian2.prefs.codegen.target = os.environ["BIONEURO_CODEGEN"]
brian2.prefs.logging.std_redirection = False


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_brian_clock():
    """On the runtime device, each test starts with Brian2's default time step (0.1 ms), whatever the previous
    test set (Brian2 keeps it in global state). A standalone project opened by a module-scoped fixture is left
    alone."""
    if brian2.get_device().__class__.__name__ == "RuntimeDevice":
        brian2.defaultclock.dt = 0.1 * brian2.ms
    yield
