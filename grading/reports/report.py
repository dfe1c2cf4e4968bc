"""``dlkit report OUT``: statistics, similarity and exports of a graded class, in ``OUT/report/``.

Reads the records ``dlkit grade`` wrote in OUT and, for the similarity report,
the submissions folder that was graded (recorded in ``OUT/.run.json``, or
``--submissions``). Writes:

- ``statistics.md``, ``scores.png``, ``pass_rates_<exNN>.png`` (``grading.reports.stats``);
- ``similarity.html`` and ``similarity.md`` (``grading.reports.similarity``);
- ``moodle.csv``, ``moodle_unmatched.txt`` and ``gradescope/<student>/results.json``
  (``grading.reports.exports``); the plain ``grades.csv`` is already in OUT.

``OUT/report/`` is rewritten as a whole on each run. Exit status: 0; 1 when OUT
holds no graded record (nothing written) or the submissions folder cannot be
found (everything but the similarity pages written); 2 for an unusable roster or
Moodle key (nothing written).
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable
from pathlib import Path

from grading.i18n import t
from grading.seam import KIT_ROOT


def report(out: Path, submissions: Path | None = None, roster: Path | None = None,
           moodle_key: str | None = None, root: Path = KIT_ROOT,
           log: Callable[[str], None] = print) -> int:
    from grading.batch import outputs
    from grading.batch.records import load_all
    from grading.batch.submissions import discover
    from grading.reports import exports, similarity, stats

    records = load_all(out)
    if not records:
        log(t(f"aucun résultat de correction dans {out} : lancez d'abord `dlkit grade "
              f"SOUMISSIONS --out {out}`",
              f"no grading results in {out}: run `dlkit grade SUBMISSIONS --out {out}` first"))
        return 1
    key = moodle_key or ("email" if roster else "username")
    try:
        roster_map = exports.read_roster(roster) if roster else None
        moodle = exports.moodle_export(records, roster_map, key)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        log(t(f"export Moodle impossible : {exc}", f"cannot export to Moodle: {exc}"))
        return 2

    folder = out / "report"
    # Rewritten as a whole: no page or results.json of a student since removed survives.
    shutil.rmtree(folder, ignore_errors=True)
    written = stats.write(stats.compute(records), folder)
    written += exports.write_moodle(folder, moodle)
    gradescope = exports.write_gradescope(folder, records)

    status = 0
    graded = submissions or outputs.read_run_info(out).get("submissions")
    if graded and Path(graded).is_dir():
        results = similarity.analyse(discover(Path(graded)), root)
        written += similarity.write(results, folder)
    else:
        status = 1
        log(t(f"dossier des soumissions introuvable ({graded or 'non enregistré'}) : pas de "
              "rapport de similarité (indiquez-le avec --submissions)",
              f"submissions folder not found ({graded or 'not recorded'}): no similarity "
              "report (give it with --submissions)"))

    for path in written:
        log(str(path))
    log(t(f"{folder / 'gradescope'}/ : {len(gradescope)} results.json",
          f"{folder / 'gradescope'}/: {len(gradescope)} results.json"))
    if moodle.unmatched:
        log(t(f"absent(e)s de la liste d'étudiants, hors de moodle.csv "
              f"({len(moodle.unmatched)}) : {', '.join(moodle.unmatched)}",
              f"missing from the roster, left out of moodle.csv "
              f"({len(moodle.unmatched)}): {', '.join(moodle.unmatched)}"))
    if moodle.not_graded:
        log(t(f"dans la liste mais sans soumission corrigée ({len(moodle.not_graded)}) : "
              f"{', '.join(moodle.not_graded)}",
              f"in the roster but not graded ({len(moodle.not_graded)}): "
              f"{', '.join(moodle.not_graded)}"))
    return status


def _run(args: argparse.Namespace) -> int:
    return report(Path(args.out), Path(args.submissions) if args.submissions else None,
                  Path(args.roster) if args.roster else None, args.moodle_key)


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Register ``report`` on the ``dlkit`` subcommands."""
    p = subparsers.add_parser(
        "report", help="statistics, similarity and Moodle/Gradescope exports of a graded class")
    p.add_argument("out", help="output folder of `dlkit grade` (writes OUT/report/)")
    p.add_argument("--submissions",
                   help="submissions folder for the similarity report "
                        "(default: the one graded, from OUT/.run.json)")
    p.add_argument("--roster",
                   help="CSV mapping submission ids to Moodle users: columns student and "
                        "email / idnumber / username")
    p.add_argument("--moodle-key", choices=("email", "idnumber", "username"),
                   help="Moodle identifier column (default: email with a roster, "
                        "else username = the submission id)")
    p.set_defaults(func=_run)
