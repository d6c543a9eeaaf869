"""Disclosure control: which published figures describe too few people to be shown
(small-cell suppression, primary and secondary)."""
from __future__ import annotations

from .suppression import (DEFAULT_MIN_GROUP_SIZE, check_min_group_size, hidden_cells,
                          mask_small_counts, small_group_label, suppress_small_groups)

__all__ = ["DEFAULT_MIN_GROUP_SIZE", "check_min_group_size", "hidden_cells",
           "mask_small_counts", "small_group_label", "suppress_small_groups"]
