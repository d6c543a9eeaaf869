"""Inter-coder agreement on documents coded by two or more coders.

For each code, every coder's coding of a double-coded document is turned into a sequence of
units, each 1 (coded with the code) or 0 (not), and the coders are compared unit by unit:

- ``unit="character"``: every character position from the start of the document to the end
  of the last segment any coder coded in it, counted as the export counts positions (code
  points or UTF-16 units; see :mod:`peerlib.part2.refi`);
- ``unit="segment"``: the stretches between consecutive segment boundaries of any coder
  (every start and end cuts the text), each counted once whatever its length: the unit of
  "did the coders code the same passages", less dominated by long passages.

Statistics per code and overall (the codes anyone used in the double-coded documents pooled:
each code x unit is one unit; codes nobody used are left out of the pool, where their
all-zero units would only inflate agreement):
percentage agreement (share of units on which all coders present agree), Cohen's kappa
(exactly two coders; Cohen 1960) and Krippendorff's alpha (nominal, any number of coders,
coders absent from a document treated as missing; Krippendorff 2011, computed by the
``krippendorff`` package). Documents coded by one coder only, and segments whose coder is
not known, take no part.

References
----------
Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and
Psychological Measurement, 20(1), 37-46.
Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School for
Communication, University of Pennsylvania. https://repository.upenn.edu/asc_papers/43
Krippendorff, K. (2013). Content analysis: An introduction to its methodology (3rd ed.).
Sage. Chapter 12.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

__all__ = ["UNITS", "SCOPES", "BOOTSTRAP_SEED", "OVERALL", "AGREEMENT_COLUMNS", "check_unit",
           "check_scope", "coding_units", "cohen_kappa", "percent_agreement",
           "krippendorff_alpha", "agreement", "agreement_intervals", "disagreements"]

UNITS = ("character", "segment")
#: What part of a document agreement is computed on: all text up to the last coded
#: position, or the coded stretches only.
SCOPES = ("text", "coded")
#: Seed of the bootstrap of :func:`agreement_intervals`.
BOOTSTRAP_SEED = 20_261_202
#: Label of the pooled row of :func:`agreement`.
OVERALL = "Overall (all codes pooled)"
AGREEMENT_COLUMNS = ["code_path", "n_documents", "n_coders", "coders", "n_units",
                     "n_units_coded", "percent_agreement", "cohen_kappa",
                     "krippendorff_alpha", "unit", "note"]


def check_unit(unit: object) -> str:
    """Check a unit-of-analysis parameter.

    Raises
    ------
    ParameterError
        When ``unit`` is not one of :data:`UNITS`.
    """
    from ..errors import ParameterError

    if unit not in UNITS:
        raise ParameterError(f"agreement unit must be one of {', '.join(UNITS)}, got "
                             f"{unit!r}")
    return str(unit)


def _double_coded(segments: pd.DataFrame) -> pd.DataFrame:
    usable = segments.dropna(subset=["start", "end", "coder"])
    coders = usable.groupby("document")["coder"].nunique()
    return usable[usable["document"].isin(coders[coders >= 2].index)]


def coding_units(segments: pd.DataFrame, *, unit: str = "character",
                 codes: list[str] | None = None) -> pd.DataFrame:
    """The reliability data: one row per code x document x unit, one column per coder.

    Parameters
    ----------
    segments : pandas.DataFrame
        Coded segments (:data:`peerlib.part2.segments.SEGMENT_COLUMNS`) with positions and coders.
    unit : {"character", "segment"}
        The unit of analysis (module docstring).
    codes : list of str, optional
        Code paths to include (e.g. the whole codebook, so that a code nobody used shows);
        default every code path used in the double-coded documents.

    Returns
    -------
    pandas.DataFrame
        Columns ``code_path``, ``document``, ``unit_start`` (position where the unit
        starts), then one float column per coder: 1.0 coded, 0.0 not coded, NaN when that
        coder did not code the document.

    Raises
    ------
    ValueError
        When ``unit`` is not one of :data:`UNITS`.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {', '.join(UNITS)}, got {unit!r}")
    seg = _double_coded(segments)
    coders = sorted(seg["coder"].astype(str).unique())
    code_list = list(codes) if codes is not None else list(
        dict.fromkeys(seg["code_path"].astype(str)))
    code_index = {code: i for i, code in enumerate(code_list)}
    coder_index = {coder: j for j, coder in enumerate(coders)}
    frames = []
    for doc, dsub in seg.groupby("document", sort=True):
        if not code_list:
            continue
        extent = int(dsub["end"].max())
        if unit == "character":
            starts = np.arange(extent)
            ends = starts + 1
        else:
            cuts = np.unique(np.concatenate([[0, extent], dsub["start"].to_numpy(int),
                                             dsub["end"].to_numpy(int)]))
            starts, ends = cuts[:-1], cuts[1:]
        # values[code, coder, unit]: 1 where the coder's segment with the code overlaps the
        # unit, 0 elsewhere; NaN for a coder who did not code the document
        values = np.zeros((len(code_list), len(coders), len(starts)))
        for code, coder, a, b in zip(dsub["code_path"].astype(str), dsub["coder"].astype(str),
                                     dsub["start"].to_numpy(int), dsub["end"].to_numpy(int)):
            if code in code_index:
                values[code_index[code], coder_index[coder], (starts < b) & (ends > a)] = 1.0
        present = set(dsub["coder"].astype(str))
        for coder in coders:
            if coder not in present:
                values[:, coder_index[coder], :] = np.nan
        block = {"code_path": [code for code in code_list for _ in range(len(starts))],
                 "document": [doc] * (len(code_list) * len(starts)),
                 "unit_start": np.tile(starts, len(code_list))}
        for coder in coders:
            block[coder] = values[:, coder_index[coder], :].ravel()
        frames.append(pd.DataFrame(block))
    if not frames:
        return pd.DataFrame(columns=["code_path", "document", "unit_start"] + coders)
    return pd.concat(frames, ignore_index=True)


def percent_agreement(data: np.ndarray) -> float:
    """Share (0-100) of units on which every coder present gives the same value.

    Parameters
    ----------
    data : numpy.ndarray, shape (n_coders, n_units)
        Values (NaN = coder absent); units with fewer than two coders present are skipped.

    Returns
    -------
    float
        Percentage 0-100; NaN when no unit has two coders.
    """
    data = np.asarray(data, float)
    present = ~np.isnan(data)
    pairable = present.sum(axis=0) >= 2
    if not pairable.any():
        return float("nan")
    sub = data[:, pairable]
    lo = np.nanmin(sub, axis=0)
    hi = np.nanmax(sub, axis=0)
    return float(100.0 * np.mean(lo == hi))


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa of two coders on the units both coded.

    Parameters
    ----------
    a, b : numpy.ndarray, shape (n_units,)
        The two coders' categories (NaN = not coded by that coder; such units are skipped).

    Returns
    -------
    float
        kappa = (p_o - p_e) / (1 - p_e), p_o the observed share of agreement, p_e the
        agreement expected from each coder's own marginal shares; NaN when no unit is left
        or p_e = 1 (both coders gave one and the same category throughout: kappa is
        undefined).

    Notes
    -----
    Computed by ``statsmodels.stats.inter_rater.cohens_kappa`` on the coders' contingency
    table (unweighted).

    References
    ----------
    Cohen (1960), equation 1.

    Examples
    --------
    >>> round(cohen_kappa(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0])), 4)
    0.5
    """
    from statsmodels.stats.inter_rater import cohens_kappa as _statsmodels_kappa

    a, b = np.asarray(a, float), np.asarray(b, float)
    both = ~np.isnan(a) & ~np.isnan(b)
    a, b = a[both], b[both]
    cats = np.union1d(a, b)
    if len(cats) < 2:  # no unit, or one category throughout: p_e = 1, kappa undefined
        return float("nan")
    table = np.zeros((len(cats), len(cats)))
    np.add.at(table, (np.searchsorted(cats, a), np.searchsorted(cats, b)), 1)
    return float(_statsmodels_kappa(table, return_results=False))


def krippendorff_alpha(data: np.ndarray) -> float:
    """Krippendorff's alpha for nominal data (the ``krippendorff`` package).

    Parameters
    ----------
    data : numpy.ndarray, shape (n_coders, n_units)
        Values; NaN = missing (coder absent).

    Returns
    -------
    float
        alpha = 1 - D_o / D_e; NaN when fewer than two values are pairable or only one
        category occurs (alpha is undefined without variation).

    References
    ----------
    Krippendorff (2011); Krippendorff (2013), chapter 12.
    """
    import krippendorff

    data = np.asarray(data, float)
    pairable = (~np.isnan(data)).sum(axis=0) >= 2
    values = data[:, pairable]
    if values.size == 0 or len(np.unique(values[~np.isnan(values)])) < 2:
        return float("nan")
    return float(krippendorff.alpha(reliability_data=values,
                                    level_of_measurement="nominal"))


def _stats(matrix: np.ndarray, coders: list[str]) -> dict:
    present = [i for i in range(len(coders)) if not np.isnan(matrix[i]).all()]
    sub = matrix[present]
    out = {"n_coders": len(present), "coders": ", ".join(coders[i] for i in present),
           "n_units": int(((~np.isnan(sub)).sum(axis=0) >= 2).sum()),
           "n_units_coded": int((np.nansum(sub, axis=0) > 0).sum()),
           "percent_agreement": percent_agreement(sub),
           "cohen_kappa": cohen_kappa(sub[0], sub[1]) if len(present) == 2 else float("nan"),
           "krippendorff_alpha": krippendorff_alpha(sub)}
    out["note"] = _undefined_note(out, sub)
    return out


def _undefined_note(out: dict, sub: np.ndarray) -> str:
    """Name every coefficient of ``out`` that is undefined (NaN), and why."""
    notes = []
    n_coders, pairable = out["n_coders"], out["n_units"]
    if out["n_units_coded"] == 0 and pairable:
        notes.append("no coder used this code in the double-coded documents, so agreement "
                     "is trivially 100%")
    if np.isnan(out["percent_agreement"]):
        notes.append("percentage agreement undefined: no unit was coded by two coders")
    if np.isnan(out["cohen_kappa"]):
        if n_coders != 2:
            notes.append(f"Cohen's kappa undefined: it needs exactly two coders, here "
                         f"{n_coders}" + ("; see alpha" if n_coders > 2 else ""))
        elif pairable == 0:
            notes.append("Cohen's kappa undefined: no unit was coded by both coders")
        else:
            notes.append("Cohen's kappa undefined: chance agreement is 100% (each coder "
                         "gave every unit the same value, e.g. both coded every unit or "
                         "neither coded any), so there is no agreement beyond chance to "
                         "measure")
    if np.isnan(out["krippendorff_alpha"]):
        if pairable == 0:
            notes.append("Krippendorff's alpha undefined: no unit was coded by two coders")
        else:
            notes.append("Krippendorff's alpha undefined: every unit got the same value from "
                         "every coder (e.g. both coded every unit), so the disagreement "
                         "expected by chance is zero")
    return "; ".join(notes)


def agreement(segments: pd.DataFrame, *, unit: str = "character",
              codes: list[str] | None = None, scope: str = "text") -> pd.DataFrame:
    """Inter-coder agreement per code and overall on the double-coded documents.

    Parameters
    ----------
    segments : pandas.DataFrame
        Coded segments (:func:`peerlib.part2.segments.load_coded_segments`); only documents with
        positions (REFI-QDA exports) and two or more named coders take part.
    unit : {"character", "segment"}
        The unit of analysis (module docstring); stated in every row.
    codes : list of str, optional
        Code paths to report (e.g. the codebook's, so an unused code shows); default those
        used in the double-coded documents.
    scope : {"text", "coded"}
        ``"text"``: every unit up to the document's last coded position; ``"coded"``: only
        the units some coder coded with some code (the coded stretches). Long stretches of
        text nobody coded agree trivially and inflate the ``"text"`` figures; the
        ``"coded"`` figures leave them out.

    Returns
    -------
    pandas.DataFrame
        One row per code path, then :data:`OVERALL` (the codes used, pooled); columns
        :data:`AGREEMENT_COLUMNS`:
        ``n_documents`` (double-coded documents), ``n_coders``, ``coders`` (names),
        ``n_units`` (units with two or more coders), ``n_units_coded`` (units anyone coded
        with the code), ``percent_agreement`` (0-100), ``cohen_kappa`` (NaN unless exactly
        two coders), ``krippendorff_alpha`` (nominal), ``unit`` and ``note`` (why a
        statistic is undefined). Statistics are not rounded. When no document was coded by
        two coders, every statistic is NaN and the note says so (with a warning).

    Raises
    ------
    ValueError
        When ``unit`` is not one of :data:`UNITS`.

    Warns
    -----
    UserWarning
        No double-coded document; segments without a coder.

    References
    ----------
    Cohen (1960); Krippendorff (2011, 2013). Checked against hand-computed values in
    ``tests/test_agreement.py``.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {', '.join(UNITS)}, got {unit!r}")
    n_anonymous = int(segments["coder"].isna().sum())
    if n_anonymous:
        warnings.warn(f"{n_anonymous} coded segment(s) name no coder and take no part in the "
                      "agreement", UserWarning, stacklevel=2)
    scope = check_scope(scope)
    units = coding_units(segments, unit=unit, codes=codes)
    fixed = ["code_path", "document", "unit_start"]
    coders = [c for c in units.columns if c not in fixed]
    units = _restrict(units, coders, scope)
    return _agreement_table(units, coders, codes, unit)


def _agreement_table(units: pd.DataFrame, coders: list[str], codes: list[str] | None,
                     unit: str) -> pd.DataFrame:
    """:func:`agreement` from its reliability data (:func:`coding_units`, restricted)."""
    code_list = list(codes) if codes is not None else list(dict.fromkeys(
        units["code_path"].astype(str)))
    n_docs = int(units["document"].nunique()) if len(units) else 0
    if n_docs == 0:
        warnings.warn("No document was coded by two or more coders (with positions): no "
                      "agreement can be computed", UserWarning, stacklevel=3)
        rows = [{"code_path": c, "n_documents": 0, "n_coders": 0, "coders": "",
                 "n_units": 0, "n_units_coded": 0, "percent_agreement": np.nan,
                 "cohen_kappa": np.nan, "krippendorff_alpha": np.nan, "unit": unit,
                 "note": "no document was coded by two or more coders"}
                for c in code_list + [OVERALL]]
        return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)
    rows = []
    paths = units["code_path"].astype(str)
    values = units[coders].to_numpy(float)
    by_code = paths.groupby(paths, sort=False).indices  # code -> row positions
    empty = np.array([], dtype=int)
    for code in code_list:
        rows.append({"code_path": code, "n_documents": n_docs,
                     **_stats(values[by_code.get(code, empty)].T, coders), "unit": unit})
    used = [r["code_path"] for r in rows if r["n_units_coded"] > 0]
    pooled = units[paths.isin(used)]
    if len(pooled):
        rows.append({"code_path": OVERALL, "n_documents": n_docs,
                     **_stats(pooled[coders].to_numpy(float).T, coders), "unit": unit})
    else:
        rows.append({"code_path": OVERALL, "n_documents": n_docs, "n_coders": len(coders),
                     "coders": ", ".join(coders), "n_units": 0, "n_units_coded": 0,
                     "percent_agreement": np.nan, "cohen_kappa": np.nan,
                     "krippendorff_alpha": np.nan, "unit": unit,
                     "note": "no code was used in the double-coded documents"})
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)


def _scope_mask(units: pd.DataFrame, coders: list[str]) -> np.ndarray:
    """Units that any coder coded with any code in their document (coded stretches)."""
    values = units[coders].to_numpy(float)
    coded = np.nansum(values, axis=1) > 0
    keys = units["document"].astype(str) + "\x00" + units["unit_start"].astype(str)
    hit = set(keys[coded])
    return keys.isin(hit).to_numpy()


def _restrict(units: pd.DataFrame, coders: list[str], scope: str) -> pd.DataFrame:
    if scope == "text" or not len(units):
        return units
    return units[_scope_mask(units, coders)]


def check_scope(scope: object) -> str:
    """Check a scope parameter (:data:`SCOPES`).

    Raises
    ------
    ParameterError
        When ``scope`` is not one of :data:`SCOPES`.
    """
    from ..errors import ParameterError

    if scope not in SCOPES:
        raise ParameterError(f"agreement scope must be one of {', '.join(SCOPES)}, got "
                             f"{scope!r}")
    return str(scope)


def agreement_intervals(segments: pd.DataFrame, *, unit: str = "character",
                        scope: str = "text", codes: list[str] | None = None,
                        n_boot: int = 1000, seed: int = BOOTSTRAP_SEED,
                        confidence: float = 0.95) -> pd.DataFrame:
    """Agreement with bootstrap confidence intervals (resampling double-coded documents).

    Units within a document are not independent (neighbouring characters share a segment),
    so the interval resamples whole documents: ``n_boot`` samples of the double-coded
    documents drawn with replacement, the statistics computed on each, and the percentile
    interval taken (a cluster bootstrap; Efron & Tibshirani 1993, ch. 13). With few
    double-coded documents the interval is wide, as it should be.

    Parameters
    ----------
    segments, unit, codes
        As :func:`agreement`.
    scope : {"text", "coded"}
        ``"text"``: every unit from the start of the document to its last coded position
        (as :func:`agreement`); ``"coded"``: only the units that some coder coded with some
        code (the coded stretches), so that text nobody coded does not inflate agreement.
    n_boot : int
        Bootstrap samples (0: no intervals).
    seed : int
        Seed of the generator (:func:`numpy.random.default_rng`): the same inputs give the
        same interval.
    confidence : float
        Level of the percentile interval (0-1).

    Returns
    -------
    pandas.DataFrame
        :func:`agreement`'s columns with ``scope``, plus ``percent_low``/``percent_high``,
        ``kappa_low``/``kappa_high`` and ``alpha_low``/``alpha_high`` (NaN when the
        statistic is undefined, or in more than half the samples). Not rounded.

    Raises
    ------
    ParameterError
        When ``unit`` or ``scope`` is not allowed.
    ValueError
        When ``n_boot`` is negative or ``confidence`` not between 0 and 1.

    References
    ----------
    Efron, B., & Tibshirani, R. J. (1993). An introduction to the bootstrap. Chapman &
    Hall. Chapter 13 (percentile intervals), 6.4 (resampling clusters).
    Zapf, A. et al. (2016). Measuring inter-rater reliability for nominal data: which
    coefficients and confidence intervals are appropriate? BMC Medical Research
    Methodology, 16, 93 (bootstrap intervals for Krippendorff's alpha).
    """
    check_unit(unit)
    scope = check_scope(scope)
    if int(n_boot) < 0:
        raise ValueError(f"n_boot must be >= 0, got {n_boot!r}")
    if not 0 < float(confidence) < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    units = coding_units(segments, unit=unit, codes=codes)
    fixed = ["code_path", "document", "unit_start"]
    coders = [c for c in units.columns if c not in fixed]
    units = _restrict(units, coders, scope)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        base = _agreement_table(units, coders, codes, unit)
    base["scope"] = scope
    cols = {"percent_agreement": "percent", "cohen_kappa": "kappa",
            "krippendorff_alpha": "alpha"}
    for short in cols.values():
        base[f"{short}_low"] = np.nan
        base[f"{short}_high"] = np.nan
    docs = sorted(units["document"].astype(str).unique()) if len(units) else []
    if not docs or int(n_boot) == 0:
        return base
    rng = np.random.default_rng(seed)
    weights = np.stack([np.bincount(rng.integers(len(docs), size=len(docs)),
                                    minlength=len(docs)) for _ in range(int(n_boot))])
    used_pool = [c for c, n in zip(base["code_path"], base["n_units_coded"])
                 if c != OVERALL and n > 0]
    tail = (1 - float(confidence)) / 2
    paths = units["code_path"].astype(str)
    for i, row in enumerate(base["code_path"]):
        sub = units[paths.isin(used_pool)] if row == OVERALL else units[paths == row]
        if not len(sub):
            continue
        stats = _per_document(sub, coders, docs)
        draws = _from_sufficient(weights @ stats, two_coders=int(base.at[i, "n_coders"]) == 2)
        for stat, short in (("percent_agreement", "percent"), ("cohen_kappa", "kappa"),
                            ("krippendorff_alpha", "alpha")):
            values = draws[stat]
            if np.isnan(base.at[i, stat]) or np.isnan(values).mean() > 0.5:
                continue
            values = values[~np.isnan(values)]
            base.at[i, f"{short}_low"] = float(np.quantile(values, tail))
            base.at[i, f"{short}_high"] = float(np.quantile(values, 1 - tail))
    return base


def _per_document(units: pd.DataFrame, coders: list[str], docs: list[str]) -> np.ndarray:
    """Per document, the sums that the statistics are functions of (additive over units,
    so a bootstrap sample's are a weighted sum): pairable units, units where all coders
    agree, the two-coder contingency table (4 cells) and the coincidence matrix of the
    values 0/1 (4 cells; Krippendorff 2011, section B)."""
    out = np.zeros((len(docs), 10))
    index = {d: n for n, d in enumerate(docs)}
    for doc, dsub in units.groupby(units["document"].astype(str)):
        values = dsub[coders].to_numpy(float)
        present = ~np.isnan(values)
        m = present.sum(axis=1)
        pair = m >= 2
        ones = np.nansum(values, axis=1)
        zeros = m - ones
        agree = pair & ((ones == 0) | (zeros == 0))
        row = out[index[doc]]
        row[0], row[1] = pair.sum(), agree.sum()
        cols = [j for j in range(len(coders)) if present[:, j].any()]
        if len(cols) == 2:
            a, b = values[:, cols[0]], values[:, cols[1]]
            both = ~np.isnan(a) & ~np.isnan(b)
            for n, (x, y) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
                row[2 + n] = np.sum(both & (a == x) & (b == y))
        w = np.where(pair, 1.0 / np.maximum(m - 1, 1), 0.0)
        row[6] = np.sum(w * zeros * (zeros - 1))  # o_00
        row[7] = np.sum(w * zeros * ones)         # o_01 (= o_10)
        row[8] = row[7]
        row[9] = np.sum(w * ones * (ones - 1))    # o_11
    return out


def _from_sufficient(sums: np.ndarray, *, two_coders: bool) -> dict[str, np.ndarray]:
    """Percentage agreement, kappa and alpha from the summed per-document statistics of
    :func:`_per_document` (one row per bootstrap sample); NaN where undefined."""
    with np.errstate(divide="ignore", invalid="ignore"):
        percent = np.where(sums[:, 0] > 0, 100.0 * sums[:, 1] / sums[:, 0], np.nan)
        if two_coders:
            t = sums[:, 2:6]
            n = t.sum(axis=1)
            p_o = (t[:, 0] + t[:, 3]) / n
            row0, col0 = (t[:, 0] + t[:, 1]) / n, (t[:, 0] + t[:, 2]) / n
            p_e = row0 * col0 + (1 - row0) * (1 - col0)
            kappa = np.where(np.isclose(p_e, 1.0) | (n == 0), np.nan,
                             (p_o - p_e) / (1 - p_e))
        else:
            kappa = np.full(len(sums), np.nan)
        o = sums[:, 6:10]
        n0, n1 = o[:, 0] + o[:, 1], o[:, 2] + o[:, 3]
        total = n0 + n1
        alpha = np.where((n0 > 0) & (n1 > 0),
                         1 - (total - 1) * (o[:, 1] + o[:, 2]) / (2 * n0 * n1), np.nan)
    return {"percent_agreement": percent, "cohen_kappa": kappa, "krippendorff_alpha": alpha}


def disagreements(segments: pd.DataFrame, *, unit: str = "character") -> pd.DataFrame:
    """The stretches of double-coded documents where coders differ, for adjudication.

    Parameters
    ----------
    segments : pandas.DataFrame
        Coded segments (redacted at import: every excerpt shown here is the redacted text).
    unit : {"character", "segment"}
        The unit of analysis; neighbouring units that differ the same way form one stretch.

    Returns
    -------
    pandas.DataFrame
        One row per stretch, by document, code and position: ``document``, ``code_path``,
        ``start``, ``end`` (positions as the export counts them, end exclusive), one column
        per coder of the document ("coded" / "not coded"), and ``excerpts``: the (redacted)
        text of every coder's segment with this code overlapping the stretch, each as
        "Coder: “text” [start-end]", "; "-separated. Empty when no document was coded twice.

    Raises
    ------
    ParameterError
        When ``unit`` is not one of :data:`UNITS`.
    """
    check_unit(unit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        units = coding_units(segments, unit=unit)
    fixed = ["code_path", "document", "unit_start"]
    coders = [c for c in units.columns if c not in fixed]
    seg = _double_coded(segments)
    rows = []
    extent = seg.groupby("document")["end"].max()
    for (doc, code), sub in units.groupby(["document", "code_path"], sort=True):
        sub = sub.sort_values("unit_start")
        present = [c for c in coders if not sub[c].isna().all()]
        values = sub[present].to_numpy(float)
        differ = values.min(axis=1) != values.max(axis=1)
        if not differ.any():
            continue
        starts = sub["unit_start"].to_numpy(int)
        ends = np.append(starts[1:], int(extent[doc]))
        pattern = values @ (2.0 ** np.arange(len(present)))
        # a new stretch starts wherever the pattern changes or the units are not adjacent
        cut = np.ones(len(starts), bool)
        cut[1:] = (pattern[1:] != pattern[:-1]) | (starts[1:] != ends[:-1])
        run = np.cumsum(cut) - 1
        doc_seg = seg[(seg["document"] == doc) & (seg["code_path"].astype(str) == code)]
        for r in np.unique(run[differ]):
            idx = np.flatnonzero(run == r)
            a, b = int(starts[idx[0]]), int(ends[idx[-1]])
            over = doc_seg[(doc_seg["start"] < b) & (doc_seg["end"] > a)]
            excerpts = "; ".join(
                f"{rec.coder}: \u201c{rec.text}\u201d [{int(rec.start)}-{int(rec.end)}]"
                for rec in over.itertuples(index=False))
            row = {"document": doc, "code_path": code, "start": a, "end": b}
            row.update({c: ("coded" if values[idx[0]][j] == 1 else "not coded")
                        for j, c in enumerate(present)})
            row["excerpts"] = excerpts
            rows.append(row)
    out = pd.DataFrame(rows, columns=["document", "code_path", "start", "end", *coders,
                                      "excerpts"])
    return out.astype({c: "string" for c in ["document", "code_path", *coders, "excerpts"]})
