"""Co-occurrence of codes: how many participants were coded with both of two codes.

Counted over participants (not segments, not documents): a participant counts once in a
cell when any of their transcripts has an excerpt under each of the two codes (a
double-coded transcript counts with its first coder's coding). Site documents take no part.

Disclosure
----------
The counts describe people. No cell is shown when fewer than ``k`` participants have coded
transcripts; inside the table, a count of 1 to ``k - 1`` participants is not shown either
("<k"): a small co-occurrence points at the few people whose transcripts combine the two
codes. Zero is shown. In a report the batch's mask decides whether the table is shown at
all (``mask=``: the Part 2 group of everyone with a coded transcript, ``all``).
"""
from __future__ import annotations

import pandas as pd

from ..disclosure import DEFAULT_MIN_GROUP_SIZE, DisclosureMask, check_min_group_size
from .framework import codebook_paths, primary_coding, themes
from .segments import PATH_SEPARATOR, is_transcript

__all__ = ["LEVELS", "cooccurrence"]

#: What a row and column of the matrix are: a code (its path) or a theme.
LEVELS = ("code", "theme")


def cooccurrence(segments: pd.DataFrame, *, level: str = "theme",
                 k: int = DEFAULT_MIN_GROUP_SIZE,
                 codebook: pd.DataFrame | None = None,
                 mask: DisclosureMask | None = None) -> pd.DataFrame:
    """Participants coded with both of two codes (or themes), as a tidy table.

    Parameters
    ----------
    segments : pandas.DataFrame
        Coded segments; rows with NA ``participant_id`` and site documents are left out.
    level : {"theme", "code"}
        Count themes (top-level codes, an excerpt anywhere beneath counts) or code paths.
    k : int
        Minimum group size (module docstring).
    codebook : pandas.DataFrame, optional
        For the order (and codes nobody used, kept with 0); default the one attached to
        ``segments``.
    mask : DisclosureMask, optional
        The batch's mask: every cell is hidden when it hides the Part 2 group ``all``.

    Returns
    -------
    pandas.DataFrame
        One row per ordered pair (``a``, ``b``), the codebook's order: ``a``, ``b``,
        ``n_both`` (participants with an excerpt under each; on the diagonal, those with an
        excerpt under ``a``: Int64, NA when suppressed), ``n_participants`` (participants
        with coded transcripts, the same in every row), ``suppressed`` (bool).

    Raises
    ------
    ValueError
        When ``level`` is not one of :data:`LEVELS` or ``k`` is not a whole number >= 1.
    """
    k = check_min_group_size(k)
    if level not in LEVELS:
        raise ValueError(f"cooccurrence: level must be one of {', '.join(LEVELS)}, got "
                         f"{level!r}")
    seg = primary_coding(segments)
    seg = seg[is_transcript(seg)].dropna(subset=["participant_id"])
    paths = seg["code_path"].astype(str)
    if level == "theme":
        keys = paths.str.split(PATH_SEPARATOR).str[0]
        order = themes(segments, codebook)
    else:
        keys = paths
        if codebook is not None:
            known = list(codebook["code_path"].astype(str))
            order = known + [p for p in dict.fromkeys(paths) if p not in known]
        else:
            order = codebook_paths(segments)
    sets = {key: set(sub.astype(str)) for key, sub in
            seg["participant_id"].groupby(keys.values)}
    n_people = seg["participant_id"].nunique()
    rows = []
    for a in order:
        for b in order:
            both = len(sets.get(a, set()) & sets.get(b, set()))
            rows.append({"a": a, "b": b, "n_both": both, "n_participants": n_people})
    out = pd.DataFrame(rows, columns=["a", "b", "n_both", "n_participants"])
    counts = out["n_both"].astype(float)
    everyone_hidden = n_people < k
    if mask is not None:
        try:
            everyone_hidden = mask.hidden("themes", "all") and n_people > 0
        except KeyError:
            everyone_hidden = True
    hide = everyone_hidden | ((counts > 0) & (counts < k))
    out["n_both"] = out["n_both"].astype("Int64").mask(hide)
    out["suppressed"] = hide.to_numpy() if hasattr(hide, "to_numpy") else hide
    return out
