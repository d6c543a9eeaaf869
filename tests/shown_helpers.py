"""What a reader sees in a published batch, and a check that every count and percentage in
it follows a rounding policy (tests/test_shown.py).

Written apart from :mod:`peerlib.reporting.shown` on purpose: it reads the published files
(HTML reports with their chart data and CSV downloads, the PDF packs) as a reader would,
and knows only the rule: a count is 0, "<k" or a multiple of the rounding base; a
percentage is a ratio of two such multiples.
"""
from __future__ import annotations

import base64
import io
import json
import re
from fractions import Fraction
from pathlib import Path

import pandas as pd

#: "n = 10", "n=10", "(n = 10)"
N_EQ = re.compile(r"\bn\s*=\s*(\d+)\b")
#: "15 of 20"
OF = re.compile(r"(?<![<\d])(\d+) of (\d+)\b")
#: "10 (50%)": a count and its percentage
COUNT_PCT = re.compile(r"^(\d+) \((\d+)%\)$")
#: "10 of 25 (40%)"
OF_PCT = re.compile(r"(?<![<\d])(\d+) of (\d+) \((\d+)%\)")
#: "Peer workers (n = 25)": a bar's group size in its label
BAR_N = re.compile(r"\(n = (\d+)\)")
#: "50%" anywhere
PCT = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)%")
#: "10/20 (50%)" of the sector comparison
SLASH = re.compile(r"(?<![<\d.])(\d+)/(\d+)\b")
#: Columns of a CSV download or table that hold counts of people or answers.
COUNT_COLUMNS = re.compile(r"^(n|n asked|n_asked|.* n|n \(.*\)|Participants|Total|"
                           r"Happening: .*|Importance: .*)$")


def _percents(base: int, top: int = 400) -> set[str]:
    """Every percentage (0 dp, as shown) of two multiples of ``base`` up to ``top``."""
    out = set()
    for b in range(base, top + 1, base):
        for a in range(0, b + 1, base):
            out.add(f"{100 * a / b:.0f}")
    return out


def _fractions(base: int, top: int = 400) -> set[Fraction]:
    return {Fraction(100 * a, b) for b in range(base, top + 1, base)
            for a in range(0, b + 1, base)}


class Checker:
    """Collects what breaks the rule, with where it was seen."""

    def __init__(self, *, base: int, k: int):
        self.base, self.k = base, k
        self.percents = _percents(base)
        self.fractions = _fractions(base)
        self.problems: list[str] = []
        self.seen = {"counts": 0, "percents": 0, "ratios": 0, "bars": 0}

    def count(self, value: str | int, where: str) -> None:
        self.seen["counts"] += 1
        v = int(value)
        if v != 0 and v % self.base:
            self.problems.append(f"{where}: count {value}")

    def percent(self, value: str, where: str) -> None:
        self.seen["percents"] += 1
        if float(value).is_integer():
            value = str(int(float(value)))
        if value not in self.percents:
            self.problems.append(f"{where}: percentage {value}%")

    def ratio(self, count: str, n: str, percent: str, where: str) -> None:
        """A percentage shown beside its count and group size must be of those."""
        self.seen["ratios"] += 1
        if int(n) and f"{100 * int(count) / int(n):.0f}" != percent:
            self.problems.append(f"{where}: {percent}% is not {count} of {n}")

    def bar_length(self, value: float, where: str, n: int | None = None) -> None:
        """A bar's length (percent, exact float) must be 100·a/b of multiples of base."""
        self.seen["percents"] += 1
        if n:  # the bar's shown group size is known: its count must be a multiple
            self.seen["bars"] += 1
            count = abs(value) * n / 100
            if abs(count - round(count)) > 1e-6 or round(count) % self.base:
                self.problems.append(f"{where}: bar length {value} of n = {n}")
            return
        frac = Fraction(abs(value)).limit_denominator(10_000)
        if frac not in self.fractions:
            self.problems.append(f"{where}: bar length {value}")

    def text(self, text: str, where: str) -> None:
        """Every "n = X", "X of Y", "X/Y" and "P%" in a piece of text."""
        text = str(text)
        for m in N_EQ.finditer(text):
            self.count(m.group(1), f"{where} [{text[:80]!r}]")
        for m in OF.finditer(text):
            self.count(m.group(1), f"{where} [{text[:80]!r}]")
            self.count(m.group(2), f"{where} [{text[:80]!r}]")
        for m in SLASH.finditer(text):
            self.count(m.group(1), f"{where} [{text[:80]!r}]")
            self.count(m.group(2), f"{where} [{text[:80]!r}]")
        for m in OF_PCT.finditer(text):
            self.ratio(m.group(1), m.group(2), m.group(3), f"{where} [{text[:80]!r}]")
        for m in PCT.finditer(text):
            self.percent(m.group(1), f"{where} [{text[:80]!r}]")

    def frame(self, frame: pd.DataFrame, where: str) -> None:
        """A table as readers get it (text cells): count columns, "count (pct%)" cells and
        the text of every cell."""
        n_col = next((c for c in frame.columns if str(c) in ("n asked", "n_asked", "n")),
                     None)
        for col in frame.columns:
            for row, value in enumerate([str(v) for v in frame[col]]):
                value = value.strip()
                here = f"{where}, column {col!r}"
                m = COUNT_PCT.match(value)
                if m:
                    self.count(m.group(1), here)
                    self.percent(m.group(2), here)
                    n = str(frame[n_col].iloc[row]) if n_col is not None else ""
                    if n.isdigit():
                        self.ratio(m.group(1), n, m.group(2), here)
                    continue
                if COUNT_COLUMNS.match(str(col)) and value.isdigit():
                    self.count(value, here)
                    continue
                self.text(value, here)

    def figure(self, spec: dict, where: str) -> None:
        """A plotly figure's JSON: every string in it (text, hover, customdata, axis
        labels), and the lengths of percentage bars."""
        percent_axis = "%" in json.dumps(spec.get("layout", {}).get("xaxis", {}))
        for i, trace in enumerate(spec.get("data", [])):
            here = f"{where}, trace {i} ({trace.get('name', '')})"
            for s in _strings(trace):
                self.text(s, here)
            if trace.get("type") == "bar" and trace.get("orientation") == "h" and \
                    percent_axis:
                y = trace.get("y") or []
                labels = y[-1] if y and isinstance(y[0], list) else y
                for i, x in enumerate(trace.get("x") or []):
                    m = BAR_N.search(str(labels[i])) if i < len(labels) else None
                    if x is not None:
                        self.bar_length(float(x), here, int(m.group(1)) if m else None)
            custom = trace.get("customdata")
            if custom and "n = %{customdata" in str(trace.get("hovertemplate", "")):
                pass  # the strings inside customdata are checked above
        for s in _strings(spec.get("layout", {})):
            self.text(s, f"{where}, layout")


def _strings(obj) -> list[str]:
    out = []
    if isinstance(obj, str):
        out.append(obj)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            if key in ("hovertemplate", "texttemplate"):
                # the template's own literals, without its placeholders
                out.append(re.sub(r"%\{[^}]*\}", "", str(value)))
            elif key not in ("template",):
                out += _strings(value)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            out += _strings(value)
    return out


def _customdata_counts(checker: Checker, spec: dict, where: str) -> None:
    """Numbers a hover template prints as counts: ``... %{customdata[i]} of
    %{customdata[j]}`` and ``n = %{customdata[i]}``."""
    for t, trace in enumerate(spec.get("data", [])):
        template = str(trace.get("hovertemplate", ""))
        idx = set(int(i) for i in re.findall(r"n = %\{customdata\[(\d+)\]\}", template))
        idx |= set(int(i) for pair in re.findall(
            r"%\{customdata\[(\d+)\]\} of %\{customdata\[(\d+)\]\}", template) for i in pair)
        pct = set(int(i) for i in re.findall(r"%\{customdata\[(\d+)\]\}%", template))
        tied = re.findall(r"%\{customdata\[(\d+)\]\} of %\{customdata\[(\d+)\]\} "
                          r"\(%\{customdata\[(\d+)\]\}%\)", template)
        for row in trace.get("customdata") or []:
            for a, b, c in tied:
                a, b, c = (row[int(i)] if int(i) < len(row) else None for i in (a, b, c))
                if str(a).isdigit() and str(b).isdigit() and c not in (None, ""):
                    checker.ratio(str(a), str(b), f"{float(c):.0f}", f"{where}, hover")
        for row in trace.get("customdata") or []:
            for i in idx:
                if i < len(row) and str(row[i]).isdigit():
                    checker.count(row[i], f"{where}, trace {t} hover")
            for i in pct:
                if i < len(row) and row[i] not in (None, ""):
                    checker.percent(str(row[i]), f"{where}, trace {t} hover")
        if "%{x:.0f}%" in template:
            for x in trace.get("x") or []:
                if x is not None:
                    checker.percent(f"{abs(float(x)):.0f}", f"{where}, trace {t} hover x")


def check_html(checker: Checker, path: Path, name: str) -> None:
    """One published HTML report: visible text and tables, chart data, CSV downloads."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    for script in soup.select("script.peerwork-figure"):
        spec = json.loads(script.string or "{}")
        checker.figure(spec, f"{name}: chart {script.get('id', '')}")
        _customdata_counts(checker, spec, f"{name}: chart")
    for a in soup.select("a[download]"):
        href = a.get("href", "")
        if href.startswith("data:text/csv"):
            raw = base64.b64decode(href.split(",", 1)[1]).decode("utf-8-sig")
            frame = pd.read_csv(io.StringIO(raw), dtype=str, keep_default_na=False)
            checker.frame(frame, f"{name}: download {a.get('download')}")
    for tbl in soup.find_all("table"):
        rows = [[c.get_text(" ", strip=True) for c in tr.find_all(["td", "th"])]
                for tr in tbl.find_all("tr")]
        if len(rows) >= 2 and all(len(r) == len(rows[0]) for r in rows):
            checker.frame(pd.DataFrame(rows[1:], columns=rows[0]),
                          f"{name}: table {tbl.find('caption').get_text() if tbl.find('caption') else ''}")
    for script in soup.find_all(["script", "style", "table"]):
        script.decompose()
    checker.text(soup.get_text(" "), f"{name}: text")


def check_pdf(checker: Checker, path: Path, name: str) -> None:
    """A PDF pack's text (the SVG figures are outlines: their labels come from the same
    shown tables as the HTML charts)."""
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    for line in text.splitlines():
        checker.text(re.sub(r"Page \d+ of \d+", "", line), f"{name}")


def check_batch(out: Path, *, base: int, k: int) -> Checker:
    """Every published report and pack of a reports folder."""
    checker = Checker(base=base, k=k)
    for path in sorted(out.rglob("*.html")):
        if "notebooks" in path.parts or path.name == "index.html":
            continue
        check_html(checker, path, str(path.relative_to(out)))
    for path in sorted(out.rglob("*.pdf")):
        check_pdf(checker, path, str(path.relative_to(out)))
    return checker
