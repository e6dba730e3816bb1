"""Exact assignment on a sparse candidate graph.

Mentors with capacity c become c identical "slot" columns. Every mentee row also gets a private
dummy column meaning "unmatched". With U = 1 + max_bonus (the largest possible score + bonus):

    cost(mentee i, slot of mentor j) = 1 + U - (score_ij + bonus_i)    (in [1, 1 + U])
    cost(mentee i, her dummy)        = D = n * (1 + U) + 2

scipy's LAPJVsp (min_weight_full_bipartite_matching) gives every row a column at minimum total
cost. Matching one more mentee saves D - cost >= D - (1 + U), which is more than any change in the
sum of scores across all n rows can buy back, so the optimum first maximises the number of matched
mentees and then the total of score + bonus. The bonus is constant per mentee, so it never changes
which mentor a matched mentee gets; it only decides who is matched when not everyone can be.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import maximum_bipartite_matching, min_weight_full_bipartite_matching

SCORE_TOLERANCE = 1e-9


def _slot_edges(rows, cols, capacity):
    """Expand mentor edges to slot edges; returns (rows, slot_cols, edge_index, slot_owner)."""
    capacity = np.maximum(np.asarray(capacity, np.int64), 0)
    slot_start = np.zeros(len(capacity) + 1, np.int64)
    np.cumsum(capacity, out=slot_start[1:])
    slot_owner = np.repeat(np.arange(len(capacity)), capacity)
    reps = capacity[cols]
    edge_index = np.repeat(np.arange(len(rows)), reps)
    # offset of each repeated edge within its mentor's slots
    first = np.repeat(np.cumsum(reps) - reps, reps)
    offset = np.arange(len(edge_index)) - first
    slot_cols = slot_start[cols][edge_index] + offset
    return rows[edge_index], slot_cols, edge_index, slot_owner, int(slot_start[-1])


def solve(
    n_rows: int,
    rows: np.ndarray,
    cols: np.ndarray,
    scores: np.ndarray,
    bonus: np.ndarray,
    capacity: np.ndarray,
) -> np.ndarray:
    """Max-cardinality, then max sum(score + bonus) assignment. Returns mentor per row or -1.

    (rows, cols) must be unique pairs. capacity: remaining slots per mentor.
    """
    assigned = np.full(n_rows, -1, np.int64)
    if n_rows == 0 or len(rows) == 0:
        return assigned
    rows = np.asarray(rows, np.int64)
    cols = np.asarray(cols, np.int64)
    s_rows, s_cols, edge, owner, n_slots = _slot_edges(rows, cols, capacity)
    if len(s_rows) == 0:
        return assigned
    # Drop slots without edges: LAPJVsp does O(columns) work per augmentation.
    used, s_cols = np.unique(s_cols, return_inverse=True)
    owner, n_slots = owner[used], len(used)
    upper = 1.0 + float(np.max(bonus, initial=0.0))
    dummy_cost = n_rows * (1.0 + upper) + 2.0
    cost = 1.0 + upper - (np.asarray(scores, np.float64)[edge] + bonus[s_rows])
    if _has_full_matching(n_rows, s_rows, s_cols, n_slots):
        # Everyone can be matched: dummies cannot be part of the optimum, and LAPJVsp is
        # markedly faster without them.
        graph = csr_array((cost, (s_rows, s_cols)), shape=(n_rows, n_slots))
        graph.sort_indices()
        r, c = min_weight_full_bipartite_matching(graph)
        assigned[r] = owner[c]
        return assigned
    all_rows = np.concatenate([s_rows, np.arange(n_rows)])
    all_cols = np.concatenate([s_cols, n_slots + np.arange(n_rows)])
    all_cost = np.concatenate([cost, np.full(n_rows, dummy_cost)])
    graph = csr_array((all_cost, (all_rows, all_cols)), shape=(n_rows, n_slots + n_rows))
    graph.sort_indices()  # deterministic layout regardless of how the edges were gathered
    r, c = min_weight_full_bipartite_matching(graph)
    real = c < n_slots
    assigned[r[real]] = owner[c[real]]
    return assigned


def _has_full_matching(n_rows, s_rows, s_cols, n_slots) -> bool:
    if n_slots < n_rows or len(np.unique(s_rows)) < n_rows:
        return False
    graph = csr_array((np.ones(len(s_rows), np.int8), (s_rows, s_cols)), shape=(n_rows, n_slots))
    return bool((maximum_bipartite_matching(graph, perm_type="column") >= 0).all())


def max_cardinality(n_rows: int, rows: np.ndarray, cols: np.ndarray, capacity: np.ndarray) -> int:
    """Size of a maximum matching (Hopcroft-Karp on the slot-expanded graph)."""
    if n_rows == 0 or len(rows) == 0:
        return 0
    s_rows, s_cols, _, _, n_slots = _slot_edges(
        np.asarray(rows, np.int64), np.asarray(cols, np.int64), capacity
    )
    if len(s_rows) == 0:
        return 0
    graph = csr_array((np.ones(len(s_rows), np.int8), (s_rows, s_cols)), shape=(n_rows, n_slots))
    match = maximum_bipartite_matching(graph, perm_type="column")
    return int((match >= 0).sum())


def solve_fair(
    n_rows: int,
    rows: np.ndarray,
    cols: np.ndarray,
    scores: np.ndarray,
    bonus: np.ndarray,
    capacity: np.ndarray,
    cardinality: int,
) -> tuple[np.ndarray, float | None]:
    """Fairness mode: among maximum-cardinality matchings, maximise the lowest matched score
    (bottleneck), then the sum of score + bonus among those.

    Binary search over the distinct edge scores for the largest threshold t such that the edges
    with score >= t still admit a matching of `cardinality` mentees; then solve() on the edges
    with score >= t - SCORE_TOLERANCE.
    Returns (assignment, t).
    """
    if cardinality == 0:
        return np.full(n_rows, -1, np.int64), None
    levels = np.unique(scores)  # ascending
    lo, hi = 0, len(levels) - 1  # levels[lo] always feasible (all edges)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        keep = scores >= levels[mid]
        if max_cardinality(n_rows, rows[keep], cols[keep], capacity) >= cardinality:
            lo = mid
        else:
            hi = mid - 1
    threshold = float(levels[lo])
    # Scores within SCORE_TOLERANCE of the bottleneck count as equal to it (float noise must
    # not decide who is matched; the total then breaks the tie).
    keep = scores >= threshold - SCORE_TOLERANCE
    assigned = solve(n_rows, rows[keep], cols[keep], scores[keep], bonus, capacity)
    return assigned, threshold
