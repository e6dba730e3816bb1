"""Encoding of one (partner, programme, cohort) block, exact scoring and hard-rule masks.

BlockScorer turns a block's mentees and mentors into arrays (0/1 set matrices, packed bitsets,
area/age codes, rule tables). It scores listed pairs exactly (float64, bit-for-bit equal to
factors.score_pair) and evaluates the hard rules for whole rows in chunks of about CHUNK_CELLS
cells (used for unmatched reasons and the cardinality search). build_candidates gets each
mentee's top-k mentors from the fast float32 scorer in selection.py and rescores them exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .factors import NEUTRAL
from .london_areas import AREA_KEYS, DISTANCE_KM, area_index
from .model import (
    FACTORS,
    HARD_RULES,
    RULE_CONFLICT,
    RULE_EXCLUDED,
    RULE_NO_CAPACITY,
    RULE_NOT_CHECKED,
    RULE_NOT_TRAINED,
    RULE_PARTNERSHIP,
    RULE_PREFERENCE,
    Mentee,
    Mentor,
    Pair,
    ProgrammeRules,
)

CHUNK_CELLS = 1 << 20  # ~1M mentee x mentor cells per chunk: a few MB per buffer

# Distances padded with one extra row/column (index len(AREA_KEYS)) of NaN for unknown areas.
_UNKNOWN = len(AREA_KEYS)
_DISTANCE_PADDED = np.full((_UNKNOWN + 1, _UNKNOWN + 1), np.nan)
_DISTANCE_PADDED[:_UNKNOWN, :_UNKNOWN] = DISTANCE_KM

_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], np.uint8)  # bits set per byte

RULE_COLUMN = {rule: i for i, rule in enumerate(HARD_RULES)}


def _area_codes(people: Sequence[Mentee | Mentor]) -> np.ndarray:
    codes = np.array([area_index(p.area) for p in people], dtype=np.intp)
    codes[codes < 0] = _UNKNOWN
    return codes


def _incidence(sets: Sequence[frozenset[str]], vocab: dict[str, int]) -> np.ndarray:
    """0/1 float32 matrix (people x vocabulary); float32 products of small counts are exact."""
    out = np.zeros((len(sets), max(len(vocab), 1)), dtype=np.float32)
    for i, items in enumerate(sets):
        for item in items:
            out[i, vocab[item]] = 1.0
    return out


def _vocab(*groups: Sequence[frozenset[str]]) -> dict[str, int]:
    words = sorted(set().union(*(s for g in groups for s in g)))
    return {w: i for i, w in enumerate(words)}


def _pair_arrays(pairs: set[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) sorted by row, then column, so a chunk of rows is a contiguous slice."""
    if not pairs:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    arr = np.array(sorted(pairs), dtype=np.intp)
    return arr[:, 0].copy(), arr[:, 1].copy()


class BlockScorer:
    """Encodes one block's mentees and mentors; scores any set of mentee rows against all mentors.

    Mentees and mentors are held in the order given (the caller sorts them by id).
    remaining_capacity: per mentor, capacity minus confirmed matches (0 -> at capacity).
    """

    def __init__(
        self,
        mentees: Sequence[Mentee],
        mentors: Sequence[Mentor],
        rules: ProgrammeRules,
        remaining_capacity: np.ndarray,
        excluded_pairs: frozenset[Pair] = frozenset(),
    ) -> None:
        self.mentees = list(mentees)
        self.mentors = list(mentors)
        self.rules = rules
        self.n, self.m = len(self.mentees), len(self.mentors)
        self.remaining = np.asarray(remaining_capacity, dtype=np.int64)
        w = rules.weights.normalised()
        self.weights = [w[f] for f in FACTORS]
        self._encode_people(excluded_pairs)

    # -- encoding -----------------------------------------------------------------------------

    def _encode_people(self, excluded_pairs: frozenset[Pair]) -> None:
        rules, mentees, mentors = self.rules, self.mentees, self.mentors
        self.ee_area, self.or_area = _area_codes(mentees), _area_codes(mentors)
        self.ee_radius = np.array([max(p.travel_radius_km, 0.0) for p in mentees], np.float64)
        self.or_radius = np.array([max(p.travel_radius_km, 0.0) for p in mentors], np.float64)
        self.ee_online = np.array([p.online_ok for p in mentees], bool) & rules.online_allowed
        self.or_online = np.array([p.online_ok for p in mentors], bool)
        nan = float("nan")
        self.ee_age = np.array([nan if p.age is None else float(p.age) for p in mentees])
        self.or_age = np.array([nan if p.age is None else float(p.age) for p in mentors])

        relevant = [rules.relevant_skills(p) for p in mentees]
        for name, ee_sets, or_sets in (
            ("skills", relevant, [p.skills for p in mentors]),
            ("interests", [p.interests for p in mentees], [p.interests for p in mentors]),
            ("languages", [p.languages for p in mentees], [p.languages for p in mentors]),
            ("availability", [p.availability for p in mentees], [p.availability for p in mentors]),
        ):
            vocab = _vocab(ee_sets, or_sets)
            ee, orr = _incidence(ee_sets, vocab), _incidence(or_sets, vocab)
            setattr(self, f"ee_{name}", ee)
            setattr(self, f"or_{name}T", np.ascontiguousarray(orr.T))
            # packed bitsets for exact per-pair overlaps (popcount of AND)
            setattr(self, f"ee_{name}_bits", np.packbits(ee.astype(bool), axis=1))
            setattr(self, f"or_{name}_bits", np.packbits(orr.astype(bool), axis=1))
            setattr(self, f"ee_{name}_n", np.array([len(s) for s in ee_sets], np.float64))
            setattr(self, f"or_{name}_n", np.array([len(s) for s in or_sets], np.float64))

        # Column-only hard rules.
        self.or_untrained = ~np.array([p.trained for p in mentors], bool)
        self.or_unchecked = ~np.array([p.checked for p in mentors], bool)
        self.or_full = self.remaining <= 0
        self.col_ok = ~(self.or_untrained | self.or_unchecked | self.or_full)

        # Mentee preference (mentor gender). Unknown mentor gender never satisfies a preference.
        genders = sorted(
            {p.gender for p in mentors if p.gender is not None}
            | {p.preferred_mentor_gender for p in mentees if p.preferred_mentor_gender}
        )
        gcode = {g: i for i, g in enumerate(genders)}
        self.ee_pref = np.array(
            [gcode.get(p.preferred_mentor_gender, -1) for p in mentees], np.intp
        )
        self.or_gender = np.array([gcode.get(p.gender, -2) for p in mentors], np.intp)

        # School-employer partnership as a (schools + 1) x (employers + 1) table; the extra
        # row/column (no school / no employer) is all False.
        self.partnership = None
        if rules.requires_partnership:
            schools = sorted({p.school_id for p in mentees if p.school_id is not None})
            employers = sorted({p.employer_id for p in mentors if p.employer_id is not None})
            s_idx = {s: i for i, s in enumerate(schools)}
            e_idx = {e: i for i, e in enumerate(employers)}
            table = np.zeros((len(schools) + 1, len(employers) + 1), bool)
            for school, partners in rules.partnerships.items():
                if school in s_idx:
                    for employer in partners:
                        if employer in e_idx:
                            table[s_idx[school], e_idx[employer]] = True
            self.partnership = table
            self.ee_school = np.array([s_idx.get(p.school_id, len(schools)) for p in mentees])
            self.or_employer = np.array([e_idx.get(p.employer_id, len(employers)) for p in mentors])

        # Sparse pair rules: declared conflicts (either side, or the same person) and exclusions.
        ee_index = {p.participant_id: i for i, p in enumerate(mentees)}
        or_index = {p.participant_id: j for j, p in enumerate(mentors)}
        conflicts: set[tuple[int, int]] = set()
        for i, p in enumerate(mentees):
            for other in p.conflicts:
                if other in or_index:
                    conflicts.add((i, or_index[other]))
            if p.participant_id in or_index:
                conflicts.add((i, or_index[p.participant_id]))
        for j, p in enumerate(mentors):
            for other in p.conflicts:
                if other in ee_index:
                    conflicts.add((ee_index[other], j))
        excluded = {
            (ee_index[a], or_index[b]) for a, b in excluded_pairs if a in ee_index and b in or_index
        }
        self.conflict_rows, self.conflict_cols = _pair_arrays(conflicts)
        self.excluded_rows, self.excluded_cols = _pair_arrays(excluded)

    # -- exact scoring of listed pairs (float64, same formulas and order as factors.py) ------

    def pair_factor_values(self, rows: np.ndarray, cols: np.ndarray) -> list[np.ndarray]:
        """Factor values of the pairs (rows[t], cols[t]), in FACTORS order."""
        rules = self.rules
        rows, cols = np.asarray(rows, np.intp), np.asarray(cols, np.intp)

        def shared(name: str) -> np.ndarray:
            both = getattr(self, f"ee_{name}_bits")[rows] & getattr(self, f"or_{name}_bits")[cols]
            return _POPCOUNT[both].sum(axis=1, dtype=np.int64).astype(np.float64)

        with np.errstate(divide="ignore", invalid="ignore"):
            dist = _DISTANCE_PADDED[self.ee_area[rows], self.or_area[cols]]
            reach = self.ee_radius[rows] + self.or_radius[cols]
            in_person = np.where(
                reach > 0,
                np.maximum(1.0 - dist / np.where(reach > 0, reach, 1.0), 0.0),
                np.where(dist == 0, 1.0, 0.0),
            )
            online = self.ee_online[rows] & self.or_online[cols]
            online_value = np.where(online, rules.online_location_value, 0.0)
            location = np.where(
                np.isnan(dist),
                np.where(online, online_value, NEUTRAL),
                np.maximum(in_person, online_value),
            )

            gap = np.abs(self.ee_age[rows] - self.or_age[cols])
            if rules.age_gap_falloff_years > 0:
                decay = np.maximum(
                    1.0 - (gap - rules.preferred_max_age_gap) / rules.age_gap_falloff_years, 0.0
                )
            else:
                decay = np.zeros_like(gap)
            age = np.where(gap <= rules.preferred_max_age_gap, 1.0, decay)
            age[np.isnan(gap)] = NEUTRAL

            n_rel = self.ee_skills_n[rows]
            denom = np.minimum(n_rel, float(max(rules.skills_target, 1)))
            skills = np.minimum(shared("skills") / denom, 1.0)
            skills[n_rel == 0] = NEUTRAL

            ne, no = self.ee_interests_n[rows], self.or_interests_n[cols]
            interests = np.where(
                (ne > 0) & (no > 0), shared("interests") / np.minimum(ne, no), NEUTRAL
            )

            ne, no = self.ee_languages_n[rows], self.or_languages_n[cols]
            language = np.where(
                (ne > 0) & (no > 0), (shared("languages") > 0).astype(np.float64), NEUTRAL
            )

            ne, no = self.ee_availability_n[rows], self.or_availability_n[cols]
            target = np.maximum(
                np.minimum(np.minimum(ne, no), float(rules.availability_target)), 1.0
            )
            availability = np.where(
                (ne > 0) & (no > 0), np.minimum(shared("availability") / target, 1.0), NEUTRAL
            )
        return [location, age, skills, interests, language, availability]

    def pair_scores(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Exact scores of listed pairs; equal to factors.score_pair (summed in FACTORS order)."""
        values = self.pair_factor_values(rows, cols)
        score = 0.0 + self.weights[0] * values[0]
        for w, v in zip(self.weights[1:], values[1:], strict=True):
            score += w * v
        return score

    def _pair_mask(self, rows: np.ndarray, prs: np.ndarray, pcs: np.ndarray) -> np.ndarray:
        """(len(rows) x m) True where a sparse pair rule applies."""
        mask = np.zeros((len(rows), self.m), bool)
        if len(prs):
            lo = np.searchsorted(prs, rows, side="left")
            hi = np.searchsorted(prs, rows, side="right")
            for k in np.nonzero(hi > lo)[0]:
                mask[k, pcs[lo[k] : hi[k]]] = True
        return mask

    def feasibility(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(feasible mask, per-rule counts of eliminated mentors) for these mentee rows."""
        r = len(rows)
        counts = np.zeros((r, len(HARD_RULES)), np.int64)
        counts[:, RULE_COLUMN[RULE_NOT_TRAINED]] = int(self.or_untrained.sum())
        counts[:, RULE_COLUMN[RULE_NOT_CHECKED]] = int(self.or_unchecked.sum())
        counts[:, RULE_COLUMN[RULE_NO_CAPACITY]] = int(self.or_full.sum())
        feasible = np.broadcast_to(self.col_ok, (r, self.m)).copy()
        if self.partnership is not None:
            ok = self.partnership[self.ee_school[rows][:, None], self.or_employer[None, :]]
            counts[:, RULE_COLUMN[RULE_PARTNERSHIP]] = self.m - ok.sum(axis=1)
            feasible &= ok
        pref = self.ee_pref[rows][:, None]
        ok = (pref < 0) | (pref == self.or_gender[None, :])
        counts[:, RULE_COLUMN[RULE_PREFERENCE]] = self.m - ok.sum(axis=1)
        feasible &= ok
        for rule, prs, pcs in (
            (RULE_CONFLICT, self.conflict_rows, self.conflict_cols),
            (RULE_EXCLUDED, self.excluded_rows, self.excluded_cols),
        ):
            bad = self._pair_mask(rows, prs, pcs)
            counts[:, RULE_COLUMN[rule]] = bad.sum(axis=1)
            feasible &= ~bad
        return feasible, counts

    def pair_feasible(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Hard rules (except capacity) for listed pairs, like factors.hard_rule_violations."""
        rows, cols = np.asarray(rows, np.intp), np.asarray(cols, np.intp)
        ok = ~(self.or_untrained[cols] | self.or_unchecked[cols])
        if self.partnership is not None:
            ok &= self.partnership[self.ee_school[rows], self.or_employer[cols]]
        pref = self.ee_pref[rows]
        ok &= (pref < 0) | (pref == self.or_gender[cols])
        key = rows * max(self.m, 1) + cols
        for prs, pcs in (
            (self.conflict_rows, self.conflict_cols),
            (self.excluded_rows, self.excluded_cols),
        ):
            ok &= ~np.isin(key, prs * max(self.m, 1) + pcs)
        return ok

    def feasible_counts(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per row: number of feasible mentors, and per-rule counts of eliminated mentors."""
        rows = np.asarray(rows, np.intp)
        feasible_count = np.zeros(len(rows), np.int64)
        counts = np.zeros((len(rows), len(HARD_RULES)), np.int64)
        done = 0
        for chunk in self.row_chunks(rows):
            feasible, c = self.feasibility(chunk)
            feasible_count[done : done + len(chunk)] = feasible.sum(axis=1)
            counts[done : done + len(chunk)] = c
            done += len(chunk)
        return feasible_count, counts

    def row_chunks(self, rows: np.ndarray | None = None):
        """Yield row-index chunks of about CHUNK_CELLS cells."""
        rows = np.arange(self.n) if rows is None else np.asarray(rows, dtype=np.intp)
        size = max(1, CHUNK_CELLS // max(self.m, 1))
        for start in range(0, len(rows), size):
            yield rows[start : start + size]


def build_candidates(
    scorer: BlockScorer,
    top_k: int,
    top_k_mentor: int,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate edges (rows, cols, exact scores): each mentee's top_k feasible mentors and each
    mentor's top_k_mentor feasible mentees, deduplicated and sorted by row, then score
    descending, then mentor index (mentors are sorted by id, so ties break by id)."""
    from .selection import SelectionScorer  # selection imports this module

    rows, cols = SelectionScorer(scorer).top_k(top_k, top_k_mentor, progress)
    if top_k_mentor > 0:  # both sides may pick the same pair
        _, first = np.unique(rows * max(scorer.m, 1) + cols, return_index=True)
        rows, cols = rows[first], cols[first]
    return sort_edges(rows, cols, scorer.pair_scores(rows, cols))


def sort_edges(rows: np.ndarray, cols: np.ndarray, scores: np.ndarray):
    order = np.lexsort((cols, -scores, rows))
    return rows[order], cols[order], scores[order]
