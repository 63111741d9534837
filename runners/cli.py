"""The ``cgym`` command line.

    cgym list
    cgym run TASK [--brain NAME] [--episodes N] [--duration S] [--seed K] [--out DIR]
                  [--video] [--lesion NEURON ...] [--activate NEURON ...] [--silence CELLTYPE ...]
                  [--connectome NAME]
                  [--medium agar] [--task-option key=value ...] [--brain-option key=value ...]
                  [--retry-failed] [--no-progress]
    cgym sweep SWEEP.yaml --out DIR [--workers N | --dask-local N | --scheduler ADDRESS]
                  [--retry-failed] [--no-progress]
    cgym score RUN_DIR|SWEEP_DIR [...] [--out DIR] [--reps N]
    cgym bench TASK [--duration S] [--brain NAME] [--backend brian2|torch|event|kernel] [--out DIR]
    cgym atlas ORGANISM [--brain NAME] [--lesion NEURON ...] [--stimulate NEURON ...] [--out DIR]
    cgym data fetch|path|info DATASET [DIR]
    cgym probe ORGANISM [organism probe options]     (cgym probe ORGANISM --help)
    cgym export nwb RUN_DIR [--out DIR]
    cgym suite ORGANISM [--brain NAME ...] [--episodes N] [--quick] [--out DIR] [--merge JSON ...]
    cgym fit TASK --spec FIT.yaml --out DIR [--evaluate SEEDS] [--controls]
    cgym perturbations [--brain NAME] [--seeds 0-9] [--duration S]
    cgym --version

Exit codes: 0 success; 1 the command ran but failed (all episodes failed, a crash);
2 usage or configuration error (unknown task, brain, neuron, option). Errors print one line;
``--debug`` prints the traceback.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path


class CLIError(Exception):
    """A one-line user-facing error (exit code 2)."""


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default after its help text (not for flags and unset options)."""

    def _get_help_string(self, action):
        if action.default is None or isinstance(action.default, bool):
            return action.help
        return super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    """Usage errors are one line naming the option (exit code 2)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


# ------------------------------------------------------------------ option values (checked at parse)

def int_at_least(lo: int):
    def conv(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if v < lo:
            raise argparse.ArgumentTypeError(f"must be ≥ {lo}, got {v}")
        return v
    conv.__name__ = f"integer ≥ {lo}"
    return conv


def finite_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return v


def positive_float(text: str) -> float:
    v = finite_float(text)
    if v <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return v


def folder_path(text: str) -> str:
    """An output folder: it may exist as a folder, not as a file."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty path")
    p = Path(text)
    if p.exists() and not p.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is an existing file, not a folder")
    for parent in p.parents:
        if parent.exists() and not parent.is_dir():
            raise argparse.ArgumentTypeError(f"{parent} (in {text}) is a file, not a folder")
    return text


def folder_or_json_path(text: str) -> str:
    """A folder, or a .json file path (which may exist and is replaced)."""
    if Path(text).suffix == ".json":
        if Path(text).is_dir():
            raise argparse.ArgumentTypeError(f"{text} is a folder, not a .json file")
        folder_path(str(Path(text).parent))
        return text
    return folder_path(text)


def _parse_kv(items: list[str] | None, what: str) -> dict:
    from nervous_systems.yaml_file import parse_key_values
    try:
        return parse_key_values(items, what)
    except ValueError as exc:
        raise CLIError(str(exc)) from None


def _version() -> str:
    from importlib import metadata
    try:
        return metadata.version("connectome-gym")
    except metadata.PackageNotFoundError:
        return "unknown"


def cmd_list(args) -> int:
    from nervous_systems.brain import brain_specs
    from .execution.episode import EXTRA_TASKS, load_organisms
    err = load_organisms()
    try:
        import tasks
        task_map = dict(getattr(tasks, "TASKS", {}))
    except ImportError as exc:
        task_map, err = {}, err or exc
    task_map.update({k: v for k, v in EXTRA_TASKS.items() if args.all})
    try:
        import bodies
        body_names = list(getattr(bodies, "BODY_NAMES", []))
    except ImportError:
        body_names = []
    orgs = sorted({getattr(s, "organism", k.split("/")[0]) for k, s in task_map.items()}
                  | {s.organism for s in brain_specs() if s.organism})
    print("organisms:", ", ".join(orgs) or "(none)")
    print("tasks:")
    for name, spec in sorted(task_map.items()):
        desc = getattr(spec, "description", "") or ""
        print(f"  {name:<28} {getattr(spec, 'env_id', '')}  {desc}")
    if not task_map:
        print("  (none registered)")
    print("brains:")
    for org in orgs or [None]:
        specs = [s for s in brain_specs(org)]
        print(f"  {org or 'any organism'}:")
        width = max((len(s.name) for s in specs), default=0) + 1
        for s in specs:
            scope = "" if s.organism else " (any organism)"
            print(f"    {s.name:<{width}} {s.description}{scope}")
    print("bodies:", ", ".join(body_names) or "(none)")
    if err:
        print(f"note: importing organisms/tasks failed, the list may be incomplete: "
              f"{type(err).__name__}: {err}", file=sys.stderr)
    return 0


def cmd_run(args) -> int:
    from .execution.episode import default_out_dir, resolve_task, run_many
    spec = resolve_task(args.task)
    brain_options = _parse_kv(args.brain_option, "--brain-option")
    if args.lesion:
        brain_options["lesion"] = list(args.lesion)
    if args.activate:
        brain_options["activate"] = list(args.activate)
    if args.silence:
        brain_options["silence"] = list(args.silence)
    if args.connectome:
        brain_options["connectome"] = args.connectome
    task_options = _parse_kv(args.task_option, "--task-option")
    if args.medium:
        task_options["medium"] = args.medium
    out = Path(args.out) if args.out else default_out_dir(spec.name, args.brain)
    summary = run_many(spec, args.brain, episodes=args.episodes, seed=args.seed,
                       duration=args.duration, out=out, brain_options=brain_options,
                       task_options=task_options, video=args.video,
                       progress=not args.no_progress, retry_failed=args.retry_failed)
    n_ok = len(summary.seeds) - len(summary.failed)
    print(f"wrote {out}/ : run.json, episodes/ep_XXXX.{{json,npz,wcon}}"
          + (" + video" if args.video else ""))
    print(f"episodes: {len(summary.ran)} run, {len(summary.skipped)} already finished, "
          f"{len(summary.failed)} failed, {n_ok} ok")
    for s, e in sorted(summary.failed.items()):
        print(f"  seed {s}: {e}")
    print(f"next: cgym score {out}")
    return 1 if n_ok == 0 else 0


def cmd_sweep(args) -> int:
    import signal
    from .execution.sweep import run_sweep

    def _term(signum, frame):  # SIGTERM (e.g. a batch scheduler's time limit) stops cleanly
        raise KeyboardInterrupt(f"signal {signum}")
    previous = signal.signal(signal.SIGTERM, _term)
    try:
        s = run_sweep(args.sweep_file, args.out, workers=args.workers,
                      dask_local=args.dask_local, scheduler=args.scheduler,
                      progress=not args.no_progress, retry_failed=args.retry_failed,
                      max_attempts=args.max_attempts)
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(f"sweep {args.sweep_file} on {s.executor}: {s.n_ran} episode(s) run, "
          f"{s.n_skipped} already finished, {s.n_failed} failed, {s.n_ok} ok, "
          f"{s.wall_time_s:.1f} s wall")
    print(s.table())
    for cond, seed, err in s.failures:
        print(f"  {cond} seed {seed}: {err}")
    print(f"wrote {args.out}/ : sweep.json, summary.json, <condition>/run.json + episodes/")
    print(f"next: cgym score {args.out}")
    return 1 if s.n_ok == 0 else 0


def cmd_score(args) -> int:
    from .scoring.scorecard import score_runs
    dirs = [Path(d) for d in args.run_dirs]
    for d in dirs:
        if not (d / "run.json").exists() and not (d / "sweep.json").exists():
            raise CLIError(f"{d} is not a run folder (no run.json) nor a sweep folder "
                           f"(no sweep.json)")
    out = Path(args.out) if args.out else (dirs[0] / "scorecard" if len(dirs) == 1
                                           else Path("scorecards") / dirs[0].name)
    try:
        card = score_runs(dirs, out, n_rep=args.reps, figures=not args.no_figures,
                          neural=args.neural or (), against=getattr(args, "against", None))
    except FileNotFoundError as exc:
        raise CLIError(str(exc)) from None
    print(card.to_markdown())
    print(f"wrote {out / 'scorecard.md'}, {out / 'scorecard.json'}"
          + (f" and {len(card.figures)} figure(s)" if card.figures else ""))
    return 0


def cmd_bench(args) -> int:
    from .execution.bench import bench_table, run_bench
    from .io.recording import atomic_write_json
    r = run_bench(args.task, args.brain, args.duration, args.seed,
                  brain_options={"backend": args.backend} if args.backend else None,
                  task_options=_parse_kv(args.task_option, "--task-option"))
    print(bench_table(r))
    if args.out:
        path = Path(args.out)
        path = path / "bench.json" if path.suffix != ".json" else path
        atomic_write_json(path, r)
        print(f"wrote {path}")
    return 0


def cmd_atlas(args) -> int:
    from .execution.atlas import AtlasError, ProtocolConfig, score_atlas
    from organisms.c_elegans.atlas_data import AtlasNotInstalled
    if args.pulse >= args.epoch:
        raise CLIError(f"--pulse ({args.pulse} s) must be shorter than --epoch ({args.epoch} s)")
    options = _parse_kv(args.brain_option, "--brain-option")
    if args.lesion:
        options["lesion"] = list(args.lesion)
    cfg = ProtocolConfig(amplitude_mV=args.amplitude, pulse_s=args.pulse, epoch_s=args.epoch, seed=args.seed)
    out = Path(args.out) if args.out else Path("runs") / f"atlas_{args.organism}_{args.brain}"
    try:
        card = score_atlas(args.brain, args.organism, out, options=options, cfg=cfg,
                           stimulate=args.stimulate, controls=not args.no_controls,
                           ceiling_reps=args.ceiling_reps, figures=not args.no_figures,
                           progress=not args.no_progress)
    except (AtlasError, AtlasNotInstalled) as exc:
        raise CLIError(str(exc)) from exc
    print(card.table_markdown())
    print("\n".join(f"- {v}" for v in card.verdicts))
    print(f"wrote {out / 'atlas.md'}, {out / 'atlas.json'}, {out / 'responses.npz'}"
          + (f" and {len(card.figures)} figure(s)" if card.figures else ""))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="cgym", description="connectome-gym: connectome brains "
               "in simulated bodies, scored against real behaviour.", formatter_class=HelpFormatter)
    p.add_argument("--version", action="version", version=f"cgym {_version()}")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    _add = sub.add_parser

    def add_parser(*a, **k):  # every subcommand also takes --debug and shows its defaults
        k.setdefault("formatter_class", HelpFormatter)
        sp = _add(*a, **k)
        sp.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks on errors")
        return sp
    sub.add_parser = add_parser

    s = sub.add_parser("list", help="organisms, tasks, brains, bodies")
    s.add_argument("--all", action="store_true", help="also list the test-only tasks")
    s.set_defaults(func=cmd_list)

    s = sub.add_parser("run", help="run closed-loop episodes")
    s.add_argument("task", help="e.g. celegans/chemotaxis")
    s.add_argument("--brain", default="connectome", help="brain name (`cgym list` shows them)")
    s.add_argument("--episodes", type=int_at_least(1), default=8,
                   help="number of episodes (one seed each)")
    s.add_argument("--duration", type=positive_float, default=60.0, help="simulated seconds per episode")
    s.add_argument("--seed", type=int_at_least(0), default=0,
                   help="first seed (episodes use seed..seed+N-1)")
    s.add_argument("--out", type=folder_path,
                   help="run folder (default runs/<task>_<brain>_<timestamp>); rerun into it to resume")
    s.add_argument("--video", action="store_true", help="write a video per episode")
    s.add_argument("--lesion", nargs="+", metavar="NEURON", help="neurons/classes to silence")
    s.add_argument("--activate", nargs="+", metavar="NEURON", help="neurons/classes to drive")
    s.add_argument("--silence", nargs="+", metavar="CELLTYPE",
                   help="cell types to silence (fly: Shiu 2024 silencing, e.g. aBN1, DNg62:left)")
    s.add_argument("--connectome", help="connectome data set, e.g. cook2019_herm")
    s.add_argument("--medium", help="medium, e.g. agar")
    s.add_argument("--task-option", action="append", metavar="KEY=VALUE",
                   help="a task option (repeatable; VALUE read as JSON, else YAML, else text), e.g. medium=\"agar\"")
    s.add_argument("--brain-option", action="append", metavar="KEY=VALUE",
                   help="a brain option (repeatable; VALUE read as JSON, else YAML, else text)")
    s.add_argument("--retry-failed", action="store_true", help="redo episodes that failed")
    s.add_argument("--no-progress", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_run)

    s = sub.add_parser("sweep", help="run a sweep file (conditions × seeds) on a process "
                       "pool or Dask; resumable")
    s.add_argument("sweep_file", metavar="SWEEP.yaml",
                   help="the sweep file (conditions × seeds; examples in runners/examples/)")
    s.add_argument("--out", required=True, type=folder_path,
                   help="sweep folder (rerun into it to resume)")
    s.add_argument("--workers", type=int_at_least(0), help="process-pool size (default: CPU count; "
                   "0: run in this process)")
    s.add_argument("--dask-local", type=int_at_least(1), metavar="N",
                   help="run on a local Dask cluster of N worker processes")
    s.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run on this Dask scheduler")
    s.add_argument("--retry-failed", action="store_true", help="redo episodes that failed")
    s.add_argument("--max-attempts", type=int_at_least(1), default=3,
                   help="runs of an episode whose worker process dies, before it counts failed")
    s.add_argument("--no-progress", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_sweep)

    s = sub.add_parser("score", help="score runs against the reference library")
    s.add_argument("run_dirs", nargs="+", metavar="RUN_DIR",
                   help="run folders and/or sweep folders (one run per condition)")
    s.add_argument("--out", type=folder_path, help="scorecard folder (default RUN_DIR/scorecard)")
    s.add_argument("--reps", type=int_at_least(1), default=200, help="resamples for distances/ceilings")
    s.add_argument("--no-figures", action="store_true", help="write the scorecard without figures")
    s.add_argument("--neural", action="append", metavar="ATLAS_DIR",
                   help="include a neural benchmark made by `cgym atlas ... --out ATLAS_DIR`")
    s.add_argument("--against", metavar="RUN_DIR2", default=None,
                   help="score against another run's episodes instead of the reference library "
                        "(run vs run, e.g. the same brain with other seeds)")
    s.set_defaults(func=cmd_score)

    s = sub.add_parser("bench", help="speed of body, brain and closed loop")
    s.add_argument("task", help="e.g. celegans/chemotaxis")
    s.add_argument("--duration", type=positive_float, default=2.0,
                   help="simulated seconds timed per part (after a short untimed warm-up)")
    s.add_argument("--brain", default="connectome", help="brain name (`cgym list` shows them)")
    s.add_argument("--seed", type=int_at_least(0), default=0, help="episode seed")
    s.add_argument("--task-option", action="append", metavar="KEY=VALUE",
                   help="a task option (repeatable; VALUE read as JSON, else YAML, else text)")
    s.add_argument("--backend", choices=["brian2", "torch", "event", "kernel"],
                   help="network backend of the brain (brain option 'backend'; default: the brain's own)")
    s.add_argument("--out", type=folder_or_json_path, help="folder (or .json path) for bench.json")
    s.set_defaults(func=cmd_bench)

    s = sub.add_parser("atlas", help="in-silico optogenetics scored against the worm signal "
                       "propagation atlas (Randi et al. 2023; needs the [neural] extra)")
    s.add_argument("organism", help="celegans")
    s.add_argument("--brain", default="connectome", help="brain name (`cgym list` shows them)")
    s.add_argument("--lesion", nargs="+", metavar="NEURON", help="neurons/classes to ablate")
    s.add_argument("--stimulate", nargs="+", metavar="NEURON", help="only these atlas neurons")
    s.add_argument("--amplitude", type=finite_float, default=20.0, help="pulse depolarisation, mV")
    s.add_argument("--pulse", type=positive_float, default=0.5, help="pulse duration, s")
    s.add_argument("--epoch", type=positive_float, default=8.0,  # = atlas.ProtocolConfig.epoch_s
                   help="simulated s per stimulation (long enough for the network to return to rest)")
    s.add_argument("--seed", type=int_at_least(0), default=0, help="seed of the ceiling's random splits")
    s.add_argument("--ceiling-reps", type=int_at_least(1), default=5, help="random splits for the ceiling")
    s.add_argument("--no-controls", action="store_true", help="skip the shuffled/connectome control run")
    s.add_argument("--brain-option", action="append", metavar="KEY=VALUE",
                   help="a brain option (repeatable; VALUE read as JSON, else YAML, else text)")
    s.add_argument("--out", type=folder_path, help="folder (default runs/atlas_<organism>_<brain>)")
    s.add_argument("--no-figures", action="store_true", help="write the scorecard without figures")
    s.add_argument("--no-progress", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_atlas)
    from .datasets import add_parser as add_data_parser
    add_data_parser(sub)
    from .execution.probe import add_parser as add_probe_parser
    add_probe_parser(sub)
    from .io.nwb import add_parser as add_export_parser
    add_export_parser(sub)
    from .suite import add_parser as add_suite_parser
    add_suite_parser(sub)
    from .execution.fit import add_parser as add_fit_parser
    add_fit_parser(sub)
    from .execution.perturbation import add_parser as add_perturbation_parser
    add_perturbation_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from .execution.episode import RunConfigError
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("cgym: interrupted (finished episodes are saved; rerun to resume)",
              file=sys.stderr)
        return 130
    except (CLIError, RunConfigError, FileNotFoundError) as exc:
        if args.debug:
            raise
        print(f"cgym {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001
        if args.debug:
            raise
        print(f"cgym {args.command}: error: {type(exc).__name__}: {exc} "
              f"(--debug for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
