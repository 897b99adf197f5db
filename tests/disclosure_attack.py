"""An attacker's reading of published small counts: every linear relation the published
cells obey, then the tightest bounds linear programming gives each hidden cell.

Written apart from ``dashboard.privacy`` on purpose: it knows only what a user sees (the
published values, the codes of the units, that a parent is the sum of its children and a
total the sum of its categories) and what the markers promise ("<5": 0 to 4, "*": 5 or
more).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import lil_matrix

TOTAL = "合计"
LENGTHS = (4, 6, 9, 12, 15)


def relations(published: dict) -> list[tuple[tuple, list[tuple]]]:
    """(total cell, part cells) of every relation among the published cells."""
    units = {u for u, _ in published}
    cats = sorted({c for _, c in published if c != TOTAL})
    out = []
    kids = defaultdict(list)
    for u in units:
        parent = next((u[:n] for n in reversed(LENGTHS) if n < len(u) and u[:n] in units),
                      None)
        if parent is not None:
            kids[parent].append(u)
    for parent, children in kids.items():
        for c in (*cats, TOTAL):
            if (parent, c) in published and all((k, c) in published for k in children):
                out.append(((parent, c), [(k, c) for k in children]))
    for u in units:
        if (u, TOTAL) in published and all((u, c) in published for c in cats):
            out.append(((u, TOTAL), [(u, c) for c in cats]))
    return out


def bounds_of(marker) -> tuple[float, float | None]:
    return (0, 4) if marker == "<5" else (5, None)


def attack(published: dict, truth: dict) -> list[tuple]:
    """Hidden cells whose value 1–4 the published cells pin: (cell, true value, lo, hi).

    ``published``: (unit, category) → int or marker; ``truth``: the true counts (to
    report, not to attack with). Each connected group of hidden cells is solved on its
    own (min and max of every "<5" cell with a true value above 0).
    """
    hidden = sorted(k for k, v in published.items() if isinstance(v, str))
    index = {k: i for i, k in enumerate(hidden)}
    rows = []
    for total, parts in relations(published):
        members = [(total, 1), *((p, -1) for p in parts)]
        unknown = [(k, s) for k, s in members if k in index]
        if not unknown:
            continue
        known = -sum(s * published[k] for k, s in members if k not in index)
        rows.append((unknown, known))
    # connected groups of hidden cells (union-find over the equations)
    parent = list(range(len(hidden)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for unknown, _ in rows:
        first = find(index[unknown[0][0]])
        for k, _ in unknown[1:]:
            parent[find(index[k])] = first
    groups = defaultdict(list)
    for k in hidden:
        groups[find(index[k])].append(k)
    eqs = defaultdict(list)
    for unknown, known in rows:
        eqs[find(index[unknown[0][0]])].append((unknown, known))
    pinned = []
    for root, cells in groups.items():
        targets = [k for k in cells if published[k] == "<5" and truth.get(k, 0) > 0]
        if not targets:
            continue
        local = {k: i for i, k in enumerate(cells)}
        equations = eqs[root]
        a = lil_matrix((max(1, len(equations)), len(cells)))
        b = np.zeros(max(1, len(equations)))
        for r, (unknown, known) in enumerate(equations):
            for k, s in unknown:
                a[r, local[k]] += s
            b[r] = known
        a = a.tocsr()
        bounds = [bounds_of(published[k]) for k in cells]
        # The true values are one solution; any other solution in which a target differs
        # by 1 or more proves it is not pinned. Pushing many targets at once (random
        # directions) settles most of them in a few solves; the rest get their own.
        true = np.array([truth.get(k, 0) for k in cells], dtype=float)
        open_ = set(targets)
        rng = np.random.default_rng(15)
        for _ in range(6):
            if not open_:
                break
            c = np.zeros(len(cells))
            for k in open_:
                c[local[k]] = rng.choice((-1.0, 1.0))
            res = linprog(c, A_eq=a, b_eq=b, bounds=bounds, method="highs")
            assert res.status == 0, res.message
            open_ = {k for k in open_ if abs(res.x[local[k]] - true[local[k]]) < 1 - 1e-6}
        for k in sorted(open_):
            c = np.zeros(len(cells))
            c[local[k]] = 1
            lo = linprog(c, A_eq=a, b_eq=b, bounds=bounds, method="highs")
            hi = linprog(-c, A_eq=a, b_eq=b, bounds=bounds, method="highs")
            assert lo.status == 0 and hi.status == 0, (k, lo.message, hi.message)
            if -hi.fun - lo.fun < 1 - 1e-6:
                pinned.append((k, truth[k], lo.fun, -hi.fun))
    return pinned
