"""Guarantee of maximum cardinality beyond the top-k candidate graph.

A mentee whose feasible mentors all sit outside her top-k (or whose only route to a mentor needs
other mentees to move to mentors outside THEIR top-k) would be lost by a top-k graph alone. By
Berge's theorem a matching is maximum iff it has no augmenting path, so we search the FULL
feasible graph (rows scored on the fly with the vectorised scorer, never stored densely) for
augmenting paths from all unmatched mentees at once (one alternating BFS forest per phase, phases
until none is left). The edges of the paths are added to the candidate graph, which then holds a
maximum-cardinality matching, and the exact solver runs once more on it.
"""

from __future__ import annotations

import numpy as np

from .candidates import BlockScorer


def find_augmenting_edges(
    scorer: BlockScorer, assigned: np.ndarray, capacity: np.ndarray, roots: np.ndarray
) -> list[tuple[int, int]]:
    """Edges (row, mentor) that, added to the candidate graph, let it hold a matching of maximum
    cardinality over the full feasible graph. `roots`: unmatched rows that have feasible mentors.

    Hopcroft-Karp style phases on a private copy of the assignment: each phase finds augmenting
    paths by one BFS forest, applies the vertex-disjoint ones, and records their edges; phases
    repeat until no augmenting path is left. Empty when the assignment is already maximum.
    """
    assigned = np.array(assigned, np.int64)
    roots = [int(r) for r in roots]
    edges: list[tuple[int, int]] = []
    while roots:
        paths = _augmenting_paths(scorer, assigned, capacity, np.array(roots, np.int64))
        if not paths:
            break
        for path in paths:
            for row, col in path:
                assigned[row] = col
            edges.extend(path)
        roots = [r for r in roots if assigned[r] < 0]
    return edges


def _augmenting_paths(scorer, assigned, capacity, roots) -> list[list[tuple[int, int]]]:
    """Vertex-disjoint shortest augmenting paths from `roots`, as lists of (row, new mentor)."""
    n, m = scorer.n, scorer.m
    if len(roots) == 0 or m == 0:
        return []
    load = np.bincount(assigned[assigned >= 0], minlength=m)
    free = load < capacity
    order = np.argsort(assigned, kind="stable")
    sorted_assigned = assigned[order]
    # rows matched to mentor j: order[lo[j]:hi[j]]
    lo = np.searchsorted(sorted_assigned, np.arange(m), side="left")
    hi = np.searchsorted(sorted_assigned, np.arange(m), side="right")

    visited_row = np.zeros(n, bool)
    visited_col = np.zeros(m, bool)
    parent_of_col = np.full(m, -1, np.int64)  # the row whose edge reached this mentor
    visited_row[roots] = True
    frontier = np.asarray(roots, np.int64)
    found: list[int] = []
    while len(frontier) and not found:
        next_rows: list[np.ndarray] = []
        for rows in scorer.row_chunks(frontier):
            feasible, _ = scorer.feasibility(rows)
            for k, row in enumerate(rows):
                new = np.nonzero(feasible[k] & ~visited_col)[0]
                if len(new) == 0:
                    continue
                visited_col[new] = True
                parent_of_col[new] = row
                found.extend(int(j) for j in new[free[new]])
                for j in new:
                    matched_rows = order[lo[j] : hi[j]]
                    matched_rows = matched_rows[~visited_row[matched_rows]]
                    if len(matched_rows):
                        visited_row[matched_rows] = True
                        next_rows.append(matched_rows)
        frontier = np.concatenate(next_rows) if next_rows else np.zeros(0, np.int64)

    paths: list[list[tuple[int, int]]] = []
    used_rows: set[int] = set()
    used_cols: set[int] = set()
    for j in found:
        path, cols, row, col = [], [j], int(parent_of_col[j]), j
        while True:
            path.append((row, col))
            if assigned[row] < 0:  # reached a root
                break
            col = int(assigned[row])
            cols.append(col)
            row = int(parent_of_col[col])
        rows = {r for r, _ in path}
        if rows & used_rows or set(cols) & used_cols:
            continue  # shares a vertex with a path already taken in this phase
        used_rows |= rows
        used_cols |= set(cols)
        paths.append(path)
    return paths
