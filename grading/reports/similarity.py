"""Pairs of submissions whose normalised code is unusually close, per exercise.

Student code is hostile data: it is never imported nor executed, only read by
``ast.parse`` (files over ``MAX_PARSE_BYTES`` or that do not parse are listed and
skipped).

Normalisation. Each module's AST, docstrings and bare string statements removed
(comments and formatting are gone by construction), becomes one token sequence
per *unit*: each top-level function, each method, each class's remaining body,
the module's remaining statements. A token is an AST node type (``Return``,
``BinOp``, ``Div``…) with these abstractions:

- names the module binds (variables, arguments, its own functions and classes,
  import aliases) become placeholders numbered by first appearance within the
  unit (``V0``, ``V1``…): consistent renaming leaves the sequence unchanged;
- names it does not bind (builtins such as ``len``, ``range``) and attribute
  names (``.float32``, ``.matmul``), keyword argument names and imported module
  names stay as written: they are the library calls a solution chose;
- literals become their type (``NUM``, ``STR``; ``True``/``False``/``None``
  stay), function and class names are dropped (units are compared as sets).

Scores. A submission's fingerprints are the set of its ``K``-token windows
(k-grams) taken inside each unit. Every k-gram is kept rather than winnowed:
files of an exercise are a few hundred tokens, a class a few hundred students,
so exact set comparisons cost seconds (200 submissions of ex09, the largest
module: 3 s on one core), and winnowing (MOSS) only trades accuracy for scale we
do not need. Then:

- **stub baseline**: k-grams of the untouched stub (``exercises/<module>.py``:
  signatures, type hints, ``raise NotImplementedError``) are removed from
  every submission, everyone shares them; a submission with nothing left (the
  stub as handed out, whatever its comments or formatting) is listed as
  *untouched* and not paired;
- **common code**: a k-gram present in more than ``max(COMMON_MIN,
  COMMON_FRACTION × n)`` of the ``n`` compared submissions is dropped, as MOSS
  does: what half the class wrote is the natural way to write it, not a copy;
- a pair's **score** is the Jaccard index of the two remaining sets, |A∩B| /
  |A∪B| (1.0: same normalised code); its *containment* |A∩B| / min(|A|, |B|)
  is shown beside it to spot a copy padded with extra code.

"Unusually close": a pair is flagged when

- the two share at least ``MIN_SHARED`` *rare* k-grams, ones that at most
  ``max(RARE_MIN, RARE_FRACTION × n)`` submissions hold: a copy shares quirks
  nobody else has, while on a short exercise honest students fall into a few
  popular styles whose k-grams many others hold too (measured on simulated
  classes of 30 whose students each pick every ex01 function from five
  independent solutions: 8 and 10 of 435 pairs flagged without this condition,
  0 and 1 with it); a tiny overlap is no evidence either. The price: a group
  larger than the rare limit handing in one solution is not flagged, though
  its pairs still top the table at 100 %;
- and either its score is at least ``HIGH`` (near-identical normalised code),
  or it is at least ``OUTLIER_MIN`` and an outlier for this exercise: robust
  z-score (score − median) / (1.4826 × MAD) of at least ``OUTLIER_Z`` over every
  pair of the exercise, the MAD floored at ``MAD_FLOOR`` so that a class of
  identical low scores does not make every small difference an outlier.

**Reference baseline**: the reference (``reference/<module>.py``) is never
paired; each submission's score against it (stub k-grams removed, common code
kept, since the reference *is* the common way) is reported apart, flagged at
``HIGH`` or more: a possible leaked solution. On short exercises honest
solutions can be close to the reference: read the code before concluding.

Pages: ``similarity.html`` (per exercise: the flagged pairs and the
``CONTEXT_PAIRS`` closest others, best first, each flagged pair's two files side
by side with ``difflib.HtmlDiff``, every student text HTML-escaped; then the
reference scores) and
``similarity.md`` (a short summary of the same).
"""

from __future__ import annotations

import ast
import difflib
import html
import statistics
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from grading.batch.submissions import Submission
from grading.i18n import t
from grading.registry import EXERCISES
from grading.seam import KIT_ROOT

MAX_PARSE_BYTES = 256 * 1024
"""Larger files are not parsed (an exercise module is a few kilobytes)."""
K = 6
"""Tokens per k-gram: about one short statement (``return (x - mean) / std`` is 8)."""
COMMON_MIN = 5
COMMON_FRACTION = 0.5
HIGH = 0.9
OUTLIER_MIN = 0.6
OUTLIER_Z = 3.5
MAD_FLOOR = 0.05
MIN_SHARED = 10
RARE_MIN = 3
"""A ring of three copying one solution still shares rare k-grams."""
RARE_FRACTION = 0.05
MAX_SIDE_BY_SIDE = 30
"""Flagged pairs shown side by side per exercise (the table lists them all)."""
MAX_DIFF_LINES = 2000
CONTEXT_PAIRS = 5
"""Highest unflagged pairs also listed, to show where the class stands."""

Fingerprints = frozenset[tuple[str, ...]]


class Unreadable(Exception):
    """A file that cannot be analysed: too large or not valid Python."""


# -- normalisation ------------------------------------------------------------------------


def _bound_names(tree: ast.AST) -> set[str]:
    """Every name the module itself binds: these are the ones a copier renames."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add(node.asname or node.name.split(".")[0])
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            names.update(node.names)
    return names


def _is_string_statement(node: ast.AST) -> bool:
    """Docstrings and bare strings (often commented-out code)."""
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
        and isinstance(node.value.value, str)


def _constant(value: object) -> str:
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int | float | complex):
        return "NUM"
    if isinstance(value, bytes):
        return "BYTES"
    if value is Ellipsis:
        return "..."
    return "STR"


def _unit_tokens(nodes: list[ast.AST], bound: set[str], head: str) -> list[str]:
    """Pre-order tokens of ``nodes``, placeholders numbered within this unit. Iterative:
    a deeply nested hostile file cannot exhaust the recursion limit."""
    placeholders: dict[str, str] = {}

    def name(n: str) -> str:
        if n not in bound:
            return n
        return placeholders.setdefault(n, f"V{len(placeholders)}")

    tokens = [head]
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.expr_context) or _is_string_statement(node):
            continue
        if isinstance(node, ast.Name):
            tokens.append(name(node.id))
        elif isinstance(node, ast.arg):
            tokens.append("arg " + name(node.arg))
        elif isinstance(node, ast.Attribute):
            tokens.append("." + node.attr)
        elif isinstance(node, ast.Constant):
            tokens.append(_constant(node.value))
        elif isinstance(node, ast.keyword):
            tokens.append(f"{node.arg}=")
        elif isinstance(node, ast.alias):
            tokens.append("import " + node.name)
        elif isinstance(node, ast.ImportFrom):
            tokens.append(f"from {node.module}")
        else:
            tokens.append(type(node).__name__)
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return tokens


def normalise(source: str) -> list[list[str]]:
    """Token sequences of the units of ``source`` (see the module docstring).

    Raises Unreadable for a file too large or not valid Python."""
    if len(source.encode("utf-8", "replace")) > MAX_PARSE_BYTES:
        raise Unreadable(t(f"plus de {MAX_PARSE_BYTES} octets, non analysé",
                           f"over {MAX_PARSE_BYTES} bytes, not analysed"))
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise Unreadable(t("ne s'analyse pas", "does not parse") +
                         f" ({type(exc).__name__}: {exc})"[:200]) from None
    bound = _bound_names(tree)
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    units, rest = [], []
    for stmt in tree.body:
        if isinstance(stmt, functions):
            units.append(_unit_tokens([stmt], bound, "def"))
        elif isinstance(stmt, ast.ClassDef):
            methods = [s for s in stmt.body if isinstance(s, functions)]
            units += [_unit_tokens([m], bound, "method") for m in methods]
            others = [*stmt.decorator_list, *stmt.bases, *stmt.keywords,
                      *(s for s in stmt.body if not isinstance(s, functions))]
            units.append(_unit_tokens(others, bound, "class"))
        else:
            rest.append(stmt)
    if rest:
        units.append(_unit_tokens(rest, bound, "module"))
    return units


def fingerprints(units: list[list[str]]) -> Fingerprints:
    """The set of K-token windows inside each unit (a unit shorter than K is one window)."""
    grams = set()
    for tokens in units:
        if len(tokens) <= K:
            grams.add(tuple(tokens))
        else:
            grams.update(tuple(tokens[i:i + K]) for i in range(len(tokens) - K + 1))
    return frozenset(grams)


# -- scoring -------------------------------------------------------------------------------


@dataclass
class Pair:
    a: str
    b: str
    score: float
    """Jaccard index of the two fingerprint sets, 0..1."""
    containment: float
    shared: int
    rare: int = 0
    """Shared k-grams that few submissions hold (the evidence of a copy)."""
    flagged: bool = False


@dataclass
class ExerciseSimilarity:
    exercise: str
    module: str
    sources: dict[str, str]
    """student -> source text, for the side-by-side view."""
    compared: list[str] = field(default_factory=list)
    untouched: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)
    """student -> why the file was not analysed."""
    pairs: list[Pair] = field(default_factory=list)
    """Every pair of compared submissions, highest score first."""
    reference: list[Pair] = field(default_factory=list)
    """Each compared submission against the reference (``b`` is ``"reference"``)."""
    median: float = 0.0
    dropped_common: int = 0
    """k-grams ignored because too many submissions share them."""
    baseline_notes: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> list[Pair]:
        return [p for p in self.pairs if p.flagged]


def compare(a: Fingerprints, b: Fingerprints) -> tuple[float, float, int]:
    """(Jaccard, containment, shared k-grams)."""
    shared = len(a & b)
    if not shared:
        return 0.0, 0.0, 0
    return shared / (len(a) + len(b) - shared), shared / min(len(a), len(b)), shared


def _flag_outliers(pairs: list[Pair]) -> float:
    """Mark the unusually close pairs (see the module docstring); returns the median."""
    if not pairs:
        return 0.0
    scores = [p.score for p in pairs]
    median = statistics.median(scores)
    mad = max(statistics.median(abs(s - median) for s in scores), MAD_FLOOR)
    for p in pairs:
        z = (p.score - median) / (1.4826 * mad)
        p.flagged = p.rare >= MIN_SHARED and (
            p.score >= HIGH or (p.score >= OUTLIER_MIN and z >= OUTLIER_Z))
    return median


def analyse_exercise(exercise: str, module: str, sources: dict[str, str],
                     stub: str | None, reference: str | None) -> ExerciseSimilarity:
    """Score every pair of ``sources`` (student -> code) for one exercise module."""
    result = ExerciseSimilarity(exercise, module, dict(sources))
    baseline: Fingerprints = frozenset()
    if stub is not None:
        try:
            baseline = fingerprints(normalise(stub))
        except Unreadable as exc:
            result.baseline_notes.append(f"stub: {exc}")
    prints: dict[str, Fingerprints] = {}
    for student in sorted(sources):
        try:
            own = fingerprints(normalise(sources[student])) - baseline
        except Unreadable as exc:
            result.unreadable[student] = str(exc)
            continue
        if own:
            prints[student] = own
        else:
            result.untouched.append(student)
    result.compared = sorted(prints)

    if reference is not None:
        try:
            ref = fingerprints(normalise(reference)) - baseline
        except Unreadable as exc:
            result.baseline_notes.append(f"reference: {exc}")
        else:
            for student, own in prints.items():
                score, containment, shared = compare(own, ref)
                result.reference.append(Pair(student, "reference", score, containment, shared,
                                             flagged=shared >= MIN_SHARED and score >= HIGH))
            result.reference.sort(key=lambda p: (-p.score, p.a))

    counts: dict[tuple[str, ...], int] = {}
    for own in prints.values():
        for gram in own:
            counts[gram] = counts.get(gram, 0) + 1
    limit = max(COMMON_MIN, COMMON_FRACTION * len(prints))
    common = {gram for gram, n in counts.items() if n > limit}
    result.dropped_common = len(common)
    kept = {s: own - common for s, own in prints.items()}
    rare_limit = max(RARE_MIN, RARE_FRACTION * len(prints))
    rare = {gram for gram, n in counts.items() if n <= rare_limit}
    for a, b in combinations(result.compared, 2):
        score, containment, shared = compare(kept[a], kept[b])
        n_rare = len(kept[a] & kept[b] & rare) if shared else 0
        result.pairs.append(Pair(a, b, score, containment, shared, n_rare))
    result.median = _flag_outliers(result.pairs)
    result.pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    return result


def analyse(submissions: list[Submission], root: Path = KIT_ROOT) -> list[ExerciseSimilarity]:
    """Every exercise that at least one submission holds; stub and reference read from
    ``root`` when present (the student release has no reference)."""
    results = []
    for ex in EXERCISES:
        filename = f"{ex.module}.py"
        sources = {s.student: s.files[filename].decode("utf-8", "replace")
                   for s in submissions if filename in s.files}
        if not sources:
            continue
        stub_path, ref_path = root / "exercises" / filename, root / "reference" / filename
        stub = stub_path.read_text(encoding="utf-8") if stub_path.is_file() else None
        ref = ref_path.read_text(encoding="utf-8") if ref_path.is_file() else None
        results.append(analyse_exercise(ex.id, ex.module, sources, stub, ref))
    return results


# -- pages ---------------------------------------------------------------------------------


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def markdown(results: list[ExerciseSimilarity]) -> str:
    lines = [t("# Similarité des soumissions", "# Submission similarity"), "",
             t("Résumé ; le détail, avec le code côte à côte, est dans `similarity.html`. "
               "Un signalement invite à lire le code, il ne prouve rien.",
               "Summary; details, with the code side by side, in `similarity.html`. "
               "A flag is a reason to read the code, not a proof."), ""]
    if not results:
        lines.append(t("Aucun module d'exercice dans les soumissions.",
                       "No exercise module in the submissions."))
    for ex in results:
        lines += [f"## {ex.exercise} (`{ex.module}.py`)", "",
                  t(f"{len(ex.compared)} comparée(s), {len(ex.untouched)} non modifiée(s) "
                    f"(stub), {len(ex.unreadable)} illisible(s) ; score médian des paires "
                    f"{_pct(ex.median)}.",
                    f"{len(ex.compared)} compared, {len(ex.untouched)} untouched (stub), "
                    f"{len(ex.unreadable)} unreadable; median pair score {_pct(ex.median)}."),
                  ""]
        for p in ex.flagged:
            lines.append(f"- ⚠ {p.a} ↔ {p.b} : {_pct(p.score)} "
                         f"({t('inclusion', 'containment')} {_pct(p.containment)})")
        if not ex.flagged:
            lines.append(t("- aucune paire signalée", "- no pair flagged"))
        for p in ex.reference:
            if p.flagged:
                lines.append(f"- ⚠ {p.a} ↔ {t('référence', 'reference')} : {_pct(p.score)}")
        for student, why in sorted(ex.unreadable.items()):
            lines.append(f"- {student} : {why}")
        lines.append("")
    return "\n".join(lines)


STYLE = """body{font-family:sans-serif;margin:1em 2em}table{border-collapse:collapse}
td,th{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:left}
tr.flag td{background:#fde8e8}table.diff{font-family:monospace;font-size:12px;border:1px solid #999}
table.diff td{border:0;padding:0 .3em;vertical-align:top;white-space:pre-wrap}
.diff_header{background:#eee;color:#666}td.diff_next{background:#f4f4f4}
.diff_add{background:#d8f5d8}.diff_chg{background:#fff1a8}.diff_sub{background:#f9d3d3}
details{margin:.5em 0 1.5em}"""


def _side_by_side(differ: difflib.HtmlDiff, ex: ExerciseSimilarity, p: Pair) -> str:
    def lines(student: str) -> list[str]:
        text = ex.sources.get(student, "").splitlines()[:MAX_DIFF_LINES]
        return [line[:400] for line in text]

    # HtmlDiff escapes the file lines itself, not the column titles.
    return differ.make_table(lines(p.a), lines(p.b), html.escape(p.a), html.escape(p.b))


def _pair_rows(pairs: list[Pair], anchors: dict[tuple[str, str], str]) -> str:
    rows = []
    for p in pairs:
        link = anchors.get((p.a, p.b))
        a, b = html.escape(p.a), html.escape(p.b)
        cell = f'<a href="#{link}">{a} ↔ {b}</a>' if link else f"{a} ↔ {b}"
        rows.append(f'<tr class="{"flag" if p.flagged else ""}"><td>{"⚠" if p.flagged else ""}'
                    f"</td><td>{cell}</td><td>{_pct(p.score)}</td><td>{_pct(p.containment)}"
                    f"</td><td>{p.shared}</td><td>{p.rare}</td></tr>")
    return "".join(rows)


def html_page(results: list[ExerciseSimilarity]) -> str:
    title = t("Similarité des soumissions", "Submission similarity")
    head = (f"<tr><th></th><th>{t('paire', 'pair')}</th><th>score</th>"
            f"<th>{t('inclusion', 'containment')}</th>"
            f"<th>{t('k-grammes communs', 'shared k-grams')}</th>"
            f"<th>{t('dont rares', 'of which rare')}</th></tr>")
    body = [f"<h1>{title}</h1><p>" + html.escape(t(
        f"Code normalisé (noms et littéraux abstraits, docstrings et commentaires retirés), "
        f"comparé par ensembles de {K}-grammes de tokens ; le code du stub est retiré de "
        f"chaque soumission. Score : indice de Jaccard. Paire signalée : score ≥ "
        f"{_pct(HIGH)}, ou ≥ {_pct(OUTLIER_MIN)} et atypique pour l'exercice. Un "
        f"signalement invite à lire le code, il ne prouve rien.",
        f"Normalised code (names and literals abstracted, docstrings and comments removed), "
        f"compared as sets of {K}-token k-grams; the stub's code is removed from every "
        f"submission. Score: Jaccard index. Flagged pair: score ≥ {_pct(HIGH)}, or ≥ "
        f"{_pct(OUTLIER_MIN)} and an outlier for the exercise. A flag is a reason to read "
        f"the code, not a proof.")) + "</p>"]
    differ = difflib.HtmlDiff(wrapcolumn=80)
    for k, ex in enumerate(results):
        body.append(f"<h2>{html.escape(ex.exercise)} — <code>{html.escape(ex.module)}.py</code>"
                    "</h2><p>" + html.escape(t(
                        f"{len(ex.compared)} soumission(s) comparée(s), score médian des "
                        f"paires {_pct(ex.median)}.",
                        f"{len(ex.compared)} submission(s) compared, median pair score "
                        f"{_pct(ex.median)}.")) + "</p>")
        if ex.untouched:
            body.append("<p>" + html.escape(t("Non modifiées (stub, exclues) : ",
                                              "Untouched (stub, excluded): ")
                                            + ", ".join(ex.untouched)) + "</p>")
        if ex.unreadable:
            items = "".join(f"<li>{html.escape(s)} : {html.escape(why)}</li>"
                            for s, why in sorted(ex.unreadable.items()))
            body.append(f"<p>{t('Non analysées :', 'Not analysed:')}</p><ul>{items}</ul>")
        for note in ex.baseline_notes:
            body.append(f"<p>{html.escape(note)}</p>")
        shown = ex.flagged[:MAX_SIDE_BY_SIDE]
        anchors = {(p.a, p.b): f"{ex.exercise}-{k}-{j}" for j, p in enumerate(shown)}
        listed = ex.flagged + [p for p in ex.pairs if not p.flagged][:CONTEXT_PAIRS]
        if listed:
            body.append(f"<table>{head}{_pair_rows(listed, anchors)}</table>")
        if not ex.flagged:
            body.append(f"<p>{t('Aucune paire signalée.', 'No pair flagged.')}</p>")
        for p in shown:
            body.append(f'<h3 id="{anchors[(p.a, p.b)]}">{html.escape(p.a)} ↔ '
                        f"{html.escape(p.b)} — {_pct(p.score)}</h3>"
                        f"<details open><summary>{t('code côte à côte', 'code side by side')}"
                        f"</summary>{_side_by_side(differ, ex, p)}</details>")
        if ex.reference:
            # Every flagged student, then the closest others: the rest is noise.
            closest = [p for p in ex.reference if p.flagged] + \
                [p for p in ex.reference if not p.flagged][:2 * CONTEXT_PAIRS]
            rows = "".join(
                f'<tr class="{"flag" if p.flagged else ""}"><td>{"⚠" if p.flagged else ""}</td>'
                f"<td>{html.escape(p.a)}</td><td>{_pct(p.score)}</td>"
                f"<td>{_pct(p.containment)}</td><td>{p.shared}</td></tr>"
                for p in closest)
            body.append(f"<h3>{t('Proximité avec la référence', 'Closeness to the reference')}"
                        "</h3><p>" + html.escape(t(
                            f"Signalé à partir de {_pct(HIGH)} (solution divulguée ?). Sur un "
                            "exercice court, une solution honnête peut en être proche.",
                            f"Flagged from {_pct(HIGH)} (leaked solution?). On a short "
                            "exercise an honest solution can be close to it.")) +
                        f"</p><table><tr><th></th><th>{t('étudiant(e)', 'student')}</th>"
                        f"<th>score</th><th>{t('inclusion', 'containment')}</th>"
                        f"<th>{t('k-grammes communs', 'shared k-grams')}</th></tr>{rows}</table>")
    if not results:
        body.append(f"<p>{t('Aucun module dans les soumissions.', 'No module submitted.')}</p>")
    lang = t("fr", "en")
    return (f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>{title}</title>'
            f"<style>{STYLE}</style>{''.join(body)}</html>\n")


def write(results: list[ExerciseSimilarity], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    page, summary = folder / "similarity.html", folder / "similarity.md"
    page.write_text(html_page(results), encoding="utf-8")
    summary.write_text(markdown(results), encoding="utf-8")
    return [page, summary]
