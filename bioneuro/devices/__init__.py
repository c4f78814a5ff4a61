"""bioneuro's C++ standalone device: Brian2's ``cpp_standalone`` with a faster spike queue.

Brian2 lets a package supply its own device (as brian2cuda and brian2genn do). ``bioneuro_standalone`` is
Brian2's :class:`~brian2.devices.cpp_standalone.device.CPPStandaloneDevice` with the changes below, each
measured on the Diehl & Cook network (``benchmarks/bench_diehl_cook.py``, ``results/diehl_cook/``):

* its spike queue (``spikequeue.h`` in this package, replacing Brian2's ``CSpikeQueue`` in the generated
  project) sorts each source's synapses by delay once and pushes a spike as one block copy per
  (source, delay) group, instead of one modulo and ``push_back`` per synapse; the synaptic code receives
  the same events in the same order within each source;
* :func:`runtime_post_indices` lets the compiled program take a synapse object's postsynaptic indices
  from a file at run time, so that a model can lay its synapses out sorted by delay (see
  :func:`delay_sorted_order`): a delayed spike then touches consecutive synapses, and a new random draw of
  delays needs no recompilation.

* with GCC it raises the number of run-time alias checks the vectoriser may emit
  (:data:`GCC_EXTRA_ARGS`): Brian2 declares its array pointers ``__restrict`` inside the function body,
  which GCC does not use, so a state update touching many arrays (e.g. 8 in the Diehl & Cook excitatory
  neurons) was not vectorised at all.

* every code object includes ``vector_math.h`` (in this package): with GCC on x86-64 glibc it declares glibc's
  vector variants of ``exp()`` and ``log()``, which Brian2's ``-fno-finite-math-only`` hides, so that loops
  calling them vectorise (exponential Euler of the Diehl & Cook neurons: ~2x faster);

* its templates (``templates/`` in this package, tried before Brian2's) replace three of Brian2's:
  ``threshold.cpp`` evaluates conditions in blocks of 64 neurons and scans the results a word at a time;
  ``network.cpp`` keeps a clock index per object instead of rebuilding a set of clocks and reading the
  process CPU clock at every time step; ``synapses_classes.cpp`` hands the synaptic code the queue's
  bucket instead of a copy of it (Brian2 gathers its per-thread queues into a new vector at every step);
  a fourth, ``calendar_threshold.cpp``, is chosen per group by :func:`use_calendar_threshold`: for inputs
  that draw their next firing step in advance, a step pops a ring of per-step buckets instead of testing
  every neuron (the Diehl & Cook inputs: ~7 % of the training time);

* :func:`fast_forward` lets a model skip time steps whose effect it can write in closed form (e.g. the
  quiet end of a rest period, where every variable decays): the network loop runs the model's closed-form
  operations once and advances the clocks, when the model asks for it and the state is quiet;

* :func:`memoise_scalar_exp` rewrites the generated code so that a loop-invariant ``exp()`` (Brian2
  evaluates e.g. the exact decay factor ``exp(-dt/tau)`` of each linear variable at every time step) is
  computed again only when its argument changes: the same values, five glibc ``exp`` calls per step fewer in
  the Diehl & Cook excitatory update (scalar ``exp`` 2.9 % -> 2.1 % of the program's perf samples).

Everything else (code generation, templates, ``run_args``) is Brian2's. Select it with
``brian2.set_device("bioneuro_standalone", ...)`` or :class:`bioneuro.runner.StandaloneProject`.
"""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

import numpy as np
from brian2.devices.cpp_standalone.codeobject import CPPStandaloneCodeObject
from brian2.devices.cpp_standalone.device import CPPStandaloneDevice
from brian2.devices.device import all_devices

__all__ = [
    "DEVICE_NAME",
    "GCC_EXTRA_ARGS",
    "BioneuroStandaloneDevice",
    "QUEUE_HEADER",
    "queue_header_text",
    "vector_math_header_text",
    "VECTOR_MATH_HEADER",
    "runtime_post_indices",
    "post_indices_variable",
    "delay_sorted_order",
    "use_calendar_threshold",
    "CALENDAR_TEMPLATE",
    "fast_forward",
]

DEVICE_NAME = "bioneuro_standalone"
#: template of :func:`use_calendar_threshold` (``templates/calendar_threshold.cpp``)
CALENDAR_TEMPLATE = "calendar_threshold"
QUEUE_HEADER = "spikequeue.h"
#: header included in every code object (see its comment): vectorised exp()/log() with GCC and glibc
VECTOR_MATH_HEADER = "vector_math.h"
# where a project holds it (next to Brian2's own library headers)
_VECTOR_MATH_TARGET = f"brianlib/bioneuro_{VECTOR_MATH_HEADER}"
_ENV_PREFIX = "BIONEURO_POST_INDICES_"
#: GCC options this device adds to every build (see the module docstring)
GCC_EXTRA_ARGS = ("--param=vect-max-version-for-alias-checks=64",)


def queue_header_text() -> str:
    """Source of bioneuro's spike queue (models put it in their build keys)."""
    return resources.files(__package__).joinpath(QUEUE_HEADER).read_text()


def vector_math_header_text() -> str:
    """Source of the header that declares glibc's vector variants of exp() and log() (see the header)."""
    return resources.files(__package__).joinpath(VECTOR_MATH_HEADER).read_text()


def _vectoriser_flags() -> list[str]:
    """:data:`GCC_EXTRA_ARGS` when the compiler is GCC-like and accepts them (checked as Brian2 checks its own)."""
    from distutils.ccompiler import new_compiler
    from distutils.sysconfig import customize_compiler

    from brian2.codegen.cpp_prefs import get_compiler_and_args, has_flag

    compiler, _ = get_compiler_and_args()
    if compiler not in ("gcc", "unix"):
        return []
    compiler_object = new_compiler(compiler=compiler, verbose=0)
    customize_compiler(compiler_object)
    return [flag for flag in GCC_EXTRA_ARGS if has_flag(compiler_object, flag)]


class BioneuroCodeObject(CPPStandaloneCodeObject):
    """Brian2's standalone code object; templates in ``bioneuro/devices/templates`` take precedence."""

    templater = CPPStandaloneCodeObject.templater.derive("bioneuro.devices")


_SCALAR_EXP = re.compile(r"^(?P<indent>[ \t]*)const double (?P<name>_lio_\d+) = exp\((?P<arg>.*)\);[ \t]*$")


def _one_call_argument(text: str) -> bool:
    """Whether ``text`` is balanced in parentheses, i.e. ``exp(text)`` is one call of the whole line."""
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def memoise_scalar_exp(code: str) -> str:
    """Rewrite the loop-invariant exponentials of generated C++ so that each is computed again only when
    its argument changes.

    Brian2 hoists loop invariants into the "scalar" part of a code object as ``const double _lio_N =
    exp(...);`` and evaluates them at every time step: e.g. the exact decay factor ``exp(-dt/tau)`` of
    each linear variable, five glibc ``exp`` calls per step in the Diehl & Cook excitatory update. Each
    such line becomes a function-static cache of (argument, value): the same ``exp`` of the same argument,
    hence the same bits, called once per distinct argument (after a change of ``dt`` or of a shared
    variable in the argument it is computed again). Other lines are left as they are.
    """
    lines = []
    for line in code.split("\n"):
        match = _SCALAR_EXP.match(line)
        if match is None or not _one_call_argument(match["arg"]):
            lines.append(line)
            continue
        indent, name, arg = match["indent"], match["name"], match["arg"]
        lines += [
            f"{indent}static bool {name}_known = false;",
            f"{indent}static double {name}_arg = 0.0, {name}_value = 0.0;",
            f"{indent}const double {name}_x = {arg};",
            f"{indent}if (!{name}_known || {name}_x != {name}_arg)",
            f"{indent}{{ {name}_arg = {name}_x; {name}_value = exp({name}_x); {name}_known = true; }}",
            f"{indent}const double {name} = {name}_value;",
        ]
    return "\n".join(lines)


class BioneuroStandaloneDevice(CPPStandaloneDevice):
    """Brian2's C++ standalone device with bioneuro's spike queue (see the module docstring)."""

    def __init__(self):
        super().__init__()
        self.headers.append(f'"{_VECTOR_MATH_TARGET}"')
        self.fast_forwards: list[dict] = []  # registered by fast_forward()

    def _insert_fast_forward(self, net, run_lines: list[str]) -> None:
        """Register ``net``'s fast-forwards (:func:`fast_forward`) in its run lines, before its ``run()`` call."""
        members = {id(obj) for obj in net.objects}
        lines = []
        for spec in self.fast_forwards:
            in_net = [op for op in spec["operations"] if id(op) in members]
            if not in_net:
                continue
            if len(in_net) != len(spec["operations"]):
                raise ValueError("fast_forward: add all of its operations to the network, or none")
            group, name = spec["request"]
            request = f"&brian::{self.get_array_name(group.variables[name])}[0]"
            counter = "NULL"
            if spec["counter"] is not None:
                counter_group, counter_name = spec["counter"]
                counter_variable = counter_group.variables[counter_name]
                counter = f"&brian::{self.get_array_name(counter_variable)}[0]"
                # written by the loop, which Brian2 does not know: read it from the results, not the cache
                self.array_cache[counter_variable] = None
            lines.append(f"{net.name}.fast_forward({request}, {counter});")
            for op in in_net:
                for codeobj in op._code_objects:
                    lines.append(f"{net.name}.fast_forward_operation(_run_{codeobj.name});")
            for group, name, bound in spec["quiet"]:
                variable = group.variables[name]
                array = f"brian::{self.get_array_name(variable)}"
                if bound is None:
                    lines.append(f"{net.name}.fast_forward_quiet((const char *){array}, {variable.size});")
                else:
                    lines.append(f"{net.name}.fast_forward_quiet({array}, {variable.size}, {float(bound)!r});")
        if not lines or lines[0] in run_lines:  # none, or inserted by an earlier build
            return
        position = next(k for k, line in enumerate(run_lines) if line.startswith(f"{net.name}.run("))
        run_lines[position:position] = lines

    def code_object_class(self, codeobj_class=None, fallback_pref=None):
        return BioneuroCodeObject if codeobj_class is None else codeobj_class

    def code_object(self, *args, **kwds):
        codeobj = super().code_object(*args, **kwds)
        # per-step code: loop-invariant exp() computed again only when its argument changes (same values)
        codeobj.code.cpp_file = memoise_scalar_exp(codeobj.code.cpp_file)
        return codeobj

    def build(self, *args, **kwds):
        from brian2 import prefs

        if prefs.devices.cpp_standalone.openmp_threads:
            raise ValueError(
                "bioneuro_standalone runs on one thread (its network loop has no OpenMP support); set "
                "prefs.devices.cpp_standalone.openmp_threads = 0 or use Brian2's 'cpp_standalone'"
            )
        for flag in _vectoriser_flags():
            if flag not in self.extra_compile_args:
                self.extra_compile_args.append(flag)
        # the code objects of every run exist now: register the fast-forwards before each network's run()
        for kind, arguments in self.main_queue:
            if kind == "run_network":
                self._insert_fast_forward(*arguments)
        return super().build(*args, **kwds)

    def copy_source_files(self, writer, directory):
        queue = Path(directory, "brianlib", "spikequeue.h")
        previous = _snapshot(queue)
        super().copy_source_files(writer, directory)  # writes Brian2's queue into brianlib/spikequeue.h
        _write_keeping_time_stamp(queue, queue_header_text(), previous)
        header = Path(directory, _VECTOR_MATH_TARGET)
        _write_keeping_time_stamp(header, vector_math_header_text(), _snapshot(header))


def _snapshot(path: Path) -> tuple[str, int] | None:
    """(text, modification time) of an existing file, else None."""
    return (path.read_text(), path.stat().st_mtime_ns) if path.exists() else None


def _write_keeping_time_stamp(target: Path, text: str, previous: tuple[str, int] | None) -> None:
    """Write ``text``; if it equals the ``previous`` snapshot, keep the old time stamp so that make does not
    recompile what includes it."""
    target.write_text(text)
    if previous is not None and previous[0] == text:
        os.utime(target, ns=(previous[1], previous[1]))


def post_indices_variable(synapses) -> str:
    """Name of the environment variable that points the compiled program to new post indices."""
    return _ENV_PREFIX + synapses.name


def runtime_post_indices(synapses) -> None:
    """Let the compiled program replace ``synapses``' postsynaptic indices at run time.

    Call after ``connect()`` and before the values that depend on the layout are set (for instance right
    after ``device.apply_run_args()``). At run time, if the environment variable
    :func:`post_indices_variable` names a file of ``int32`` values (one per synapse), the program reads
    the postsynaptic index of every synapse from it; otherwise the connect() order stays. The
    presynaptic indices never change, so a file may only permute postsynaptic partners among the synapses
    of each presynaptic neuron (the caller checks this: see :func:`delay_sorted_order`).
    """
    from brian2 import get_device

    device = get_device()
    if not isinstance(device, CPPStandaloneDevice):
        raise TypeError(f"runtime_post_indices needs a C++ standalone device, not {type(device).__name__}")
    array = device.get_array_name(synapses.variables["_synaptic_post"], access_data=False)
    variable = post_indices_variable(synapses)
    code = f"""
{{
    const char *_bioneuro_path = std::getenv("{variable}");
    if (_bioneuro_path != NULL && _bioneuro_path[0] != '\\0')
    {{
        std::ifstream _bioneuro_file(_bioneuro_path, std::ios::binary | std::ios::ate);
        const std::streamsize _expected = (std::streamsize)(brian::{array}.size() * sizeof(int32_t));
        if (!_bioneuro_file.is_open())
        {{
            std::cout << "bioneuro: cannot open the post-index file " << _bioneuro_path << std::endl;
            std::cerr << "bioneuro: cannot open the post-index file " << _bioneuro_path << std::endl;
            std::exit(3);
        }}
        if (_bioneuro_file.tellg() != _expected)
        {{
            std::cout << "bioneuro: " << _bioneuro_path << " holds " << _bioneuro_file.tellg()
                      << " bytes, expected " << _expected << " (one int32 per synapse)" << std::endl;
            std::cerr << "bioneuro: " << _bioneuro_path << " holds " << _bioneuro_file.tellg()
                      << " bytes, expected " << _expected << " (one int32 per synapse)" << std::endl;
            std::exit(3);
        }}
        _bioneuro_file.seekg(0);
        _bioneuro_file.read(reinterpret_cast<char *>(&brian::{array}[0]), _expected);
    }}
}}
"""
    device.insert_code("main", code)


def delay_sorted_order(pre: np.ndarray, post: np.ndarray, delay_steps: np.ndarray) -> np.ndarray:
    """Permutation that sorts synapses by (pre, delay step, post), for :func:`runtime_post_indices`.

    Parameters
    ----------
    pre, post : ndarray of int
        Pre- and postsynaptic indices in connect() order; ``pre`` must be non-decreasing (Brian2 creates
        synapses presynaptic-major).
    delay_steps : ndarray of int
        Delay of each synapse in time steps, rounded as the spike queue rounds them.

    Returns
    -------
    ndarray of int64
        ``order`` such that the synapse at position ``k`` of the new layout is synapse ``order[k]`` of the
        connect() layout: new post indices are ``post[order]``, a per-synapse value ``x`` is laid out as
        ``x[order]`` and read back with ``x[order] = laid_out``.
    """
    pre = np.asarray(pre)
    post = np.asarray(post)
    delay_steps = np.asarray(delay_steps)
    if not (pre.shape == post.shape == delay_steps.shape) or pre.ndim != 1:
        raise ValueError("pre, post and delay_steps must be 1-D arrays of one length")
    if np.any(np.diff(pre) < 0):
        raise ValueError("synapses must be in presynaptic-major order (pre non-decreasing)")
    order = np.lexsort((post, delay_steps, pre))
    return order.astype(np.int64)


def use_calendar_threshold(group, max_span: int = 1 << 16) -> bool:
    """Let ``group``'s spike threshold pop a calendar of known firing steps instead of testing every neuron.

    For groups that decide each neuron's next firing step in advance (e.g. Poisson inputs drawn as
    geometric gaps). The caller guarantees the contract of ``templates/calendar_threshold.cpp``: the
    threshold is equivalent to ``next_step <= clip(timestep(t, dt), -1, last_step)``, and within a run
    ``next_step`` changes only in the reset of the neurons that fired, or in a step in which the shared
    ``last_step`` changes. The events (neurons and their order) are those of Brian2's threshold; the cost per
    step is that of the neurons that fire instead of the whole group.

    ``max_span`` (a power of two) bounds the ring of per-step buckets: neurons due more than ``max_span``
    steps ahead are filed when the ring has been passed through (a rescan of the group), so that a distant
    ``last_step`` costs no memory. Only the compiled program of this device has the template: on any other
    device the group keeps Brian2's threshold and False is returned. Raises ValueError if the group lacks the
    variables of the contract, is refractory, or ``max_span`` is not a power of two.
    """
    from brian2 import get_device

    variables = group.variables
    for name, shared in (("next_step", False), ("last_step", True)):
        variable = variables.get(name)
        if variable is None or not np.issubdtype(variable.dtype, np.integer) or variable.scalar != shared:
            kind = "a shared integer" if shared else "an integer"
            raise ValueError(f"use_calendar_threshold: {group.name} needs {kind} variable {name!r}")
    thresholder = group.thresholder.get("spike")
    if thresholder is None:
        raise ValueError(f"use_calendar_threshold: {group.name} has no spike threshold")
    if thresholder.template_kwds.get("_uses_refractory"):
        raise ValueError(f"use_calendar_threshold: {group.name} is refractory, which the calendar does not handle")
    if max_span < 1 or max_span & (max_span - 1):
        raise ValueError(f"use_calendar_threshold: max_span must be a power of two, got {max_span}")
    if not isinstance(get_device(), BioneuroStandaloneDevice):
        return False
    thresholder.template = CALENDAR_TEMPLATE
    thresholder.template_kwds = dict(thresholder.template_kwds, _bioneuro_max_span=int(max_span))
    return True


def fast_forward(request, operations, quiet=(), name: str | None = None, counter=None) -> list:
    """Let the compiled network skip time steps whose effect the model applies in closed form.

    At the end of a time step (after every object of the step has run) the network loop reads the shared
    integer variable ``request`` (a ``(group, variable name)`` pair), which the model's code sets in each
    step. If it is ``n > 0`` and every ``quiet`` condition holds, the loop runs the ``operations`` once and
    then advances the clock of the operations by ``n`` steps beyond the current one (other clocks to their
    first tick at or after that time; never beyond the end of the run): the skipped steps run none of the
    network's objects. Otherwise the step ends as usual (a request that is not quiet yet is simply made again
    by the model at a later step).

    The model guarantees what makes this exact or bounded: in the skipped steps nothing would happen but
    what the operations apply (no spikes, no queued synaptic events, no monitor recording on the skipped
    clock), and the operations apply the effect of the skipped steps, reading their number from ``request``
    (which the loop sets to the steps it skips: fewer than asked for when the run ends sooner). Quiet
    conditions let the model state when that holds: ``(group, name, bound)`` requires ``|x| <= bound`` for
    every element of a floating-point variable, ``(group, name, None)`` that a boolean variable is true
    everywhere (e.g. ``not_refractory``).

    Parameters
    ----------
    request : tuple
        ``(group, name)`` of a shared ``integer`` variable, or an ``integer`` variable of a one-neuron group
        (the operations may read it through linked variables).
    operations : sequence of (group, code)
        Abstract code run on each group (``run_regularly`` on the group's clock, which must be the same
        clock for all of them) when steps are skipped, in the given order.
    quiet : sequence of (group, name, bound or None)
    name : str, optional
        Prefix of the operations' names (default: the request group's name).
    counter : tuple, optional
        ``(group, name)`` of a variable like ``request`` to which the loop adds the number of steps it
        skips (a record of how much was skipped, readable after the run).

    Returns
    -------
    list
        The operations (``run_regularly`` objects) to add to the network. On any device other than
        ``bioneuro_standalone`` nothing is created and the list is empty: the model then steps through
        every step.
    """
    from brian2 import get_device

    for pair in (request,) if counter is None else (request, counter):
        group, variable_name = pair
        variable = group.variables.get(variable_name)
        if variable is None or variable.dtype != np.int32 or not (variable.scalar or len(group) == 1):
            raise ValueError(
                f"fast_forward: {group.name}.{variable_name} must be a shared integer variable or one of a "
                "one-neuron group"
            )
    group, variable_name = request
    checked = []
    for entry in quiet:
        quiet_group, quiet_name, bound = entry
        quiet_variable = quiet_group.variables.get(quiet_name)
        if quiet_variable is None or not hasattr(quiet_variable, "size") or quiet_variable.dynamic:
            raise ValueError(f"fast_forward: {quiet_group.name}.{quiet_name} is not a state array")
        if bound is None:
            if quiet_variable.dtype != bool:
                raise ValueError(f"fast_forward: {quiet_group.name}.{quiet_name} must be boolean for a bound of None")
        else:
            if quiet_variable.dtype != np.float64:
                raise ValueError(f"fast_forward: {quiet_group.name}.{quiet_name} must be float64 to take a bound")
            if not float(bound) >= 0:
                raise ValueError(f"fast_forward: bound must be >= 0, got {bound!r}")
        checked.append((quiet_group, quiet_name, bound))
    operations = list(operations)
    if not operations:
        raise ValueError("fast_forward: needs at least one closed-form operation")
    clocks = {id(op_group.clock) for op_group, _ in operations}
    if len(clocks) != 1:
        raise ValueError("fast_forward: the operations' groups must share one clock")
    device = get_device()
    if not isinstance(device, BioneuroStandaloneDevice):
        return []
    prefix = name or group.name
    created = [
        op_group.run_regularly(code, when="end", order=10_000 + k, name=f"{prefix}_fast_forward_{k}")
        for k, (op_group, code) in enumerate(operations)
    ]
    device.fast_forwards.append(
        {"request": (group, variable_name), "operations": created, "quiet": checked, "counter": counter}
    )
    return created


all_devices[DEVICE_NAME] = BioneuroStandaloneDevice()
