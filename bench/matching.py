"""Benchmark of the matching engine against greedy and dense (exact) assignment.

Generates a synthetic London refugee-women programme cohort (seeded) with n mentees and 1.1 n
mentors for each size, and runs three methods on the same input:

- engine: tandem_matching.engine.propose_matches (top-k sparse graph + exact LAPJVsp, with
  explanations);
- greedy: every feasible pair sorted by score, taken greedily;
- dense:  scipy linear_sum_assignment on the full cost matrix (capacity-2 mentors duplicated as
  columns; infeasible pairs cost more than any feasible arrangement), the exact optimum of the same
  objective as the engine (max matched, then max score + waiting bonus).

Time is wall time of a run without tracing. Peak memory is measured with tracemalloc (which counts
numpy buffers and Python objects, not C++ scratch space inside scipy) in a separate run of the same
method, so tracing overhead never distorts the times.

Usage: uv run --frozen python bench/matching.py [--sizes 1000,5000,10000] [--seed 7]
The last line printed is one JSON object keyed by n.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import threading
import time
import tracemalloc
from datetime import datetime, timedelta

import numpy as np
from scipy.optimize import linear_sum_assignment

from tandem_matching.engine import (
    AREAS,
    FactorWeights,
    MatchingInput,
    Mentee,
    Mentor,
    ProgrammeRules,
    propose_matches,
)
from tandem_matching.engine.candidates import CHUNK_CELLS, BlockScorer
from tandem_matching.engine.propose import waiting_bonus
from tandem_matching.engine.selection import SelectionScorer

SKILLS = [
    "cv_writing", "interview_practice", "job_search", "networking", "linkedin", "public_speaking",
    "presentation", "negotiation", "excel", "bookkeeping", "accounting", "coding", "web_design",
    "data_analysis", "project_management", "marketing", "social_media", "sales",
    "customer_service", "teaching", "tutoring", "childcare", "nursing", "healthcare_admin",
    "pharmacy", "law", "immigration_advice", "english_conversation", "academic_writing",
    "university_applications", "grant_writing", "fundraising", "event_planning", "volunteering",
    "community_organising", "entrepreneurship", "business_planning", "hospitality", "cooking",
    "fashion_design",
]  # fmt: skip
INTERESTS = [
    "reading", "cooking", "running", "yoga", "swimming", "football", "music", "singing", "dance",
    "theatre", "cinema", "painting", "photography", "gardening", "hiking", "cycling", "travel",
    "history", "poetry", "writing", "knitting", "sewing", "podcasts", "board_games", "volunteering",
    "faith", "parenting", "languages", "technology", "fashion",
]  # fmt: skip
FOCUS_SKILLS = {
    "employment": {"cv_writing", "interview_practice", "job_search", "networking", "linkedin",
                   "negotiation", "customer_service", "sales"},
    "volunteering": {"volunteering", "community_organising", "event_planning", "fundraising",
                     "grant_writing", "childcare"},
    "education": {"university_applications", "academic_writing", "english_conversation",
                  "tutoring", "teaching", "data_analysis"},
    "new_skills": {"coding", "web_design", "excel", "bookkeeping", "social_media",
                   "entrepreneurship", "business_planning", "public_speaking"},
}  # fmt: skip
LANGUAGES = [
    "english", "arabic", "farsi", "dari", "pashto", "tigrinya", "somali", "french", "spanish",
    "ukrainian", "kurdish", "urdu", "amharic", "portuguese",
]  # fmt: skip
SLOTS = [f"{d}_{p}" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun") for p in
         ("morning", "afternoon", "evening")]  # fmt: skip
AREA_KEYS = sorted(AREAS)
NOW = datetime(2025, 8, 5, 9, 0)


def _choice_set(rng, items, k, p=None) -> frozenset[str]:
    idx = rng.choice(len(items), size=min(k, len(items)), replace=False, p=p)
    return frozenset(items[i] for i in idx)


def make_population(n: int, seed: int):
    rng = np.random.default_rng(seed)
    inner = np.array([AREAS[a][2] for a in AREA_KEYS])
    ee_area_p = np.where(inner, 1.0, 3.0)  # mentees: outer boroughs
    ee_area_p /= ee_area_p.sum()
    or_area_p = np.where(inner, 3.0, 1.0)  # mentors: central boroughs
    or_area_p[AREA_KEYS.index("city_of_london")] = 6.0
    or_area_p[AREA_KEYS.index("westminster")] = 6.0
    or_area_p /= or_area_p.sum()
    skill_p = rng.dirichlet(np.full(len(SKILLS), 2.0))
    interest_p = rng.dirichlet(np.full(len(INTERESTS), 2.0))
    slot_p = np.array([2.0 if s.endswith("evening") or s[:3] in ("sat", "sun") else 1.0
                       for s in SLOTS])  # fmt: skip
    slot_p /= slot_p.sum()
    focus_areas = sorted(FOCUS_SKILLS)
    key = ("refugee_women_charity", "london_refugee_women", "2025_autumn")

    m = round(1.1 * n)
    mentor_ids = [f"mr{j:06d}" for j in range(m)]
    mentees = []
    for i in range(n):
        langs = set()
        if rng.random() < 0.7:
            langs.add("english")
        langs.add(LANGUAGES[1 + rng.integers(len(LANGUAGES) - 1)])
        conflicts = frozenset({mentor_ids[rng.integers(m)]}) if rng.random() < 0.005 else ()
        mentees.append(
            Mentee(
                f"me{i:06d}", *key,
                area=AREA_KEYS[rng.choice(len(AREA_KEYS), p=ee_area_p)],
                travel_radius_km=float(rng.uniform(3, 12)),
                online_ok=bool(rng.random() < 0.7),
                age=int(rng.choice([22, 27, 32, 37, 42, 47, 52, 57])),
                gender="female",
                skills=_choice_set(rng, SKILLS, int(rng.integers(0, 4)), skill_p),
                interests=_choice_set(rng, INTERESTS, int(rng.integers(2, 7)), interest_p),
                languages=frozenset(langs),
                availability=_choice_set(rng, SLOTS, int(rng.integers(3, 10)), slot_p),
                conflicts=conflicts,
                focus_area=focus_areas[rng.integers(4)],
                goals=_choice_set(rng, SKILLS, int(rng.integers(1, 4)), skill_p),
                preferred_mentor_gender="female" if rng.random() < 0.2 else None,
                waiting_since=NOW - timedelta(days=float(rng.uniform(0, 365))),
            )
        )  # fmt: skip
    mentors = []
    for j in range(m):
        langs = {"english"} if rng.random() < 0.97 else set()
        if rng.random() < 0.3 or not langs:
            langs.add(LANGUAGES[1 + rng.integers(len(LANGUAGES) - 1)])
        mentors.append(
            Mentor(
                mentor_ids[j], *key,
                area=AREA_KEYS[rng.choice(len(AREA_KEYS), p=or_area_p)],
                travel_radius_km=float(rng.uniform(3, 15)),
                online_ok=bool(rng.random() < 0.8),
                age=int(rng.choice([27, 32, 37, 42, 47, 52, 57, 62])),
                gender="female" if rng.random() < 0.98 else None,
                skills=_choice_set(rng, SKILLS, int(rng.integers(3, 9)), skill_p),
                interests=_choice_set(rng, INTERESTS, int(rng.integers(2, 7)), interest_p),
                languages=frozenset(langs),
                availability=_choice_set(rng, SLOTS, int(rng.integers(2, 7)), slot_p),
                trained=bool(rng.random() >= 0.03),
                checked=bool(rng.random() >= 0.01),
                capacity=2 if rng.random() < 0.15 else 1,
            )
        )  # fmt: skip
    excluded = set()
    for _ in range(n // 100):  # ~1% of mentees have a rejected/ended/excluded pair
        excluded.add((mentees[rng.integers(n)].participant_id, mentor_ids[rng.integers(m)]))
    rules = ProgrammeRules(
        weights=FactorWeights(
            location=0.3, age=0.1, skills=0.25, interests=0.15, language=0.1, availability=0.1
        ),
        focus_area_skills=FOCUS_SKILLS,
        preferred_max_age_gap=15,
        age_gap_falloff_years=15,
    )
    return MatchingInput(mentees, mentors, rules, excluded_pairs=frozenset(excluded))


# -- methods: each returns a list of (mentee_id, mentor_id, score) ----------------------------


def _full_scores(data: MatchingInput):
    """Full float32 score matrix over mentors open for matching (trained, checked, capacity),
    with hard-rule-infeasible cells at -inf, from the engine's own vectorised block scorer (the
    bench has one block). Reported scores of the chosen pairs are recomputed exactly."""
    mentees = sorted(data.mentees, key=lambda p: p.participant_id)
    mentors = sorted(data.mentors, key=lambda p: p.participant_id)
    capacity = np.array([p.capacity for p in mentors], np.int64)
    scorer = BlockScorer(mentees, mentors, data.rules, capacity, data.excluded_pairs)
    fast = SelectionScorer(scorer)
    score = np.empty((scorer.n, fast.m_open), np.float32)
    size = max(1, CHUNK_CELLS // max(fast.m_open, 1))
    buf = fast.new_buffers(size)
    for start in range(0, scorer.n, size):
        rows = np.arange(start, min(start + size, scorer.n))
        score[rows] = fast.to_scores(fast.scores(rows, buf))
    return scorer, fast.open_cols, capacity[fast.open_cols], score


def _exact(scorer, pairs):
    """(mentee_id, mentor_id, exact score) for (row, global mentor index) pairs."""
    if not pairs:
        return []
    rows = np.array([i for i, _ in pairs])
    cols = np.array([j for _, j in pairs])
    scores = scorer.pair_scores(rows, cols)
    return [
        (scorer.mentees[i].participant_id, scorer.mentors[j].participant_id, float(s))
        for i, j, s in zip(rows.tolist(), cols.tolist(), scores.tolist(), strict=True)
    ]


def run_engine(data, progress=None):
    result = propose_matches(data, progress=progress)
    return [(p.mentee_id, p.mentor_id, p.score) for p in result.proposals]


def run_greedy(data, progress=None):
    scorer, open_cols, capacity, score = _full_scores(data)
    n, m = score.shape
    masked = score.ravel()
    load = np.zeros(m, np.int64)
    taken = np.zeros(n, bool)
    pairs = []
    batch = max(20 * n, 1)
    while True:
        live = np.flatnonzero(np.isfinite(masked))
        if len(live) == 0:
            break
        if len(live) > batch:  # only the best `batch` pairs are sorted in this round
            part = np.argpartition(-masked[live], batch - 1)[:batch]
            live = live[part]
        # stable order: score desc, then flat index (mentee id, mentor id)
        live = live[np.lexsort((live, -masked[live]))]
        for flat in live.tolist():
            i, j = divmod(flat, m)
            if not taken[i] and load[j] < capacity[j]:
                taken[i] = True
                load[j] += 1
                pairs.append((i, int(open_cols[j])))
        # drop pairs of matched mentees and full mentors, and the pairs just considered
        masked[live] = -np.inf
        score[taken, :] = -np.inf
        score[:, load >= capacity] = -np.inf
        if progress:
            progress("greedy", int(taken.sum()), n)
    return _exact(scorer, pairs)


def run_dense(data, progress=None):
    scorer, open_cols, capacity, score = _full_scores(data)
    n, _ = score.shape
    bonus = waiting_bonus(scorer.mentees, data.rules.waiting_priority_weight)
    owner = np.repeat(np.arange(len(open_cols)), capacity)
    big = 2.0 * (n + 1) * (2.0 + data.rules.waiting_priority_weight)  # > any score difference
    cost = -(score.astype(np.float64)[:, owner] + bonus[:, None])
    cost[~np.isfinite(cost)] = big
    del score
    if progress:
        progress("dense: linear_sum_assignment", 0, 1)
    rows, cols = linear_sum_assignment(cost)
    chosen = cost[rows, cols] < big
    pairs = [
        (i, int(open_cols[owner[c]]))
        for i, c in zip(rows[chosen].tolist(), cols[chosen].tolist(), strict=True)
    ]
    return _exact(scorer, pairs)


METHODS = {"engine": run_engine, "greedy": run_greedy, "dense": run_dense}


# -- measurement ------------------------------------------------------------------------------


class Heartbeat:
    """Prints a progress line every `every` seconds while a long call runs."""

    def __init__(self, label: str, every: float = 10.0) -> None:
        self.label, self.every = label, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        start = time.perf_counter()
        while not self._stop.wait(self.every):
            print(f"    ... {self.label}: {time.perf_counter() - start:.0f} s", flush=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def make_progress(label: str):
    last = {"t": 0.0}

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if done == total or now - last["t"] > 2.0:
            last["t"] = now
            print(f"    {label} {stage}: {done}/{total}", flush=True)

    return progress


def summarise(pairs, n: int) -> dict:
    scores = np.array([s for _, _, s in pairs]) if pairs else np.zeros(0)
    return {
        "total": float(scores.sum()),
        "mean": float(scores.mean()) if len(scores) else 0.0,
        "min": float(scores.min()) if len(scores) else 0.0,
        "matched": len(pairs),
        "unmatched": n - len(pairs),
    }


def check_valid(data: MatchingInput, pairs) -> None:
    """Sanity check every method's output against capacity and one pair per mentee."""
    cap = {p.participant_id: p.capacity for p in data.mentors}
    seen, load = set(), {}
    for a, b, _ in pairs:
        assert a not in seen, "mentee matched twice"
        seen.add(a)
        load[b] = load.get(b, 0) + 1
        assert load[b] <= cap[b], "capacity exceeded"


def measure(name: str, data: MatchingInput, n: int) -> dict:
    fn = METHODS[name]
    gc.collect()
    print(f"  [{name}] timing run ...", flush=True)
    with Heartbeat(f"{name} n={n}"):
        start = time.perf_counter()
        pairs = fn(data, make_progress(f"[{name}]"))
        elapsed = time.perf_counter() - start
    check_valid(data, pairs)
    print(f"  [{name}] {elapsed:.2f} s; memory run (tracemalloc) ...", flush=True)
    del pairs
    gc.collect()
    tracemalloc.start()
    try:
        with Heartbeat(f"{name} n={n} (memory run)"):
            pairs = fn(data, None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    out = summarise(pairs, n)
    out.update(seconds=elapsed, peak_mb=peak / 2**20)
    print(f"  [{name}] peak {out['peak_mb']:.0f} MB", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,5000,10000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--methods", default="engine,greedy,dense")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    methods = [m for m in args.methods.split(",") if m]

    results: dict[str, dict] = {}
    rows = []
    for n in sizes:
        print(f"n={n}: generating {n} mentees and {round(1.1 * n)} mentors ...", flush=True)
        data = make_population(n, args.seed + n)
        per = {name: measure(name, data, n) for name in methods}
        rows.extend((n, name, per[name]) for name in methods)
        entry: dict[str, float | int] = {}
        for name, r in per.items():
            entry[f"{name}_s"] = round(r["seconds"], 3)
            entry[f"{name}_peak_mb"] = round(r["peak_mb"], 1)
            entry[f"{name}_total"] = round(r["total"], 4)
            entry[f"{name}_mean"] = round(r["mean"], 5)
            entry[f"{name}_min"] = round(r["min"], 5)
            entry[f"{name}_unmatched"] = r["unmatched"]
        if "dense" in per:
            d = per["dense"]
            for name in ("engine", "greedy"):
                if name in per:
                    entry[f"{name}_total_over_dense"] = round(per[name]["total"] / d["total"], 6)
            if "engine" in per:
                entry["dense_s_over_engine_s"] = round(d["seconds"] / per["engine"]["seconds"], 2)
        results[str(n)] = entry

    header = f"{'n':>6} {'method':<7} {'time s':>8} {'peak MB':>8} {'total':>11} "
    header += f"{'mean':>7} {'min':>7} {'unmatched':>9}"
    print()
    print(header)
    print("-" * len(header))
    for n, name, r in rows:
        print(
            f"{n:>6} {name:<7} {r['seconds']:>8.2f} {r['peak_mb']:>8.0f} {r['total']:>11.3f} "
            f"{r['mean']:>7.4f} {r['min']:>7.4f} {r['unmatched']:>9}"
        )
    print()
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
