"""The numba functions behind :mod:`centrereach._kernels` (imported only when one is needed).

Module-level functions, so that numba's on-disk cache keeps their machine code between runs.
"""
# mypy: ignore-errors

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["k_nearest_labels", "nearest_open_many", "repair_open"]

_ARITY = 4  # children per entry of the label heap (_push, _pop): fewer levels than binary


@njit(cache=True, inline="always")
def _before(key: float, x: int, p: float, key2: float, x2: int, p2: float) -> bool:
    # (key, source, path) < (key2, source2, path2), lexicographically, with x = source << 32 |
    # node: equal keys go to the lower source, then to the shorter path. An extended label is
    # never before the label it extends (key and path only grow), so labels leave the queue in
    # an order that no later label can undercut.
    if key != key2:
        return key < key2
    c = x >> 32
    c2 = x2 >> 32
    if c != c2:
        return c < c2
    if p != p2:
        return p < p2
    return x < x2


@njit(cache=True, inline="always")
def _push(hk, hp, hx, size, key, x, p):
    # add the label (key, x, p) to the heap, growing it when full; return the arrays and the
    # size (the hole moves up, the label is written once)
    if size == hk.size:
        hk2 = np.empty(2 * size)
        hp2 = np.empty(2 * size)
        hx2 = np.empty(2 * size, dtype=np.int64)
        hk2[:size] = hk[:size]
        hp2[:size] = hp[:size]
        hx2[:size] = hx[:size]
        hk, hp, hx = hk2, hp2, hx2
    i = size
    while i > 0:
        parent = (i - 1) // _ARITY
        if not _before(key, x, p, hk[parent], hx[parent], hp[parent]):
            break
        hk[i] = hk[parent]
        hp[i] = hp[parent]
        hx[i] = hx[parent]
        i = parent
    hk[i] = key
    hp[i] = p
    hx[i] = x
    return hk, hp, hx, size + 1


@njit(cache=True, inline="always")
def _pop(hk, hp, hx, size):
    # remove the first label of the heap; return its path seconds, its x and the new size
    # (the last label sifts down from the root)
    p = hp[0]
    x = hx[0]
    size -= 1
    if size > 0:
        lk = hk[size]
        lp = hp[size]
        lx = hx[size]
        i = 0
        while True:
            first = _ARITY * i + 1
            if first >= size:
                break
            best = first
            bk = hk[first]
            bx = hx[first]
            bp = hp[first]
            for j in range(first + 1, min(first + _ARITY, size)):
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
    return p, x, size


@njit(cache=True)
def k_nearest_labels(indptr, indices, weights, source_nodes, offsets, target_slot, n_targets, k,
                     keep_nodes):  # fmt: skip
    n = indptr.size - 1
    count = np.zeros(n, dtype=np.int32)  # labels settled at each node (<= k)
    owner = np.empty(n * k, dtype=np.int32)  # the sources of those labels
    node_p = np.empty(n * k if keep_nodes else 0)  # and their path seconds, when kept
    out_s = np.full((n_targets, k), np.inf)  # path seconds of the targets' labels
    out_c = np.full((n_targets, k), -1, dtype=np.int32)  # their sources
    cap = max(1024, 2 * source_nodes.size)
    hk = np.empty(cap)  # key: path seconds + the source's offset
    hp = np.empty(cap)  # path seconds alone (summed from the source along the edges)
    hx = np.empty(cap, dtype=np.int64)  # source << 32 | node
    size = 0
    for c in range(source_nodes.size):
        x = (np.int64(c) << 32) | np.int64(source_nodes[c])
        hk, hp, hx, size = _push(hk, hp, hx, size, offsets[c], x, 0.0)
    waiting = n_targets  # targets with fewer than k labels
    while size > 0 and (waiting > 0 or keep_nodes):
        p, x, size = _pop(hk, hp, hx, size)
        c = x >> 32
        v = x & 0xFFFFFFFF
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
        if keep_nodes:
            node_p[base + m] = p
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
            hk, hp, hx, size = _push(hk, hp, hx, size, q + offset, (c << 32) | w, q)
    return out_s, out_c, count, owner, node_p


@njit(cache=True)
def _nearest_open_one(
    indptr, indices, weights, start, origin_min, slot_ptr, slot_centre, centre_min, open_mask,
    d_min_open, dist, stamp, mark, best_t, best_c,
):  # fmt: skip
    # a Dijkstra search from ``start`` that stops when nothing unsettled can beat the
    # second-best open centre found (times in minutes: path/60 + origin + centre leg). Its queue
    # is a binary heap of (seconds, node), not the label heap: that one (three arrays, 4-ary,
    # compared by _before) made these short searches about 14 % slower
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


@njit(cache=True)
def _first_two_open(v, count, owner, node_p, k, offsets, open_mask, margin_s, labels_out):
    # the first two open labels of node v's list (positions into its k slots, -1 if none) and
    # whether they are certain: a full list must hold them strictly before its k-th key
    j1 = -1
    j2 = -1
    m = count[v]
    for j in range(m):
        if open_mask[owner[v * k + j]]:
            if j1 < 0:
                j1 = j
            else:
                j2 = j
                break
    labels_out[0] = j1
    labels_out[1] = j2
    if m < k:
        return True  # every centre that reaches v is listed
    if j2 < 0:
        return False
    last = node_p[v * k + k - 1] + offsets[owner[v * k + k - 1]]
    key2 = node_p[v * k + j2] + offsets[owner[v * k + j2]]
    return key2 < last - margin_s


@njit(cache=True)
def repair_open(
    f_indptr, f_indices, f_weights, r_indptr, r_indices, r_weights, count, owner, node_p, k,
    centre_nodes, offsets, open_mask, margin_s, targets,
):  # fmt: skip
    n = count.size
    slot = np.full(n, -1, dtype=np.int64)  # position of each affected node
    labels = np.empty(2, dtype=np.int64)
    n_aff = 0
    for v in range(n):
        if not _first_two_open(v, count, owner, node_p, k, offsets, open_mask, margin_s,
                               labels):  # fmt: skip
            slot[v] = n_aff
            n_aff += 1
    # the affected nodes' two nearest open centres: a label-setting search inside them, seeded
    # with the open centres on them, their own open labels (exact times) and their unaffected
    # neighbours' certain ones
    got = np.zeros(n_aff, dtype=np.int32)
    got_c = np.full((n_aff, 2), -1, dtype=np.int64)
    got_p = np.full((n_aff, 2), np.inf)
    hk = np.empty(1024)
    hp = np.empty(1024)
    hx = np.empty(1024, dtype=np.int64)
    size = 0
    for c in range(centre_nodes.size):  # an open centre on an affected node starts there
        v = np.int64(centre_nodes[c])
        if open_mask[c] and slot[v] >= 0:
            hk, hp, hx, size = _push(hk, hp, hx, size, offsets[c], (np.int64(c) << 32) | v, 0.0)
    for v in range(n):
        if slot[v] < 0:
            continue
        for j in range(count[v]):
            c = np.int64(owner[v * k + j])
            if open_mask[c]:
                q = node_p[v * k + j]
                hk, hp, hx, size = _push(hk, hp, hx, size, q + offsets[c], (c << 32) | v, q)
        for e in range(f_indptr[v], f_indptr[v + 1]):  # v -> u on the roads: u's labels reach v
            u = np.int64(f_indices[e])
            if slot[u] >= 0:
                continue
            _first_two_open(u, count, owner, node_p, k, offsets, open_mask, margin_s, labels)
            for t in range(2):
                j = labels[t]
                if j < 0:
                    continue
                c = np.int64(owner[u * k + j])
                q = node_p[u * k + j] + f_weights[e]
                hk, hp, hx, size = _push(hk, hp, hx, size, q + offsets[c], (c << 32) | v, q)
    while size > 0:
        p, x, size = _pop(hk, hp, hx, size)
        c = x >> 32
        v = x & 0xFFFFFFFF
        a = slot[v]
        m = got[a]
        if m >= 2 or (m == 1 and got_c[a, 0] == c):
            continue
        got_c[a, m] = c
        got_p[a, m] = p
        got[a] = m + 1
        for e in range(r_indptr[v], r_indptr[v + 1]):
            w = np.int64(r_indices[e])
            b = slot[w]
            if b < 0:
                continue  # an unaffected node keeps its own, certain, labels
            mb = got[b]
            if mb >= 2 or (mb == 1 and got_c[b, 0] == c):
                continue
            q = p + r_weights[e]
            hk, hp, hx, size = _push(hk, hp, hx, size, q + offsets[c], (c << 32) | w, q)
    # the targets' two nearest open centres: from their own lists, or from the repair
    out_c = np.full((targets.size, 2), -1, dtype=np.int32)
    out_p = np.full((targets.size, 2), np.inf)
    for r in range(targets.size):
        v = targets[r]
        a = slot[v]
        if a >= 0:
            for t in range(2):
                out_c[r, t] = got_c[a, t]
                out_p[r, t] = got_p[a, t]
        else:
            _first_two_open(v, count, owner, node_p, k, offsets, open_mask, margin_s, labels)
            for t in range(2):
                j = labels[t]
                if j >= 0:
                    out_c[r, t] = owner[v * k + j]
                    out_p[r, t] = node_p[v * k + j]
    return out_p, out_c, n_aff
