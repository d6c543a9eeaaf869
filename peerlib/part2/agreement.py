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

__all__ = ["UNITS", "OVERALL", "AGREEMENT_COLUMNS", "check_unit", "coding_units", "cohen_kappa",
           "percent_agreement", "krippendorff_alpha", "agreement"]

UNITS = ("character", "segment")
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
    frames = []
    for doc, dsub in seg.groupby("document", sort=True):
        extent = int(dsub["end"].max())
        if unit == "character":
            starts = np.arange(extent)
            ends = starts + 1
        else:
            cuts = np.unique(np.concatenate([[0, extent], dsub["start"].to_numpy(int),
                                             dsub["end"].to_numpy(int)]))
            starts, ends = cuts[:-1], cuts[1:]
        present = set(dsub["coder"].astype(str))
        for code in code_list:
            block = {"code_path": code, "document": doc, "unit_start": starts}
            csub = dsub[dsub["code_path"].astype(str) == code]
            for coder in coders:
                if coder not in present:
                    block[coder] = np.full(len(starts), np.nan)
                    continue
                values = np.zeros(len(starts))
                for a, b in csub.loc[csub["coder"].astype(str) == coder,
                                     ["start", "end"]].to_numpy(int):
                    values[(starts < b) & (ends > a)] = 1.0  # unit overlaps the segment
                block[coder] = values
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

    References
    ----------
    Cohen (1960), equation 1.

    Examples
    --------
    >>> round(cohen_kappa(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0])), 4)
    0.5
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    both = ~np.isnan(a) & ~np.isnan(b)
    a, b = a[both], b[both]
    if not len(a):
        return float("nan")
    p_o = float(np.mean(a == b))
    cats = np.union1d(a, b)
    p_e = float(sum(np.mean(a == c) * np.mean(b == c) for c in cats))
    if np.isclose(p_e, 1.0):
        return float("nan")
    return (p_o - p_e) / (1.0 - p_e)


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
    notes = []
    if out["n_units_coded"] == 0:
        notes.append("no coder used this code in the double-coded documents: agreement is "
                     "trivially 100%, kappa and alpha are undefined")
    elif np.isnan(out["cohen_kappa"]) and len(present) == 2:
        notes.append("kappa undefined: no variation")
    if len(present) > 2:
        notes.append("kappa needs exactly two coders; see alpha")
    out["note"] = "; ".join(notes)
    return out


def agreement(segments: pd.DataFrame, *, unit: str = "character",
              codes: list[str] | None = None) -> pd.DataFrame:
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
    units = coding_units(segments, unit=unit, codes=codes)
    fixed = ["code_path", "document", "unit_start"]
    coders = [c for c in units.columns if c not in fixed]
    code_list = list(codes) if codes is not None else list(dict.fromkeys(
        units["code_path"].astype(str)))
    n_docs = int(units["document"].nunique()) if len(units) else 0
    if n_docs == 0:
        warnings.warn("No document was coded by two or more coders (with positions): no "
                      "agreement can be computed", UserWarning, stacklevel=2)
        rows = [{"code_path": c, "n_documents": 0, "n_coders": 0, "coders": "",
                 "n_units": 0, "n_units_coded": 0, "percent_agreement": np.nan,
                 "cohen_kappa": np.nan, "krippendorff_alpha": np.nan, "unit": unit,
                 "note": "no document was coded by two or more coders"}
                for c in code_list + [OVERALL]]
        return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)
    rows = []
    for code in code_list:
        sub = units[units["code_path"].astype(str) == code]
        rows.append({"code_path": code, "n_documents": n_docs,
                     **_stats(sub[coders].to_numpy(float).T, coders), "unit": unit})
    used = [r["code_path"] for r in rows if r["n_units_coded"] > 0]
    pooled = units[units["code_path"].astype(str).isin(used)]
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


