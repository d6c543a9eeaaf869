"""Disclosure control: which published figures describe too few people to be shown
(small-cell suppression, primary and secondary), decided once for the whole batch.

- :mod:`.policy`: the policies (``default``, ``nhs``) as data;
- :mod:`.mask`: one mask for every report of a batch (:func:`batch_mask`), read by every
  table, chart, download and quote attribution through :class:`DisclosureMask`;
- :mod:`.suppression`: the single-table helpers (primary suppression of a result table).
"""
from __future__ import annotations

from .mask import (MASK_COLUMNS, STATISTICS, DisclosureMask, atoms_table, batch_mask,
                   catalogue, importance_scale, protect, read_mask, union_key, write_mask)
from .policy import (DEFAULT_POLICY, POLICIES, SECONDARY_LABEL, DisclosurePolicy, get_policy,
                     policy_from_parameters, policy_parameters)
from .suppression import (DEFAULT_MIN_GROUP_SIZE, check_min_group_size, hidden_cells,
                          mask_small_counts, small_group_label, suppress_small_groups)

__all__ = ["DEFAULT_MIN_GROUP_SIZE", "check_min_group_size", "hidden_cells",
           "mask_small_counts", "small_group_label", "suppress_small_groups",
           "DisclosurePolicy", "POLICIES", "DEFAULT_POLICY", "SECONDARY_LABEL", "get_policy",
           "policy_parameters", "policy_from_parameters",
           "MASK_COLUMNS", "STATISTICS", "DisclosureMask", "atoms_table", "batch_mask",
           "catalogue", "importance_scale", "protect", "read_mask", "union_key",
           "write_mask"]
