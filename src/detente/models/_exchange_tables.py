"""Bookkeeping for the exchange model (:mod:`detente.models.exchange`): the log of realised exchanges and the
tidy tables and per-round JSON built from it. No model equations live here."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pandas loads when the tables are built
    import pandas as pd

CLASSES = ("own", "inner", "outer")
_FIELDS = (
    "a", "b", "e", "f", "G", "g_a", "g_b", "m_ae", "m_bf", "start_e", "start_f", "O0_e", "O0_f", "O1_e", "O1_f",
    "t_e", "t_f",
)  # fmt: skip


class ExchangeLog:
    """Realised exchanges of one draw, round by round, in internal (0–100) units."""

    def __init__(self, actors: tuple[str, ...], issues: tuple[str, ...], span: np.ndarray) -> None:
        self.actors, self.issues, self.span = actors, issues, span
        self.rounds: list[dict[str, np.ndarray]] = []
        self.external: list[dict[str, np.ndarray]] = []

    def add_round(self, r: int, ex: dict[str, np.ndarray], ext: dict[str, np.ndarray]) -> None:
        """Record round ``r`` whole: its exchanges as column arrays (a, b, e, f, tied as ints, the other fields of
        ``_FIELDS`` as floats) and their externalities."""
        self.rounds.append(ex)
        self.external.append(ext)

    def ties(self) -> list[dict[str, int]]:
        """Realised exchanges that won a tie: ``round``, ``order`` (1-based within the round) and ``tied_with``, the
        number of other candidates that had the same gain (within the tie tolerance) when it was chosen."""
        out = []
        for r, ex in enumerate(self.rounds):
            tied = ex.get("tied", np.zeros(ex["a"].size, int))
            out += [{"round": r + 1, "order": int(k) + 1, "tied_with": int(tied[k])} for k in np.flatnonzero(tied)]
        return out

    def columns(self, r: int, lower: np.ndarray) -> dict[str, np.ndarray]:
        """Round ``r`` (0-based) as columns on the issues' own scales; side 1 supplies the earlier issue."""
        ex = self.rounds[r]
        k = ex["a"].size
        actors, issues = np.asarray(self.actors, dtype=object), np.asarray(self.issues, dtype=object)
        return _columns(
            ex, np.full(k, r + 1), np.arange(1, k + 1), self.span, lower, lambda c: actors[c], lambda c: issues[c]
        )


def _columns(
    ex: dict[str, np.ndarray],
    rnd: np.ndarray,
    order: np.ndarray,
    span: np.ndarray,
    lower: np.ndarray,
    actor_names: Callable[[np.ndarray], Any],
    issue_names: Callable[[np.ndarray], Any],
) -> dict[str, Any]:
    """Exchanges ``ex`` (:meth:`ExchangeLog.add_round`'s arrays) as table columns; side 1 supplies the earlier issue."""
    swap = ex["e"] > ex["f"]
    pick = lambda u, v: np.where(swap, ex[v], ex[u])  # noqa: E731
    sides = {
        1: (pick("a", "b"), pick("e", "f"), pick("t_e", "t_f"), pick("start_e", "start_f"), pick("m_ae", "m_bf"),
            pick("g_a", "g_b")),
        2: (pick("b", "a"), pick("f", "e"), pick("t_f", "t_e"), pick("start_f", "start_e"), pick("m_bf", "m_ae"),
            pick("g_b", "g_a")),
    }  # fmt: skip
    out: dict[str, Any] = {"round": rnd, "order": order}
    for s, (act, iss, toward, start, mv, g) in sides.items():
        sp, lo = span[iss], lower[iss]
        out[f"actor_{s}"] = actor_names(act)
        out[f"supply_{s}"] = issue_names(iss)
        out[f"demand_{s}"] = issue_names(sides[3 - s][1])
        out[f"from_{s}"] = start * sp + lo
        out[f"move_{s}"] = mv * sp
        out[f"to_{s}"] = (start + mv) * sp + lo
        out[f"toward_{s}"] = toward * sp + lo
        out[f"gain_{s}"] = g
    out["gain"] = ex["G"]
    return out


EXCHANGE_COLUMNS = [
    "draw", "round", "order",
    "actor_1", "supply_1", "demand_1", "from_1", "move_1", "to_1", "toward_1", "gain_1",
    "actor_2", "supply_2", "demand_2", "from_2", "move_2", "to_2", "toward_2", "gain_2",
    "gain",
]  # fmt: skip


def build_tables(logs: list[ExchangeLog], lower: np.ndarray) -> dict[str, pd.DataFrame]:
    """Tidy tables: ``exchanges``, ``externalities`` (one row per exchange × present actor) and its sums per
    actor (``externalities_by_actor``), per issue pair (``externalities_by_pair``) and per exchange
    (``externalities_by_exchange``), each with positive and negative parts per class.

    Vectorised over draws and rounds: every round's exchanges are concatenated and turned into columns at once.
    Identical to :func:`_build_tables_loop` (one draw and round at a time), which stays for logs that do not share
    actors, issues and scales.
    """
    import pandas as pd

    if not logs:
        return _build_tables_loop(logs, lower)
    first = logs[0]
    if any(log.actors != first.actors or log.issues != first.issues or log.span is not first.span for log in logs):
        return _build_tables_loop(logs, lower)
    rounds = [(d, r, ex, log.external[r]) for d, log in enumerate(logs) for r, ex in enumerate(log.rounds)]
    rounds = [item for item in rounds if item[2]["a"].size]
    if not rounds:
        return _build_tables_loop(logs, lower)
    sizes = np.array([item[2]["a"].size for item in rounds])
    ex = {k: np.concatenate([item[2][k] for item in rounds]) for k in _FIELDS}
    draw = np.repeat(np.array([item[0] for item in rounds]), sizes)
    rnd = np.repeat(np.array([item[1] + 1 for item in rounds]), sizes)
    order = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes) + 1
    actors, issues = _strings(first.actors), _strings(first.issues)
    cols = _columns(ex, rnd, order, first.span, lower, lambda c: actors.take(c), lambda c: issues.take(c))
    cols["draw"] = draw
    exchanges = pd.DataFrame({c: cols[c] for c in EXCHANGE_COLUMNS})
    present = np.concatenate([item[3]["present"] for item in rounds])
    kk, aa = np.nonzero(present)
    cls = np.concatenate([item[3]["class"] for item in rounds])[kk, aa]
    value = np.concatenate([item[3]["value"] for item in rounds])[kk, aa]
    i1, i2 = np.minimum(ex["e"], ex["f"])[kk], np.maximum(ex["e"], ex["f"])[kk]
    externalities = pd.DataFrame(
        {
            "draw": draw[kk],
            "round": rnd[kk],
            "order": order[kk],
            "actor": actors.take(aa),
            "issue_1": issues.take(i1),
            "issue_2": issues.take(i2),
            "class": _strings(CLASSES).take(cls),
            "value": value,
        }
    )
    # the sums, grouped on integer codes that sort like the names (same groups, same row order within each group,
    # so the same sums as summarise() on the strings); the names are put back afterwards
    a_rank, i_rank = _rank(first.actors), _rank(first.issues)
    coded = {
        "draw": draw[kk],
        "round": rnd[kk],
        "order": order[kk],
        "actor": a_rank[aa],
        "issue_1": i_rank[i1],
        "issue_2": i_rank[i2],
        "part": 2 * cls + ~(value >= 0),  # <class>_positive / <class>_negative, as in summarise
        "value": value,
    }
    names = {
        "actor": _strings(sorted(first.actors)),
        "issue_1": _strings(sorted(first.issues)),
        "issue_2": _strings(sorted(first.issues)),
    }
    tables = {"exchanges": exchanges, "externalities": externalities}
    for name, keys in (
        ("externalities_by_actor", ["draw", "round", "actor"]),
        ("externalities_by_pair", ["draw", "round", "issue_1", "issue_2"]),
        ("externalities_by_exchange", ["draw", "round", "order"]),
    ):
        tables[name] = _summarise_coded(coded, keys, names)
    return tables


def _rank(names: tuple[str, ...]) -> np.ndarray:
    """Each name's position in ``sorted(names)`` (code-point order, as pandas sorts strings)."""
    order = sorted(range(len(names)), key=lambda k: names[k])
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names))
    return rank


def _summarise_coded(coded: dict[str, np.ndarray], keys: list[str], names: dict[str, Any]) -> pd.DataFrame:
    """:func:`summarise` on ``coded`` (string keys as rank codes, ``part`` as 0–5 in the order of its columns).

    One mixed-radix integer per (keys, part) group, ordered like the keys: pandas' grouped sum over it adds each
    group's rows in the same order as the pivot table in :func:`summarise`, so the sums are the same.
    """
    import pandas as pd

    cols = [f"{c}_{s}" for c in CLASSES for s in ("positive", "negative")]
    key = np.zeros(coded["value"].size, dtype=np.int64)
    radix = []
    for k in keys:
        v = coded[k]
        r = int(v.max()) + 1
        radix.append(r)
        key = key * r + v
    sums = pd.Series(coded["value"]).groupby(key * len(cols) + coded["part"], sort=True).sum()
    group, part = np.divmod(sums.index.to_numpy(), len(cols))
    uniq, row = np.unique(group, return_inverse=True)
    table = np.zeros((uniq.size, len(cols)))
    table[row, part] = sums.to_numpy()
    out: dict[str, Any] = {}
    rest = uniq
    for k, r in zip(reversed(keys), reversed(radix), strict=True):
        rest, v = np.divmod(rest, r)
        out[k] = names[k].take(v) if k in names else v
    frame = pd.DataFrame({k: out[k] for k in keys})
    values = pd.DataFrame(table, columns=pd.Index(cols))
    values["total"] = values.sum(axis=1)
    return pd.concat([frame, values], axis=1)


def _strings(names: Any) -> Any:
    """``names`` as the array pandas makes of an object array of strings (``str`` dtype in pandas 3), for ``take``."""
    import pandas as pd

    return pd.Series(np.asarray(names, dtype=object)).array


def _build_tables_loop(logs: list[ExchangeLog], lower: np.ndarray) -> dict[str, pd.DataFrame]:
    """:func:`build_tables` one draw and round at a time (the reference the vectorised version must equal)."""
    import pandas as pd

    ex_parts: list[dict[str, np.ndarray]] = []
    ext_parts: list[dict[str, np.ndarray]] = []
    for d, log in enumerate(logs):
        actors, issues = np.asarray(log.actors, dtype=object), np.asarray(log.issues, dtype=object)
        for r in range(len(log.rounds)):
            ex = log.rounds[r]
            if ex["a"].size == 0:
                continue
            cols = log.columns(r, lower)
            cols["draw"] = np.full(ex["a"].size, d)
            ex_parts.append(cols)
            ext = log.external[r]
            kk, aa = np.nonzero(ext["present"])
            ext_parts.append(
                {
                    "draw": np.full(kk.size, d),
                    "round": np.full(kk.size, r + 1),
                    "order": kk + 1,
                    "actor": actors[aa],
                    "issue_1": issues[np.minimum(ex["e"], ex["f"])[kk]],
                    "issue_2": issues[np.maximum(ex["e"], ex["f"])[kk]],
                    "class": np.asarray(CLASSES, dtype=object)[ext["class"][kk, aa]],
                    "value": ext["value"][kk, aa],
                }
            )
    exchanges = pd.DataFrame({c: _concat(ex_parts, c) for c in EXCHANGE_COLUMNS})
    ext_cols = ["draw", "round", "order", "actor", "issue_1", "issue_2", "class", "value"]
    externalities = pd.DataFrame({c: _concat(ext_parts, c) for c in ext_cols})
    tables = {"exchanges": exchanges, "externalities": externalities}
    for name, keys in (
        ("externalities_by_actor", ["draw", "round", "actor"]),
        ("externalities_by_pair", ["draw", "round", "issue_1", "issue_2"]),
        ("externalities_by_exchange", ["draw", "round", "order"]),
    ):
        tables[name] = summarise(externalities, keys)
    return tables


def _concat(parts: list[dict[str, np.ndarray]], col: str) -> np.ndarray:
    if parts:
        return np.concatenate([p[col] for p in parts])
    return np.empty(0, dtype=_dtype(col))


def _dtype(col: str) -> type:
    if col in ("draw", "round", "order"):
        return int
    if col.startswith(("actor", "supply", "demand", "issue", "class")):
        return object
    return float


def summarise(ext: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sum externalities by ``keys``: columns ``<class>_positive``, ``<class>_negative`` and ``total``."""
    import pandas as pd

    cols = [f"{c}_{s}" for c in CLASSES for s in ("positive", "negative")]
    if ext.empty:
        return pd.DataFrame(columns=[*keys, *cols, "total"])
    sign = np.where(ext["value"].to_numpy() >= 0, "positive", "negative")
    tmp = ext.assign(part=ext["class"].astype(str) + "_" + sign)
    out = tmp.pivot_table(index=keys, columns="part", values="value", aggfunc="sum", fill_value=0.0)
    out = out.reindex(columns=cols, fill_value=0.0)
    out["total"] = out.sum(axis=1)
    out.columns.name = None
    return out.reset_index()


def round_documents(log: ExchangeLog, candidates: list[int], lower: np.ndarray) -> list[dict[str, Any]]:
    """``info["exchange_rounds"]``: per round, ``round``, ``candidates`` and the realised ``exchanges``."""
    docs = []
    for r, nc in enumerate(candidates):
        cols = log.columns(r, lower)
        tied = log.rounds[r].get("tied", np.zeros(cols["order"].size, int))
        out = []
        for k in range(cols["order"].size):
            item: dict[str, Any] = {"order": int(cols["order"][k])}
            for s in (1, 2):
                item[f"actor_{s}"] = str(cols[f"actor_{s}"][k])
                item[f"supply_{s}"] = str(cols[f"supply_{s}"][k])
                item[f"move_{s}"] = {
                    "from": float(cols[f"from_{s}"][k]),
                    "to": float(cols[f"to_{s}"][k]),
                    "move": float(cols[f"move_{s}"][k]),
                    "toward": float(cols[f"toward_{s}"][k]),
                }
                item[f"gain_{s}"] = float(cols[f"gain_{s}"][k])
            item["gain"] = float(cols["gain"][k])
            item["tied_with"] = int(tied[k])
            out.append(item)
        docs.append({"round": r + 1, "candidates": int(nc), "exchanges": out})
    return docs
