"""Closed-loop episodes: a brain drives a task env; trajectories are recorded and saved.

``run_episode`` runs one episode and returns an :class:`EpisodeResult`; ``run_many`` runs
seeds ``seed .. seed+N-1`` and saves each episode atomically the moment it finishes (see
:mod:`runners.io.recording` for the directory layout). Rerunning into the same folder skips
finished episodes.

Failure policy
--------------
* Configuration errors (unknown task / brain / neuron name, a task option the env does not
  take, a brain option the brain does not take) raise :class:`RunConfigError` before any
  episode runs: nothing to record.
* Anything that goes wrong *inside* an episode (the body diverges, the brain returns a
  non-finite action — :class:`BrainOutputError`, naming brain, episode and step — or any
  other exception) marks that episode ``failed`` with its error and traceback; the partial
  trajectory is still saved, the env and brain are rebuilt, and the run goes on.
"""

from __future__ import annotations

import math
import sys
import time
import traceback as tb
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..io import recording as rec_io
from ..io.episode_files import remove_stale_tmp
from ..io.recording import load_callable  # noqa: F401  (re-exported for callers of runners.execution.episode)

DEFAULT_RECORD_RATE_HZ = 25.0

# Tasks registered here resolve before ``tasks.task_spec`` (tests, plug-ins under development).
EXTRA_TASKS: dict[str, Any] = {}


class RunConfigError(ValueError):
    """A run cannot start: unknown task/brain/neuron, bad option... (one clear line)."""


class BrainOutputError(RuntimeError):
    """The brain returned an action that is not finite / not the right shape."""


# ---------------------------------------------------------------------------- task & brain

@dataclass(frozen=True)
class ResolvedTask:
    name: str
    env_id: str
    organism: str
    features: Any = None        # "module:function" or a callable, or None
    reference: str | None = None
    description: str = ""
    plots: str | None = None    # "module:function" drawing the task's scorecard figures
    sections: str | None = None  # "module:function" adding task-specific scorecard sections

    def as_dict(self) -> dict:
        feats = self.features
        if callable(feats):
            feats = f"{feats.__module__}:{feats.__qualname__}"
        return {"name": self.name, "env_id": self.env_id, "organism": self.organism,
                "features": feats, "reference": self.reference,
                "description": self.description, "plots": self.plots,
                "sections": self.sections}


def resolve_task(task: Any) -> ResolvedTask:
    """A task name ("celegans/chemotaxis") or a TaskSpec-like object → ResolvedTask."""
    if isinstance(task, ResolvedTask):
        return task
    if isinstance(task, str):
        name = task
        if name in EXTRA_TASKS:
            spec = EXTRA_TASKS[name]
        else:
            try:
                import tasks
                task_spec = tasks.task_spec
            except (ImportError, AttributeError) as exc:
                raise RunConfigError(f"cannot resolve task {name!r}: the tasks package offers "
                                     f"no task_spec ({exc})") from exc
            try:
                spec = task_spec(name)
            except (KeyError, LookupError, ValueError) as exc:
                known = sorted(set(getattr(tasks, "TASKS", {})) | set(EXTRA_TASKS))
                import difflib
                close = difflib.get_close_matches(name, known, n=3)
                hint = f" Did you mean {', '.join(close)}?" if close else ""
                raise RunConfigError(f"unknown task {name!r}; known tasks: "
                                     f"{', '.join(known) or '(none)'}.{hint}") from exc
    else:
        spec = task
        name = getattr(spec, "name", None) or getattr(spec, "env_id", "task")
    return ResolvedTask(name=name, env_id=spec.env_id, organism=spec.organism,
                        features=getattr(spec, "features", None),
                        reference=getattr(spec, "reference", None),
                        description=getattr(spec, "description", ""),
                        plots=getattr(spec, "plots", None),
                        sections=getattr(spec, "sections", None))


_ORGANISMS_IMPORT_ERROR: BaseException | None = None
_ORGANISMS_TRIED = False


def load_organisms() -> BaseException | None:
    """Import ``organisms`` (registers connectome / shuffled / reflex brains). Returns the
    import error, if any, instead of raising: null/random brains work without it."""
    global _ORGANISMS_IMPORT_ERROR, _ORGANISMS_TRIED
    if not _ORGANISMS_TRIED:
        _ORGANISMS_TRIED = True
        import nervous_systems  # noqa: F401  (registers null + random)
        try:
            import organisms  # noqa: F401
        except Exception as exc:  # noqa: BLE001 - reported when a brain is missing
            _ORGANISMS_IMPORT_ERROR = exc
    return _ORGANISMS_IMPORT_ERROR


def build_brain(name: str, organism: str, observation_space, action_space, control_dt=None, **options):
    from nervous_systems.brain import BrainNotAvailable, make_brain
    err = load_organisms()
    try:
        return make_brain(name, organism, observation_space, action_space, control_dt=control_dt, **options)
    except BrainNotAvailable as exc:
        extra = (f" (importing the organisms package failed: {type(err).__name__}: {err})"
                 if err else "")
        raise RunConfigError(f"{exc}{extra}") from exc
    except TypeError as exc:
        raise RunConfigError(f"brain {name!r} for {organism!r}: {exc}") from exc
    except KeyError as exc:  # UnknownNeuronError is a KeyError with a plain message
        raise RunConfigError(str(exc) if type(exc) is not KeyError else
                             f"brain {name!r}: unknown name {exc}") from exc
    except ValueError as exc:
        raise RunConfigError(f"brain {name!r} for {organism!r}: {exc}") from exc


def make_env(spec: ResolvedTask, duration: float, task_options: dict | None = None,
             video: bool = False):
    import gymnasium as gym
    try:
        import tasks  # noqa: F401  (registers the cgym/ env ids)
    except ImportError:
        pass
    kwargs = dict(task_options or {})
    if video:
        kwargs["render_mode"] = "rgb_array"
    try:
        return gym.make(spec.env_id, duration=duration, **kwargs)
    except TypeError as exc:
        raise RunConfigError(f"task {spec.name!r} ({spec.env_id}) does not accept these "
                             f"options {sorted(kwargs)}: {exc}") from exc
    except gym.error.Error as exc:
        raise RunConfigError(f"cannot make env {spec.env_id!r} for task {spec.name!r}: "
                             f"{exc}") from exc




# ---------------------------------------------------------------------------- recording

@dataclass
class EpisodeResult:
    seed: int
    status: str                                   # "ok" | "failed"
    trajectory: dict[str, np.ndarray]
    neural: dict[str, np.ndarray] = field(default_factory=dict)
    task_info: dict = field(default_factory=dict)
    features: dict[str, Any] = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    error: str | None = None
    traceback: str | None = None
    features_error: str | None = None
    wall_time_s: float = 0.0
    sim_time_s: float = 0.0
    n_steps: int = 0
    frames: list | None = None
    video_fps: float = 25.0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class _TrajectoryRecorder:
    """Keeps one sample per 1/rate s of simulated time (the first sample at or after each
    grid time). actions[i] is the action applied during the control step that ended at
    t[i]; the reset sample's action row is NaN."""

    def __init__(self, rate_hz: float):
        self.period = 1.0 / float(rate_hz)
        self.next_t = 0.0
        self.rows: dict[str, list] = {"t": [], "actions": []}
        self.action_shape: tuple | None = None

    def offer(self, info: dict, t: float, action) -> bool:
        rec = _record_of(info)
        if t + 1e-9 < self.next_t or rec is None:
            return False
        self.next_t = (math.floor(t / self.period + 1e-6) + 1) * self.period
        self.rows["t"].append(t)
        for key, val in rec.items():
            self.rows.setdefault(key, []).append(np.asarray(val))
        if action is not None:
            a = np.asarray(action, dtype=float).ravel()
            self.action_shape = a.shape
            self.rows["actions"].append(a)
        else:
            self.rows["actions"].append(None)
        return True

    def arrays(self) -> dict[str, np.ndarray]:
        if not self.rows["t"]:
            return {"t": np.zeros(0)}
        shape = self.action_shape or (0,)
        acts = [a if a is not None else np.full(shape, np.nan) for a in self.rows["actions"]]
        out = {"t": np.asarray(self.rows["t"], dtype=float),
               "actions": np.stack(acts).astype(np.float32)}
        for key, rows in self.rows.items():
            if key in out or not rows:
                continue
            arr = np.stack(rows)
            out[key] = arr.astype(np.float32) if arr.dtype == np.float64 and arr.ndim >= 3 else arr
        return out


def _record_of(info: dict) -> dict | None:
    """What an env asks to be recorded at this step: ``info["record"]`` (a dict of name →
    fixed-shape array), or, for the worm envs, ``centerline`` / ``nose`` / ``concentration``.
    None: nothing to record (the step is skipped)."""
    rec = info.get("record")
    if isinstance(rec, dict):
        return rec
    if "centerline" not in info:
        return None
    cl = np.asarray(info["centerline"], dtype=float)
    return {"centerline": cl, "nose": np.asarray(info.get("nose", cl[0]), dtype=float),
            "concentration": float(info.get("concentration", np.nan))}


def decimate_neural(record: dict, t_target: np.ndarray) -> tuple[dict[str, np.ndarray], list]:
    """Neural record → same sample times as the trajectory (sample-and-hold: the latest neural
    sample at or before each trajectory time). Arrays whose first axis is not time are kept."""
    notes = []
    out: dict[str, np.ndarray] = {}
    t_n = np.asarray(record.get("t", []), dtype=float).ravel()
    idx = None
    if t_n.size and t_target.size:
        idx = np.clip(np.searchsorted(t_n, t_target + 1e-9, side="right") - 1, 0, t_n.size - 1)
        out["t"] = t_n[idx]
    for key, val in record.items():
        if key == "t":
            continue
        arr = np.asarray(val)
        if arr.dtype == object:
            try:
                arr = arr.astype(str)
            except (TypeError, ValueError):
                notes.append(f"neural record {key!r} not saved (object array)")
                continue
        if idx is not None and arr.ndim >= 1 and arr.shape[0] == t_n.size \
                and arr.dtype.kind in "fiub":
            arr = arr[idx]
        out[key] = arr
    return out, notes


def _action_problem(action, space) -> str | None:
    try:
        a = np.asarray(action, dtype=float)
    except (TypeError, ValueError):
        return f"an action that is not numeric ({type(action).__name__})"
    shape = getattr(space, "shape", None)
    if shape is not None and a.shape != tuple(shape):
        return f"an action of shape {a.shape}, expected {tuple(shape)}"
    bad = ~np.isfinite(a)
    if bad.any():
        return (f"a non-finite action ({int(bad.sum())} of {a.size} entries NaN/inf, first at "
                f"index {int(np.flatnonzero(bad.ravel())[0])})")
    return None


# ---------------------------------------------------------------------------- runner

class EpisodeRunner:
    """Holds one env + one brain and runs episodes with them (rebuilt after a failure)."""

    def __init__(self, task: Any, brain_name: str, duration: float,
                 brain_options: dict | None = None, task_options: dict | None = None,
                 record_rate_hz: float | None = None, video: bool = False):
        self.spec = resolve_task(task)
        self.brain_name = brain_name
        self.duration = float(duration)
        if not self.duration > 0:
            raise RunConfigError(f"duration must be > 0 s, got {duration}")
        self.brain_options = dict(brain_options or {})
        self.task_options = dict(task_options or {})
        self.video = bool(video)
        self.env = None
        self.brain = None
        self._build()
        # None: the env's own ``record_rate_hz`` (e.g. fast enough for a 30 Hz tail beat), else 25 Hz
        self.record_rate_hz = float(record_rate_hz if record_rate_hz is not None else
                                    getattr(self.env.unwrapped, "record_rate_hz", DEFAULT_RECORD_RATE_HZ))

    def _build(self) -> None:
        self.close()
        self.env = make_env(self.spec, self.duration, self.task_options, self.video)
        self.brain = build_brain(self.brain_name, self.spec.organism,
                                 self.env.observation_space, self.env.action_space,
                                 control_dt=getattr(self.env.unwrapped, "control_dt", None),
                                 **self.brain_options)

    def close(self) -> None:
        if self.brain is not None and hasattr(self.brain, "close"):
            try:
                self.brain.close()
            except Exception:  # noqa: BLE001
                pass
        if self.env is not None:
            try:
                self.env.close()
            except Exception:  # noqa: BLE001
                pass
        self.brain = self.env = None

    def brain_info(self) -> dict:
        if self.brain is not None and hasattr(self.brain, "info"):
            try:
                return rec_io.to_jsonable(self.brain.info())
            except Exception as exc:  # noqa: BLE001
                return {"info_error": f"{type(exc).__name__}: {exc}"}
        return {}

    def config(self) -> dict:
        return {"task": self.spec.name, "env_id": self.spec.env_id,
                "organism": self.spec.organism, "brain": self.brain_name,
                "brain_options": self.brain_options, "task_options": self.task_options,
                "duration": self.duration, "record_rate_hz": self.record_rate_hz,
                "video": self.video}

    def run(self, seed: int, sim_progress: Callable[[float, float], None] | None = None
            ) -> EpisodeResult:
        if self.env is None:
            self._build()
        env, brain = self.env, self.brain
        rec = _TrajectoryRecorder(self.record_rate_hz)
        frames: list | None = [] if self.video else None
        res = EpisodeResult(seed=int(seed), status="ok", trajectory={}, config=self.config())
        t0 = time.perf_counter()
        t = 0.0
        step = 0
        control_dt = getattr(env.unwrapped, "control_dt", None)
        frame_every = 1
        try:
            obs, info = env.reset(seed=int(seed))
            brain.reset(int(seed))
            if hasattr(env.unwrapped, "task_info"):
                res.task_info = rec_io.to_jsonable(env.unwrapped.task_info())
            t = float(info.get("t", 0.0))
            rec.offer(info, t, None)
            if control_dt:
                frame_every = max(1, int(round(1.0 / (25.0 * float(control_dt)))))
            if frames is not None:
                frames.append(env.render())
            while True:
                action = brain.act(obs)
                problem = _action_problem(action, env.action_space)
                if problem:
                    raise BrainOutputError(
                        f"brain {self.brain_name!r} returned {problem} in episode seed={seed} "
                        f"at control step {step} (t={t:.4f} s)")
                obs, _reward, terminated, truncated, info = env.step(action)
                step += 1
                t_prev = t
                t = float(info.get("t", step * (control_dt or 0.0)))
                if control_dt is None and step == 1:
                    control_dt = t - t_prev if t > t_prev else None
                    if control_dt:
                        frame_every = max(1, int(round(1.0 / (25.0 * control_dt))))
                if rec.offer(info, t, action) and sim_progress is not None:
                    sim_progress(t, time.perf_counter() - t0)
                if frames is not None and step % frame_every == 0:
                    frames.append(env.render())
                if terminated or truncated or (t >= self.duration - 1e-9 and t > 0):
                    break
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
            res.status = "failed"
            res.error = f"{type(exc).__name__}: {exc}"
            res.traceback = tb.format_exc()
        res.wall_time_s = time.perf_counter() - t0
        res.sim_time_s = t
        res.n_steps = step
        res.trajectory = rec.arrays()
        if hasattr(brain, "record"):
            try:
                neural = brain.record() or {}
                res.neural, notes = decimate_neural(neural, res.trajectory["t"])
                res.notes += notes
            except Exception as exc:  # noqa: BLE001
                res.notes.append(f"brain.record() failed: {type(exc).__name__}: {exc}")
        res.config["brain_info"] = self.brain_info()
        if frames is not None:
            res.frames = [f for f in frames if f is not None]
            res.video_fps = 1.0 / (frame_every * control_dt) if control_dt else 25.0
        if res.ok:
            self._features(res)
        else:
            self._build()  # a failed episode may leave env/brain in a bad state
        return res

    def _features(self, res: EpisodeResult) -> None:
        try:
            fn = load_callable(self.spec.features)
            if fn is None:
                return
            traj = dict(res.trajectory)
            res.features = {k: (np.asarray(v).tolist() if np.ndim(v) else float(v))
                            for k, v in dict(fn(traj, res.task_info)).items()}
        except Exception as exc:  # noqa: BLE001
            res.features_error = f"{type(exc).__name__}: {exc}\n{tb.format_exc()}"


def run_episode(task: Any, brain_name: str, seed: int = 0, duration: float = 10.0,
                brain_options: dict | None = None, task_options: dict | None = None,
                record_rate_hz: float | None = None, video: bool = False) -> EpisodeResult:
    """Run one closed-loop episode (builds and closes its own env and brain)."""
    runner = EpisodeRunner(task, brain_name, duration, brain_options, task_options,
                           record_rate_hz, video)
    try:
        return runner.run(seed)
    finally:
        runner.close()


# ---------------------------------------------------------------------------- saving

def write_video(stem: Path, frames: list, fps: float) -> tuple[Path | None, str]:
    """MP4 via imageio-ffmpeg if installed, else an animated GIF (Pillow)."""
    if not frames:
        return None, "video: no frames were rendered"
    frames = [np.asarray(f, dtype=np.uint8) for f in frames]
    try:
        import imageio.v2 as imageio
        import imageio_ffmpeg  # noqa: F401
        path = stem.with_suffix(".mp4")
        tmp = path.with_name(f".{path.name}.tmp.mp4")
        imageio.mimwrite(tmp, frames, fps=fps, macro_block_size=1)
        tmp.replace(path)
        return path, f"video: {path}"
    except ImportError:
        pass
    from PIL import Image
    path = stem.with_suffix(".gif")
    tmp = path.with_name(f".{path.name}.tmp.gif")
    imgs = [Image.fromarray(f) for f in frames]
    imgs[0].save(tmp, save_all=True, append_images=imgs[1:], duration=int(1000 / fps), loop=0)
    tmp.replace(path)
    return path, (f"video: wrote GIF {path} (for MP4 install the optional extra: "
                  f"pip install 'connectome-gym[video]')")


def save_episode(out_dir: str | Path, res: EpisodeResult, wcon: bool = True,
                 reference: dict | None = None, stem: str | None = None) -> Path:
    """Write ep_XXXX.npz (+ .wcon, + video) then ep_XXXX.json (last: the completion mark).
    ``stem``: another file name stem (sweeps name episodes by a hash of config + seed)."""
    ep_dir = Path(out_dir) / rec_io.EPISODES_DIR
    ep_dir.mkdir(parents=True, exist_ok=True)
    stem = ep_dir / (stem or rec_io.episode_stem(res.seed))
    arrays = {k: np.asarray(v) for k, v in res.trajectory.items()}
    arrays.update({f"neural_{k}": np.asarray(v) for k, v in res.neural.items()})
    rec_io.atomic_write_npz(stem.with_suffix(".npz"), arrays)
    files = {"npz": stem.with_suffix(".npz").name}
    notes = list(res.notes)
    if wcon and "centerline" in res.trajectory and len(res.trajectory.get("t", [])):
        from ..io.wcon import write_wcon
        try:
            write_wcon(stem.with_suffix(".wcon"), res.trajectory, worm_id=str(res.seed),
                       task_info=res.task_info,
                       metadata={"settings": {"task": res.config.get("task"),
                                              "brain": res.config.get("brain"),
                                              "seed": res.seed, "status": res.status}})
            files["wcon"] = stem.with_suffix(".wcon").name
        except Exception as exc:  # noqa: BLE001
            notes.append(f"WCON export failed: {type(exc).__name__}: {exc}")
    if res.frames:
        path, msg = write_video(stem, res.frames, res.video_fps)
        if path:
            files["video"] = path.name
        notes.append(msg)
    record = {"seed": res.seed, "status": res.status, "error": res.error,
              "traceback": res.traceback, "features": res.features,
              "features_error": res.features_error, "task_info": res.task_info,
              "config": res.config, "wall_time_s": res.wall_time_s,
              "sim_time_s": res.sim_time_s, "n_steps": res.n_steps,
              "sim_s_per_wall_s": (res.sim_time_s / res.wall_time_s
                                   if res.wall_time_s > 0 else None),
              "n_samples": int(len(res.trajectory.get("t", []))), "files": files,
              "notes": notes, "finished": datetime.now(timezone.utc).isoformat(),
              "reference": reference}
    path = stem.with_suffix(".json")
    rec_io.atomic_write_json(path, record)
    return path


# ---------------------------------------------------------------------------- many

@dataclass
class RunSummary:
    out_dir: Path
    seeds: list[int]
    ran: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


_CONFIG_KEYS = ("task", "brain", "brain_options", "task_options", "duration", "record_rate_hz")


def default_out_dir(task: str, brain: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{task.replace('/', '_')}_{brain}_{stamp}"


def reference_summary(spec: ResolvedTask) -> dict:
    if not spec.reference:
        return {"name": None}
    try:
        from ..scoring.scorecard import load_reference_library
        lib = load_reference_library(spec.reference)
        return {"name": spec.reference, "version": getattr(lib, "version", None),
                "content_hash": getattr(lib, "content_hash", None)}
    except Exception as exc:  # noqa: BLE001
        return {"name": spec.reference, "error": f"{type(exc).__name__}: {exc}"}


def check_run_values(episodes: Any, duration: Any, seed: Any = 0, record_rate_hz: Any = None,
                     out: str | Path | None = None) -> None:
    """A run's settings, checked before anything is built or written (RunConfigError, one line)."""
    def is_int(v):
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)
    if not is_int(episodes) or episodes < 1:
        raise RunConfigError(f"episodes must be an integer ≥ 1, got {episodes!r}")
    if not is_int(seed) or seed < 0:
        raise RunConfigError(f"seed must be an integer ≥ 0, got {seed!r}")
    for name, v in (("duration", duration), ("record_rate_hz", record_rate_hz)):
        if v is None and name == "record_rate_hz":
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float, np.number)) \
                or not math.isfinite(v) or v <= 0:
            raise RunConfigError(f"{name} must be a finite number > 0, got {v!r}")
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise RunConfigError(f"--out {out}: an existing file, not a folder")


def run_many(task: Any, brain_name: str, episodes: int, seed: int = 0, duration: float = 10.0,
             out: str | Path | None = None, brain_options: dict | None = None,
             task_options: dict | None = None, record_rate_hz: float | None = None,
             video: bool = False, progress: bool = True, wcon: bool = True,
             retry_failed: bool = False, log: Callable[[str], None] | None = None,
             _stop_after: int | None = None) -> RunSummary:
    """Run seeds seed..seed+episodes-1 into ``out``; skip episodes already finished there.

    ``_stop_after`` (tests) raises ``KeyboardInterrupt`` after that many new episodes, to
    simulate a crash.
    """
    log = log or (lambda m: print(m, file=sys.stderr))
    check_run_values(episodes, duration, seed, record_rate_hz, out)
    spec = resolve_task(task)
    out_dir = Path(out) if out else default_out_dir(spec.name, brain_name)
    seeds = list(range(int(seed), int(seed) + int(episodes)))
    summary = RunSummary(out_dir=out_dir, seeds=seeds)
    runner = EpisodeRunner(spec, brain_name, duration, brain_options, task_options,
                           record_rate_hz, video)
    try:
        if video:  # no GL backend: one line and exit 2 before any episode runs
            from bodies.offscreen import RenderingUnavailable, ensure_gl
            try:
                ensure_gl()
            except RenderingUnavailable as exc:
                raise RunConfigError(f"--video: {exc}") from None
        run_file = out_dir / rec_io.RUN_FILE
        config = runner.config()
        reference = reference_summary(spec)
        prior = rec_io.read_json(run_file) if run_file.exists() else None
        if prior is not None:
            mismatch = [k for k in _CONFIG_KEYS
                        if rec_io.to_jsonable(prior.get("config", {}).get(k))
                        != rec_io.to_jsonable(config.get(k))]
            if mismatch:
                pc = prior.get("config", {})
                there = ", ".join(f"{k}={pc.get(k)!r}" for k in mismatch)
                raise RunConfigError(f"{out_dir} already holds a run with a different "
                                     f"{', '.join(mismatch)} (there: {there}); "
                                     f"choose another --out")
        all_seeds = sorted(set(seeds) | set((prior or {}).get("seeds", [])))
        run_record = {
            "task": spec.name, "task_spec": spec.as_dict(), "brain": brain_name,
            "config": config, "seeds": all_seeds, "brain_info": runner.brain_info(),
            "reference": reference, "versions": rec_io.package_versions(),
            "git_commit": rec_io.git_commit(), "command_line": rec_io.command_line(),
            "created": (prior or {}).get("created") or datetime.now(timezone.utc).isoformat(),
            "updated": datetime.now(timezone.utc).isoformat(),
        }
        remove_stale_tmp(out_dir)  # left by a killed run (SIGKILL mid-write)
        rec_io.atomic_write_json(run_file, run_record)

        done = {}  # damaged episode files are set aside (episodes/corrupt/) and run again
        for r in rec_io.list_episodes(out_dir, check_npz=True,
                                      warn=lambda m: log(f"warning: {m}")):
            done[int(r["seed"])] = r.get("status")
        todo = [s for s in seeds if s not in done or (retry_failed and done[s] != "ok")]
        summary.skipped = [s for s in seeds if s not in todo]
        if summary.skipped:
            msg = (f"resuming {out_dir}: {len(summary.skipped)} episode(s) already finished "
                   f"(seeds {_ranges(summary.skipped)}), skipping them")
            summary.messages.append(msg)
            log(msg)
        for s in summary.skipped:
            if done.get(s) != "ok":
                summary.failed[s] = "failed in an earlier run (use --retry-failed to redo)"

        bar = inner = None
        if progress and todo:
            from tqdm.auto import tqdm
            bar = tqdm(total=len(seeds), initial=len(summary.skipped), unit="ep",
                       desc=f"{spec.name} × {brain_name}", file=sys.stderr, position=0)
        try:
            for n_new, s in enumerate(todo):
                if _stop_after is not None and n_new >= _stop_after:
                    raise KeyboardInterrupt(f"simulated crash after {n_new} episodes")
                cb = None
                if bar is not None:
                    from tqdm.auto import tqdm
                    inner = tqdm(total=runner.duration, unit="sim-s", desc=f"seed {s}",
                                 leave=False, file=sys.stderr, position=1,
                                 bar_format="{desc}: {percentage:3.0f}%|{bar}| "
                                            "{n:.2f}/{total:.2f} sim-s [{elapsed}{postfix}]")

                    def cb(t_sim, wall, _bar=inner):
                        _bar.n = min(t_sim, _bar.total)
                        _bar.set_postfix_str(f"{t_sim / max(wall, 1e-9):.3g} sim-s/wall-s",
                                             refresh=False)
                        _bar.refresh() if wall - getattr(_bar, "_last", 0) > 0.2 else None
                        _bar._last = wall
                res = runner.run(s, sim_progress=cb)
                if inner is not None:
                    inner.close()
                save_episode(out_dir, res, wcon=wcon, reference=reference)
                summary.ran.append(s)
                if not res.ok:
                    summary.failed[s] = res.error or "failed"
                    log(f"episode seed={s} FAILED: {res.error} (recorded in "
                        f"{out_dir / rec_io.EPISODES_DIR / rec_io.episode_stem(s)}.json)")
                for note in res.notes:
                    if note.startswith("video:"):
                        log(note)
                if bar is not None:
                    bar.set_postfix_str(f"{res.sim_time_s / max(res.wall_time_s, 1e-9):.3g} "
                                        f"sim-s/wall-s, {len(summary.failed)} failed")
                    bar.update(1)
        finally:
            if inner is not None:
                inner.close()
            if bar is not None:
                bar.close()
    finally:
        runner.close()
    return summary


def _ranges(seeds: list[int]) -> str:
    seeds = sorted(seeds)
    parts, start, prev = [], seeds[0], seeds[0]
    for s in seeds[1:] + [None]:
        if s is not None and s == prev + 1:
            prev = s
            continue
        parts.append(f"{start}" if start == prev else f"{start}-{prev}")
        if s is not None:
            start = prev = s
    return ", ".join(parts)
