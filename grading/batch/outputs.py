"""What batch grading writes: ``<student>.json``, ``grades.csv``, ``feedback/<student>.md``
and ``.html``. Written with ``json``/``csv``/``html`` from the standard library."""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path
from typing import Any

from grading.batch.records import Record, write_json_atomic
from grading.registry import EXERCISES
from grading.results import points_text

INTERNAL_FEEDBACK = ("La correction de cet exercice a échoué du côté du correcteur (erreur "
                     "interne), pas à cause de ton code : il sera corrigé de nouveau.")


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


def write_csv(out: Path, records: list[Record]) -> Path:
    path = out / "grades.csv"
    ids = [ex.id for ex in EXERCISES]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", *ids, "total"])
        for rec in records:
            row = [rec.student]
            for ex_id in ids:
                score = rec.exercises.get(ex_id)
                # A grader fault is no grade: an empty cell (and no total), never a 0.
                row.append("" if score is not None and score.status == "internal" else
                           points_text(score.points if score else 0.0))
            row.append("" if rec.internal_error else points_text(rec.total))
            writer.writerow(row)
    return path


def feedback_markdown(rec: Record) -> str:
    total = "en attente (erreur interne du correcteur)" if rec.internal_error else \
        f"{points_text(rec.total)} / {points_text(rec.max_total)}"
    lines = [f"# Retour de correction — {rec.student}", "", f"**Total : {total}**", ""]
    if rec.warning:
        lines += [f"> {rec.warning}", ""]
    for ex in EXERCISES:
        mine = rec.tests_of(ex.id)
        if not mine:
            continue
        info = rec.exercises[ex.id]
        lines += [f"## {ex.id} — {ex.title_fr} : {points_text(info.points)} / "
                  f"{points_text(info.max_points)}", ""]
        if info.status == "absent":
            lines += [f"Module `{ex.module}.py` absent : 0 point.", ""]
            continue
        if info.status == "internal":
            lines += [INTERNAL_FEEDBACK, ""]
            continue
        for t in mine:
            mark = "✓" if t.status == "passed" else "✗"
            kind = " (test caché)" if t.hidden else ""
            lines.append(f"- {mark} {t.name}{kind} — "
                         f"{points_text(t.points)}/{points_text(t.max_points)}")
            if t.status != "passed" and t.message:
                lines += ["", "  ```", *("  " + m for m in t.message.splitlines()), "  ```"]
        lines.append("")
    return "\n".join(lines)


def feedback_html(rec: Record) -> str:
    body = []
    for ex in EXERCISES:
        mine = rec.tests_of(ex.id)
        if not mine:
            continue
        info = rec.exercises[ex.id]
        body.append(f"<h2>{html.escape(ex.id)} — {html.escape(ex.title_fr)} : "
                    f"{points_text(info.points)} / {points_text(info.max_points)}</h2><ul>")
        if info.status == "internal":
            body.append(f"<li>{html.escape(INTERNAL_FEEDBACK)}</li></ul>")
            continue
        for t in mine:
            cls = "ok" if t.status == "passed" else "ko"
            kind = " <em>(test caché)</em>" if t.hidden else ""
            body.append(f'<li class="{cls}">{"✓" if cls == "ok" else "✗"} '
                        f"{html.escape(t.name)}{kind} — "
                        f"{points_text(t.points)}/{points_text(t.max_points)}")
            if t.status != "passed" and t.message:
                body.append(f"<pre>{html.escape(t.message)}</pre>")
            body.append("</li>")
        body.append("</ul>")
    title = f"Retour de correction — {html.escape(rec.student)}"
    total = "en attente (erreur interne du correcteur)" if rec.internal_error else \
        f"{points_text(rec.total)} / {points_text(rec.max_total)}"
    warning = f"<p><strong>{html.escape(rec.warning)}</strong></p>" if rec.warning else ""
    return (f'<!doctype html><html lang="fr"><meta charset="utf-8"><title>{title}</title>'
            "<style>body{font-family:sans-serif;max-width:60em;margin:auto}"
            ".ok{color:#176b2c}.ko{color:#9b1c1c}pre{background:#f4f4f4;padding:.5em;"
            "color:#222}</style>"
            f"<h1>{title}</h1><p><strong>Total : {html.escape(total)}</strong></p>"
            f"{warning}{''.join(body)}</html>\n")


def write_flags(out: Path, records: list[Record]) -> Path:
    """One page for the instructor: every static flag to review, by student."""
    lines = ["# Points à vérifier (analyse statique)", "",
             "Signalements, pas des pénalités : le code est noté normalement.", ""]
    flagged = [rec for rec in records if rec.flags or rec.problems]
    if not flagged:
        lines.append("Aucun signalement.")
    for rec in flagged:
        lines.append(f"## {rec.student}")
        lines += [f"- `{f.module}` ligne {f.line} — {f.kind} : {f.detail}" for f in rec.flags]
        lines += [f"- lecture de la soumission : {p}" for p in rec.problems]
        lines.append("")
    path = out / "flags.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_feedback(out: Path, records: list[Record]) -> None:
    folder = out / "feedback"
    folder.mkdir(exist_ok=True)
    for rec in records:
        (folder / f"{rec.student}.md").write_text(feedback_markdown(rec), encoding="utf-8")
        (folder / f"{rec.student}.html").write_text(feedback_html(rec), encoding="utf-8")
