"""Feasibility intervals: what the published answer counts pin down about hidden groups.

The exact check of :mod:`.mask` asks whether a hidden group's figures can be *computed* by
adding and subtracting published ones. A reader can also *bound* them: every count is at
least 0 and at most the group's size, so published totals whose parts are almost all shown
leave the hidden parts little room. When the room is a single value, the reader knows the
hidden figure as surely as by subtraction ("none of the 3 people at site S03 answered Yes"),
although no linear combination of published figures equals it. Statistical offices audit
suppressed tables for this with linear programming: for each suppressed cell, the smallest
and largest value consistent with everything published (the *feasibility interval*;
Hundepool et al. 2012, section 4.3; de Wolf 2002). This module does the same for the
"Is this happening here?" answer counts of every item, and for the number of people who
answered each item's importance question.

The model, per item, is conservative for the reader's side: the unknowns are the answer
counts of every atom (site x role) and answer option; the reader knows every published
count of every shown group, and the size of every atom (the sample composition is
published at sector level and the site reports show role counts, so we assume all of it is
known). Each count lies between 0 and its atom's size, and an atom's counts add up to its
size. A protected set (a hidden group of 1 to ``k - 1`` people, a site x role cell of
fewer than ``k`` people, two such cells of one site) *leaks* on an option when the integers
of its interval are a single value, unless that value is implied by shown groups that
together hold the whole set and each answered 0 on that option (or each answered it to a
person): a zero, or everyone, in a group of ``k`` or more is a published fact about that
group, and so about every part of it (see "Zeros" in :mod:`.policy`).

The same model bounds who answered an item's importance question: options "answered" and
"no answer" per atom (:func:`answered_counts`), the shown groups those whose importance
``n`` is published (a group's size is known, so its count of missing answers is too).

Counts are whole numbers, and a reader knows it: a cell has room only when two
whole-number solutions give it different values. The work is done in three steps. Most
cells are shown to have room cheaply: the published data itself, exchanges of answers
between two sites and two roles (:func:`_exchange_room`), and a few vertices of the
feasible set under random objectives (seeded, so the mask is the same on every run)
already give two different values. The remaining cells get the two exact bounds of the
linear relaxation (HiGHS, through its Python interface ``highspy``; one model per item,
re-solved for each bound); a cell whose relaxed interval holds one whole number is pinned.
A cell whose room so far came only from fractional solutions is then solved in whole
numbers (HiGHS branch and bound, with a time limit), which can pin it where the
relaxation does not (two answers with sum 6 and sum of squares 20 can only be a 2 and a
4); a cell not settled in time counts as pinned.

References
----------
Hundepool, A. et al. (2012). Statistical Disclosure Control, ch. 4.3 (the audit of
suppressed tables). Wiley.
Diaconis, P. and Sturmfels, B. (1998). Algebraic algorithms for sampling from conditional
distributions. Annals of Statistics 26(1), 363-397.
de Wolf, P.-P. (2002). HiTaS: a heuristic approach to cell suppression in hierarchical
tables. In Inference Control in Statistical Databases, LNCS 2316, 74-82. Springer.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["IntervalLeak", "answer_counts", "answered_counts", "composition_pins",
           "interval_leaks", "no_leak_questions", "remember_no_leak", "score_counts",
           "score_measures"]

#: The options of :func:`answered_counts`.
ANSWERED_OPTIONS = ["answered", "no answer"]

_TOL = 1e-7


@dataclass(frozen=True)
class IntervalLeak:
    """A protected set whose count of one answer to one item is pinned by the published
    figures: ``what`` names the set, ``value`` is the count a reader can be sure of,
    ``groups`` are the indices of the shown groups whose figures pin it (the constraints
    the bounding linear programs use)."""

    item: str
    option: str
    what: str
    value: int
    groups: tuple[int, ...]


def answer_counts(data: pd.DataFrame, atoms: pd.DataFrame, *,
                  response: str = "happening") -> tuple[dict[str, np.ndarray], list[str]]:
    """Answer counts of every atom, for every item (one pass over the table).

    Parameters
    ----------
    data : pandas.DataFrame
        The prepared long table; ``response`` an ordered categorical (every option kept).
    atoms : pandas.DataFrame
        :func:`peerlib.disclosure.mask.atoms_table` (``site_id``, ``role`` as text).

    Returns
    -------
    (dict of str to numpy.ndarray, list of str)
        Item -> counts, shape (atoms, options), and the options in scale order (the
        "Missing" category included). Rows of sites or roles not among ``atoms``, and rows
        without a site, role or item, are left out.

    Notes
    -----
    Rows are matched through ``pandas.factorize`` codes of the distinct sites, roles and
    items (compared as text) and counted with one ``numpy.bincount``.
    """
    options = [str(c) for c in data[response].cat.categories]
    answer = data[response].cat.codes.to_numpy()
    # each row's atom and item through the codes of the distinct values (the table's
    # 300,000 texts are not compared or sorted); items in text order
    site_code, sites = _text_codes(data["site_id"])
    role_code, roles = _text_codes(data["role"])
    item_code, items = _text_codes(data["item_id"])
    atom_site = sites.get_indexer(atoms["site_id"].astype(str))
    atom_role = roles.get_indexer(atoms["role"].astype(str))
    lookup = np.full((len(sites) + 1, len(roles) + 1), -1, dtype=np.int64)  # code -1: none
    known = (atom_site >= 0) & (atom_role >= 0)
    lookup[atom_site[known], atom_role[known]] = np.flatnonzero(known)
    where = lookup[site_code, role_code]
    order = np.argsort(items.to_numpy(dtype=object), kind="stable")
    rank = np.empty(len(items), dtype=np.int64)
    rank[order] = np.arange(len(items))
    ok = (where >= 0) & (answer >= 0) & (item_code >= 0)
    cell = (rank[item_code[ok]] * len(atoms) + where[ok]) * len(options) + answer[ok]
    table = np.bincount(cell, minlength=len(items) * len(atoms) * len(options)).reshape(
        len(items), len(atoms), len(options)).astype(float)
    return {str(items[i]): table[r] for r, i in enumerate(order)}, options


def _text_codes(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Each row's code in the column's distinct values, as text (``pandas.factorize``):
    codes (int, -1 where missing) and the distinct texts (unique)."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    texts = pd.Index(np.asarray(uniques, dtype=object)).astype(str)
    if not texts.is_unique:  # two values with one text (1 and "1"): codes of the texts
        codes, texts = pd.factorize(column.astype(str))
        texts = pd.Index(texts)
    return np.asarray(codes, dtype=np.int64), texts


def answered_counts(atoms: pd.DataFrame, item: str) -> tuple[np.ndarray, list[str]]:
    """Who answered one item's importance question, per atom.

    Parameters
    ----------
    atoms : pandas.DataFrame
        :func:`peerlib.disclosure.mask.atoms_table`: ``participants`` and
        ``importance:<item>`` (importance answers given) per site x role.
    item : str
        The item.

    Returns
    -------
    (numpy.ndarray, list of str)
        Counts of shape (atoms, 2), people who answered and people who did not (each row
        adds up to the atom's participants), and :data:`ANSWERED_OPTIONS`.

    Raises
    ------
    KeyError
        When ``atoms`` has no column for the item.
    """
    people = atoms["participants"].to_numpy(dtype=float)
    answered = atoms[f"importance:{item}"].to_numpy(dtype=float)
    return np.stack([answered, people - answered], axis=1), list(ANSWERED_OPTIONS)


class _Model:
    """One item's linear program in HiGHS (:mod:`highspy`), built once and re-solved for
    each objective (warm-started from the previous basis): far cheaper than a new solve
    per bound."""

    def __init__(self, a_eq, b_eq: np.ndarray, upper: np.ndarray, *,
                 integer_seconds: float | None = None, lower: np.ndarray | None = None,
                 row_upper: np.ndarray | None = None):
        import highspy

        with _quiet_stdout():  # the first instance prints a banner on the C stdout
            self._h = highspy.Highs()
        self._h.silent()
        if integer_seconds is None:
            # re-solves change only the objective: the previous basis stays feasible, and
            # presolve would rebuild the model each time (about 40% of the solve time at
            # national-trial size, measured)
            self._h.setOptionValue("presolve", "off")
        else:
            self._h.setOptionValue("time_limit", float(integer_seconds))
            self._h.setOptionValue("mip_rel_gap", 0.0)
        self._integer = integer_seconds is not None
        self._sense = highspy.ObjSense
        self._ok = highspy.HighsModelStatus.kOptimal
        self._out_of_time = highspy.HighsModelStatus.kTimeLimit
        csc = a_eq.tocsc()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = int(csc.shape[1]), int(csc.shape[0])
        lp.col_cost_ = np.zeros(lp.num_col_)
        lp.col_lower_ = (np.zeros(lp.num_col_) if lower is None
                         else np.asarray(lower, dtype=float))
        lp.col_upper_ = np.asarray(upper, dtype=float)
        lp.row_lower_ = np.asarray(b_eq, dtype=float)  # rows are equalities unless
        lp.row_upper_ = (lp.row_lower_ if row_upper is None  # given an upper bound
                         else np.asarray(row_upper, dtype=float))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
        lp.a_matrix_.index_ = csc.indices.astype(np.int32)
        lp.a_matrix_.value_ = csc.data.astype(float)
        if self._integer:
            lp.integrality_ = [highspy.HighsVarType.kInteger] * lp.num_col_
        self._h.passModel(lp)
        self._n = lp.num_col_
        self._cost = np.zeros(self._n)

    def solve(self, cost: np.ndarray, *, maximize: bool = False) -> tuple[float, np.ndarray,
                                                                          np.ndarray]:
        """``(objective, x, row duals)`` of the optimum of ``cost @ x``. A whole-number
        model out of time returns ``(nan, x, [])`` with the best whole-number ``x`` found,
        or an empty ``x`` when it found none.

        Raises
        ------
        RuntimeError
            When HiGHS finds no optimum (the data itself is feasible: a bug).
        """
        cost = np.asarray(cost, dtype=float)
        changed = np.flatnonzero(cost != self._cost)
        if len(changed):
            self._h.changeColsCost(len(changed), changed.astype(np.int32), cost[changed])
            self._cost = cost.copy()
        self._h.changeObjectiveSense(self._sense.kMaximize if maximize
                                     else self._sense.kMinimize)
        self._h.run()
        status = self._h.getModelStatus()
        if status != self._ok:
            if self._integer and status == self._out_of_time:
                # no bound proved in time; a whole-number solution found on the way (if
                # any) is still a witness
                found = self._h.getInfo().primal_solution_status == 2
                return (np.nan, np.asarray(self._h.getSolution().col_value) if found
                        else np.zeros(0), np.zeros(0))
            raise RuntimeError("disclosure intervals: the solver found no optimum ("
                               f"{self._h.modelStatusToString(status)})")
        sol = self._h.getSolution()
        return (float(self._h.getInfo().objective_function_value),
                np.asarray(sol.col_value), np.asarray(sol.row_dual))


class _quiet_stdout:
    """Send the process's C-level stdout to the null device for a moment."""

    def __enter__(self):
        import os
        import sys

        sys.stdout.flush()
        self._saved = os.dup(1)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)

    def __exit__(self, *exc):
        import os

        os.dup2(self._saved, 1)
        os.close(self._saved)
        return False


def interval_leaks(counts: np.ndarray, options: list[str], sizes: np.ndarray,
                   shown: np.ndarray, protected: list[tuple[str, np.ndarray]], *,
                   item: str, witnesses: int = 2, seed: int = 0,
                   atom_site: np.ndarray | None = None,
                   atom_role: np.ndarray | None = None,
                   measures: np.ndarray | None = None,
                   integer_seconds: float = 10.0) -> list[IntervalLeak]:
    """Protected sets whose answer counts the shown groups pin to one value (one item).

    Parameters
    ----------
    counts : numpy.ndarray, shape (a, o)
        Answer counts of every atom (:func:`answer_counts`).
    options : list of str, length o
        The answer options.
    sizes : numpy.ndarray, shape (a,)
        People in each atom (each row of ``counts`` adds up to it).
    shown : numpy.ndarray of bool, shape (g, a)
        The atoms of every group whose distribution is published.
    protected : list of (str, numpy.ndarray of bool, shape (a,))
        The sets to protect, named for messages.
    item : str
        The item (for the result).
    witnesses : int
        Random-objective vertices tried before exact bounds.
    seed : int
        Seed of the random objectives.
    atom_site, atom_role : numpy.ndarray, shape (a,), optional
        The site and role of each atom. With them, sets within one site are first given
        room by exchanges between two sites, two roles and two answers that keep every
        published total (:func:`_exchange_room`), which costs no linear programme.
    measures : numpy.ndarray, shape (o, m), optional
        What a shown group publishes of its counts: ``counts @ measures`` added up over
        its atoms. Default: every count (the identity). For a mean and a standard
        deviation of scores ``w`` (the group's n being known), ``[w, w**2]``
        (:func:`score_measures`). The protected figures are still the sets' counts of
        every option; a shown group's 0 (or everyone) on an option is then what its own
        published figures pin (:func:`_own_pins`).
    integer_seconds : float
        Time limit (seconds) of each whole-number programme. A cell whose room only the
        real-valued relaxation shows is solved in whole numbers; when no second whole
        value is found in time, the cell counts as pinned (the mask hides more rather
        than trust an unproved bound).

    Returns
    -------
    list of IntervalLeak
        Empty when every protected set has room on every option (or its value is implied
        by a shown group's 0 or everyone).

    Raises
    ------
    RuntimeError
        When the solver fails on a problem the published data itself satisfies (a bug).
    """
    keep = np.asarray(sizes) > 0
    if not keep.any() or not protected:
        return []
    counts = np.asarray(counts, dtype=float)[keep]
    sizes = np.asarray(sizes, dtype=float)[keep]
    shown = np.asarray(shown, dtype=bool).reshape(-1, len(keep))[:, keep]
    shown_rows = np.flatnonzero(shown.any(axis=1))
    groups = shown[shown_rows].astype(float)
    protected = [(what, np.asarray(v, dtype=bool)[keep]) for what, v in protected]
    protected = [(what, v) for what, v in protected if v.any()]
    if not protected:
        return []
    question = _question(counts, sizes, groups, protected, measures, witnesses, seed,
                         integer_seconds, atom_site, atom_role, keep)
    if question in _NO_LEAK:
        return []
    leaks = _interval_leaks(counts, options, sizes, groups, shown_rows, protected,
                            item=item, witnesses=witnesses, seed=seed, keep=keep,
                            atom_site=atom_site, atom_role=atom_role, measures=measures,
                            integer_seconds=integer_seconds)
    if not leaks:
        _NO_LEAK.add(question)
    return leaks


#: Questions (:func:`_question`) that :func:`interval_leaks` answered with no leak: the
#: batch's audit asks again what the mask asked last, of the same data; the batch keeps
#: them beside its cached mask (:func:`no_leak_questions`, :func:`remember_no_leak`).
_NO_LEAK: set[str] = set()


def no_leak_questions() -> list[str]:
    """The questions :func:`interval_leaks` answered with no leak so far in this process.

    Returns
    -------
    list of str
        Sorted SHA-256 hex digests (64 characters each) of the questions' inputs
        (counts, sizes, published groups, protected sets, measures, solver settings).
    """
    return sorted(_NO_LEAK)


def remember_no_leak(questions) -> None:
    """Take digests from :func:`no_leak_questions` of an earlier run as answered.

    Parameters
    ----------
    questions : iterable of str
        Digests from the same data and the same disclosure code (the caller's cache key
        must say so: a digest covers the inputs, not the code that answered). A digest
        that matches no question is harmless; nothing is raised.
    """
    _NO_LEAK.update(str(q) for q in questions)


def _question(counts, sizes, groups, protected, measures, witnesses, seed,
              integer_seconds, atom_site, atom_role, keep) -> str:
    """Digest of everything :func:`interval_leaks`' answer depends on: the counts and
    sizes, the published groups and protected sets (as sets: order and names change only
    the messages), the measures and the solver settings."""
    import hashlib

    digest = hashlib.sha256()
    for part in (counts, sizes, _row_set(groups),
                 _row_set(np.array([v for _, v in protected], dtype=bool)),
                 np.zeros(0) if measures is None else np.asarray(measures, dtype=float)):
        digest.update(repr(part.shape).encode())
        digest.update(np.ascontiguousarray(part).tobytes())
    for labels in (atom_site, atom_role):
        digest.update(b"\0".join(str(v).encode() for v in np.asarray(labels)[keep])
                      if labels is not None else b"-")
        digest.update(b"|")
    digest.update(repr((measures is None, witnesses, seed, integer_seconds)).encode())
    return digest.hexdigest()


def _row_set(rows: np.ndarray) -> np.ndarray:
    """The distinct rows of a 0/1 matrix (g x a), order-free: each row packed into bytes
    (8 atoms a byte), the packed rows sorted with duplicates dropped (an array of numpy
    void scalars of ceil(a / 8) bytes each). Sorting g packed rows compares bytes, where
    ``numpy.unique(rows, axis=0)`` compares a fields per pair of rows: on a 3,100 x 1,200
    matrix 0.005 s against 0.19 s (measured)."""
    packed = np.packbits(np.asarray(rows) != 0, axis=1)
    width = packed.shape[1]
    if width == 0 or packed.shape[0] == 0:
        return np.zeros((0, width), dtype=np.uint8)
    return np.unique(np.ascontiguousarray(packed).view(np.dtype((np.void, width))).ravel())


def _interval_leaks(counts, options, sizes, groups, shown_rows, protected, *, item,
                    witnesses, seed, keep, atom_site, atom_role, measures,
                    integer_seconds) -> list[IntervalLeak]:
    """:func:`interval_leaks` after its inputs are filtered to the atoms with people."""
    from scipy.sparse import csr_matrix, vstack

    a, o = counts.shape
    # x[atom * o + option]; published group totals per measure, then every atom's size
    eye_o = np.eye(o)
    pub = eye_o if measures is None else np.asarray(measures, dtype=float).reshape(o, -1)
    m = pub.shape[1]
    published = groups @ counts @ pub  # groups x measures
    lp_groups, origin = _sparse_span(groups)
    n_group_rows = lp_groups.shape[0] * m
    model = None

    def build(integer_seconds=None):
        """The item's programme (built only when a cell needs one): published group
        figures per measure, then every atom's size."""
        from scipy.sparse import identity, kron

        blocks = [kron(csr_matrix(lp_groups), csr_matrix(pub.T)),
                  kron(identity(a), csr_matrix(np.ones((1, o))))]
        return _Model(vstack(blocks), np.concatenate([(lp_groups @ counts @ pub).ravel(),
                                                      sizes]),
                      np.repeat(sizes, o), integer_seconds=integer_seconds)

    def solve(c, maximize=False):
        nonlocal model
        if model is None:
            model = build()
        return model.solve(c, maximize=maximize)

    # cells: (set index, option) -> value in the data
    sets = np.array([v for _, v in protected], dtype=float)  # s x a
    values = sets @ counts  # s x o
    set_sizes = sets @ sizes  # people in each set
    # implied by shown groups that answered 0 (or all answered) on that option and
    # together hold the whole set: every atom of the set lies in one of them
    group_n = groups @ sizes
    if measures is None or np.linalg.matrix_rank(np.vstack([np.ones(o), pub.T])) == o:
        # every count of a shown group is known (published, or fixed by its n and
        # measures)
        per_option = groups @ counts  # groups x options
        zero_known = per_option == 0
        all_known = per_option == group_n[:, None]
    else:
        zero_known, all_known = _own_pins(published, group_n, pub)
    zero_atoms = (groups.T @ zero_known) > 0  # atoms x options
    all_atoms = (groups.T @ all_known) > 0
    zero_in = (sets @ ~zero_atoms) == 0  # sets x options: no atom of the set uncovered
    all_in = (sets @ ~all_atoms) == 0
    todo = ~(((values == 0) & zero_in) | ((values == set_sizes[:, None]) & all_in))
    if not todo.any():
        return []
    if atom_site is not None and atom_role is not None:
        todo &= ~_exchange_room(counts, np.asarray(atom_site)[keep],
                                np.asarray(atom_role)[keep], groups, sets)
        if not todo.any():
            return []
    # cheap room: vertices under random objectives, then objectives that push all the
    # cells still in doubt up (or down) at once; a cell that moves by 1 has room
    seen_min = values.copy()
    seen_max = values.copy()
    # the same from whole-number solutions only: room a reader cannot rule out
    whole_min = values.copy()
    whole_max = values.copy()
    candidates = todo.copy()  # cells that need room, by any witness
    rng = np.random.default_rng(seed)

    def note_whole(x):
        nonlocal whole_min, whole_max
        x = np.asarray(x)
        if len(x) and np.abs(x - np.round(x)).max() < 1e-6:
            got = sets @ np.round(x).reshape(a, o)
            whole_min = np.minimum(whole_min, got)
            whole_max = np.maximum(whole_max, got)

    def witness(cost, maximize=False):
        nonlocal todo, seen_min, seen_max
        x = solve(cost.ravel(), maximize)[1]
        note_whole(x)
        got = sets @ x.reshape(a, o)
        seen_min = np.minimum(seen_min, got)
        seen_max = np.maximum(seen_max, got)
        # the data's own (whole) value is one end: a range of 1 holds a second whole value
        todo &= ~(seen_max - seen_min > 1 - _TOL)

    for _ in range(witnesses):
        if not todo.any():
            break
        witness(rng.standard_normal((a, o)))
    for _ in range(4 * witnesses):
        before = int(todo.sum())
        if not before:
            break
        weights = np.where(todo, rng.uniform(0.5, 1.5, todo.shape), 0.0)
        push = sets.T @ weights  # atoms x options
        witness(push, maximize=True)
        witness(push)
        if int(todo.sum()) == before:
            break
    leaks: list[IntervalLeak] = []
    pinned: set[tuple[int, int]] = set()
    duals: dict[tuple[int, int], tuple] = {}

    def bound_groups(s_idx, opt):
        """Shown groups whose constraints bind at the cell's real-valued bounds (their
        duals), else every shown group that meets the set."""
        if (s_idx, opt) not in duals:
            c = np.kron(sets[s_idx], eye_o[opt])
            duals[s_idx, opt] = (solve(c), solve(c, maximize=True))
        used: set[int] = set()
        for res in duals[s_idx, opt]:
            marg = res[2][:n_group_rows].reshape(-1, m)
            used.update(int(shown_rows[g]) for r in np.flatnonzero(
                np.abs(marg).max(axis=1) > 1e-9) for g in origin[r])
        if not used:
            used = {int(shown_rows[g]) for g in np.flatnonzero(groups @ sets[s_idx] > 0)}
        return tuple(sorted(used))

    def leak(s_idx, opt):
        leaks.append(IntervalLeak(item=str(item), option=options[opt],
                                  what=protected[s_idx][0],
                                  value=int(round(values[s_idx, opt])),
                                  groups=bound_groups(s_idx, opt)))

    for s_idx, opt in zip(*np.nonzero(todo)):
        c = np.kron(sets[s_idx], eye_o[opt])
        low, high = solve(c), solve(c, maximize=True)
        duals[s_idx, opt] = (low, high)
        note_whole(low[1])
        note_whole(high[1])
        if np.floor(high[0] + _TOL) > np.ceil(low[0] - _TOL):
            continue  # at least two values are possible in the relaxation
        pinned.add((s_idx, opt))
        leak(s_idx, opt)
    # counts are whole numbers: a cell whose room came only from fractional solutions is
    # solved again in whole numbers (HiGHS branch and bound), its smallest value, then
    # its largest; every whole-number solution found is a witness for every cell
    whole = None
    for s_idx, opt in zip(*np.nonzero(candidates)):
        if (s_idx, opt) in pinned or whole_max[s_idx, opt] - whole_min[s_idx, opt] > 1 - _TOL:
            continue
        if whole is None:
            whole = build(integer_seconds)
        c = np.kron(sets[s_idx], eye_o[opt])
        for maximize in (False, True):
            note_whole(whole.solve(c, maximize=maximize)[1])
            if whole_max[s_idx, opt] - whole_min[s_idx, opt] > 1 - _TOL:
                break
        else:
            leak(s_idx, opt)  # one whole value, or none other found in time
    return leaks


def composition_pins(truth: np.ndarray, low: np.ndarray, high: np.ndarray,
                     rows: np.ndarray, row_low: np.ndarray, row_high: np.ndarray,
                     protected: np.ndarray, *, witnesses: int = 2, seed: int = 0,
                     integer_seconds: float = 10.0) -> np.ndarray:
    """Which protected sets' numbers of people the published participant counts pin.

    The participant counts are one more family of linked figures, read with the bounds
    their labels give: a shown count is an equality, "<k" says 0 to ``k - 1`` (or 1 to
    ``k - 1`` for a group known to have people), "hidden" says ``k`` or more, "0" says
    none. A site's "<5" peer workers can then be pinned although no subtraction gives
    it: one site of a sector labelled "<5" and the others "0", beside the sector's
    published count of that role, is that count. This asks, for each protected set,
    whether two whole-number tables that agree with every published figure give it
    different sizes.

    Parameters
    ----------
    truth : numpy.ndarray of int, shape (a,)
        People in each atom (site x role, empty ones included): a solution, and a witness.
    low, high : numpy.ndarray, shape (a,)
        Bounds of each atom's count as a reader reads them (``numpy.inf`` for none).
    rows : numpy.ndarray of bool, shape (g, a)
        Published groups of several atoms.
    row_low, row_high : numpy.ndarray, shape (g,)
        Bounds of each such group's count (equal for a shown count).
    protected : numpy.ndarray of bool, shape (s, a)
        Sets whose size must keep room (small atoms, small pairs of one site, small hidden
        groups).
    witnesses : int
        Solutions under random objectives tried before the exact bounds.
    seed : int
        Seed of the random objectives (the answer is the same on every run).
    integer_seconds : float
        Time limit (seconds) of each whole-number programme; a set not settled in time
        counts as pinned.

    Returns
    -------
    numpy.ndarray of bool, shape (s,)
        True where every whole-number solution gives the set the same size.

    Raises
    ------
    RuntimeError
        When the solver finds no solution although ``truth`` is one (a bug).

    Notes
    -----
    The published groups are sites, sectors, roles, roles within sectors and the whole
    study: two nested (laminar) families, whose constraint matrix is totally unimodular,
    so the vertices of the linear relaxation are whole numbers. The work is that of
    :func:`interval_leaks`: one linear programme (HiGHS, re-solved per objective) gives
    most sets two whole-number sizes from a few vertices, the rest get their two exact
    bounds; only a set whose room came from a fractional solution is solved again in
    whole numbers.
    """
    truth = np.asarray(truth, dtype=float)
    sets = np.asarray(protected, dtype=float).reshape(-1, len(truth))
    pinned = np.zeros(len(sets), dtype=bool)
    if not len(sets):
        return pinned
    from scipy.sparse import csr_matrix

    a = len(truth)
    rows = np.asarray(rows, dtype=float).reshape(-1, a)
    lower = np.asarray(low, dtype=float)
    # no count is more than the study's published total: every programme is bounded
    upper = np.minimum(np.asarray(high, dtype=float), truth.sum())
    if not len(rows):  # HiGHS wants a row: a free one changes nothing
        rows, row_low, row_high = np.zeros((1, a)), [-np.inf], [np.inf]
    args = (csr_matrix(rows), np.asarray(row_low, dtype=float), upper)
    kwargs = {"lower": lower, "row_upper": np.asarray(row_high, dtype=float)}
    model = _Model(*args, **kwargs)
    seen_min = seen_max = sets @ truth

    def note(x) -> None:
        nonlocal seen_min, seen_max
        x = np.asarray(x)
        if len(x) and np.abs(x - np.round(x)).max() < 1e-6:  # a whole-number table
            got = sets @ np.round(x)
            seen_min, seen_max = np.minimum(seen_min, got), np.maximum(seen_max, got)

    rng = np.random.default_rng(seed)
    for _ in range(witnesses):
        note(model.solve(rng.standard_normal(a))[1])
    for _ in range(4 * witnesses):  # push every set still without room up, then down
        todo = seen_max - seen_min < 0.5
        if not todo.any():
            break
        push = sets[todo].T @ rng.uniform(0.5, 1.5, int(todo.sum()))
        note(model.solve(push, maximize=True)[1])
        note(model.solve(push)[1])
        if int((seen_max - seen_min < 0.5).sum()) == int(todo.sum()):
            break
    whole = None
    for i in np.flatnonzero(seen_max - seen_min < 0.5):
        low_end, x_low, _ = model.solve(sets[i])
        high_end, x_high, _ = model.solve(sets[i], maximize=True)
        note(x_low)
        note(x_high)
        if seen_max[i] - seen_min[i] > 0.5:
            continue
        if np.floor(high_end + _TOL) <= np.ceil(low_end - _TOL):
            pinned[i] = True  # one whole value even in the relaxation
            continue
        if whole is None:
            whole = _Model(*args, integer_seconds=integer_seconds, **kwargs)
        for maximize in (False, True):
            note(whole.solve(sets[i], maximize=maximize)[1])
        pinned[i] = seen_max[i] - seen_min[i] < 0.5
    return pinned


def _sparse_span(groups: np.ndarray) -> tuple[np.ndarray, list[list[int]]]:
    """The same constraints as the shown groups, in fewer and sparser rows.

    A reader who knows the figures of everyone (a row of all atoms) and of "all other
    sites" knows the site's too: every figure is a sum over atoms, so any row can be
    replaced by its complement once a row of all atoms is shown, without changing what
    the figures pin. Rows holding more than half the atoms are so replaced, then rows
    that are the same are kept once. "All other sites" rows are nearly full, so this
    takes most of the nonzeros out of the linear programmes.

    Returns
    -------
    (numpy.ndarray, list of list of int)
        The rows for the linear programmes (0/1, shape (r, atoms)), and for each the
        original rows it stands for (a complement stands for the row and the full one),
        so that a bound's binding rows can be named as published groups.
    """
    rows = np.asarray(groups, dtype=float).copy()
    origin = [[i] for i in range(len(rows))]
    full = np.flatnonzero(rows.all(axis=1))
    if len(full):
        f = int(full[0])
        for i in np.flatnonzero(rows.sum(axis=1) > rows.shape[1] / 2):
            if not rows[i].all():
                rows[i] = 1.0 - rows[i]
                origin[i] = [int(i), f]
    seen: dict[bytes, int] = {}
    keep: list[int] = []
    merged: list[list[int]] = []
    for i, row in enumerate(rows):
        key = row.astype(bool).tobytes()
        if key in seen:
            merged[seen[key]] = sorted(set(merged[seen[key]]) | set(origin[i]))
            continue
        seen[key] = len(keep)
        keep.append(i)
        merged.append(list(origin[i]))
    return rows[keep], merged


def _own_pins(published: np.ndarray, group_n: np.ndarray, pub: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """What each shown group's own figures say of its counts: (zero, everyone), each of
    shape (groups, options), True where the group's count of the option can only be 0
    (or only its n) given its n and its published measures.

    The group's counts ``x >= 0`` with ``sum(x) = n`` and ``x @ pub = published`` form a
    polytope whose vertices are basic solutions: ``m + 1`` options solved for, the others
    0. Every vertex is enumerated (for a 1-4 scale with a mean and SD: 4 systems of 3
    equations per group; with the top-score count too, one system of 4, whose solution is
    the group's whole distribution), and a count is pinned when it has the same value at
    every feasible vertex.
    """
    from itertools import combinations

    g, m = published.shape
    o = pub.shape[0]
    rhs = np.column_stack([group_n, published])  # g x (m+1)
    lo = np.full((g, o), np.inf)
    hi = np.full((g, o), -np.inf)
    design = np.vstack([np.ones(o), pub.T])  # (m+1) x o
    for basis in combinations(range(o), min(m + 1, o)):
        sub = design[:, basis]
        if sub.shape[0] != sub.shape[1] or abs(np.linalg.det(sub)) < 1e-12:
            continue
        sol = np.linalg.solve(sub, rhs.T).T  # g x len(basis)
        ok = (sol > -1e-7).all(axis=1)
        x = np.zeros((g, o))
        x[:, basis] = sol
        lo = np.where(ok[:, None], np.minimum(lo, x), lo)
        hi = np.where(ok[:, None], np.maximum(hi, x), hi)
    found = np.isfinite(lo)
    return (found & (hi < 1 - 1e-7)), (found & (lo > group_n[:, None] - 1 + 1e-7))


def score_counts(data: pd.DataFrame, atoms: pd.DataFrame, scale: list[int], *,
                 value: str = "importance") -> tuple[dict[str, np.ndarray], list[str]]:
    """Counts of each importance score per atom, for every item (one pass over the table).

    Parameters
    ----------
    data : pandas.DataFrame
        The prepared long table; ``value`` whole scores (missing where not answered).
    atoms : pandas.DataFrame
        :func:`peerlib.disclosure.mask.atoms_table`.
    scale : list of int
        The scale's scores (the codebook's importance codes); scores in the data outside
        it are added, so every answer is counted.

    Returns
    -------
    (dict of str to numpy.ndarray, list of str)
        As :func:`answer_counts`: item -> counts of shape (atoms, scores), and the scores
        as text in ascending order.
    """
    scores = pd.to_numeric(data[value], errors="coerce")
    levels = sorted({int(v) for v in scale} | {int(v) for v in scores.dropna().unique()})
    codes = pd.Categorical(scores.astype("Int64").astype("string"),
                           categories=[str(v) for v in levels])
    return answer_counts(data.assign(_score=codes), atoms, response="_score")


def score_measures(scores: list[float]) -> np.ndarray:
    """What the reports publish of a group's counts of each importance score (with its n).

    Parameters
    ----------
    scores : list of float
        The scale's scores, in the order of the count columns (:func:`score_counts`).

    Returns
    -------
    numpy.ndarray, shape (scores, 3) or (scores, scores + 1)
        Per score, its weight in the sum of scores and in the sum of squared scores (a
        mean and an SD, or its confidence interval, with n give both) and in the count of
        the top score (the sector comparison's "Extremely important"). Every shown group
        is taken to publish all three (conservative: some tables print only the mean).
        On a scale of four scores these with n fix a group's whole distribution, and so
        its median. On a longer scale they do not, and a median would tell a reader more
        (1, 3, 3, 3 and 2, 2, 2, 4 on a 1-5 scale share n, mean, SD and top count, not
        the median): the count of every score but the lowest and the top one is then
        added, so that the reader is taken to know each shown group's whole distribution
        there too (conservative: medians, quartiles and anything else a table prints of
        the scores follow from it).
    """
    w = np.asarray(scores, dtype=float)
    top = (w == w.max()).astype(float) if len(w) else w
    moments = np.column_stack([w, w ** 2, top])
    if len(w) <= 4:
        return moments
    return np.column_stack([moments, np.eye(len(w))[:, 1:-1]])


def _exchange_room(counts: np.ndarray, atom_site: np.ndarray, atom_role: np.ndarray,
                   groups: np.ndarray, sets: np.ndarray) -> np.ndarray:
    """Cells of protected sets that an exchange moves by one whole answer.

    An exchange between sites s1 and s2, roles r1 and r2 and answers o1 and o2 adds one
    answer o1 and takes one answer o2 from the cell (s1, r1), does the opposite at (s1, r2)
    and (s2, r1), and the same again at (s2, r2): every site's and every role's count of
    every answer, and every cell's size, stay as they were. So when every published group
    is a union of whole sites or one role at every site, no published figure changes while
    the set's count (a set of cells of site s1 holding r1 but not r2) moves by one: it is
    not pinned. This is the basic move of three-way tables with fixed two-way margins
    (Diaconis and Sturmfels 1998), used here only as a cheap witness; cells without one go
    on to the linear programmes.

    Returns
    -------
    numpy.ndarray of bool, shape (sets, options)
        True where such an exchange exists (in either direction).
    """
    n_sets, o = sets.shape[0], counts.shape[1]
    room = np.zeros((n_sets, o), dtype=bool)
    site_codes, site_index = np.unique(atom_site.astype(str), return_inverse=True)
    role_codes, role_index = np.unique(atom_role.astype(str), return_inverse=True)
    n_s, n_r = len(site_codes), len(role_codes)
    # the exchanges keep a group's totals only when it is whole sites or one whole role
    member = groups.astype(bool)
    site_onehot = np.eye(n_s, dtype=float)[site_index]  # atoms x sites
    role_onehot = np.eye(n_r, dtype=bool)[role_index]  # atoms x roles
    per_site = member.astype(float) @ site_onehot  # groups x sites
    whole_sites = np.all((per_site == 0) | (per_site == site_onehot.sum(axis=0)), axis=1)
    whole_role = np.array([any(np.array_equal(row, role_onehot[:, r]) for r in range(n_r))
                           for row in member[~whole_sites]], dtype=bool)
    if not whole_role.all():
        return room
    table = np.zeros((n_s, n_r, o))
    table[site_index, role_index] = counts
    present = table > 0
    # pairs[r1, r2, o1, o2]: sites with answer o1 in role r1 and answer o2 in role r2
    pairs = np.einsum("sac,sbd->abcd", present.astype(np.int64), present.astype(np.int64))
    other_option = ~np.eye(o, dtype=bool)  # o1 x o2, o2 != o1
    for i in range(n_sets):
        atoms = np.flatnonzero(sets[i])
        sites_of = np.unique(site_index[atoms])
        if len(sites_of) != 1 or n_s < 2:
            continue
        s1 = int(sites_of[0])
        inside = np.zeros(n_r, dtype=bool)
        inside[role_index[atoms]] = True
        if inside.all():
            continue
        here = present[s1]  # roles x options
        # the same pairs at the other sites only
        others = pairs - (here[:, None, :, None] & here[None, :, None, :])
        rows = np.ix_(inside, ~inside)
        # up: (s1, r1) gains o1 and loses o2, (s1, r2) the opposite, (s2, .) mirrored
        up = (here[:, None, None, :] & here[None, :, :, None] & (others > 0))[rows]
        # down: the same exchange the other way round
        down = (here[:, None, :, None] & here[None, :, None, :]
                & (others.transpose(0, 1, 3, 2) > 0))[rows]
        room[i] = ((up | down) & other_option).any(axis=(0, 1, 3))
    return room
