"""``cgym suite ORGANISM --brain A --brain B ...``: every benchmark of an organism, every brain,
one leaderboard (Markdown + JSON + a static HTML page).

Benchmarks: the organism's behaviour tasks (``tasks.TASKS``) and whatever is registered in
``tasks.benchmarks.BENCHMARKS`` for it (perturbation phenotypes, neural benchmarks such as the
worm atlas); registrations come from importing the organism packages and the runner modules
that define run functions. Brains: any registered brain, including plug-ins installed through
the ``cgym.brains`` entry point (no code change).

Each brain × benchmark gives a ``cgym.benchmark/1`` result; the board is ``cgym.suite/1``::

    {"schema": "cgym.suite/1", "organism": "celegans", "created": ISO time,
     "machines": [{"host", "git_commit", "versions", "settings": {episodes, duration, quick, seed}}],
     "benchmarks": {name: {"kind", "description"}},
     "results": [cgym.benchmark/1 result, ...]}      # one per (benchmark, brain)

Boards from different machines or sweeps merge (``--merge a.json b.json``): results are keyed
by (benchmark, brain); a later file's result replaces an earlier one for the same key, and the
machines lists are concatenated.
"""

from __future__ import annotations

import html
import importlib
import json
import shutil
import socket
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .io import recording as rec_io

SCHEMA = "cgym.suite/1"
RESULT_SCHEMA = "cgym.benchmark/1"
# runner modules that register benchmarks whose run function lives in runners
BENCHMARK_MODULES = ("runners.execution.atlas", "runners.execution.perturbation")
ORGANISM_PACKAGES = {"celegans": "organisms.c_elegans", "zebrafish": "organisms.zebrafish",
                     "drosophila": "organisms.drosophila"}


class SuiteError(ValueError):
    """Bad suite input (exit 2 in the CLI)."""


# ----------------------------------------------------------------------------- discovery

def load_benchmarks(organism: str) -> list:
    """Behaviour tasks + registered benchmarks of ``organism`` as BenchmarkSpecs."""
    from tasks.benchmarks import BenchmarkSpec, benchmarks_for
    for mod in (ORGANISM_PACKAGES.get(organism), *BENCHMARK_MODULES):
        if not mod:
            continue
        try:
            importlib.import_module(mod)
        except ImportError:
            pass
    specs = [BenchmarkSpec(name, organism, "behaviour", "runners.suite:run_behaviour",
                           getattr(spec, "description", "") or f"behaviour task {name}")
             for name, spec in sorted(_tasks().items()) if getattr(spec, "organism", None) == organism]
    return specs + benchmarks_for(organism)


def _tasks() -> dict:
    import tasks
    out = dict(getattr(tasks, "TASKS", {}))
    try:
        from .execution.episode import EXTRA_TASKS
        out.update(EXTRA_TASKS)
    except ImportError:
        pass
    return out


def available_brains(organism: str) -> list[str]:
    from nervous_systems.brain import brain_specs
    return [s.name for s in brain_specs(organism)]


def _call(ref: str):
    return rec_io.load_callable(ref)


# ----------------------------------------------------------------------------- behaviour

def run_behaviour(brain: str, brain_options: dict, out: Path, *, seeds: list[int],
                  quick: bool = False, progress: bool = True, task: str = "",
                  duration: float | None = None) -> dict:
    """Run ``len(seeds)`` episodes of ``task`` and score them against its reference library."""
    from .execution.episode import run_many
    from .scoring.scorecard import describe_brain, score_runs, verdict_text
    out = Path(out)
    kw = {} if duration is None else {"duration": duration}
    run_many(task, brain, episodes=len(seeds), seed=seeds[0], out=out / "run",
             brain_options=brain_options or None, progress=progress, log=lambda m: None, **kw)
    card = score_runs([out / "run"], out / "scorecard", n_rep=50 if quick else 200)
    t = card.tasks[0]
    label = t["runs"][0]["label"]
    rows = []
    for m in t["metrics"]:
        c = m["runs"][label]
        v = c.get("verdict") or "report only"
        if v == "inconclusive":   # the CI spans the criterion: more episodes needed
            v = "insufficient data"
        if v == "report only" or m.get("provisional"):
            continue
        model = c.get("model") or {}
        if m["kind"] == "population":
            val, ci = model.get("value"), [model.get("ci_low"), model.get("ci_high")]
            ref = (m.get("reference") or {}).get("threshold") or (m.get("reference") or {}).get("value")
            ceiling, score = None, c.get("score")
        else:
            mean = model.get("mean")
            val = mean if not isinstance(mean, list) else float(np.linalg.norm(mean))
            ci, ref = c.get("distance_sd_ci"), (m.get("reference") or {}).get("mean")
            ref = ref if not isinstance(ref, list) else None
            ceiling, score = c.get("ceiling_sd"), c.get("distance_sd")
        rows.append({"metric": m["id"], "label": " ".join((m.get("description") or m["id"]).split()).rstrip("."),
                     "score_label": ("share of the way from chance to the target"
                                     if m["kind"] == "population" else "s.d. from the reference mean"),
                     "unit": m.get("unit") or "", "model": val, "ci": ci, "reference": ref,
                     "reference_text": m.get("reference_text"),
                     "values": c.get("values") if m["kind"] != "population" else None,
                     "ceiling": ceiling, "score": score, "n": int(model.get("n") or 0),
                     "verdict": v, "verdict_text": verdict_text(c, m["kind"]),
                     "source": m.get("citation", "") + (f", doi:{m['doi']}" if m.get("doi") else "")})
    info = t["runs"][0].get("brain_info") or {}
    return {"schema": RESULT_SCHEMA, "benchmark": task, "brain": brain,
            "brain_info": {"text": describe_brain(info)}, "rows": rows,
            "notes": ["Per-episode metrics: score = distance from the reference mean in reference "
                      "s.d. (lower is better), ceiling = that distance for groups of real animals "
                      "of the same n (95th percentile); CI = 95% bootstrap over episodes. "
                      "Population metrics: score = fraction of the way from chance to the target."],
            "figures": [str(Path("scorecard") / f) for f in card.figures], "labels": []}


# ----------------------------------------------------------------------------- suite

def run_suite(organism: str, brains: list[str], out: Path, *, episodes: int = 5,
              duration: float | None = None, quick: bool = False, seed: int = 0,
              only: list[str] | None = None, progress: bool = True, log=print) -> dict:
    specs = load_benchmarks(organism)
    if only:
        unknown = [b for b in only if b not in {s.name for s in specs}]
        if unknown:
            raise SuiteError(f"unknown benchmark(s) {', '.join(unknown)} for {organism}; "
                             f"available: {', '.join(s.name for s in specs)}")
        specs = [s for s in specs if s.name in only]
    if not specs:
        raise SuiteError(f"no benchmark registered for organism {organism!r}")
    have = available_brains(organism)
    missing = [b for b in brains if b not in have]
    if missing:
        raise SuiteError(f"unknown brain(s) {', '.join(missing)} for {organism}; available: "
                         f"{', '.join(have)}")
    out = Path(out)
    seeds = list(range(seed, seed + episodes))
    results = []
    for spec in specs:
        for brain in brains:
            bdir = out / "results" / _slug(spec.name) / _slug(brain)
            log(f"suite: {spec.name} × {brain}")
            try:
                fn = _call(spec.run)
                kw = {"task": spec.name, "duration": duration} if spec.kind == "behaviour" else {}
                res = fn(brain, {}, bdir, seeds=seeds, quick=quick, progress=progress, **kw)
                res = dict(res)
                res.setdefault("status", "ok")
            except Exception as exc:  # noqa: BLE001 - one benchmark must not sink the board
                res = {"schema": RESULT_SCHEMA, "benchmark": spec.name, "brain": brain,
                       "brain_info": {}, "rows": [], "notes": [], "figures": [], "labels": [],
                       "status": "error", "error": f"{type(exc).__name__}: {exc}"}
            res["kind"] = spec.kind
            res["figures"] = [str((bdir / f).relative_to(out)) for f in res.get("figures") or []
                              if (bdir / f).exists()]
            results.append(rec_io.to_jsonable(res))
    board = {"schema": SCHEMA, "organism": organism,
             "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
             "machines": [{"host": socket.gethostname(), "git_commit": rec_io.git_commit(),
                           "versions": rec_io.package_versions(),
                           "settings": {"episodes": episodes, "duration": duration,
                                        "quick": quick, "seed": seed}}],
             "benchmarks": {s.name: {"kind": s.kind, "description": s.description} for s in specs},
             "results": results}
    write_board(board, out)
    return board


def merge_boards(paths: list[Path]) -> dict:
    boards = []
    for p in paths:
        p = Path(p)
        try:
            b = json.loads(p.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise SuiteError(f"{p}: not a readable suite JSON ({exc})") from None
        if not isinstance(b, dict) or b.get("schema") != SCHEMA:
            raise SuiteError(f"{p}: schema {b.get('schema') if isinstance(b, dict) else None!r}, "
                             f"expected {SCHEMA!r}")
        boards.append(b)
    orgs = {b.get("organism") for b in boards}
    if len(orgs) != 1:
        raise SuiteError(f"cannot merge boards of different organisms: {', '.join(map(str, orgs))}")
    merged = {"schema": SCHEMA, "organism": orgs.pop(),
              "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "machines": [], "benchmarks": {}, "results": []}
    keyed: dict = {}
    for b in boards:
        merged["machines"] += b.get("machines") or []
        merged["benchmarks"].update(b.get("benchmarks") or {})
        for r in b.get("results") or []:
            keyed[(r.get("benchmark"), r.get("brain"))] = r
    merged["results"] = list(keyed.values())
    return merged


# ----------------------------------------------------------------------------- output

def _slug(s: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in s)


def _fmt(v, digits=3) -> str:
    if v is None:
        return "—"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return "—" if not np.isfinite(f) else f"{f:.{digits}g}"


def _ref(row: dict) -> str:
    """The reference as words (value, spread, n, source kind) where the result gives them."""
    return str(row.get("reference_text") or _fmt(row.get("reference")))


def _brains(board) -> list[str]:
    seen = []
    for r in board["results"]:
        if r["brain"] not in seen:
            seen.append(r["brain"])
    return seen


def _cell(r: dict | None, metric: str) -> tuple[str, str]:
    if r is None:
        return "not run", ""
    if r.get("status") == "error":
        return "error", r.get("error", "")
    if r.get("status") == "not applicable":
        return "not applicable", r.get("reason", "")
    row = next((x for x in r.get("rows") or [] if x["metric"] == metric), None)
    if row is None:
        return "—", ""
    unit = f" {row['unit']}" if row.get("unit") and row["unit"] != "1" else ""
    score = ""
    if (row.get("score") is not None and row.get("score_label") and row.get("model") is not None
            and (row["verdict"] != "insufficient data"
                 or str(row.get("verdict_text", "")).startswith("inconclusive"))):
        score = f" ({row['score_label']}: {_fmt(row['score'], 2)})"
    verdict = row["verdict"]
    if verdict == "insufficient data" and str(row.get("verdict_text", "")).startswith("inconclusive"):
        verdict = "inconclusive: between the 95th and 99th percentile of real-animal groups, more episodes needed"
    return f"{_fmt(row['model'])}{unit}{score} — {verdict}", row["verdict"]


def summary(board) -> dict:
    """brain -> {"pass": k, "judged": m} over every row of every benchmark."""
    out = {}
    for r in board["results"]:
        d = out.setdefault(r["brain"], {"pass": 0, "fail": 0, "judged": 0})
        for row in r.get("rows") or []:
            if row["verdict"] in ("pass", "fail"):
                d["judged"] += 1
                d[row["verdict"]] += 1
    return out


def _shared_notes(name, brains, by) -> list[str]:
    """Notes that every brain's result of benchmark ``name`` carries (printed once)."""
    lists = [(by.get((name, b)) or {}).get("notes") or [] for b in brains
             if (by.get((name, b)) or {}).get("status") == "ok"]
    if not lists:
        return []
    return [n for n in lists[0] if all(n in other for other in lists[1:])]


def brain_pairs(name: str, brains: list[str], by: dict, min_n: int = 5) -> list[str]:
    """Plain sentences: which brains the benchmark tells apart, metric by metric (permutation
    test of the difference of means on the per-episode values, two-sided, p < 0.05)."""
    from .scoring.scorecard import permutation_p
    out = []
    for i, a in enumerate(brains):
        for b in brains[i + 1:]:
            ra, rb = by.get((name, a)) or {}, by.get((name, b)) or {}
            va = {r["metric"]: r.get("values") for r in ra.get("rows") or [] if r.get("values")}
            vb = {r["metric"]: r.get("values") for r in rb.get("rows") or [] if r.get("values")}
            diff, same = [], []
            for m in va:
                x, y = va[m], vb.get(m)
                if not y or len(x) < min_n or len(y) < min_n:
                    continue
                (diff if permutation_p(np.asarray(x, float), np.asarray(y, float)) < 0.05
                 else same).append(m)
            if not diff and not same:
                continue
            if not diff:
                out.append(f"`{a}` vs `{b}`: not distinguishable on any per-episode metric "
                           f"({', '.join(same)})")
            else:
                out.append(f"`{a}` vs `{b}`: different on {', '.join(diff)}"
                           + (f"; not distinguishable on {', '.join(same)}" if same else ""))
    return out


def board_labels(board) -> dict[str, list[str]]:
    """Per brain, the data labels its results carry (e.g. "SURROGATE edge set ..."), so that the
    board's header says them once for every brain."""
    out: dict[str, list[str]] = {}
    for r in board["results"]:
        for lab in r.get("labels") or []:
            if lab not in out.setdefault(r["brain"], []):
                out[r["brain"]].append(lab)
    return out


def board_markdown(board) -> str:
    brains = _brains(board)
    by = {(r["benchmark"], r["brain"]): r for r in board["results"]}
    lines = [f"# connectome-gym suite: {board['organism']}", "",
             f"Schema `{board['schema']}` · created {board['created']} · "
             f"{len(board.get('machines') or [])} machine/sweep record(s)", ""]
    labels = board_labels(board)
    lines += [f"- **`{b}`: {lab}**" for b, labs in labels.items() for lab in labs]
    lines += [""] if labels else []
    lines += ["## Leaderboard", "", "| brain | metrics passed | metrics failed | judged |",
              "|---|---|---|---|"]
    for b, d in summary(board).items():
        tag = " (" + "; ".join(lab.split(":")[0] for lab in labels[b]) + ")" if labels.get(b) else ""
        lines.append(f"| `{b}`{tag} | {d['pass']} | {d['fail']} | {d['judged']} |")
    for name, meta in board["benchmarks"].items():
        lines += ["", f"## {name} ({meta['kind']})", "", meta.get("description", ""), ""]
        metrics, info = [], {}
        for b in brains:
            r = by.get((name, b))
            for row in (r or {}).get("rows") or []:
                if row["metric"] not in metrics:
                    metrics.append(row["metric"])
                    info[row["metric"]] = row
        lines += ["| what is measured | reference | ceiling (same scale as the score) | "
                  + " | ".join(f"`{b}`: value — verdict" for b in brains) + " |",
                  "|---|---|---|" + "---|" * len(brains)]
        for m in metrics:
            row = info[m]
            unit = f" ({row['unit']})" if row.get("unit") and row["unit"] != "1" else ""
            lines.append(f"| {row['label']}{unit} | {_ref(row)} | "
                         f"{_fmt(row.get('ceiling'))} | "
                         + " | ".join(_cell(by.get((name, b)), m)[0] for b in brains) + " |")
        if not metrics:
            lines.append("| (no rows) | | | " + " | ".join(_cell(by.get((name, b)), "")[0]
                                                        for b in brains) + " |")
        shared = _shared_notes(name, brains, by)
        for note in shared:
            lines.append(f"\n- {note}")
        for b in brains:
            r = by.get((name, b)) or {}
            for note in r.get("notes") or []:
                if note not in shared:
                    lines.append(f"\n- `{b}`: {note}")
            for lab in r.get("labels") or []:
                lines.append(f"\n- `{b}`: **{lab}**")
            if r.get("status") in ("error", "not applicable"):
                lines.append(f"\n- `{b}`: {r.get('status')}: {r.get('error') or r.get('reason', '')}")
        pairs = brain_pairs(name, brains, by)
        if pairs:
            lines += ["", "Which brains this benchmark tells apart (per-episode values, permutation "
                      "test of the difference of means, p < 0.05, at least 5 values each):", ""]
            lines += [f"- {p}" for p in pairs]
        srcs = sorted({row.get("source") for row in info.values() if row.get("source")})
        if srcs:
            lines.append("\nSources: " + "; ".join(srcs))
    lines += ["", "Controls: `null` (no neural activity), `shuffled` (degree-preserving shuffled "
              "connectome), `reflex` (hand-written lookup table), plug-ins. A behavioural pass is "
              "not a mechanistic pass: compare the connectome with the controls on every row."]
    return "\n".join(lines) + "\n"


def board_html(board) -> str:
    e = html.escape
    brains = _brains(board)
    by = {(r["benchmark"], r["brain"]): r for r in board["results"]}
    colour = {"pass": "#d7f5d7", "fail": "#f8d4d4", "insufficient data": "#eeeeee",
              "not distinguishable": "#fff2c2"}
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             f"<title>connectome-gym suite: {e(board['organism'])}</title>",
             "<style>body{font-family:sans-serif;margin:1.5em;max-width:1400px}"
             "table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #aaa;"
             "padding:3px 6px;font-size:13px;vertical-align:top}th{background:#f0f0f0}"
             "figure{display:inline-block;margin:4px;vertical-align:top}figcaption{font-size:12px}"
             "img{max-width:460px;max-height:360px;border:1px solid #ccc}</style></head><body>",
             f"<h1>connectome-gym suite: {e(board['organism'])}</h1>",
             f"<p>Schema <code>{e(board['schema'])}</code>, created {e(board['created'])}.</p>"]
    labels = board_labels(board)
    for b, labs in labels.items():
        parts += [f"<p><b><code>{e(b)}</code>: {e(lab)}</b></p>" for lab in labs]
    parts.append("<h2>Leaderboard</h2><table><tr><th>brain</th><th>metrics passed</th>"
                 "<th>metrics failed</th><th>judged</th></tr>")
    for b, d in summary(board).items():
        tag = " (" + "; ".join(lab.split(":")[0] for lab in labels[b]) + ")" if labels.get(b) else ""
        parts.append(f"<tr><td><code>{e(b)}</code>{e(tag)}</td><td>{d['pass']}</td><td>{d['fail']}</td>"
                     f"<td>{d['judged']}</td></tr>")
    parts.append("</table>")
    for name, meta in board["benchmarks"].items():
        parts.append(f"<h2>{e(name)} <small>({e(meta['kind'])})</small></h2><p>{e(meta.get('description', ''))}</p>")
        metrics, info = [], {}
        for b in brains:
            for row in (by.get((name, b)) or {}).get("rows") or []:
                if row["metric"] not in metrics:
                    metrics.append(row["metric"])
                    info[row["metric"]] = row
        parts.append("<table><tr><th>what is measured</th><th>reference</th><th>ceiling (same "
                     "scale as the score)</th>"
                     + "".join(f"<th>{e(b)}</th>" for b in brains) + "</tr>")
        for m in metrics or [""]:
            row = info.get(m, {"label": "(no rows)", "unit": ""})
            unit = f" ({row['unit']})" if row.get("unit") and row["unit"] != "1" else ""
            cells = []
            for b in brains:
                txt, v = _cell(by.get((name, b)), m)
                cells.append(f"<td style='background:{colour.get(v, '#fff')}'>{e(txt)}</td>")
            parts.append(f"<tr><td>{e(row['label'] + unit)}</td><td>{e(_ref(row))}"
                         f"</td><td>{e(_fmt(row.get('ceiling')))}</td>{''.join(cells)}</tr>")
        parts.append("</table>")
        shared = _shared_notes(name, brains, by)
        if shared:
            parts.append("<ul>" + "".join(f"<li>{e(n)}</li>" for n in shared) + "</ul>")
        pairs = brain_pairs(name, brains, by)
        if pairs:
            parts.append("<p>Which brains this benchmark tells apart (permutation test of the "
                         "difference of means, p &lt; 0.05):</p><ul>"
                         + "".join(f"<li>{e(p.replace('`', ''))}</li>" for p in pairs) + "</ul>")
        for b in brains:
            r = by.get((name, b)) or {}
            notes = [n for n in r.get("notes") or [] if n not in shared]
            notes += [f"<b>{e(x)}</b>" for x in r.get("labels") or []]
            if r.get("status") in ("error", "not applicable"):
                notes.append(e(f"{r['status']}: {r.get('error') or r.get('reason', '')}"))
            if notes:
                parts.append(f"<p><code>{e(b)}</code>: " + " ".join(
                    n if n.startswith("<b>") else e(n) for n in notes) + "</p>")
            for f in r.get("figures") or []:
                parts.append(f"<figure><img src='{e(f)}' alt='{e(b)} {e(Path(f).stem)}'>"
                             f"<figcaption>{e(b)}: {e(Path(f).stem)}</figcaption></figure>")
    parts.append("<p>Controls: null, shuffled connectome, reflex lookup table and plug-in "
                 "brains. A behavioural pass is not a mechanistic pass.</p>")
    parts.append("<p id='cgym-status'>page script not run</p><script>"
                 "window.addEventListener('load',function(){var imgs=document.images,bad=0;"
                 "for(var i=0;i<imgs.length;i++){if(!(imgs[i].complete&&imgs[i].naturalWidth>0))bad++;}"
                 "document.getElementById('cgym-status').textContent='CGYM-IMAGES '+imgs.length+"
                 "' BROKEN '+bad;});</script></body></html>")
    return "\n".join(parts)


def write_board(board: dict, out: Path) -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rec_io.atomic_write_json(out / "suite.json", board)
    rec_io.atomic_write_bytes(out / "suite.md", board_markdown(board).encode())
    rec_io.atomic_write_bytes(out / "suite.html", board_html(board).encode())


# ----------------------------------------------------------------------------- CLI

def add_parser(subparsers) -> None:
    s = subparsers.add_parser("suite", help="every benchmark of an organism for each brain: one "
                              "leaderboard (Markdown, JSON cgym.suite/1, HTML)")
    s.add_argument("organism", nargs="?", help="celegans, zebrafish or drosophila")
    s.add_argument("--brain", action="append", metavar="NAME",
                   help="brain to evaluate (repeat; default: every registered brain)")
    s.add_argument("--benchmark", action="append", metavar="NAME", help="only these benchmarks")
    s.add_argument("--episodes", type=int, default=5, help="episodes per behaviour task")
    s.add_argument("--duration", type=float, default=None,
                   help="episode length in s (default: the task's own)")
    s.add_argument("--quick", action="store_true",
                   help="fewer resamples and a reduced neural protocol (smoke runs)")
    s.add_argument("--seed", type=int, default=0, help="first seed")
    s.add_argument("--out", default=None, help="folder (default runs/suite_<organism>)")
    s.add_argument("--merge", nargs="+", metavar="SUITE_JSON",
                   help="merge boards (cgym.suite/1 JSON files) into one instead of running")
    s.add_argument("--list", action="store_true", help="list benchmarks and brains, run nothing")
    s.add_argument("--no-progress", action="store_true", help="no progress bars")
    s.set_defaults(func=cmd_suite)


def cmd_suite(args) -> int:
    import sys
    try:
        if args.merge:
            board = merge_boards([Path(p) for p in args.merge])
            out = Path(args.out or f"runs/suite_{board['organism']}_merged")
            write_board(board, out)
            print(f"merged {len(args.merge)} board(s): wrote {out / 'suite.md'}, suite.json, suite.html")
            return 0
        if not args.organism:
            raise SuiteError("name an ORGANISM (celegans, zebrafish, drosophila) or use --merge")
        if args.episodes < 1:
            raise SuiteError(f"--episodes must be >= 1, got {args.episodes}")
        if args.duration is not None and not (0 < args.duration < 1e5):
            raise SuiteError(f"--duration must be a positive number of seconds, got {args.duration}")
        if args.list:
            print("benchmarks: " + ", ".join(f"{s.name} ({s.kind})" for s in load_benchmarks(args.organism)))
            print("brains: " + ", ".join(available_brains(args.organism)))
            return 0
        brains = args.brain or available_brains(args.organism)
        out = Path(args.out or f"runs/suite_{args.organism}")
        board = run_suite(args.organism, brains, out, episodes=args.episodes,
                          duration=args.duration, quick=args.quick, seed=args.seed,
                          only=args.benchmark, progress=not args.no_progress)
    except SuiteError as exc:
        print(f"cgym suite: error: {exc}", file=sys.stderr)
        return 2
    print(board_markdown(board))
    print(f"wrote {out / 'suite.md'}, {out / 'suite.json'}, {out / 'suite.html'}")
    return 0
