"""The compiled core of :mod:`centrereach.transit` (numba): bounded Dijkstra and the backward
connection-scan profile search. Imported only when public transport is routed (numba compiles
these on first use and caches the machine code in ``__pycache__``)."""

# mypy: ignore-errors
# numba kernels: plain NumPy arrays in, no annotations (numba infers the types).

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["bounded", "many_centres", "one_centre"]


@njit(cache=True)
def heap_push(keys, vals, size, key, val):
    i = size
    keys[i] = key
    vals[i] = val
    while i > 0:
        parent = (i - 1) // 2
        if keys[parent] <= keys[i]:
            break
        keys[parent], keys[i] = keys[i], keys[parent]
        vals[parent], vals[i] = vals[i], vals[parent]
        i = parent
    return size + 1


@njit(cache=True)
def heap_pop(keys, vals, size):
    key, val = keys[0], vals[0]
    size -= 1
    keys[0] = keys[size]
    vals[0] = vals[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        small = left
        if left + 1 < size and keys[left + 1] < keys[left]:
            small = left + 1
        if keys[i] <= keys[small]:
            break
        keys[small], keys[i] = keys[i], keys[small]
        vals[small], vals[i] = vals[i], vals[small]
        i = small
    return key, val, size


@njit(cache=True)
def bounded(indptr, indices, weights, sources, start_cost, bound, wanted):
    """Dijkstra from each source (with an initial cost) up to ``bound``; the costs of the
    settled nodes with ``wanted[node] >= 0``, as CSR arrays (ptr, node, cost)."""
    n = indptr.size - 1
    dist = np.full(n, np.inf)
    touched = np.empty(n, np.int64)
    keys = np.empty(indices.size + 1, np.float64)
    vals = np.empty(indices.size + 1, np.int64)
    ptr = np.zeros(sources.size + 1, np.int64)
    cap = max(16, sources.size * 4)
    out_node = np.empty(cap, np.int64)
    out_cost = np.empty(cap, np.float64)
    count = 0
    for s in range(sources.size):
        n_touched = 0
        size = 0
        src = sources[s]
        if start_cost[s] <= bound:
            dist[src] = start_cost[s]
            touched[n_touched] = src
            n_touched += 1
            size = heap_push(keys, vals, size, start_cost[s], src)
        while size > 0:
            d, u, size = heap_pop(keys, vals, size)
            if d > dist[u]:
                continue
            if wanted[u] >= 0:
                if count == cap:
                    cap *= 2
                    grown_node = np.empty(cap, np.int64)
                    grown_cost = np.empty(cap, np.float64)
                    grown_node[:count] = out_node[:count]
                    grown_cost[:count] = out_cost[:count]
                    out_node, out_cost = grown_node, grown_cost
                out_node[count] = u
                out_cost[count] = d
                count += 1
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                nd = d + weights[e]
                if nd <= bound and nd < dist[v]:
                    if dist[v] == np.inf:
                        touched[n_touched] = v
                        n_touched += 1
                    dist[v] = nd
                    size = heap_push(keys, vals, size, nd, v)
        for t in range(n_touched):
            dist[touched[t]] = np.inf
        ptr[s + 1] = count
    return ptr, out_node[:count], out_cost[:count]


@njit(cache=True)
def evaluate(prof_dep, prof_arr, start, length, when):
    """Earliest arrival leaving a stop at or after ``when``: its profile is a list of
    (departure, arrival) with both decreasing; the answer is the arrival of the last entry
    that departs at or after ``when``."""
    if length == 0 or prof_dep[start] < when:
        return np.inf
    lo, hi = 0, length - 1  # prof_dep[start + lo] >= when
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if prof_dep[start + mid] >= when:
            lo = mid
        else:
            hi = mid - 1
    return prof_arr[start + lo]


@njit(cache=True)
def one_centre(
    c_dep_stop, c_arr_stop, c_dep, c_arr, c_trip, n_trips, egress,
    fp_ptr, fp_to, fp_time, slot_start, acc_ptr, acc_stop, acc_time, walk, deps, out,
):  # fmt: skip
    """Backward connection-scan profile from one centre, then every origin's door-to-door
    seconds by public transport for every departure (inf when no ride beats walking)."""
    n_stops = slot_start.size
    prof_dep = np.empty(c_dep.size, np.float64)
    prof_arr = np.empty(c_dep.size, np.float64)
    plen = np.zeros(n_stops, np.int64)
    trip_best = np.full(n_trips, np.inf)
    for k in range(c_dep.size):
        v = c_arr_stop[k]
        ta = c_arr[k]
        best = trip_best[c_trip[k]]  # stay on the vehicle
        x = ta + egress[v]  # get off and walk to the centre
        if x < best:
            best = x
        x = evaluate(prof_dep, prof_arr, slot_start[v], plen[v], ta)  # change here
        if x < best:
            best = x
        for j in range(fp_ptr[v], fp_ptr[v + 1]):  # walk to another stop and change
            w = fp_to[j]
            x = evaluate(prof_dep, prof_arr, slot_start[w], plen[w], ta + fp_time[j])
            if x < best:
                best = x
        trip_best[c_trip[k]] = best
        if best < np.inf:
            u = c_dep_stop[k]
            start = slot_start[u]
            length = plen[u]
            if length == 0:
                prof_dep[start] = c_dep[k]
                prof_arr[start] = best
                plen[u] = 1
            elif best < prof_arr[start + length - 1]:
                if prof_dep[start + length - 1] == c_dep[k]:
                    prof_arr[start + length - 1] = best
                else:
                    prof_dep[start + length] = c_dep[k]
                    prof_arr[start + length] = best
                    plen[u] = length + 1
    for o in range(walk.size):
        for i in range(deps.size):
            out[o, i] = np.inf  # the walk all the way is added by the caller, exactly
        for j in range(acc_ptr[o], acc_ptr[o + 1]):
            s = acc_stop[j]
            a = acc_time[j]
            if plen[s] == 0 or a >= walk[o]:
                continue  # no departure from s, or walking straight there is quicker
            for i in range(deps.size):
                x = evaluate(prof_dep, prof_arr, slot_start[s], plen[s], deps[i] + a) - deps[i]
                if x < out[o, i]:
                    out[o, i] = x


@njit(cache=True, parallel=True)
def many_centres(
    c_dep_stop, c_arr_stop, c_dep, c_arr, c_trip, n_trips, egress,
    fp_ptr, fp_to, fp_time, slot_start, acc_ptr, acc_stop, acc_time, walk, deps, out,
):  # fmt: skip
    for d in prange(egress.shape[0]):
        one_centre(
            c_dep_stop, c_arr_stop, c_dep, c_arr, c_trip, n_trips, egress[d],
            fp_ptr, fp_to, fp_time, slot_start, acc_ptr, acc_stop, acc_time,
            walk[:, d], deps, out[:, d, :],
        )  # fmt: skip
