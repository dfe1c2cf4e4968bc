"""What batch grading writes: ``<student>.json``, ``grades.csv``, ``feedback/<student>.md``
and ``.html``. Written with ``json``/``csv``/``html`` from the standard library."""

from __future__ import annotations

import csv
import html
import json
import os
from pathlib import Path
from typing import Any

from grading.registry import EXERCISES
from grading.results import INTERNAL_LABEL, TestResult

INTERNAL_FEEDBACK = ("La correction de cet exercice a échoué du côté du correcteur (erreur "
                     "interne), pas à cause de ton code : il sera corrigé de nouveau.")
STATUS_FR = {"passed": "réussi", "failed": "échoué", "todo": "pas encore implémenté",
             "internal": INTERNAL_LABEL, "absent": "module absent",
             "import": "ne s'importe pas", "timeout": "délai dépassé",
             "error": "erreur", "skipped": "ignoré", "crash": "arrêt du processus"}


def student_record(student: str, digest: str, results: list[TestResult], flags: list[dict],
                   problems: list[str], warning: str = "") -> dict[str, Any]:
    exercises = {}
    for ex in EXERCISES:
        mine = [r for r in results if r.exercise == ex.id]
        if not mine:
            continue
        statuses = {r.status for r in mine}
        exercises[ex.id] = {
            "points": sum(r.points for r in mine), "max_points": sum(r.max_points for r in mine),
            "status": "internal" if "internal" in statuses else
            "absent" if statuses == {"absent"} else "graded",
        }
    record = {"student": student, "digest": digest,
              "total": sum(e["points"] for e in exercises.values()),
              "max_total": sum(e["max_points"] for e in exercises.values()),
              "exercises": exercises, "tests": [r.to_json() for r in results],
              "flags": flags, "problems": problems,
              "internal_error": any(e["status"] == "internal" for e in exercises.values())}
    if warning:
        record["warning"] = warning
    return record


def has_internal_error(record: dict[str, Any]) -> bool:
    """A grader fault in this record: it is not a grade yet, and is graded again."""
    return bool(record.get("internal_error"))


def write_json_atomic(path: Path, data: Any) -> None:
    """Write-then-rename: an interrupted batch never leaves a half-written result."""
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def load_records(out: Path) -> list[dict[str, Any]]:
    records = []
    for path in sorted(out.glob("*.json")):
        if path.name.startswith("."):  # the grader's own files (student ids never start so)
            continue
        try:
            rec = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(rec, dict) and "student" in rec and "tests" in rec:
            records.append(rec)
    return sorted(records, key=lambda r: r["student"])


RUN_FILE = ".run.json"
"""Written by every ``grade`` run: where the submissions were, for ``report``."""


def write_run_info(out: Path, submissions: Path, seconds: float) -> None:
    write_json_atomic(out / RUN_FILE, {"submissions": str(submissions.resolve()),
                                       "seconds": round(seconds, 1),
                                       "exercises": [ex.id for ex in EXERCISES]})


def read_run_info(out: Path) -> dict[str, Any]:
    try:
        return json.loads((out / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def write_csv(out: Path, records: list[dict[str, Any]]) -> Path:
    path = out / "grades.csv"
    ids = [ex.id for ex in EXERCISES]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", *ids, "total"])
        for rec in records:
            row = [rec["student"]]
            for ex_id in ids:
                info = rec["exercises"].get(ex_id, {})
                # A grader fault is no grade: an empty cell (and no total), never a 0.
                row.append("" if info.get("status") == "internal" else
                           _num(info.get("points", 0.0)))
            row.append("" if has_internal_error(rec) else _num(rec["total"]))
            writer.writerow(row)
    return path


def _num(x: float) -> str:
    return f"{x:g}"


def feedback_markdown(rec: dict[str, Any]) -> str:
    total = "en attente (erreur interne du correcteur)" if has_internal_error(rec) else \
        f"{_num(rec['total'])} / {_num(rec['max_total'])}"
    lines = [f"# Retour de correction — {rec['student']}", "", f"**Total : {total}**", ""]
    if rec.get("warning"):
        lines += [f"> {rec['warning']}", ""]
    tests = [TestResult.from_json(t) for t in rec["tests"]]
    for ex in EXERCISES:
        mine = [t for t in tests if t.exercise == ex.id]
        if not mine:
            continue
        info = rec["exercises"][ex.id]
        lines += [f"## {ex.id} — {ex.title_fr} : {_num(info['points'])} / "
                  f"{_num(info['max_points'])}", ""]
        if info["status"] == "absent":
            lines += [f"Module `{ex.module}.py` absent : 0 point.", ""]
            continue
        if info["status"] == "internal":
            lines += [INTERNAL_FEEDBACK, ""]
            continue
        for t in mine:
            mark = "✓" if t.status == "passed" else "✗"
            kind = " (test caché)" if t.hidden else ""
            lines.append(f"- {mark} {t.name}{kind} — {_num(t.points)}/{_num(t.max_points)}")
            if t.status != "passed" and t.message:
                lines += ["", "  ```", *("  " + m for m in t.message.splitlines()), "  ```"]
        lines.append("")
    return "\n".join(lines)


def feedback_html(rec: dict[str, Any]) -> str:
    body = []
    tests = [TestResult.from_json(t) for t in rec["tests"]]
    for ex in EXERCISES:
        mine = [t for t in tests if t.exercise == ex.id]
        if not mine:
            continue
        info = rec["exercises"][ex.id]
        body.append(f"<h2>{html.escape(ex.id)} — {html.escape(ex.title_fr)} : "
                    f"{_num(info['points'])} / {_num(info['max_points'])}</h2><ul>")
        if info["status"] == "internal":
            body.append(f"<li>{html.escape(INTERNAL_FEEDBACK)}</li></ul>")
            continue
        for t in mine:
            cls = "ok" if t.status == "passed" else "ko"
            kind = " <em>(test caché)</em>" if t.hidden else ""
            body.append(f'<li class="{cls}">{"✓" if cls == "ok" else "✗"} '
                        f"{html.escape(t.name)}{kind} — {_num(t.points)}/{_num(t.max_points)}")
            if t.status != "passed" and t.message:
                body.append(f"<pre>{html.escape(t.message)}</pre>")
            body.append("</li>")
        body.append("</ul>")
    title = f"Retour de correction — {html.escape(rec['student'])}"
    total = "en attente (erreur interne du correcteur)" if has_internal_error(rec) else \
        f"{_num(rec['total'])} / {_num(rec['max_total'])}"
    warning = f"<p><strong>{html.escape(rec['warning'])}</strong></p>" \
        if rec.get("warning") else ""
    return (f'<!doctype html><html lang="fr"><meta charset="utf-8"><title>{title}</title>'
            "<style>body{font-family:sans-serif;max-width:60em;margin:auto}"
            ".ok{color:#176b2c}.ko{color:#9b1c1c}pre{background:#f4f4f4;padding:.5em;"
            "color:#222}</style>"
            f"<h1>{title}</h1><p><strong>Total : {html.escape(total)}</strong></p>"
            f"{warning}{''.join(body)}</html>\n")


def write_flags(out: Path, records: list[dict[str, Any]]) -> Path:
    """One page for the instructor: every static flag to review, by student."""
    lines = ["# Points à vérifier (analyse statique)", "",
             "Signalements, pas des pénalités : le code est noté normalement.", ""]
    flagged = [rec for rec in records if rec["flags"] or rec["problems"]]
    if not flagged:
        lines.append("Aucun signalement.")
    for rec in flagged:
        lines.append(f"## {rec['student']}")
        lines += [f"- `{f['module']}` ligne {f['line']} — {f['kind']} : {f['detail']}"
                  for f in rec["flags"]]
        lines += [f"- lecture de la soumission : {p}" for p in rec["problems"]]
        lines.append("")
    path = out / "flags.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_feedback(out: Path, records: list[dict[str, Any]]) -> None:
    folder = out / "feedback"
    folder.mkdir(exist_ok=True)
    for rec in records:
        (folder / f"{rec['student']}.md").write_text(feedback_markdown(rec), encoding="utf-8")
        (folder / f"{rec['student']}.html").write_text(feedback_html(rec), encoding="utf-8")
