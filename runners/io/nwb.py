"""``cgym export nwb RUN_DIR [--out DIR]``: each episode of a run as a Neurodata Without Borders
(NWB 2) file, so the field's tools (pynwb, NWB Widgets, DANDI, nwbinspector) read our simulated
animals like recorded ones.

One file per finished episode (``ep_XXXX.nwb``, default folder ``RUN_DIR/nwb/``):

* **Subject**: species by its Latin name (*Caenorhabditis elegans*, *Danio rerio*,
  *Drosophila melanogaster*), sex and age of the animals the model stands for, and a description
  saying it is a simulation.
* **Session**: start time = the run's creation time; description = task, brain and seed;
  ``experiment_description`` = the episode's full configuration (task options, brain options,
  brain info: connectome, model parameters) as JSON; ``data_collection`` names the simulator.
* **Behaviour** (processing module ``behavior``): positions (``nose``, ``centroid``, ...) as
  ``SpatialSeries`` in a ``Position`` container, heading as ``SpatialSeries`` in
  ``CompassDirection`` (radians), the body centerline (T, K, 2) and the actions and other
  recorded observations as ``TimeSeries``. Lengths are in the body's own unit, converted to
  metres through NWB's ``conversion`` factor.
* **Neural activity** of the model (processing module ``misc``: NWB has no module for simulated
  neurons, and ``ecephys``/``icephys``/``ophys`` mean real electrodes or imaging): a
  ``DynamicTable`` per set of recorded names (``neurons`` for the worm's 302 neurons,
  ``populations`` / ``command_names`` for the fly's populations and descending commands) and one
  ``TimeSeries`` per recorded variable (membrane potential in volts, rates, ...) whose columns
  are the rows of the table its description names; spike times, where a brain records them, go
  to the ``Units`` table with the neuron's name.

Reads the run folder with json and numpy only (``allow_pickle=False``): a run folder is data.
Needs the optional extra ``nwb`` (``pip install -e ".[nwb]"``: pynwb, nwbinspector).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

__all__ = ["ExportError", "SPECIES", "add_parser", "export_episode", "export_run"]


class ExportError(RuntimeError):
    """A run folder that cannot be exported (the message names the file and the fix)."""


# organism -> (Latin name, sex, age (ISO 8601 duration or range), age reference, description,
#              length unit of the body in metres)
SPECIES: dict[str, dict] = {
    "celegans": {"species": "Caenorhabditis elegans", "sex": "XX", "age": "P3D/",
                 "age__reference": "birth",
                 "description": "simulated adult hermaphrodite (connectome: adult hermaphrodite)",
                 "length_m": 1e-3},
    "zebrafish": {"species": "Danio rerio", "sex": "U", "age": "P5D/P7D",
                  "age__reference": "gestational",
                  "description": "simulated 5-7 dpf larva (age counted from fertilisation)",
                  "length_m": 1e-3},
    "drosophila": {"species": "Drosophila melanogaster", "sex": "F", "age": "P1D/",
                   "age__reference": "birth",
                   "description": "simulated adult female (flybody model; FlyWire v783 is an adult "
                                  "female brain)",
                   "length_m": 1e-2},
}
_POSITION_KEYS = ("nose", "centroid", "position", "com", "head", "tail", "thorax", "xy")
_HEADING_KEYS = ("heading", "theta", "orientation")


def _require_pynwb():
    try:
        import pynwb  # noqa: F401
    except ImportError:
        raise ExportError("NWB export needs pynwb: pip install -e '.[nwb]' (pynwb, nwbinspector)") from None
    return pynwb


def _read_json(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError) as exc:
        raise ExportError(f"{path}: cannot read ({type(exc).__name__}: {exc}); "
                          f"rerun `cgym run` into the folder to redo a damaged episode") from None


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except Exception as exc:  # noqa: BLE001 - zipfile/ValueError/OSError: a damaged file
        raise ExportError(f"{path}: cannot read ({type(exc).__name__}: {exc}); "
                          f"rerun `cgym run` into the folder to redo a damaged episode") from None


def _start_time(run: dict) -> datetime:
    raw = run.get("created")
    try:
        start = datetime.fromisoformat(str(raw))
    except ValueError:
        start = datetime.fromtimestamp(0, timezone.utc)
    return start if start.tzinfo else start.replace(tzinfo=timezone.utc)


def _timing(t: np.ndarray) -> dict:
    """``starting_time`` + ``rate`` for regular sampling (NWB best practice), else timestamps."""
    t = np.asarray(t, dtype=float)
    if len(t) >= 2:
        dt = np.diff(t)
        if dt[0] > 0 and np.allclose(dt, dt[0], rtol=1e-6, atol=1e-9):
            return {"starting_time": float(t[0]), "rate": float(1.0 / dt[0])}
    if len(t) == 1:
        return {"starting_time": float(t[0]), "rate": 1.0}
    return {"timestamps": t}


def _json(obj) -> str:
    return json.dumps(obj, sort_keys=True, default=str)


def _name_lists(arrays: dict) -> dict[str, list[str]]:
    """1-D string arrays of the neural record (``neural_names``, ``neural_populations``, ...)."""
    return {k: [str(x) for x in np.asarray(v).ravel()] for k, v in arrays.items()
            if k.startswith("neural_") and k != "neural_unit" and np.asarray(v).ndim == 1
            and np.asarray(v).dtype.kind in "US"}


def _names_for(var: str, width: int, lists: dict[str, list[str]]) -> str | None:
    """The name list that labels the columns of ``neural_<var>`` (``width`` columns)."""
    for key in (f"neural_{var}_names", f"neural_{var.rstrip('s')}_names", "neural_names"):
        if key in lists and len(lists[key]) == width:
            return key
    same = [k for k, v in lists.items() if len(v) == width]
    return same[0] if len(same) == 1 else None


def _add_neural(nwb, arrays: dict, brain, cfg: dict) -> None:
    """Model neural activity into processing module ``misc``: one DynamicTable per set of
    column names (``neurons``, ``populations``, ...) and one TimeSeries per recorded variable."""
    from hdmf.common import DynamicTable, VectorData
    from pynwb import TimeSeries

    nt = arrays.get("neural_t")
    if nt is None or not len(nt):
        return
    nt = np.asarray(nt, dtype=float)
    # the runner aligns the neural record to the trajectory clock; where the brain recorded more
    # slowly, a sample is repeated with the same time: keep each recorded sample once
    keep = np.r_[True, np.diff(nt) > 0] if np.all(np.diff(nt) >= 0) else np.ones(len(nt), bool)
    unit = str(arrays.get("neural_unit", "")) or "n.a."
    lists = _name_lists(arrays)
    series = {k[len("neural_"):]: np.asarray(v) for k, v in arrays.items()
              if k.startswith("neural_") and k != "neural_t" and np.asarray(v).ndim == 2
              and np.asarray(v).shape[0] == len(nt) and np.issubdtype(np.asarray(v).dtype, np.number)}
    if not series:
        return
    misc = nwb.create_processing_module(
        "misc", f"neural activity of the simulated nervous system (brain {brain}); a model, not a "
                f"recording. Brain info: {_json(cfg.get('brain_info', {}))[:2000]}")
    tables: dict[str, str] = {}
    for var, data in sorted(series.items()):
        names_key = _names_for(var, data.shape[1], lists)
        where = "no column names were recorded"
        if names_key is not None:
            if names_key not in tables:
                tname = "neurons" if names_key == "neural_names" else names_key[len("neural_"):]
                misc.add(DynamicTable(
                    name=tname, description=f"model units ({names_key[len('neural_'):]}) in the "
                                            f"column order of the neural TimeSeries that name this table",
                    columns=[VectorData(name="neuron_name" if names_key == "neural_names" else "label",
                                        description="name in the connectome / model",
                                        data=lists[names_key])]))
                tables[names_key] = tname
            where = f"column j = row j of the '{tables[names_key]}' table"
        # neural_unit is the unit of the main recorded variable: v (voltage) or rates
        main = var in ("v", "V", "vm", "rate", "rates") or len(series) == 1
        u, conv = ({"mV": ("volts", 1e-3), "V": ("volts", 1.0)}.get(unit, (unit, 1.0))
                   if main else ("n.a.", 1.0))
        misc.add(TimeSeries(
            name=f"model_{var}", data=data[keep], unit=u, conversion=conv,
            description=f"simulated '{var}' (recorded in {unit if main else 'model units'}); {where}",
            comments="simulation output of connectome-gym", **_timing(nt[keep])))
    spike_i, spike_t = arrays.get("neural_spike_i"), arrays.get("neural_spike_t")
    names = lists.get("neural_names")
    if names and spike_i is not None and spike_t is not None and len(spike_i) == len(spike_t):
        nwb.add_unit_column(name="neuron_name", description="model neuron name")
        for j, name in enumerate(names):
            times = np.sort(np.asarray(spike_t, dtype=float)[np.asarray(spike_i) == j])
            nwb.add_unit(spike_times=times, neuron_name=name)


def export_episode(run_dir: Path, episode_json: Path, out_path: Path) -> Path:
    """Write one finished episode of ``run_dir`` as the NWB file ``out_path``."""
    _require_pynwb()
    from pynwb import NWBHDF5IO, NWBFile, TimeSeries
    from pynwb.behavior import CompassDirection, Position, SpatialSeries
    from pynwb.file import Subject

    run = _read_json(run_dir / "run.json")
    ep = _read_json(episode_json)
    npz_name = (ep.get("files") or {}).get("npz") or episode_json.with_suffix(".npz").name
    arrays = _read_npz(episode_json.parent / Path(npz_name).name)
    cfg = ep.get("config") or run.get("config") or {}
    organism = cfg.get("organism") or str(run.get("task", "")).split("/")[0]
    meta = SPECIES.get(organism)
    if meta is None:
        raise ExportError(f"{episode_json}: unknown organism {organism!r}; NWB export knows "
                          f"{', '.join(SPECIES)}")
    task, brain, seed = cfg.get("task") or run.get("task"), cfg.get("brain") or run.get("brain"), ep.get("seed")
    session_id = f"{str(task).replace('/', '-')}_{brain}_seed{seed}"
    nwb = NWBFile(
        session_description=(f"connectome-gym simulation: task {task}, brain {brain}, seed {seed}, "
                             f"{ep.get('sim_time_s', 0):.3g} s simulated (status {ep.get('status')})"),
        identifier=f"connectome-gym:{run.get('created')}:{session_id}",
        session_start_time=_start_time(run),
        session_id=session_id,
        experiment_description=_json({k: cfg.get(k) for k in sorted(cfg)}),
        data_collection=(f"simulated with connectome-gym (git {run.get('git_commit')}); "
                         f"versions {_json(run.get('versions', {}))}; command: {run.get('command_line')}"),
        keywords=["simulation", "connectome", str(organism), str(task)],
        source_script=f"cgym run {task} --brain {brain} --seed {seed}",
        source_script_file_name="runners/cli.py",
    )
    nwb.subject = Subject(subject_id=f"sim-{seed}", species=meta["species"], sex=meta["sex"],
                          age=meta["age"], age__reference=meta["age__reference"],
                          description=meta["description"])

    # ---------------------------------------------------------------- behaviour
    t = np.asarray(arrays.get("t", []), dtype=float)
    length = meta["length_m"]
    unit_name = {1e-3: "mm", 1e-2: "cm"}.get(length, f"{length} m")
    behavior = nwb.create_processing_module(
        "behavior", f"trajectory of the simulated {organism} recorded by the episode runner "
                    f"(env info, decimated to {cfg.get('record_rate_hz')} Hz)")
    position, heading = Position(name="Position"), CompassDirection(name="CompassDirection")
    frame = f"task arena frame; x, y in {unit_name} (converted to metres by 'conversion'), origin of the env"
    for key in sorted(arrays):
        if key == "t" or key.startswith("neural_") or len(t) == 0:
            continue
        data = np.asarray(arrays[key])
        if data.ndim == 0 or data.shape[0] != len(t) or not np.issubdtype(data.dtype, np.number):
            continue
        timing = _timing(t)
        if key in _HEADING_KEYS and data.ndim == 1:
            heading.add_spatial_series(SpatialSeries(
                name=key, data=data, reference_frame="task arena frame, radians counter-clockwise from +x",
                unit="radians", description=f"{key} of the body", **timing))
        elif any(p in key for p in _POSITION_KEYS) and data.ndim == 2 and data.shape[1] in (2, 3):
            position.add_spatial_series(SpatialSeries(
                name=key, data=data, reference_frame=frame, conversion=length,
                description=f"{key} position", **timing))
        elif key == "centerline" and data.ndim == 3:
            behavior.add(TimeSeries(
                name="centerline", data=data, unit="meters", conversion=length,
                description=f"body centerline, (time, point, xy), points head to tail; {frame}",
                **timing))
        elif key == "actions":
            behavior.add(TimeSeries(
                name="actions", data=data, unit="n.a.",
                description=f"motor commands sent to the body each control step (env action space "
                            f"of {task}: muscle activations or normalised actuator targets)",
                **timing))
        else:
            behavior.add(TimeSeries(
                name=key, data=data, unit="n.a.",
                description=f"'{key}' as recorded from the env (task observation / state; "
                            f"units as defined by the task {task})", **timing))
    if position.spatial_series:
        behavior.add(position)
    if heading.spatial_series:
        behavior.add(heading)

    # ---------------------------------------------------------------- neural activity
    _add_neural(nwb, arrays, brain, cfg)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.stem}.tmp.nwb")
    with NWBHDF5IO(str(tmp), "w") as io:
        io.write(nwb)
    tmp.replace(out_path)
    return out_path


def export_run(run_dir: str | Path, out: str | Path | None = None, log=print) -> list[Path]:
    """Export every finished episode of ``run_dir`` (``episodes/ep_*.json``); returns the files."""
    _require_pynwb()
    run_dir = Path(run_dir)
    if not (run_dir / "run.json").is_file():
        raise ExportError(f"{run_dir}: not a run folder (no run.json); give the folder `cgym run "
                          f"--out` wrote")
    out_dir = Path(out) if out else run_dir / "nwb"
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"--out {out_dir} is a file; give a folder")
    episodes = sorted((run_dir / "episodes").glob("*.json"))
    written = []
    for ep_json in episodes:
        ep = _read_json(ep_json)
        if ep.get("status") != "ok":
            log(f"  {ep_json.name}: status {ep.get('status')!r}, skipped")
            continue
        path = export_episode(run_dir, ep_json, out_dir / ep_json.with_suffix(".nwb").name)
        written.append(path)
        log(f"  {path}")
    if not written:
        raise ExportError(f"{run_dir}: no finished episode to export")
    return written


def cmd_export(args) -> int:
    """Entry point of ``cgym export nwb``."""
    files = export_run(args.run_dir, args.out)
    print(f"wrote {len(files)} NWB file(s); check them with `nwbinspector {Path(files[0]).parent}`")
    return 0


def add_parser(sub) -> None:
    """The ``export`` subcommand (``cgym export nwb RUN_DIR [--out DIR]``)."""
    s = sub.add_parser("export", help="export a run in a community format (nwb)")
    fmt = s.add_subparsers(dest="format", metavar="FORMAT", required=True)
    n = fmt.add_parser("nwb", help="one NWB 2 file per episode: neural recordings, behaviour, "
                                   "subject and configuration (needs the [nwb] extra)")
    n.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by `cgym run`")
    n.add_argument("--out", metavar="DIR", default=None,
                   help="output folder (default: RUN_DIR/nwb)")
    n.set_defaults(func=cmd_export)

