"""Fast float32 scoring of whole blocks, used only to SELECT each mentee's top-k candidates.

Selection needs every mentee x mentor cell, so this is the hot loop; it is written as a few
in-place numpy passes over preallocated buffers:
- mentors that fail a column-only hard rule (untrained, unchecked, no capacity left) are dropped
  before scoring;
- each factor's weight is folded into the encodings, and the set overlaps become matrix products
  whose per-row/per-column normalisations are folded into the operands, e.g.
  shared / min(|a|, |b|) = max(shared / |a|, shared / |b|);
- age is a lookup in a small age x age table;
- remaining hard rules set cells to -inf.
The kept pairs are then rescored exactly in float64 (BlockScorer.pair_scores), so float32
rounding can only affect which near-tied candidate is kept, never a reported score.
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .blas import single_threaded_blas
from .candidates import _DISTANCE_PADDED, _UNKNOWN, CHUNK_CELLS, BlockScorer
from .factors import NEUTRAL

F32 = np.float32
_RADIUS_FLOOR = 1e-6  # reach 0 and distance 0 -> 1; reach 0 and distance > 0 -> 0 (as factors.py)


def _age_table(rules, ages: np.ndarray) -> np.ndarray:
    """age factor for every pair of distinct ages; the last row/column is "unknown age"."""
    gap = np.abs(ages[:, None] - ages[None, :])
    if rules.age_gap_falloff_years > 0:
        decay = np.maximum(
            1.0 - (gap - rules.preferred_max_age_gap) / rules.age_gap_falloff_years, 0.0
        )
    else:
        decay = np.zeros_like(gap)
    k = len(ages)
    table = np.full((k + 1, k + 1), NEUTRAL)
    table[:k, :k] = np.where(gap <= rules.preferred_max_age_gap, 1.0, decay)
    return table


def _one_hot_T(codes: np.ndarray, size: int) -> np.ndarray:
    """(size x len(codes)) float32 with a 1 at (code, j): a gather written as a matrix product."""
    out = np.zeros((size, len(codes)), F32)
    out[codes, np.arange(len(codes))] = 1.0
    return out


class SelectionScorer:
    """Selection scores of one block. For speed they are an increasing affine function of the
    true score (score - w_location) / w_location, or the score itself when w_location is 0."""

    def __init__(self, block: BlockScorer) -> None:
        b, rules = block, block.rules
        self.block = block
        self.open_cols = np.nonzero(b.col_ok)[0]
        oc = self.open_cols
        self.m_open = len(oc)
        wl, wa, ws, wi, wg, wv = (float(w) for w in b.weights)
        self.has_location = wl > 0
        # Other weights are divided by w_location, so the location term needs no multiply.
        scale = 1.0 / wl if wl > 0 else 1.0
        wa, ws, wi, wg, wv = (w * scale for w in (wa, ws, wi, wg, wv))

        # location, as x = 1 - location = min(distance / reach, 1 - online value)
        dist = np.nan_to_num(_DISTANCE_PADDED, nan=0.0).astype(F32)
        self.dist_rows = dist  # indexed by mentee area code
        self.area_onehot = _one_hot_T(b.or_area[oc], dist.shape[0])
        self.ee_radius = np.maximum(b.ee_radius, _RADIUS_FLOOR).astype(F32)
        self.or_radius = np.maximum(b.or_radius[oc], _RADIUS_FLOOR).astype(F32)
        self.online_value = float(rules.online_location_value)
        self.ee_online = b.ee_online
        self.or_online = b.or_online[oc]
        # cap of x for an online mentee, per mentor; an offline mentee's cap is 1
        self.online_cap = np.where(self.or_online, 1.0 - self.online_value, 1.0).astype(F32)
        self.online_cap = np.minimum(self.online_cap, F32(1.0))
        self.ee_unknown_area = b.ee_area == _UNKNOWN
        self.unknown_cols = np.nonzero(b.or_area[oc] == _UNKNOWN)[0]

        # age: (distinct ages + unknown) table, gathered by a one-hot product
        ages = np.unique(np.concatenate([b.ee_age, b.or_age]))
        ages = ages[~np.isnan(ages)]
        self.age_table = (wa * _age_table(rules, ages)).astype(F32)
        self.ee_age_code = self._age_codes(b.ee_age, ages)
        self.age_onehot = _one_hot_T(self._age_codes(b.or_age[oc], ages), len(ages) + 1)

        # skills: min(shared / min(|relevant|, target), 1)
        n_rel = b.ee_skills_n
        denom = np.maximum(np.minimum(n_rel, float(max(rules.skills_target, 1))), 1.0)
        self.skills = (b.ee_skills * (ws / denom)[:, None]).astype(F32), ws
        self.or_skills = np.ascontiguousarray(b.or_skillsT[:, oc])
        self.skills_neutral_rows = n_rel == 0

        # interests: shared / min(|a|, |b|) = max(shared / |a|, shared / |b|)
        self.interests = self._two_sided("interests", wi, 1e9)
        # language: min(shared, 1)
        self.lang = (b.ee_languages * wg).astype(F32), wg
        self.or_lang = np.ascontiguousarray(b.or_languagesT[:, oc])
        self.lang_neutral = (b.ee_languages_n == 0, np.nonzero(b.or_languages_n[oc] == 0)[0])
        # availability: min(shared / max(min(|a|, |b|, target), 1), 1)
        self.avail = self._two_sided("availability", wv, float(rules.availability_target))

        # hard rules that remain after dropping closed mentors
        pos = np.full(b.m, -1, np.intp)
        pos[oc] = np.arange(len(oc))
        self.ee_pref = b.ee_pref
        self.or_gender = b.or_gender[oc]
        self.partnership = b.partnership
        if b.partnership is not None:
            self.ee_school = b.ee_school
            self.or_employer = b.or_employer[oc]
        pr = np.concatenate([b.conflict_rows, b.excluded_rows])
        pc = pos[np.concatenate([b.conflict_cols, b.excluded_cols])]
        keep = pc >= 0
        order = np.lexsort((pc[keep], pr[keep]))
        self.pair_rows, self.pair_cols = pr[keep][order], pc[keep][order]

    @staticmethod
    def _age_codes(values: np.ndarray, ages: np.ndarray) -> np.ndarray:
        codes = np.searchsorted(ages, np.nan_to_num(values, nan=0.0))
        codes[np.isnan(values)] = len(ages)
        return codes

    def _two_sided(self, name: str, weight: float, target: float):
        """Operands for min(max(w shared / a_i, w shared / b_j), w) with a, b clipped sizes."""
        b, oc = self.block, self.open_cols
        ne = getattr(b, f"ee_{name}_n")
        no = getattr(b, f"or_{name}_n")[oc]
        a = np.maximum(np.minimum(ne, target), 1.0)
        c = np.maximum(np.minimum(no, target), 1.0)
        ee = getattr(b, f"ee_{name}")
        ort = getattr(b, f"or_{name}T")[:, oc]
        return (
            (ee * (weight / a)[:, None]).astype(F32),
            (ee * weight).astype(F32),
            np.ascontiguousarray(ort),
            np.ascontiguousarray(ort / c[None, :]).astype(F32),
            weight,
            ne == 0,
            np.nonzero(no == 0)[0],
        )

    # -- hot loop ---------------------------------------------------------------------------

    def scores(self, rows: np.ndarray, buf: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """(len(rows) x m_open) float32 selection scores; infeasible cells are -inf.

        Rows should be sorted with online mentees first (see row_order) for speed; any order
        gives the same values. Note: matmul(out=...) bypasses BLAS, so products allocate.
        """
        with single_threaded_blas():
            return self._scores(rows, buf)

    def _scores(self, rows: np.ndarray, buf: dict[str, np.ndarray] | None) -> np.ndarray:
        r = len(rows)
        if buf is None:
            buf = self.new_buffers(r)
        x = buf["score"][:r]
        t1 = buf["t1"][:r]

        # Additive terms first: x <- age + language + skills + interests + availability.
        x[...] = self.age_table[self.ee_age_code[rows]] @ self.age_onehot
        ee, w = self.skills
        t = ee[rows] @ self.or_skills
        np.minimum(t, F32(w), out=t)
        t[self.skills_neutral_rows[rows]] = F32(w * NEUTRAL)
        np.add(x, t, out=x)
        ee, w = self.lang
        t = ee[rows] @ self.or_lang
        np.minimum(t, F32(w), out=t)
        self._neutral(t, rows, self.lang_neutral[0], self.lang_neutral[1], w)
        np.add(x, t, out=x)
        for spec, cap in ((self.interests, False), (self.avail, True)):
            ee_a, ee_w, ort, ort_c, w, empty_rows, empty_cols = spec
            t = ee_a[rows] @ ort
            np.maximum(t, ee_w[rows] @ ort_c, out=t)
            if cap:
                np.minimum(t, F32(w), out=t)
            self._neutral(t, rows, empty_rows, empty_cols, w)
            np.add(x, t, out=x)

        if self.has_location:
            # t1 <- 1 - location = min(distance / reach, cap); x <- x - t1
            t1[...] = self.dist_rows[self.block.ee_area[rows]] @ self.area_onehot
            np.divide(t1, np.add.outer(self.ee_radius[rows], self.or_radius), out=t1)
            online = self.ee_online[rows]
            on = np.nonzero(online)[0]
            if len(on) == r or len(on) == 0 or (on[-1] == len(on) - 1):
                k = len(on)  # online rows are a prefix: two slice operations
                np.minimum(t1[:k], self.online_cap, out=t1[:k])
                np.minimum(t1[k:], F32(1.0), out=t1[k:])
            else:
                caps = np.where(online[:, None], self.online_cap[None, :], F32(1.0))
                np.minimum(t1, caps, out=t1)
            self._fix_unknown_location(rows, t1)
            np.subtract(x, t1, out=x)

        self._mask_hard_rules(rows, x)
        return x

    def to_scores(self, selection: np.ndarray) -> np.ndarray:
        """Approximate (float32) true scores from selection scores, in place."""
        if self.has_location:
            w = F32(self.block.weights[0])
            np.multiply(selection, w, out=selection)
            np.add(selection, w, out=selection)
        return selection

    def row_order(self) -> np.ndarray:
        """Mentee rows, online ones first (stable), so chunks split cleanly by online status."""
        return np.argsort(~self.ee_online, kind="stable")

    def _fix_unknown_location(self, rows: np.ndarray, x: np.ndarray) -> None:
        """Unknown area: location = online value if both meet online, else neutral."""
        for k in np.nonzero(self.ee_unknown_area[rows])[0]:
            online = self.ee_online[rows[k]] & self.or_online
            x[k] = 1.0 - np.where(online, self.online_value, NEUTRAL)
        if len(self.unknown_cols):
            uc = self.unknown_cols
            online = self.ee_online[rows][:, None] & self.or_online[uc][None, :]
            x[:, uc] = 1.0 - np.where(online, self.online_value, NEUTRAL)

    @staticmethod
    def _neutral(t, rows, empty_rows, empty_cols, w) -> None:
        t[empty_rows[rows]] = F32(w * NEUTRAL)
        if len(empty_cols):
            t[:, empty_cols] = F32(w * NEUTRAL)

    def _mask_hard_rules(self, rows: np.ndarray, score: np.ndarray) -> None:
        ninf = F32(-np.inf)
        pref = self.ee_pref[rows]
        for g in np.unique(pref[pref >= 0]):
            local = np.nonzero(pref == g)[0]
            bad_cols = np.nonzero(self.or_gender != g)[0]
            if len(bad_cols):
                score[np.ix_(local, bad_cols)] = ninf
        if self.partnership is not None:
            ok = np.take(self.partnership[self.ee_school[rows]], self.or_employer, axis=1)
            np.copyto(score, ninf, where=~ok)
        if len(self.pair_rows):
            # rows may be in any order: look each pair's row up in the chunk
            sorter = np.argsort(rows)
            pos = np.searchsorted(rows, self.pair_rows, sorter=sorter)
            pos = np.minimum(pos, len(rows) - 1)
            local = sorter[pos]
            hit = rows[local] == self.pair_rows
            score[local[hit], self.pair_cols[hit]] = ninf

    def new_buffers(self, rows_per_chunk: int) -> dict[str, np.ndarray]:
        shape = (rows_per_chunk, self.m_open)
        return {k: np.empty(shape, F32) for k in ("score", "t1")}

    # -- top-k ------------------------------------------------------------------------------

    def top_k(self, k: int, k_mentor: int, progress=None):
        """Candidate pairs: for every mentee her k best feasible mentors, and for every mentor
        its k_mentor best feasible mentees (so that mentors nobody ranks first still have edges
        to the mentees they suit best). Returns (rows, cols) with global mentor indices,
        possibly with duplicates.

        Chunks are scored by up to two threads (numpy and BLAS release the GIL); results are
        consumed in chunk order. The per-mentor side keeps, per mentor, every cell at least as
        good as the current k_mentor-th best seen (a lower bound of the final one, whatever the
        thread timing) and prunes to exactly k_mentor by (score desc, row asc): so the output
        never depends on scheduling.
        """
        n, m = self.block.n, self.m_open
        if n == 0 or m == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        order = self.row_order()
        size = max(1, min(n, CHUNK_CELLS // m))
        chunks = [order[s : s + size] for s in range(0, n, size)]
        k = min(k, m)
        workers = max(1, min(2, os.cpu_count() or 1, len(chunks)))
        buffers = [self.new_buffers(size) for _ in range(workers)]
        free = list(range(workers))
        state = {"threshold": np.full(m, -np.inf, F32)}  # per mentor: k_mentor-th best so far

        def work(rows):
            slot = free.pop()  # list.pop/append are atomic under the GIL
            try:
                score = self.scores(rows, buffers[slot])
                if k < m:
                    idx = np.argpartition(score, m - k, axis=1)[:, m - k :]
                else:
                    idx = np.broadcast_to(np.arange(m), (len(rows), m))
                vals = np.take_along_axis(score, idx, axis=1)
                keep = np.isfinite(vals)
                row_pairs = (np.repeat(rows, keep.sum(axis=1)), idx[keep])
                if k_mentor <= 0:
                    return row_pairs, None
                hit_r, hit_c = np.nonzero(score >= state["threshold"][None, :])
                hit_v = score[hit_r, hit_c]
                ok = np.isfinite(hit_v)
                return row_pairs, (hit_v[ok], rows[hit_r[ok]], hit_c[ok])
            finally:
                free.append(slot)

        out_rows, out_cols = [], []
        pool_v = np.zeros(0, F32)
        pool_r = np.zeros(0, np.int64)
        pool_c = np.zeros(0, np.int64)
        executor = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
        results = _in_order(executor, work, chunks, window=workers + 1)
        try:
            for done, ((rr, cc), hits) in enumerate(results, start=1):
                out_rows.append(rr)
                out_cols.append(cc)
                if hits is not None:
                    pool_v = np.concatenate([pool_v, hits[0]])
                    pool_r = np.concatenate([pool_r, hits[1]])
                    pool_c = np.concatenate([pool_c, hits[2]])
                    if len(pool_v) > 3 * k_mentor * m or done == len(chunks):
                        # pruning sorts the pool: do it only when the pool has grown
                        pool_v, pool_r, pool_c, thr = _prune_per_column(
                            pool_v, pool_r, pool_c, k_mentor, m
                        )
                        state["threshold"] = thr
                if progress is not None:
                    progress("candidates", min(done * size, n), n)
        finally:
            if executor:
                executor.shutdown()
        out_rows.append(pool_r)
        out_cols.append(pool_c)
        rows = np.concatenate(out_rows).astype(np.int64)
        cols = self.open_cols[np.concatenate(out_cols)].astype(np.int64)
        return rows, cols


def _in_order(executor, fn, items, window: int):
    """Like executor.map but with at most `window` items in flight, so that the thresholds the
    main thread raises reach the workers before they run far ahead."""
    if executor is None:
        yield from map(fn, items)
        return
    pending: deque = deque()
    it = iter(items)
    for item in it:
        pending.append(executor.submit(fn, item))
        if len(pending) >= window:
            break
    while pending:
        result = pending.popleft().result()
        nxt = next(it, None)
        if nxt is not None:
            pending.append(executor.submit(fn, nxt))
        yield result


def _prune_per_column(vals, rows, cols, k: int, m: int):
    """Keep the k best entries per column by (value desc, row asc); also return each column's
    k-th best value (-inf while a column has fewer than k)."""
    order = np.lexsort((rows, -vals, cols))
    vals, rows, cols = vals[order], rows[order], cols[order]
    starts = np.searchsorted(cols, np.arange(m))
    rank = np.arange(len(cols)) - starts[cols]
    keep = rank < k
    vals, rows, cols = vals[keep], rows[keep], cols[keep]
    threshold = np.full(m, -np.inf, F32)
    last = rank[keep] == k - 1
    threshold[cols[last]] = vals[last]
    return vals, rows, cols, threshold
