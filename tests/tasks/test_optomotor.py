"""Zebrafish optomotor task: schedules, stimuli, env contract, features, references, plots, runner.

The closed-loop checks use a hand-written bout generator (a travelling-wave bout about once a
second, first half-beat biased to one side) instead of a brain."""

import math
from pathlib import Path
from types import SimpleNamespace

import gymnasium as gym
import numpy as np
import pytest

import tasks  # noqa: F401  (registers the envs)
from bodies import BodyDivergedError
from bodies.larva import N_JOINTS, bout
from tasks.optomotor.features import BoutParams, detect_bouts, extract_features, omr_correct_fraction
from tasks.optomotor.schedule import Schedule, ScheduleError
from tasks.visual_stimuli import Dots, Grating

SHORT = [  # 1 s rest, 6 s motion toward the fish's left, 1 s rest
    {"start_s": 0, "end_s": 1, "motion": 0, "direction_deg": 90, "speed_mm_s": 0},
    {"start_s": 1, "end_s": 7, "motion": 1, "direction_deg": 90, "speed_mm_s": 10},
    {"start_s": 7, "end_s": 8, "motion": 0, "direction_deg": 90, "speed_mm_s": 0},
]


def _write_schedule(tmp_path: Path, rows=SHORT) -> Path:
    p = tmp_path / "short.csv"
    p.write_text("start_s,end_s,motion,direction_deg,speed_mm_s\n"
                 + "".join(f"{r['start_s']},{r['end_s']},{r['motion']},{r['direction_deg']},{r['speed_mm_s']}\n" for r in rows))
    return p


def run_bout_policy(env, follow: float = 1.0, seed: int = 0, every: float = 0.8):
    """Drive ``env`` with periodic bouts; during motion the first half-beat turns toward the
    motion side with sign ``follow`` (+1 with, -1 against), at rest to a random side.
    Returns the trajectory sampled like the runner (record at 250 Hz)."""
    rng = np.random.default_rng(seed)
    obs, info = env.reset(seed=seed)
    rows = {k: [np.asarray(v)] for k, v in info["record"].items()}
    ts = [info["t"]]
    onset, turn, nxt = -1.0, 0.0, 0.3
    while True:
        t = env._n * env.control_dt
        if t >= nxt:
            r = info["record"]
            side = math.copysign(1.0, math.sin(r["motion_direction_fish"]))
            turn = follow * side * 0.8 if r["motion_on"] else rng.choice([-0.8, 0.8])
            onset, nxt = t, t + every
        obs, _, term, trunc, info = env.step(bout(t, onset, turn=turn, amplitude=0.5, wavelength=1.3, decay=0.9))
        assert env.observation_space.contains(obs)
        if env._n % 2 == 0:
            ts.append(info["t"])
            for k, v in info["record"].items():
                rows[k].append(np.asarray(v))
        if term or trunc:
            break
    traj = {k: np.stack(v) for k, v in rows.items()}
    traj["t"] = np.asarray(ts)
    return traj


# ------------------------------------------------------------------------------- schedules
def test_random_dots_60_schedule_balances_directions():
    """The must-show protocol's 60 s episode: equal motion time per direction, >= 10 s of rest
    after each motion epoch (the after-motion bins), >= 10 s of motion (the build-up bins)."""
    s = Schedule.load("random_dots_60")
    assert s.duration == 60.0
    rows = s.to_list()
    motion = [r for r in rows if r["motion"]]
    per_dir = {}
    for r in motion:
        per_dir[r["direction_deg"]] = per_dir.get(r["direction_deg"], 0.0) + r["end_s"] - r["start_s"]
    assert sorted(per_dir) == [-90, 90] and per_dir[90] == per_dir[-90] >= 10.0
    for i, r in enumerate(rows):
        if r["motion"]:
            nxt = rows[i + 1]
            assert not nxt["motion"] and nxt["end_s"] - nxt["start_s"] >= 10.0


def test_schedule_tables_load_and_errors_name_the_row(tmp_path):
    s = Schedule.load("omr_rest_motion_rest")
    assert s.duration == 30 and s.motion_onsets() == [10.0]
    assert s.at(15).motion and not s.at(25).motion and s.at(15).direction_deg == 90
    assert s.mirrored().at(15).direction_deg == -90
    assert Schedule.load("spontaneous").motion_onsets() == []
    bad = _write_schedule(tmp_path, SHORT[:1] + [dict(SHORT[1], start_s=2)])
    with pytest.raises(ScheduleError, match="row 3"):
        Schedule.load(bad)
    with pytest.raises(ScheduleError, match="bundled"):
        Schedule.load("no_such_schedule")


# ------------------------------------------------------------------------------- stimuli
def test_grating_moves_and_includes_self_motion():
    g = Grating(period=10.0)
    g.reset(np.random.default_rng(0), np.zeros(2), np.array([1.0, 0.0]))
    p = np.array([[0.0, 0.0], [2.5, 0.0]])
    l0 = g.luminance(p)
    g.advance(0.25, np.array([10.0, 0.0]), np.zeros(2), np.array([1.0, 0.0]))  # pattern +2.5 mm
    assert np.allclose(g.luminance(p[1:]), l0[:1], atol=1e-9)
    # the fish moving +2.5 mm with the pattern at rest: the world pattern stays put
    g2 = Grating(period=10.0)
    g2.reset(np.random.default_rng(0), np.zeros(2), np.array([1.0, 0.0]))
    g2.advance(0.25, np.zeros(2), np.array([2.5, 0.0]), np.array([1.0, 0.0]))
    assert np.allclose(g2.luminance(p), l0, atol=1e-9)


def test_dots_coherence_and_luminance_range():
    d = Dots(coherence=1.0, density=0.2)
    d.reset(np.random.default_rng(1), np.zeros(2), np.array([1.0, 0.0]))
    pos0 = d.pos.copy()
    d.lifetime = 1e9
    d.advance(0.1, np.array([10.0, 0.0]), np.zeros(2), np.array([1.0, 0.0]))
    moved = (d.pos - pos0 + 15) % 30 - 15
    assert np.allclose(moved, [1.0, 0.0], atol=1e-9)
    lum = d.luminance(np.random.default_rng(2).uniform(-10, 10, (200, 2)))
    assert set(np.unique(lum)) <= {0.0, 1.0} and 0 < lum.mean() < 1


def test_dots_at_rest_move_incoherently_or_stay_static():
    """Rest epochs: every dot moves along its own direction at rest_speed (0 % coherence, no net
    drift), or stays put when rest_speed is 0."""
    k = np.array([1.0, 0.0])
    moving, still = Dots(coherence=1.0, density=0.5, rest_speed=10.0), Dots(coherence=1.0, density=0.5)
    for d in (moving, still):
        d.reset(np.random.default_rng(3), np.zeros(2), k)
        d.lifetime = 1e9
    p0 = moving.pos.copy()
    moving.advance(0.05, np.zeros(2), np.zeros(2), k, motion=False)
    step = (moving.pos - p0 + 15) % 30 - 15
    assert np.allclose(np.hypot(*step.T), 0.5, atol=1e-9)  # 10 mm/s x 0.05 s, every dot
    assert np.allclose(step, moving.dirs * 0.5, atol=1e-9)  # along its own direction, coherent or not
    assert np.linalg.norm(step.mean(axis=0)) < 0.1  # no net motion
    p0 = still.pos.copy()
    still.advance(0.05, np.zeros(2), np.zeros(2), k, motion=False)
    assert np.allclose(still.pos, p0)
    assert moving.to_dict()["rest"] == "incoherent" and still.to_dict()["rest"] == "static"
    with pytest.raises(ValueError, match="rest_speed"):
        Dots(rest_speed=-1.0)


# ------------------------------------------------------------------------------- env
def test_env_contract():
    env = gym.make("cgym/ZebrafishOptomotor-v0").unwrapped
    assert env.control_dt == 0.002 and env.record_rate_hz == 250
    assert env.action_space.shape == (2 * N_JOINTS,) and env.body.n_joints == N_JOINTS
    assert env.eye_sample_points.shape == (2, 16, 2)
    assert np.all(env.eye_sample_points[0, :, 1] > 0) and np.all(env.eye_sample_points[1, :, 1] < 0)
    obs, info = env.reset(seed=0)
    assert set(obs) == {"eye_left", "eye_right", "tail_angles", "tail_velocities"}
    rec = info["record"]
    for k, shape in {"head_xy": (2,), "tail_angles": (N_JOINTS,), "centerline": (N_JOINTS + 2, 2),
                     "stimulus_velocity_world": (2,)}.items():
        assert np.shape(rec[k]) == shape, k
    for k in ("heading", "speed", "motion_on", "motion_direction_fish"):
        assert np.ndim(rec[k]) == 0, k
    ti = env.task_info()
    assert ti["schedule"][1]["motion"] == 1 and ti["duration_s"] == 30
    assert abs(ti["schedule"][1]["direction_deg"]) == 90
    with pytest.raises(ValueError, match="shape"):
        env.step(np.zeros(3))
    a = np.zeros(2 * N_JOINTS)
    a[0] = np.nan
    with pytest.raises(ValueError, match="L01"):
        env.step(a)
    with pytest.raises(ValueError, match="stimulus"):
        gym.make("cgym/ZebrafishOptomotor-v0", stimulus="stripes")


def test_motion_direction_in_record_follows_mirror_and_lock(tmp_path):
    env = gym.make("cgym/ZebrafishOptomotor-v0", schedule=str(_write_schedule(tmp_path))).unwrapped
    for mirror, sign in ((False, 1), (True, -1)):
        env.reset(seed=1, options={"mirror": mirror, "heading": 0.3})
        for _ in range(600):  # into the motion epoch (t = 1.2 s)
            _, _, _, _, info = env.step(np.zeros(2 * N_JOINTS))
        r = info["record"]
        assert r["motion_on"] == 1
        assert r["motion_direction_fish"] == pytest.approx(sign * math.pi / 2, abs=1e-6)
        v = r["stimulus_velocity_world"]
        assert np.hypot(*v) == pytest.approx(10.0)
        # toward the fish's left (mirror: right) in the world: heading + 90 deg
        assert math.atan2(v[1], v[0]) == pytest.approx(0.3 + sign * math.pi / 2, abs=1e-6)


def test_moving_grating_changes_eye_samples_static_does_not(tmp_path):
    env = gym.make("cgym/ZebrafishOptomotor-v0", schedule=str(_write_schedule(tmp_path))).unwrapped
    obs0, _ = env.reset(seed=2)
    for _ in range(100):  # rest, fish still
        obs, *_ = env.step(np.zeros(2 * N_JOINTS))
    assert np.allclose(obs["eye_left"], obs0["eye_left"], atol=1e-4)
    for _ in range(500):
        obs, *_ = env.step(np.zeros(2 * N_JOINTS))
    assert not np.allclose(obs["eye_left"], obs0["eye_left"], atol=1e-2)


def test_render_rgb_array():
    env = gym.make("cgym/ZebrafishOptomotor-v0", render_mode="rgb_array", render_size=(64, 48)).unwrapped
    env.reset(seed=0)
    img = env.render()
    assert img.shape == (48, 64, 3) and img.dtype == np.uint8 and img.std() > 1  # stripes drawn
    env.close()


def test_divergence_is_reported():
    env = gym.make("cgym/ZebrafishOptomotor-v0").unwrapped
    env.reset(seed=0)
    env.body.data.qvel[0] = 1e6  # a blow-up
    with pytest.raises(BodyDivergedError, match="ZebrafishOptomotor-v0 step 0"):
        env.step(np.zeros(2 * N_JOINTS))


# ------------------------------------------------------------------------------- features
def test_features_of_a_synthetic_trajectory():
    fs = 250.0
    t = np.arange(0, 5, 1 / fs)
    ta = np.zeros((t.size, N_JOINTS))
    onsets = [0.5, 1.5, 2.6, 3.7]
    for o in onsets:
        m = (t >= o) & (t < o + 0.16)
        ta[m] = 0.05 * np.sin(2 * np.pi * 29 * (t[m] - o))[:, None]
    traj = {"t": t, "tail_angles": ta, "head_xy": np.c_[t, 0 * t], "heading": 0 * t,
            "speed": np.ones_like(t), "motion_on": 0 * t, "motion_direction_fish": 0 * t + math.pi / 2}
    bouts = detect_bouts(traj)
    assert [round(b["onset_s"], 2) for b in bouts] == onsets
    f = extract_features(traj, {})
    assert f["n_bouts"] == 4
    assert f["bout_duration_median_s"] == pytest.approx(0.16, abs=0.015)
    assert f["tail_beat_frequency_median_hz"] == pytest.approx(29, abs=1.5)
    assert f["interbout_interval_median_s"] == pytest.approx(1.1, abs=0.01)
    still = dict(traj, tail_angles=np.zeros_like(ta))
    g = extract_features(still, {})
    assert g["n_bouts"] == 0 and math.isnan(g["omr_correct_fraction"]) and g["bout_rate_hz"] == 0


def test_after_motion_side_is_taken_in_the_stimulus_frame():
    """After leftward motion stops, a fish that keeps turning left (45° per bout, 270° in all)
    keeps turning toward the preceding motion. With the pattern locked to its heading (the
    default) every such turn counts as toward; with a world-fixed pattern the same turns count
    against once the world direction has moved to the fish's other side."""
    fs = 250.0
    t = np.arange(0, 10, 1 / fs)
    ta = np.zeros((t.size, N_JOINTS))
    heading = np.zeros(t.size)
    for onset in (2.5, 3.5, 4.5, 5.5, 6.5, 7.5):  # 0.5-5.5 s after the motion stops at 2 s
        m = (t >= onset) & (t < onset + 0.16)
        ta[m] = 0.05 * np.sin(2 * np.pi * 29 * (t[m] - onset))[:, None]
        heading[t >= onset + 0.08] += math.radians(45.0)
    traj = {"t": t, "tail_angles": ta, "head_xy": np.c_[t, 0 * t], "heading": heading,
            "speed": np.ones_like(t), "motion_on": (t < 2.0).astype(float),
            "motion_direction_fish": np.full(t.size, math.pi / 2)}  # locked: +90° in the fish's frame
    locked = extract_features(traj, {"stimulus": {"lock_to_heading": True}})
    default = extract_features(traj, {})  # locked is the default
    assert all(default[k] == locked[k] for k in locked if k.startswith("after_motion") and k.endswith(("with", "against")))
    with_ = sum(locked[f"after_motion_toward_fraction_{b}_with"] for b in ("0_2s", "2_5s", "5_10s"))
    against = sum(locked[f"after_motion_toward_fraction_{b}_against"] for b in ("0_2s", "2_5s", "5_10s"))
    assert (with_, against) == (6, 0)
    world = extract_features(traj, {"stimulus": {"lock_to_heading": False}})
    # world direction +90°; headings at the bouts 0, 45, ..., 225°: sin(90° - h) = 1, 0.71 (toward),
    # 0 (not lateral: skipped), -0.71, -1, -0.71 (against)
    assert world["after_motion_toward_fraction_0_2s_with"] == 2
    assert world["after_motion_toward_fraction_2_5s_against"] + world["after_motion_toward_fraction_5_10s_against"] == 3


def test_after_motion_all_bout_bins_count_small_bouts_in_2_s_bins():
    """The real larvae's measure: every bout (> 1°), 0–2 and 2–4 s after the offset."""
    fs = 250.0
    t = np.arange(0, 8, 1 / fs)
    ta = np.zeros((t.size, N_JOINTS))
    heading = np.zeros(t.size)
    for onset, dh in ((2.5, 5.0), (3.5, -5.0), (4.5, 5.0), (5.5, 30.0)):   # 0.5, 1.5, 2.5, 3.5 s after
        m = (t >= onset) & (t < onset + 0.16)
        ta[m] = 0.05 * np.sin(2 * np.pi * 29 * (t[m] - onset))[:, None]
        heading[t >= onset + 0.08] += math.radians(dh)
    traj = {"t": t, "tail_angles": ta, "head_xy": np.c_[t, 0 * t], "heading": heading,
            "speed": np.ones_like(t), "motion_on": (t < 2.0).astype(float),
            "motion_direction_fish": np.full(t.size, math.pi / 2)}
    f = extract_features(traj, {})
    assert (f["after_motion_bout_toward_fraction_0_2s_with"], f["after_motion_bout_toward_fraction_0_2s_against"]) == (1, 1)
    assert (f["after_motion_bout_toward_fraction_2_4s_with"], f["after_motion_bout_toward_fraction_2_4s_against"]) == (2, 0)
    # the turn bins see only the 30° turn (3.5 s after the offset: the 2–5 s bin)
    assert f["after_motion_toward_fraction_0_2s_with"] + f["after_motion_toward_fraction_0_2s_against"] == 0
    assert f["after_motion_toward_fraction_2_5s_with"] == 1


def test_a_bout_whose_tail_pauses_is_one_bout_not_two_opposite_turns():
    """A part starting less than min_interval_s after a bout's onset joins that bout (the model's
    vigorous bouts pause 60-90 ms between the first bend and the counter-bend)."""
    fs = 250.0
    t = np.arange(0, 3, 1 / fs)
    ta = np.zeros((t.size, N_JOINTS))
    heading = np.zeros(t.size)
    for o, d, turn in ((1.0, 0.06, +1.4), (1.16, 0.05, -1.0)):   # onsets 0.16 s apart, 0.10 s pause
        m = (t >= o) & (t < o + d)
        ta[m] = 0.05 * np.sin(2 * np.pi * 29 * (t[m] - o))[:, None]
        heading[t >= o + d] += turn
    traj = {"t": t, "tail_angles": ta, "head_xy": np.c_[t, 0 * t], "heading": heading,
            "speed": np.ones_like(t), "motion_on": np.ones_like(t), "motion_direction_fish": 0 * t + math.pi / 2}
    split = detect_bouts(traj, BoutParams(min_interval_s=0.0))
    assert len(split) == 2 and split[0]["heading_change_deg"] > 60 and split[1]["heading_change_deg"] < -40
    (one,) = detect_bouts(traj)
    assert one["onset_s"] == pytest.approx(1.0, abs=0.01)
    assert one["heading_change_deg"] == pytest.approx(math.degrees(0.4), abs=1.0)


def test_min_interval_is_the_shortest_real_inter_bout_interval():
    """BoutParams.min_interval_s is the shortest onset-to-onset interval of the two libraries."""
    from tasks.optomotor.tools.spontaneous_scorecard import karpenko_fish, legoc_fish

    data = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "zebrafish"
    if not data.exists():
        pytest.skip(f"{data} not present")
    shortest = []
    for load in (karpenko_fish, legoc_fish):
        ibi = np.concatenate([s["ibi"] for seqs in load(data).values() for s in seqs])
        shortest.append(float(ibi[np.isfinite(ibi) & (ibi > 0)].min()))
    assert min(shortest) == pytest.approx(BoutParams().min_interval_s, abs=0.0005)


@pytest.mark.parametrize("follow", [+1.0, -1.0])
def test_closed_loop_bout_policy_turns_are_scored(tmp_path, follow):
    env = gym.make("cgym/ZebrafishOptomotor-v0", schedule=str(_write_schedule(tmp_path))).unwrapped
    traj = run_bout_policy(env, follow=follow, seed=3)
    f = extract_features(traj, env.task_info())
    print(f"\nfollow={follow:+}: {int(f['n_bouts'])} bouts, tail beat {f['tail_beat_frequency_median_hz']:.1f} Hz, "
          f"peak speed {f['peak_speed_median_mm_s']:.1f} mm/s, displacement {f['displacement_median_mm']:.2f} mm, "
          f"OMR fraction {f['omr_correct_fraction']:.2f} ({int(f['omr_turns_with'])} with / "
          f"{int(f['omr_turns_against'])} against), latency {f['omr_latency_s']:.2f} s")
    assert 8 <= f["n_bouts"] <= 11
    assert f["tail_beat_frequency_median_hz"] == pytest.approx(29, abs=2)
    assert 16 <= f["peak_speed_median_mm_s"] <= 85
    assert f["omr_turns_with"] + f["omr_turns_against"] >= 5
    assert f["omr_correct_fraction"] == (1.0 if follow > 0 else 0.0)
    pooled = omr_correct_fraction([f, f])
    assert pooled["value"] == f["omr_correct_fraction"] and pooled["n_turns"] > 0


# ------------------------------------------------------------------------------- plots
def test_plots_from_saved_episodes(tmp_path):
    from tasks.optomotor.plots import optomotor_figures

    env = gym.make("cgym/ZebrafishOptomotor-v0", schedule=str(_write_schedule(tmp_path))).unwrapped
    traj = run_bout_policy(env, seed=4)
    np.savez(tmp_path / "ep0.npz", **traj)
    feats = extract_features(traj, {})
    run = SimpleNamespace(label="bout policy", episodes=[{"_path": str(tmp_path / "ep0.json"), "status": "ok",
                                                          "seed": 4, "features": feats}],
                          ok_features=[feats])
    paths = optomotor_figures({"task": "zebrafish/optomotor"}, [run], tmp_path / "fig")
    assert len(paths) == 3 and all(p.exists() and p.stat().st_size > 1000 for p in paths)


# ------------------------------------------------------------------------------- runner + scorer
def test_runner_and_scorer_with_null_brain(tmp_path):
    from runners.execution.episode import run_many
    from runners.scoring.scorecard import score_runs

    out = tmp_path / "run"
    s = run_many("zebrafish/optomotor", "null", episodes=2, duration=0.4, out=out, progress=False,
                 log=lambda m: None)
    data = np.load(next(out.glob("episodes/*.npz")))
    assert data["t"].size == 101 and data["centerline"].shape[1:] == (N_JOINTS + 2, 2)  # 250 Hz
    card = score_runs([out], out_dir=tmp_path / "card", n_rep=20, figures=False)
    md = card.to_markdown()
    assert "omr_correct_fraction" in md


def test_coherence_option_selects_dots_and_the_random_dot_schedule():
    import gymnasium as gym

    env = gym.make("cgym/ZebrafishOptomotor-v0", coherence=0.5)
    try:
        u = env.unwrapped
        assert u.stimulus.kind == "dots" and u.stimulus.coherence == 0.5
        assert u.schedule_base.source.endswith("random_dots.csv")
        assert u.duration == 45.0
        env.reset(seed=0)
        st = u.task_info()["stimulus"]
        assert st["coherence"] == 0.5
        # rests as in the real trials: dots at 0 % coherence, at the schedule's motion speed
        assert st["rest"] == "incoherent" and st["rest_speed_mm_s"] == 10.0
        p0 = u.stimulus.pos.copy()
        env.step(np.zeros(u.action_space.shape, np.float32))  # t = 0: a rest epoch
        assert not u.schedule.at(0.0).motion and not np.allclose(u.stimulus.pos, p0)
    finally:
        env.close()
    e2 = gym.make("cgym/ZebrafishOptomotor-v0", coherence=0.5, rest_dots="static")
    try:
        assert e2.unwrapped.task_info()["stimulus"]["rest"] == "static"
    finally:
        e2.close()
    with pytest.raises(ValueError, match="rest_dots"):
        gym.make("cgym/ZebrafishOptomotor-v0", coherence=0.5, rest_dots="moving")
    with pytest.raises(ValueError, match="rest_dots applies to the dots"):
        gym.make("cgym/ZebrafishOptomotor-v0", rest_dots="static")
    with pytest.raises(ValueError, match="coherence must be a fraction"):
        gym.make("cgym/ZebrafishOptomotor-v0", coherence=50)
    g = gym.make("cgym/ZebrafishOptomotor-v0")
    assert g.unwrapped.stimulus.kind == "grating"
    g.close()


def test_eye_grid_is_the_body_geometry():
    from bodies.larva.eyes import eye_grid
    from tasks.optomotor.env import ZebrafishOptomotorEnv

    env = ZebrafishOptomotorEnv(duration=0.01)
    try:
        assert np.array_equal(env.eye_sample_points, eye_grid())
    finally:
        env.close()
    assert eye_grid().shape == (2, 16, 2) and (eye_grid()[0, :, 1] > 0).all() and (eye_grid()[1, :, 1] < 0).all()


def test_side_by_side_scores_a_synthetic_run_against_both_libraries(tmp_path, capsys):
    from tasks.optomotor.tools import side_by_side

    fs = 250.0
    t = np.arange(0, 6, 1 / fs)
    ta = np.zeros((t.size, N_JOINTS))
    x = np.zeros(t.size)
    for k, o in enumerate([0.5, 1.2, 1.9, 2.6, 3.3, 4.0]):
        m = (t >= o) & (t < o + 0.16)
        ta[m] = 0.05 * np.sin(2 * np.pi * 29 * (t[m] - o))[:, None]
        x[t >= o + 0.16] += 1.0 + 0.5 * (k % 2)  # 1.0 / 1.5 mm per bout
    (tmp_path / "episodes").mkdir()
    np.savez(tmp_path / "episodes" / "ep_0000.npz", t=t, tail_angles=ta, head_xy=np.c_[x, 0 * t],
             heading=0 * t, speed=np.r_[0, np.diff(x)] * fs, motion_on=0 * t, motion_direction_fish=0 * t)
    assert side_by_side.main([str(tmp_path), "--out", str(tmp_path / "sbs.md")]) == 0
    text = (tmp_path / "sbs.md").read_text()
    assert "Le Goc 2021" in text and "Karpenko 2020" in text
    rows = {r["metric"]: r for r in __import__("json").loads((tmp_path / "sbs.json").read_text())["rows"]}
    assert rows["interbout_interval_median_s"]["model"] == pytest.approx(0.7, abs=0.01)
    assert rows["interbout_interval_median_s"]["Le Goc 2021"]["verdict"] == "pass"
    assert rows["turn_fraction"]["model"] == 0.0
    assert rows["turn_fraction"]["Le Goc 2021"]["verdict"] == "fail"
