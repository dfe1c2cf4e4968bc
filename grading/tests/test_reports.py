"""``dlkit report``: class statistics, Moodle and Gradescope exports, similarity report.

Statistics and exports are checked number by number on synthetic records built
with ``Record.build``; the similarity report on a hand-written class
of ex01 solutions (four written independently, one copy with every name,
literal, comment and layout changed, a copy of the reference, two untouched
stubs, one that does not parse); and the whole command once on a real ``grade``
run of a tiny ex01-only class.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from grading.batch import outputs, records
from grading.batch.records import Record
from grading.reports import exports, similarity, stats
from grading.reports.report import add_cli, report
from grading.results import TestResult
from grading.seam import KIT_ROOT

# -- synthetic records ----------------------------------------------------------------------

CATALOGUE = {
    # short name: (nodeid, exercise, display name, max points, hidden)
    "a": ("tests/test_ex01_tensors.py::test_a", "ex01", "a : conversion", 2.0, False),
    "b": ("tests/test_ex01_tensors.py::test_b", "ex01", "b : normalisation", 1.0, False),
    "harsh": ("hidden/test_ex01_hidden.py::test_harsh", "ex01", "harsh | sévère", 1.0, True),
    "c": ("tests/test_ex02_training_loop.py::test_c", "ex02", "c : boucle", 3.0, False),
    "d": ("hidden/test_ex02_hidden.py::test_d", "ex02", "d : pas d'optimiseur", 1.0, True),
    "e": ("tests/test_ex03_simple_nn.py::test_e", "ex03", "e : forme", 1.0, False),
    "f": ("tests/test_ex03_simple_nn.py::test_f", "ex03", "f : précision", 1.0, False),
}


def record(student: str, outcomes: dict[str, str]) -> dict:
    """A record where each catalogue test has the status given, its whole exercise
    ``absent`` when none of its tests is given."""
    handed_in = {CATALOGUE[name][1] for name in outcomes}
    results = []
    for name, (nodeid, ex, display, max_points, hidden) in CATALOGUE.items():
        status = outcomes.get(name, "failed") if ex in handed_in else "absent"
        results.append(TestResult(nodeid, ex, display, max_points if status == "passed" else 0.0,
                                  max_points, status,
                                  "" if status == "passed" else f"message {name} {student}",
                                  hidden))
    return Record.build(student, "digest", results, [], [])


CLASS = [
    record("s1", {"a": "passed", "b": "passed", "harsh": "failed", "c": "passed",
                  "d": "passed", "e": "failed", "f": "failed"}),
    record("s2", {"a": "passed", "b": "passed", "harsh": "failed", "c": "failed", "d": "todo",
                  "e": "passed", "f": "failed"}),
    record("s3", {"a": "passed", "b": "error", "harsh": "failed"}),
    record("s4", {"a": "passed", "b": "passed", "harsh": "timeout", "c": "passed",
                  "d": "failed"}),
    record("s5", {}),
]
"""ex01: s1-s4 score 3, 3, 2, 3 out of 4, s5 absent; nobody passes ``harsh``.
ex02: s1, s2, s4 score 4, 0, 3 out of 4. ex03: s1, s2 score 0, 1 out of 2."""


@pytest.fixture
def french(monkeypatch):
    monkeypatch.setenv("KIT_LANG", "fr")


def test_record_totals_are_what_the_class_says():
    assert [r.total for r in CLASS] == [7.0, 4.0, 2.0, 6.0, 0.0]


def test_statistics_per_exercise():
    s = stats.compute(CLASS)
    by_ex = {e.exercise: e for e in s.exercises}
    assert list(by_ex) == ["ex01", "ex02", "ex03"]
    ex01 = by_ex["ex01"]
    assert (ex01.submitted, ex01.absent, ex01.max_points) == (4, 1, 4.0)
    assert ex01.summary() == {"mean": 2.75, "median": 3.0, "min": 2.0, "max": 3.0}
    assert ex01.histogram() == [0, 0, 1, 3, 0]  # bins of 0.8 points: 2 -> third, 3 -> fourth
    ex02 = by_ex["ex02"]
    assert (ex02.submitted, ex02.absent) == (3, 2)
    assert sorted(ex02.scores) == [0.0, 3.0, 4.0]
    assert ex02.histogram() == [1, 0, 0, 1, 1]  # full marks fall in the last bin


def test_pass_rates_count_submitters_only_and_flag_the_harsh_test():
    s = stats.compute(CLASS)
    by_name = {ts.nodeid.split("::")[1]: ts for ts in s.tests}
    assert (by_name["test_a"].passed, by_name["test_a"].submitted) == (4, 4)  # s5 not counted
    assert by_name["test_b"].pass_rate == 0.75
    assert by_name["test_c"].mean_points == 2.0  # (3 + 0 + 3) / 3
    assert dict(by_name["test_d"].outcomes) == {"todo": 1, "failed": 1}
    assert dict(by_name["test_harsh"].outcomes) == {"failed": 3, "timeout": 1}
    # harsh: 0 % while ex01's median is 3/4; f: 0 % too, but ex03's median is 0.5/2.
    assert [ts.nodeid for ts in s.tests if ts.flagged] == [CATALOGUE["harsh"][0]]
    assert s.tests[0].nodeid == CATALOGUE["harsh"][0]
    rates = [ts.pass_rate for ts in s.tests[1:]]
    assert rates == sorted(rates)


def test_statistics_markdown(french):
    md = stats.markdown(stats.compute(CLASS), {"scores": "scores.png", "ex01": "p1.png"})
    rows = [line for line in md.splitlines() if line.startswith("| ⚠ |")]
    assert rows == ["| ⚠ | ex01 | harsh \\| sévère | oui | 0/4 (0%) | 0 / 1 | échoué 3, "
                    "délai dépassé 1 |"]
    assert "| ex01 — Tenseurs et couche linéaire | 4 | 1 | 2.75 | 3 | 2 | 3 | 4 | " \
           "0 · 0 · 1 · 3 · 0 |" in md
    assert "![distribution des notes](scores.png)" in md and "(p1.png)" in md


def test_statistics_pictures_are_valid_pngs(tmp_path):
    from matplotlib.image import imread

    written = stats.write(stats.compute(CLASS), tmp_path)
    names = sorted(p.name for p in written)
    assert names == ["pass_rates_ex01.png", "pass_rates_ex02.png", "pass_rates_ex03.png",
                     "scores.png", "statistics.md"]
    for path in written:
        if path.suffix == ".png":
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            height, width = imread(path).shape[:2]
            assert height >= 150 and width >= 300


# -- exports --------------------------------------------------------------------------------


def write_roster(path: Path) -> Path:
    """Semicolon-separated with a BOM, as a spreadsheet saves it; s3 is missing, s5 has no
    email, zoe handed nothing in."""
    path.write_text("\ufeffStudent;Email;idnumber\ns1;s1@univ.fr;1001\ns2;s2@univ.fr;1002\n"
                    "s4;s4@univ.fr;1004\ns5;;1005\nzoe;zoe@univ.fr;1009\n", encoding="utf-8")
    return path


def test_moodle_export_with_roster(tmp_path):
    roster = exports.read_roster(write_roster(tmp_path / "roster.csv"))
    export = exports.moodle_export(CLASS, roster, "email")
    paths = exports.write_moodle(tmp_path / "out", export)
    with paths[0].open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [["Email address", "ex01", "ex02", "ex03", "total"],
                    ["s1@univ.fr", "3", "4", "0", "7"],
                    ["s2@univ.fr", "3", "0", "1", "4"],
                    ["s4@univ.fr", "3", "3", "0", "6"]]
    assert paths[1].read_text(encoding="utf-8") == "s3\ns5\n"
    assert export.not_graded == ["zoe"]
    by_id = exports.moodle_export(CLASS, roster, "idnumber")
    assert by_id.header[0] == "ID number" and by_id.unmatched == ["s3"]
    assert by_id.rows[-1] == ["1005", "0", "0", "0", "0"]


def test_moodle_export_without_roster_uses_submission_ids():
    export = exports.moodle_export(CLASS, None, "username")
    assert export.header[0] == "Username"
    assert [row[0] for row in export.rows] == ["s1", "s2", "s3", "s4", "s5"]
    assert [row[-1] for row in export.rows] == ["7", "4", "2", "6", "0"]
    assert export.unmatched == []
    with pytest.raises(ValueError, match="roster|liste"):
        exports.moodle_export(CLASS, None, "email")


def test_roster_needs_a_student_column_and_the_key(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("email,idnumber\na@b.fr,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="student"):
        exports.read_roster(bad)
    roster = exports.read_roster(write_roster(tmp_path / "roster.csv"))
    with pytest.raises(ValueError, match="username"):
        exports.moodle_export(CLASS, roster, "username")


def test_gradescope_results(tmp_path):
    paths = exports.write_gradescope(tmp_path, CLASS)
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == \
        [f"gradescope/s{k}/results.json" for k in range(1, 6)]
    for rec, path in zip(CLASS, paths, strict=True):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["score"] == rec.total
        assert sum(test["score"] for test in data["tests"]) == rec.total
        assert sum(test["max_score"] for test in data["tests"]) == rec.max_total
        for test in data["tests"]:
            assert set(test) == {"name", "number", "score", "max_score", "status", "output",
                                 "visibility"}
    s3 = json.loads(paths[2].read_text(encoding="utf-8"))["tests"]
    assert [(t["number"], t["visibility"], t["status"]) for t in s3] == [
        ("1.1", "visible", "passed"), ("1.2", "visible", "failed"),
        ("1.3", "after_published", "failed"),
        ("2", "visible", "failed"), ("3", "visible", "failed")]  # absent: one entry each
    assert s3[1]["output"] == "message b s3" and s3[0]["output"] == ""
    assert (s3[3]["score"], s3[3]["max_score"]) == (0.0, 4.0)


# -- similarity -----------------------------------------------------------------------------

STUB = (KIT_ROOT / "exercises" / "ex01_tensors.py").read_text(encoding="utf-8")
REFERENCE = (KIT_ROOT / "reference" / "ex01_tensors.py").read_text(encoding="utf-8")


def fill(bodies: dict[str, str], helpers: str = "") -> str:
    """The stub with its TODOs replaced, as a student hands it in."""
    source = STUB
    for function, body in bodies.items():
        todo = (f"    # TODO (ex01) : implémentez {function} (voir la docstring).\n"
                f'    raise NotImplementedError("ex01 : {function}")\n')
        assert todo in source, function
        source = source.replace(todo, body.strip("\n") + "\n")
    if helpers:
        source = source.replace("import torch\n", "import torch\n\n" + helpers.strip("\n") + "\n")
    return source


METHODS = fill({
    "to_float_image": "    return img.float().div(255)",
    "normalize": "    centered = x.sub(mean)\n    return centered.div(std)",
    "linear_forward": "    return torch.matmul(x, weight.t()) + bias",
    "get_device": """
    if torch.cuda.is_available():
        name = "cuda"
    elif torch.backends.mps.is_available():
        name = "mps"
    else:
        name = "cpu"
    return torch.device(name)""",
})
LOOPS = fill({
    "to_float_image": """
    scale = torch.tensor(255.0)
    result = img.type(torch.float32)
    return result / scale""",
    "normalize": """
    y = x.clone()
    y = y - mean
    y = y / std
    return y""",
    "linear_forward": """
    out_features = weight.shape[0]
    columns = []
    for j in range(out_features):
        # produit scalaire de chaque ligne de W avec x
        col = (x * weight[j]).sum(dim=-1) + bias[j]
        columns.append(col)
    return torch.stack(columns, dim=-1)""",
    "get_device": """
    candidates = [("cuda", torch.cuda.is_available),
                  ("mps", torch.backends.mps.is_available)]
    for name, available in candidates:
        if available():
            return torch.device(name)
    return torch.device("cpu")""",
})
HELPERS = fill({
    "to_float_image": """
    as_float = torch.as_tensor(img, dtype=torch.float32)
    return _scale(as_float, 1.0 / MAX_LEVEL)""",
    "normalize": """
    inv = 1.0 / std
    return _scale(x - mean, inv)""",
    "linear_forward": '    return torch.einsum("...i,oi->...o", x, weight) + bias',
    "get_device": """
    backends = {"cuda": torch.cuda.is_available(),
                "mps": torch.backends.mps.is_available()}
    for name in ("cuda", "mps"):
        if backends[name]:
            return torch.device(name)
    return torch.device("cpu")""",
}, helpers='''
MAX_LEVEL = 255


def _scale(t: torch.Tensor, factor: float) -> torch.Tensor:
    """Multiplie un tenseur par un facteur."""
    return t * factor
''')
RESHAPE = fill({
    "to_float_image": """
    f = img.to(dtype=torch.float32)
    f /= 255
    return f""",
    "normalize": "    return torch.div(torch.sub(x, mean), std)",
    "linear_forward": """
    lead = x.shape[:-1]
    flat = x.reshape(-1, x.shape[-1])
    y = flat @ weight.transpose(0, 1)
    y = y + bias.unsqueeze(0)
    return y.reshape(*lead, weight.shape[0])""",
    "get_device": """
    device = torch.device("cpu")
    if torch.backends.mps.is_available():
        device = torch.device("mps")
    if torch.cuda.is_available():
        device = torch.device("cuda")
    return device""",
})
COPY_OF_LOOPS = fill({
    "to_float_image": """
    # on divise par le max </table><script>alert(1)</script>
    facteur = torch.tensor(255)
    res = img.type(torch.float32)
    return (res) / facteur""",
    "normalize": """
    out = x.clone()  # copie pour ne pas modifier x
    out = out - mean
    out = out / std
    return out""",
    "linear_forward": """
    n_out = weight.shape[0]
    cols = []
    for k in range(n_out):
        c = (x * weight[k]).sum(dim=-1) + bias[k]
        cols.append(c)
    return torch.stack(cols,
                       dim=-1)""",
    "get_device": """
    options = [("gpu", torch.cuda.is_available), ("apple", torch.backends.mps.is_available)]
    for nom, dispo in options:
        if dispo():
            return torch.device(nom)
    return torch.device("cpu")""",
})
"""LOOPS copied: every variable renamed, literals changed, comments and layout changed."""
STUB_RECOMMENTED = STUB.replace("# Complétez chaque TODO", "#   complétez tous les TODO") \
    .replace("\n\n\ndef ", "\n\n\n\ndef ")

SIMILARITY_CLASS = {"anna": METHODS, "ben": LOOPS, "chloe": HELPERS, "david": RESHAPE,
                    "emma": COPY_OF_LOOPS, "frank": REFERENCE, "gina": STUB,
                    "hugo": STUB_RECOMMENTED, "ines": LOOPS.replace("return y", "return y)")}


@pytest.fixture(scope="module")
def similar() -> similarity.ExerciseSimilarity:
    return similarity.analyse_exercise("ex01", "ex01_tensors", SIMILARITY_CLASS, STUB, REFERENCE)


def test_normalisation_ignores_names_literals_docstrings_comments_not_library_calls():
    a = similarity.normalise("def f(a, n):\n    b = a.float() + 1\n    return b * n\n")
    b = similarity.normalise('def g(img, k):\n    """Doc."""\n    out = (img.float()\n'
                             "           + 2.5)  # comment\n    return out * k\n")
    assert a == b
    assert a != similarity.normalise("def f(a, n):\n    b = a.double() + 1\n    return b * n\n")


def test_unreadable_files_are_noted_not_parsed():
    with pytest.raises(similarity.Unreadable):
        similarity.normalise("x = 1\n" * (similarity.MAX_PARSE_BYTES // 6 + 1))
    with pytest.raises(similarity.Unreadable):
        similarity.normalise("def f(:\n")


def test_the_renamed_copy_is_the_top_and_only_flagged_pair(similar):
    top = similar.pairs[0]
    assert (top.a, top.b, top.flagged) == ("ben", "emma", True)
    assert top.score > 0.9
    assert [(p.a, p.b) for p in similar.flagged] == [("ben", "emma")]
    independent = [p for p in similar.pairs if (p.a, p.b) != ("ben", "emma")]
    assert max(p.score for p in independent) < 0.3


def test_stubs_are_excluded_and_syntax_errors_noted(similar):
    assert similar.untouched == ["gina", "hugo"]
    assert similar.compared == ["anna", "ben", "chloe", "david", "emma", "frank"]
    assert not {"gina", "hugo", "ines"} & {s for p in similar.pairs for s in (p.a, p.b)}
    assert list(similar.unreadable) == ["ines"]


def test_a_copy_of_the_reference_is_reported_against_the_reference(similar):
    assert [p.a for p in similar.reference if p.flagged] == ["frank"]
    assert similar.reference[0].a == "frank" and similar.reference[0].score == 1.0
    assert not any(p.b == "reference" or "frank" in (p.a, p.b) and p.flagged
                   for p in similar.pairs)


def test_a_style_many_students_share_is_no_evidence():
    """Five students wrote METHODS (same normalised code): their k-grams are not rare, so
    their 100 % pairs are listed but not flagged; the renamed copy of LOOPS still is."""
    sources = dict(SIMILARITY_CLASS)
    for k in range(4):
        sources[f"m{k}"] = METHODS.replace("centered", f"centre{k}")
    result = similarity.analyse_exercise("ex01", "ex01_tensors", sources, STUB, REFERENCE)
    methods = [p for p in result.pairs if {p.a, p.b} <= {"anna", "m0", "m1", "m2", "m3"}]
    assert len(methods) == 10 and all(p.score == 1.0 and p.rare == 0 for p in methods)
    assert [(p.a, p.b) for p in result.flagged] == [("ben", "emma")]


def test_similarity_pages_escape_student_code(similar, tmp_path, french):
    page, summary = similarity.write([similar], tmp_path)
    text = page.read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "ben ↔ emma" in text and text.count("<table class=\"diff\"") == 1
    assert "facteur" in text and "out_features" in text  # both files side by side
    md = summary.read_text(encoding="utf-8")
    assert "- ⚠ ben ↔ emma : 100 %" in md and "- ⚠ frank ↔ référence : 100 %" in md
    assert "ines :" in md


# -- the command ----------------------------------------------------------------------------


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="dlkit")
    add_cli(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["report", *argv])
    return args.func(args)


def test_report_without_records_fails_clearly(tmp_path, capsys, french):
    assert run_cli(str(tmp_path)) == 1
    assert "aucun résultat de correction" in capsys.readouterr().out
    assert not (tmp_path / "report").exists()


def test_report_with_a_bad_roster_writes_nothing(tmp_path, capsys):
    for rec in CLASS:
        records.save(tmp_path, rec)
    bad = tmp_path / "roster.csv"
    bad.write_text("email\nx@y.fr\n", encoding="utf-8")
    assert run_cli(str(tmp_path), "--roster", str(bad)) == 2
    assert "student" in capsys.readouterr().out
    assert not (tmp_path / "report").exists()


@pytest.mark.skipif(sys.platform != "linux", reason="the grader's sandbox needs Linux")
@pytest.mark.timeout(600)
def test_report_on_a_real_graded_class(tmp_path, capsys):
    """Three ex01-only submissions graded for real (about 25 s on 2 cores): the reference,
    a planted bug of it, the untouched stub."""
    from grading.authoring.mutants.ex01 import MUTANTS

    subs, out = tmp_path / "subs", tmp_path / "out"
    for student, source in (("ref", REFERENCE), ("stub", STUB),
                            ("bug", MUTANTS[0].apply(REFERENCE))):
        (subs / student).mkdir(parents=True)
        (subs / student / "ex01_tensors.py").write_text(source, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "grading", "grade", str(subs), "--out", str(out),
                           "-j", "2", "--timeout", "120", "--test-timeout", "20"],
                          cwd=KIT_ROOT, capture_output=True, text=True, timeout=500)
    assert done.returncode == 0, done.stderr[-2000:]
    capsys.readouterr()

    roster = tmp_path / "roster.csv"
    roster.write_text("student,email\nref,ref@univ.fr\nbug,bug@univ.fr\n", encoding="utf-8")
    assert run_cli(str(out), "--roster", str(roster)) == 0
    printed = capsys.readouterr().out
    folder = out / "report"
    expected = ["statistics.md", "scores.png", "pass_rates_ex01.png", "moodle.csv",
                "moodle_unmatched.txt", "similarity.html", "similarity.md",
                "gradescope/bug/results.json", "gradescope/ref/results.json",
                "gradescope/stub/results.json"]
    for name in expected:
        assert (folder / name).is_file(), name
    for name in expected[:7]:
        assert str(folder / name) in printed
    assert "stub" in printed  # the student missing from the roster is named

    graded = {r.student: r for r in records.load_all(out)}
    assert graded["ref"].total == 20 and 0 < graded["bug"].total < 20
    bug_total = f"{graded['bug'].total:g}"
    with (folder / "moodle.csv").open(encoding="utf-8", newline="") as f:
        assert list(csv.reader(f)) == [["Email address", "ex01", "total"],
                                       ["bug@univ.fr", bug_total, bug_total],
                                       ["ref@univ.fr", "20", "20"]]
    assert (folder / "moodle_unmatched.txt").read_text(encoding="utf-8") == "stub\n"
    for student, rec in graded.items():
        data = json.loads((folder / f"gradescope/{student}/results.json").read_text("utf-8"))
        assert data["score"] == rec.total
        assert sum(test["score"] for test in data["tests"]) == rec.total
    stats_md = (folder / "statistics.md").read_text(encoding="utf-8")
    assert "| ex01 — " in stats_md and "| 3 | 0 |" in stats_md  # 3 handed in, 0 absent

    analysed = similarity.analyse_exercise(
        "ex01", "ex01_tensors", {s: (subs / s / "ex01_tensors.py").read_text() for s in graded},
        STUB, REFERENCE)
    assert analysed.untouched == ["stub"]
    assert [(p.a, p.b) for p in analysed.flagged] == [("bug", "ref")]  # one literal apart
    html_page = (folder / "similarity.html").read_text(encoding="utf-8")
    assert "bug ↔ ref" in html_page


def test_report_without_the_submissions_folder_still_writes_the_rest(tmp_path, capsys):
    for rec in CLASS:
        records.save(tmp_path, rec)
    outputs.write_run_info(tmp_path, tmp_path / "gone", 1.0)
    assert report(tmp_path) == 1
    assert "--submissions" in capsys.readouterr().out
    assert (tmp_path / "report" / "statistics.md").is_file()
    assert (tmp_path / "report" / "moodle.csv").is_file()
    assert not (tmp_path / "report" / "similarity.html").exists()
