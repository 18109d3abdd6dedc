"""The numba functions behind :mod:`centrereach._kernels` (imported only when one is needed).

Module-level functions, so that numba's on-disk cache keeps their machine code between runs.
"""
# mypy: ignore-errors

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["k_nearest_labels", "nearest_open_many"]


@njit(cache=True, inline="always")
def _before(key: float, x: int, p: float, key2: float, x2: int, p2: float) -> bool:
    # (key, x, p) < (key2, x2, p2), lexicographically; x = source << 32 | node, so at
    # one node equal keys go to the lower source, and one source's labels to the shorter path
    if key != key2:
        return key < key2
    if x != x2:
        return x < x2
    return p < p2


@njit(cache=True)
def k_nearest_labels(indptr, indices, weights, source_nodes, offsets, target_slot, n_targets, k):
    n = indptr.size - 1
    count = np.zeros(n, dtype=np.int32)  # labels settled at each node (<= k)
    owner = np.empty(n * k, dtype=np.int32)  # the sources of those labels
    out_s = np.full((n_targets, k), np.inf)  # path seconds of the targets' labels
    out_c = np.full((n_targets, k), -1, dtype=np.int32)  # their sources
    cap = max(1024, 2 * source_nodes.size)
    hk = np.empty(cap)  # key: path seconds + the source's offset
    hp = np.empty(cap)  # path seconds alone (summed from the source along the edges)
    hx = np.empty(cap, dtype=np.int64)  # source << 32 | node
    size = 0
    arity = 4
    for c in range(source_nodes.size):
        key = offsets[c]
        x = (np.int64(c) << 32) | np.int64(source_nodes[c])
        i = size
        size += 1
        while i > 0:  # sift up (the hole moves, the entry is written once)
            parent = (i - 1) // arity
            if not _before(key, x, 0.0, hk[parent], hx[parent], hp[parent]):
                break
            hk[i] = hk[parent]
            hp[i] = hp[parent]
            hx[i] = hx[parent]
            i = parent
        hk[i] = key
        hp[i] = 0.0
        hx[i] = x
    waiting = n_targets  # targets with fewer than k labels
    while size > 0 and waiting > 0:
        p = hp[0]
        x = hx[0]
        c = x >> 32
        v = x & 0xFFFFFFFF
        size -= 1
        if size > 0:  # sift the last entry down from the root
            lk = hk[size]
            lp = hp[size]
            lx = hx[size]
            i = 0
            while True:
                first = arity * i + 1
                if first >= size:
                    break
                best = first
                bk = hk[first]
                bx = hx[first]
                bp = hp[first]
                for j in range(first + 1, min(first + arity, size)):
                    if _before(hk[j], hx[j], hp[j], bk, bx, bp):
                        best = j
                        bk = hk[j]
                        bx = hx[j]
                        bp = hp[j]
                if not _before(bk, bx, bp, lk, lx, lp):
                    break
                hk[i] = bk
                hp[i] = bp
                hx[i] = bx
                i = best
            hk[i] = lk
            hp[i] = lp
            hx[i] = lx
        m = count[v]
        if m >= k:
            continue
        base = v * k
        seen = False
        for j in range(m):
            if owner[base + j] == c:
                seen = True
                break
        if seen:
            continue
        owner[base + m] = c
        count[v] = m + 1
        t = target_slot[v]
        if t >= 0:
            out_s[t, m] = p
            out_c[t, m] = c
            if m + 1 == k:
                waiting -= 1
        offset = offsets[c]
        for e in range(indptr[v], indptr[v + 1]):
            w = np.int64(indices[e])
            mw = count[w]
            if mw >= k:
                continue
            bw = w * k
            dup = False
            for j in range(mw):
                if owner[bw + j] == c:
                    dup = True
                    break
            if dup:
                continue
            q = p + weights[e]
            key = q + offset
            y = (c << 32) | w
            if size == cap:
                cap *= 2
                hk2 = np.empty(cap)
                hp2 = np.empty(cap)
                hx2 = np.empty(cap, dtype=np.int64)
                hk2[:size] = hk[:size]
                hp2[:size] = hp[:size]
                hx2[:size] = hx[:size]
                hk, hp, hx = hk2, hp2, hx2
            i = size
            size += 1
            while i > 0:
                parent = (i - 1) // arity
                if not _before(key, y, q, hk[parent], hx[parent], hp[parent]):
                    break
                hk[i] = hk[parent]
                hp[i] = hp[parent]
                hx[i] = hx[parent]
                i = parent
            hk[i] = key
            hp[i] = q
            hx[i] = y
    return out_s, out_c


@njit(cache=True)
def _nearest_open_one(
    indptr, indices, weights, start, origin_min, slot_ptr, slot_centre, centre_min, open_mask,
    d_min_open, dist, stamp, mark, best_t, best_c,
):  # fmt: skip
    # a Dijkstra search from ``start`` that stops when nothing unsettled can beat the
    # second-best open centre found (times in minutes: path/60 + origin + centre leg)
    hk = np.empty(1024)
    hn = np.empty(1024, dtype=np.int64)
    size = 0
    cap = 1024
    dist[start] = 0.0
    stamp[start] = mark
    hk[0] = 0.0
    hn[0] = start
    size = 1
    t1 = np.inf
    c1 = -1
    t2 = np.inf
    c2 = -1
    while size > 0:
        d = hk[0]
        v = hn[0]
        size -= 1
        if size > 0:
            hk[0] = hk[size]
            hn[0] = hn[size]
            i = 0
            while True:
                left = 2 * i + 1
                if left >= size:
                    break
                b = left
                if left + 1 < size and hk[left + 1] < hk[left]:
                    b = left + 1
                if hk[b] >= hk[i]:
                    break
                hk[i], hk[b] = hk[b], hk[i]
                hn[i], hn[b] = hn[b], hn[i]
                i = b
        if d > dist[v]:
            continue
        bound = (d / 60.0 + origin_min) + d_min_open
        if bound > t2:
            break
        for s in range(slot_ptr[v], slot_ptr[v + 1]):
            c = slot_centre[s]
            if not open_mask[c]:
                continue
            t = (d / 60.0 + origin_min) + centre_min[c]
            if t < t1 or (t == t1 and c < c1):
                t2, c2 = t1, c1
                t1, c1 = t, c
            elif t < t2 or (t == t2 and c < c2):
                t2, c2 = t, c
        for e in range(indptr[v], indptr[v + 1]):
            w = indices[e]
            q = d + weights[e]
            if stamp[w] != mark or q < dist[w]:
                dist[w] = q
                stamp[w] = mark
                if size == cap:
                    cap *= 2
                    hk2 = np.empty(cap)
                    hn2 = np.empty(cap, dtype=np.int64)
                    hk2[:size] = hk[:size]
                    hn2[:size] = hn[:size]
                    hk, hn = hk2, hn2
                i = size
                hk[i] = q
                hn[i] = w
                size += 1
                while i > 0:
                    parent = (i - 1) // 2
                    if hk[parent] <= hk[i]:
                        break
                    hk[i], hk[parent] = hk[parent], hk[i]
                    hn[i], hn[parent] = hn[parent], hn[i]
                    i = parent
    best_t[0] = t1
    best_c[0] = c1
    best_t[1] = t2
    best_c[1] = c2


@njit(cache=True, parallel=True)
def nearest_open_many(
    indptr, indices, weights, starts, origin_min, slot_ptr, slot_centre, centre_min, open_mask,
    n_chunks,
):  # fmt: skip
    n = indptr.size - 1
    m = starts.size
    times = np.full((m, 2), np.inf)
    centres = np.full((m, 2), -1, dtype=np.int32)
    d_min_open = np.inf
    for c in range(centre_min.size):
        if open_mask[c] and centre_min[c] < d_min_open:
            d_min_open = centre_min[c]
    for chunk in prange(n_chunks):
        dist = np.empty(n)
        stamp = np.zeros(n, dtype=np.int64)
        best_t = np.empty(2)
        best_c = np.empty(2, dtype=np.int64)
        for r in range(chunk, m, n_chunks):
            _nearest_open_one(indptr, indices, weights, starts[r], origin_min[r], slot_ptr,
                slot_centre, centre_min, open_mask, d_min_open, dist, stamp, r + 1,
                best_t, best_c)  # fmt: skip
            times[r, 0] = best_t[0]
            times[r, 1] = best_t[1]
            centres[r, 0] = best_c[0]
            centres[r, 1] = best_c[1]
    return times, centres
