"""Explanations a coordinator can check: best-mentor alternatives and unmatched reasons.

All scores needed are computed in batches with the exact pair scorer (BlockScorer.pair_scores).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .candidates import BlockScorer
from .model import (
    FACTORS,
    HARD_RULES,
    REASON_NEEDED_BY_OTHERS,
    REASON_NO_FEASIBLE,
    Alternative,
    FactorContribution,
    Proposal,
    UnmatchedMentee,
)

TIE = 1e-12  # scores this close are equal: she got one of her best mentors


class BlockExplainer:
    """Explains one block's assignment.

    ptr/cols/scores: per mentee row, her candidate mentors sorted best first (the top-k plus any
    edges added for cardinality); her best-scoring feasible mentor is always the first (a
    mentee's top_k always holds it). assigned: mentor per row or -1. capacity: remaining slots.
    """

    def __init__(
        self,
        scorer: BlockScorer,
        ptr: np.ndarray,
        cols: np.ndarray,
        scores: np.ndarray,
        assigned: np.ndarray,
        capacity: np.ndarray,
        confirmed_holders: Mapping[int, tuple[str, ...]],
    ) -> None:
        self.scorer = scorer
        self.ptr, self.cols, self.scores = ptr, cols, scores
        self.assigned = assigned
        self.capacity = capacity
        self.confirmed_holders = confirmed_holders
        self.load = np.bincount(assigned[assigned >= 0], minlength=scorer.m)
        self.holders: dict[int, list[int]] = {}
        for row in np.nonzero(assigned >= 0)[0]:
            self.holders.setdefault(int(assigned[row]), []).append(int(row))

    def _first_free(self) -> np.ndarray:
        """Per row: her best candidate mentor with free capacity, other than her own; -1."""
        n = self.scorer.n
        edge_rows = np.repeat(np.arange(n), np.diff(self.ptr))
        ok = (self.load[self.cols] < self.capacity[self.cols]) & (
            self.cols != self.assigned[edge_rows]
        )
        idx = np.flatnonzero(ok)
        pos = np.searchsorted(idx, self.ptr[:-1])
        out = np.full(n, -1, np.int64)
        has = pos < len(idx)
        has[has] = idx[pos[has]] < self.ptr[1:][has]
        out[has] = idx[pos[has]]
        return out  # an edge index

    def proposals(self, rows: np.ndarray) -> list[Proposal]:
        """Proposals for matched rows, with contributions and best-mentor alternatives."""
        sc = self.scorer
        mentors, mentees = sc.mentors, sc.mentees
        own_cols = self.assigned[rows]
        values = sc.pair_factor_values(rows, own_cols)
        own = sc.pair_scores(rows, own_cols)
        weights = sc.weights
        best_j = self.cols[self.ptr[rows]]
        best_s = self.scores[self.ptr[rows]]
        need = best_s > own + TIE

        # (proposal t, holder x) pairs for every mentee who did not get her best mentor
        t_idx, x_idx = [], []
        for t in np.nonzero(need)[0]:
            for x in self.holders.get(int(best_j[t]), []):
                t_idx.append(int(t))
                x_idx.append(x)
        t_arr = np.array(t_idx, np.int64)
        x_arr = np.array(x_idx, np.int64)
        m_arr, b_arr = own_cols[t_arr], best_j[t_arr]
        s_xb = sc.pair_scores(x_arr, b_arr)
        s_xm = sc.pair_scores(x_arr, m_arr)
        swap_ok = sc.pair_feasible(x_arr, m_arr)
        first_free = self._first_free()
        free_edge = first_free[x_arr]
        free_ok = free_edge >= 0
        free_col = np.where(free_ok, self.cols[np.maximum(free_edge, 0)], -1)
        free_s = np.where(free_ok, self.scores[np.maximum(free_edge, 0)], 0.0)
        free_ok &= free_col != m_arr  # moving to her mentor is the swap

        best: dict[int, tuple] = {}
        for q in range(len(t_arr)):
            t = int(t_arr[q])
            gain = float(best_s[t] - own[t] - s_xb[q])
            moves = []
            if swap_ok[q]:
                moves.append((gain + float(s_xm[q]), 1, "swap", int(m_arr[q])))
            if free_ok[q]:
                moves.append((gain + float(free_s[q]), 0, "displace", int(free_col[q])))
            x_id = mentees[x_arr[q]].participant_id
            if moves:
                delta, _, kind, to = max(moves)
                key = (1, delta, x_id)
                alt = (kind, x_id, mentors[to].participant_id, delta)
            else:
                key = (0, gain, x_id)
                alt = ("displace_unmatched", x_id, None, gain)
            # keep-everyone-matched first, then the largest delta, then the smallest holder id
            if t not in best or _better(key, best[t][0]):
                best[t] = (key, alt)

        out = []
        value_rows = np.stack(values, axis=1).tolist()  # Python floats: much faster below
        weight_list = [float(w) for w in weights]
        factor_weights = list(zip(FACTORS, weight_list, strict=True))
        own_list, own_cols_list = own.tolist(), own_cols.tolist()
        for t, row in enumerate(rows.tolist()):
            contributions = tuple(
                [
                    FactorContribution(f, v, w, w * v)
                    for (f, w), v in zip(factor_weights, value_rows[t], strict=True)
                ]
            )
            alternative = None
            if need[t]:
                b_id = mentors[int(best_j[t])].participant_id
                if t in best:
                    kind, x_id, to_id, delta = best[t][1]
                    alternative = Alternative(b_id, float(best_s[t]), x_id, kind, to_id, delta)
                else:  # her best mentor has room: only possible with near-ties
                    alternative = Alternative(
                        b_id, float(best_s[t]), "", "unused", None, float(best_s[t] - own[t])
                    )
            out.append(
                Proposal(
                    mentees[row].participant_id,
                    mentors[own_cols_list[t]].participant_id,
                    own_list[t],
                    contributions,
                    alternative,
                )
            )
        return out

    def unmatched(self, i: int, rule_fail_counts: np.ndarray, feasible_count: int):
        mentee = self.scorer.mentees[i]
        eliminated = {
            rule: int(rule_fail_counts[k])
            for k, rule in enumerate(HARD_RULES)
            if rule_fail_counts[k] > 0
        }
        if feasible_count == 0:
            return UnmatchedMentee(
                mentee.participant_id, REASON_NO_FEASIBLE, self.scorer.m, eliminated, 0
            )
        top = [int(j) for j in self.cols[self.ptr[i] : self.ptr[i + 1]][:5]]
        ids = tuple(self.scorer.mentors[j].participant_id for j in top)
        holders = {}
        for j in top:
            held = tuple(
                self.scorer.mentees[x].participant_id for x in self.holders.get(j, [])
            ) + tuple(self.confirmed_holders.get(j, ()))
            holders[self.scorer.mentors[j].participant_id] = tuple(sorted(held))
        return UnmatchedMentee(
            mentee.participant_id,
            REASON_NEEDED_BY_OTHERS,
            self.scorer.m,
            eliminated,
            int(feasible_count),
            ids,
            holders,
        )


def _better(key: tuple[int, float, str], prev: tuple[int, float, str]) -> bool:
    """Everyone-stays-matched first, then the larger delta, then the smaller holder id."""
    if key[0] != prev[0]:
        return key[0] > prev[0]
    if key[1] != prev[1]:
        return key[1] > prev[1]
    return key[2] < prev[2]
