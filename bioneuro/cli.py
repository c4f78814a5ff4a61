"""The ``bioneuro`` command.

``main(argv=None) -> int`` is the whole program, so it is testable in-process. Subcommands:

* ``list``      registered models, protocols and tasks with one-line summaries;
* ``run NAME``  run one of them with ``--set name=value`` / ``--config FILE`` overrides, a seed and a device;
* ``show RUN``  summary of a run folder;
* ``demo``      the short tour (``run demo``), on data that ships with the installation;
* ``params NAME`` the parameters of a runnable with their defaults (what ``--set`` accepts).

Errors caused by the input (unknown names, bad values, unreadable files) print one line on stderr, exit with
status 2, and leave no run folder behind.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

__all__ = ["main", "build_parser"]

EXAMPLES = """\
examples:
  bioneuro list
  bioneuro demo
  bioneuro params current-clamp
  bioneuro run current-clamp --set neuron=hodgkin-huxley --set amplitude="10 uA/cm**2"
  bioneuro run diehl-cook --device standalone --set n_neurons=100 --seed 1
  bioneuro show results/protocol/current-clamp/<stamp>-<sha>

Quantities are written with their unit ("20 ms", "-65 mV", "0.5 nA"); see `bioneuro params NAME`.
Data sets are looked for in --data / $BIONEURO_DATA / ~/.cache/bioneuro (see the README).
"""

USER_ERRORS = (ValueError, TypeError, FileNotFoundError, FileExistsError, PermissionError, KeyError)


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", dest="assignments", action="append", default=[], metavar="NAME=VALUE",
                        help="override a parameter, e.g. --set tau_m='20 ms' (repeatable; dotted names reach "
                             "nested parameters: --set neuron.tau_m='10 ms')")
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="TOML file of parameter overrides, applied before --set")
    parser.add_argument("--seed", type=int, default=None,
                        help="random seed (default: a fresh one, recorded in the run folder)")
    parser.add_argument("--device", choices=("runtime", "standalone"), default=None,
                        help="runtime: Brian2 Cython runtime, for short work; standalone: compiled C++ "
                             "program, for long work (default: the runnable's own; see `bioneuro params NAME`)")
    parser.add_argument("--out", type=Path, default=Path("results"), metavar="DIR",
                        help="root of run folders: DIR/<kind>/<name>/<stamp>-<gitsha>/ (default: ./results)")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.add_argument("--no-figures", action="store_true", help="do not draw figures")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bioneuro",
        description="Biologically faithful spiking-network models, protocols and analysis on Brian2.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from bioneuro import __version__

    parser.add_argument("--version", action="version", version=f"bioneuro {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    listing = commands.add_parser("list", help="list models, protocols and tasks")
    listing.add_argument("--kind", choices=("model", "protocol", "task"), help="only this kind")

    run = commands.add_parser("run", help="run a model, protocol or task and write a run folder",
                              epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("name", help="what to run (see `bioneuro list`)")
    _add_run_options(run)
    run.add_argument("--resume", type=Path, metavar="RUN_DIR",
                     help="continue an interrupted run from its last checkpoint (the .partial folder it left)")

    params = commands.add_parser("params", help="show the parameters of a runnable and their defaults")
    params.add_argument("name")

    show = commands.add_parser("show", help="summarise a run folder")
    show.add_argument("run", type=Path, help="a run folder or its run.h5")
    show.add_argument("--figures", action="store_true",
                      help="draw the run's figures again from its run.h5 into the run folder (for a run made "
                           "with --no-figures, or after the figures changed); existing PNGs are replaced")

    demo = commands.add_parser("demo", help="short tour on embedded data (no download needed)")
    _add_run_options(demo)

    validate = commands.add_parser(
        "validate", help="check every protocol against published or analytic values; writes VALIDATION.md",
        description="Runs the validation checks (the 'validate' task) and writes <report-dir>/VALIDATION.md "
                    "with figures in <report-dir>/validation/. Exit status 1 if a tested value fails.")
    validate.add_argument("--only", action="append", default=[], metavar="CHECK",
                          help="run only this check (repeatable); see `bioneuro params validate`")
    validate.add_argument("--report-dir", default=None, metavar="DIR",
                          help="folder for VALIDATION.md (default: ./results)")
    _add_run_options(validate)

    cache = commands.add_parser(
        "cache", help="list or remove compiled standalone builds",
        description="Each network structure run on the standalone device is compiled once into "
                    "<cache>/standalone/<name>-<hash>/ ($BIONEURO_CACHE, default ~/.cache/bioneuro) and reused "
                    "by later runs. `bioneuro cache` lists the builds with their size and last use; "
                    "`bioneuro cache clean` removes them (a removed build is compiled again when next "
                    "needed, ~20 s). Builds in use by a running process are never removed. Downloaded data "
                    "sets in the same cache are not touched.",
        epilog="examples:\n  bioneuro cache\n  bioneuro cache clean --older-than 30 --dry-run\n"
               "  bioneuro cache clean",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    cache.add_argument("action", nargs="?", choices=("list", "clean"), default="list",
                       help="list (default) or clean")
    cache.add_argument("--older-than", type=float, default=None, metavar="DAYS",
                       help="clean: only builds not used for DAYS days (default: every build not in use)")
    cache.add_argument("--dry-run", action="store_true", help="clean: show what would be removed, remove nothing")
    cache.add_argument("--cache-dir", type=Path, default=None, metavar="DIR",
                       help="cache root (default: $BIONEURO_CACHE or ~/.cache/bioneuro)")

    _add_plugin_commands(commands)
    return parser


def _add_plugin_commands(commands: Any) -> None:
    """Subcommands contributed by library subpackages (analysis)."""
    try:
        from bioneuro.analysis.report import add_analyze_parser
    except ImportError:
        return
    add_analyze_parser(commands)


# ----------------------------------------------------------------------------------------- commands


def _cmd_list(args: argparse.Namespace) -> int:
    from bioneuro.registry import KINDS, discover

    runnables = discover()
    for kind in KINDS:
        if args.kind not in (None, kind):
            continue
        selected = [r for r in runnables.values() if r.kind == kind]
        if not selected:
            continue
        print(f"{kind}s:")
        width = max(len(r.name) for r in selected)
        for runnable in selected:
            print(f"  {runnable.name:<{width}}  {runnable.summary}")
    if not runnables:
        print("no models, protocols or tasks are installed")
    return 0


def _describe_fields(instance: Any, prefix: str = "") -> list[str]:
    from bioneuro.quantities import format_quantity

    lines = []
    for field in dataclasses.fields(instance):
        if field.name.startswith("_"):
            continue
        value = getattr(instance, field.name)
        choices = field.metadata.get("choices")
        help_text = field.metadata.get("help", "")
        if dataclasses.is_dataclass(value):
            label = type(value).__name__
            if choices:
                label += f" (choices: {', '.join(choices)})"
            lines.append(f"  {prefix}{field.name} = {label}  {help_text}".rstrip())
            lines += _describe_fields(value, prefix=f"{prefix}{field.name}.")
        else:
            shown = format_quantity(value) if not isinstance(value, str) else repr(value)
            if value is None:  # a keyword standing for a value computed from other fields, if the field has one
                shown = next((key for key, meant in field.metadata.get("keywords", {}).items() if meant is None), shown)
            if choices:
                shown += f" (choices: {', '.join(choices)})"
            lines.append(f"  {prefix}{field.name} = {shown}  {help_text}".rstrip())
    return lines


def _cmd_params(args: argparse.Namespace) -> int:
    from bioneuro.registry import get_runnable

    runnable = get_runnable(args.name)
    print(f"{runnable.name} ({runnable.kind}): {runnable.summary}")
    print(f"  devices: {', '.join(runnable.devices)} (default {runnable.devices[0]})")
    doc = (runnable.parameters.__doc__ or "").strip().splitlines()
    if doc:
        print(textwrap.indent(doc[0], "  "))
    print("parameters (--set NAME=VALUE):")
    print("\n".join(_describe_fields(runnable.parameters())))
    return 0


def _cmd_run(args: argparse.Namespace, name: str | None = None, argv: list[str] | None = None) -> int:
    _print_summary(_run(args, name, argv))
    return 0


def _run(args: argparse.Namespace, name: str | None, argv: list[str] | None) -> Path:
    """Resolve parameters, execute the runnable and return its run folder."""
    from bioneuro.config import resolve_parameters
    from bioneuro.registry import get_runnable
    from bioneuro.runner import RunContext, execute

    runnable = get_runnable(name or args.name)
    parameters = resolve_parameters(runnable.parameters, config_file=args.config,
                                    assignments=args.assignments, context=runnable.name)
    device = args.device or runnable.devices[0]
    if device not in runnable.devices:
        raise ValueError(f"{runnable.name} runs on {' or '.join(runnable.devices)}, not --device {device}")
    context = RunContext(seed=args.seed, device=device, progress=not args.no_progress,
                         resume=getattr(args, "resume", None))
    command = ["bioneuro", *(argv if argv is not None else sys.argv[1:])]
    return execute(runnable, parameters, context, out_root=args.out, command=command,
                   draw_figures=not args.no_figures)


def _cmd_validate(args: argparse.Namespace, argv: list[str] | None = None) -> int:
    if args.only:
        args.assignments.append(f"checks={','.join(args.only)}")
    if args.report_dir is not None:
        args.assignments.append(f"report_dir={args.report_dir}")
    folder = _run(args, "validate", argv)
    _print_summary(folder)
    metrics = json.loads((folder / "metrics.json").read_text())
    if metrics.get("n_failed", 0) or metrics.get("n_errors", 0):
        print(f"bioneuro: validation failed: {metrics.get('n_failed')} values out of tolerance, "
              f"{metrics.get('n_errors')} checks raised (see {metrics.get('report')})", file=sys.stderr)
        return 1
    return 0


def _print_summary(folder: Path) -> None:
    metrics = json.loads((folder / "metrics.json").read_text())
    print(f"run folder: {folder}")
    for key, value in metrics.items():
        if isinstance(value, int | float | str | bool):
            print(f"  {key}: {value}")
    pictures = sorted(p.name for p in folder.glob("*.png"))
    if pictures:
        print(f"  figures: {', '.join(pictures)}")


def _cmd_show(args: argparse.Namespace) -> int:
    from bioneuro.io.record import read_run

    record = read_run(args.run)
    folder = args.run if args.run.is_dir() else args.run.parent
    info = record.provenance
    print(f"{record.kind} {record.name}  ({folder})")
    print(f"  command: {info.get('command', '?')}")
    print(f"  git: {info.get('git_revision', '?')}  device: {info.get('device', '?')}  seed: {info.get('seed', '?')}"
          f"  wall time: {info.get('wall_time_run_s', '?')} s")
    print(f"  versions: python {info.get('python_version', '?')}, brian2 {info.get('brian2_version', '?')}, "
          f"numpy {info.get('numpy_version', '?')}")
    if record.metrics:
        print("metrics:")
        for key, value in record.metrics.items():
            if not isinstance(value, dict | list):
                print(f"  {key}: {value}")
    for population, trains in record.spikes.items():
        print(f"spikes {population}: {len(trains.node_ids)} spikes from {trains.n_neurons} neurons")
    for population, variables in record.states.items():
        for variable, trace in variables.items():
            print(f"state {population}.{variable}: {len(trace.times)} samples x {len(trace.node_ids)} neurons")
    for synapses, weights in record.weights.items():
        print(f"weights {synapses}: {len(weights.pre)} synapses")
    for name, value in record.arrays.items():
        print(f"array {name}: shape {getattr(value, 'shape', ())}")
    if args.figures:
        from bioneuro.io.record import save_figures
        from bioneuro.registry import get_runnable

        runnable = get_runnable(record.name)
        if runnable.figures is None:
            raise ValueError(f"{record.name} draws no figures")
        saved = save_figures(runnable.figures(record), folder)
        print(f"figures drawn again: {', '.join(p.name for p in saved)}")
    files = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    if files:
        print(f"files: {', '.join(files)}")
    return 0


def _format_size(size: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def _cmd_cache(args: argparse.Namespace) -> int:
    import time

    from bioneuro.cache import builds_folder, clean_builds, list_builds

    folder = builds_folder(args.cache_dir)
    if args.action == "list":
        if args.older_than is not None or args.dry_run:
            raise ValueError("--older-than and --dry-run go with `bioneuro cache clean`")
        entries = list_builds(args.cache_dir)
        total = sum(entry.size_bytes for entry in entries)
        print(f"compiled builds in {folder}: {len(entries)}, {_format_size(total)}")
        width = max((len(entry.name) for entry in entries), default=0)
        for entry in entries:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.last_used))
            notes = []
            if entry.copies:
                notes.append(f"+{len(entry.copies)} evaluation cop{'y' if len(entry.copies) == 1 else 'ies'}")
            if entry.in_use:
                notes.append("in use")
            print(f"  {entry.name:<{width}}  {_format_size(entry.size_bytes):>9}  last used {when}"
                  + (f"  ({', '.join(notes)})" if notes else ""))
        if entries:
            print("remove them with `bioneuro cache clean` (see --help)")
        return 0
    removed, skipped = clean_builds(args.cache_dir, older_than_days=args.older_than, dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    for entry in removed:
        print(f"  {verb} {entry.name} ({_format_size(entry.size_bytes)})")
    for entry in skipped:
        print(f"  kept {entry.name}: in use by a running process")
    freed = sum(entry.size_bytes for entry in removed)
    print(f"{verb} {len(removed)} build{'s' if len(removed) != 1 else ''} from {folder}, {_format_size(freed)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``bioneuro`` command; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)

    def dispatch() -> int:
        if args.command == "list":
            return _cmd_list(args)
        if args.command == "params":
            return _cmd_params(args)
        if args.command == "run":
            return _cmd_run(args, argv=argv)
        if args.command == "demo":
            return _cmd_run(args, name="demo", argv=argv)
        if args.command == "validate":
            return _cmd_validate(args, argv=argv)
        if args.command == "show":
            return _cmd_show(args)
        if args.command == "cache":
            return _cmd_cache(args)
        if args.command == "analyze":
            from bioneuro.analysis.report import run_analyze

            return run_analyze(args)
        parser.error(f"unknown command {args.command!r}")
        return 2

    try:
        status = dispatch()
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return status
    except USER_ERRORS as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"bioneuro: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bioneuro: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into a reader that stopped (`bioneuro cache | head`): not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return 0


if __name__ == "__main__":
    sys.exit(main())
