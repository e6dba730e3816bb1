"""propose_matches: the engine's entry point (pure function of its input)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np

from .assignment import solve, solve_fair
from .augmenting import find_augmenting_edges
from .candidates import BlockScorer, build_candidates, sort_edges
from .explain import BlockExplainer
from .model import (
    HARD_RULES,
    MODE_FAIRNESS,
    MODE_MAX_TOTAL,
    REASON_NO_FEASIBLE,
    BlockKey,
    MatchingInput,
    MatchingResult,
    Mentee,
    Mentor,
    Proposal,
    UnmatchedMentee,
)

Progress = Callable[[str, int, int], None]


def waiting_bonus(mentees: list[Mentee], weight: float) -> np.ndarray:
    """weight x (how long she has waited, scaled so the longest wait in the block is 1 and the
    shortest 0). Mentees without waiting_since get 0."""
    bonus = np.zeros(len(mentees))
    stamps = [(i, p.waiting_since.timestamp()) for i, p in enumerate(mentees) if p.waiting_since]
    if weight <= 0 or len(stamps) < 2:
        return bonus
    values = np.array([t for _, t in stamps])
    newest, oldest = values.max(), values.min()
    if newest == oldest:
        return bonus
    idx = np.array([i for i, _ in stamps])
    bonus[idx] = weight * (newest - values) / (newest - oldest)
    return bonus


def _merge_edges(rows, cols, scores, new_rows, new_cols, new_scores, m):
    """Union of two edge lists (first occurrence wins), sorted by row, score desc, mentor."""
    rows = np.concatenate([rows, new_rows])
    cols = np.concatenate([cols, new_cols])
    scores = np.concatenate([scores, new_scores])
    _, first = np.unique(rows * max(m, 1) + cols, return_index=True)
    rows, cols, scores = rows[first], cols[first], scores[first]
    return sort_edges(rows, cols, scores)


def _solve_block(
    key: BlockKey,
    mentees: list[Mentee],
    mentors: list[Mentor],
    data: MatchingInput,
    mode: str,
    confirmed_load: dict[str, list[str]],
    progress: Progress | None,
) -> tuple[list[Proposal], list[UnmatchedMentee]]:
    rules = data.rules
    if not mentors:
        return [], [
            UnmatchedMentee(p.participant_id, REASON_NO_FEASIBLE, 0, {}, 0) for p in mentees
        ]
    capacity = np.array(
        [max(p.capacity - len(confirmed_load.get(p.participant_id, ())), 0) for p in mentors],
        np.int64,
    )
    scorer = BlockScorer(mentees, mentors, rules, capacity, data.excluded_pairs)
    n, m = scorer.n, scorer.m
    rows, cols, scores = build_candidates(scorer, rules.top_k, rules.top_k_mentor, progress)
    bonus = waiting_bonus(mentees, rules.waiting_priority_weight)

    if progress is not None:
        progress("assignment", 0, 1)
    assigned = solve(n, rows, cols, scores, bonus, capacity)
    # Add edges along augmenting paths until the graph holds a matching that is maximum over ALL
    # feasible pairs, not just the candidate ones (see augmenting.py), then solve again.
    # Feasibility of unmatched mentees is computed on demand: they are usually few.
    unmatched_rows = np.nonzero(assigned < 0)[0]
    if len(unmatched_rows):
        counts, _ = scorer.feasible_counts(unmatched_rows)
        edges = find_augmenting_edges(scorer, assigned, capacity, unmatched_rows[counts > 0])
        if edges:
            er = np.array([e[0] for e in edges], np.int64)
            ec = np.array([e[1] for e in edges], np.int64)
            es = scorer.pair_scores(er, ec)
            rows, cols, scores = _merge_edges(rows, cols, scores, er, ec, es, m)
            assigned = solve(n, rows, cols, scores, bonus, capacity)
    if mode == MODE_FAIRNESS:
        cardinality = int((assigned >= 0).sum())
        assigned, _ = solve_fair(n, rows, cols, scores, bonus, capacity, cardinality)
    if progress is not None:
        progress("assignment", 1, 1)

    ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=ptr[1:])
    mentor_index = {p.participant_id: j for j, p in enumerate(mentors)}
    confirmed_holders = {
        mentor_index[mid]: tuple(ees) for mid, ees in confirmed_load.items() if mid in mentor_index
    }
    explainer = BlockExplainer(scorer, ptr, cols, scores, assigned, capacity, confirmed_holders)
    if progress is not None:
        progress("explanations", 0, n)
    proposals = explainer.proposals(np.nonzero(assigned >= 0)[0])
    unmatched_rows = np.nonzero(assigned < 0)[0]
    if progress is not None:
        progress("explanations", n, n)
    feasible, rule_counts = scorer.feasible_counts(unmatched_rows)
    unmatched = [
        explainer.unmatched(i, rule_counts[t], int(feasible[t]))
        for t, i in enumerate(unmatched_rows.tolist())
    ]
    return proposals, unmatched


def propose_matches(
    data: MatchingInput, mode: str = MODE_MAX_TOTAL, progress: Progress | None = None
) -> MatchingResult:
    """Propose mentor-mentee pairs for every (partner, programme, cohort) block in `data`.

    mode "max_total": match as many mentees as the hard rules allow, then maximise the sum of
    scores (plus the waiting-priority bonus, which only decides who is matched).
    mode "fairness": match as many as possible, then maximise the lowest matched score, then
    the sum. progress(stage, done, total) is called as work proceeds (optional).
    """
    if mode not in (MODE_MAX_TOTAL, MODE_FAIRNESS):
        raise ValueError(f"unknown mode {mode!r}")
    confirmed_mentees = {a for a, _ in data.confirmed_pairs}
    confirmed_load: dict[str, list[str]] = defaultdict(list)
    for mentee_id, mentor_id in sorted(data.confirmed_pairs):
        confirmed_load[mentor_id].append(mentee_id)

    mentees_by_block: dict[BlockKey, list[Mentee]] = defaultdict(list)
    mentors_by_block: dict[BlockKey, list[Mentor]] = defaultdict(list)
    for p in data.mentees:
        if p.participant_id not in confirmed_mentees:
            mentees_by_block[p.block].append(p)
    for p in data.mentors:
        mentors_by_block[p.block].append(p)

    proposals: list[Proposal] = []
    unmatched: list[UnmatchedMentee] = []
    for key in sorted(mentees_by_block):
        block_mentees = sorted(mentees_by_block[key], key=lambda p: p.participant_id)
        block_mentors = sorted(mentors_by_block.get(key, []), key=lambda p: p.participant_id)
        got, left = _solve_block(
            key, block_mentees, block_mentors, data, mode, confirmed_load, progress
        )
        proposals.extend(got)
        unmatched.extend(left)
    proposals.sort(key=lambda p: p.mentee_id)
    unmatched.sort(key=lambda u: u.mentee_id)
    scores = [p.score for p in proposals]
    return MatchingResult(
        mode=mode,
        proposals=tuple(proposals),
        unmatched=tuple(unmatched),
        total_score=float(sum(scores)),
        min_score=min(scores) if scores else None,
    )


__all__ = ["HARD_RULES", "propose_matches", "waiting_bonus"]
