"""`integrity scan`: run every registered signal of a kind, keep the flags that reach their threshold, store them.

Signal modules are found by name (`ipoffice.integrity.*_signals`, via pkgutil), so a desk module that defines
signals joins the scan by existing. A signal that raises is reported in `warnings` and the others still run:
one broken pass must not hide what the rest found.
"""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
import time
import traceback
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ipoffice.core import tables as t
from ipoffice.integrity import signals as sig
from ipoffice.integrity.flags import Flag
from ipoffice.integrity.rules import IntegrityRules, default_rules

KINDS = ("patent", "trademark")
ENGINES = ("duckdb", "spark", "python")
DEFAULT_FLAG_THRESHOLD = 0.5


class ScanInputError(ValueError):
    """Bad scan options (unknown kind or engine); nothing was scanned."""


def discover() -> list[str]:
    """Import every `ipoffice.integrity.*_signals` module; return the problems met (as warnings)."""
    import ipoffice.integrity as pkg

    problems = []
    for m in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if m.name.endswith("_signals"):
            try:
                importlib.import_module(f"ipoffice.integrity.{m.name}")
            except Exception as exc:  # noqa: BLE001 - a broken module must not stop the scan
                problems.append(f"signal module {m.name} not loaded: {type(exc).__name__}: {exc}")
    return problems


def flag_threshold(rules: IntegrityRules, f: Flag) -> float:
    b = rules.in_force(f.behaviour, f.filing_date)
    return float(b.thresholds.get("flag", DEFAULT_FLAG_THRESHOLD)) if b else DEFAULT_FLAG_THRESHOLD


def _merge(flags: list[Flag]) -> list[Flag]:
    """One flag per (kind, number, behaviour): the highest score, the other signals' evidence kept beside it."""
    best: dict[tuple[str, str, str], Flag] = {}
    others: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for f in sorted(flags, key=lambda f: -f.score):
        key = (f.kind, f.number, f.behaviour)
        if key not in best:
            best[key] = f
        else:
            others.setdefault(key, []).append({"signal": f.signal, "score": round(f.score, 4), **f.evidence})
    for key, extra in others.items():
        best[key].evidence = {**best[key].evidence, "other_signals": extra}
    return list(best.values())


def run_signals(ctx: sig.ScanContext) -> tuple[list[Flag], list[str], dict[str, Any]]:
    """Run the signals of ctx.kind; return the flags that reach their thresholds, warnings and per-signal counts."""
    warnings = discover()
    kinds = {ctx.kind} if ctx.kind else set(KINDS)
    if "patent" in kinds:
        kinds.add("agency")  # agencies are judged on their patent filings (Order 77 Art. 4)
    raised: list[Flag] = []
    per_signal: dict[str, Any] = {}
    for name, sdef in sorted(sig.REGISTRY.items()):
        if sdef.kind not in kinds:
            continue
        started = time.perf_counter()
        try:
            got = [f for f in sdef.fn(ctx) if f is not None]
        except Exception as exc:  # noqa: BLE001 - reported, the others still run
            last = traceback.extract_tb(exc.__traceback__)[-1]
            warnings.append(
                f"signal {name} failed: {type(exc).__name__}: {exc} ({Path(last.filename).name}:{last.lineno})"
            )
            per_signal[name] = {"error": str(exc)}
            continue
        for f in got:
            f.signal = f.signal or name
        kept = [
            f
            for f in got
            if f.score >= flag_threshold(ctx.rules, f)
            and (ctx.since is None or f.filing_date is None or f.filing_date >= ctx.since)
        ]
        per_signal[name] = {
            "raised": len(got),
            "kept": len(kept),
            "seconds": round(time.perf_counter() - started, 3),
        }
        raised.extend(kept)
    return _merge(raised), warnings, per_signal


def flag_json(rules: IntegrityRules, f: Flag, row: t.IntegrityFlag | None = None) -> dict[str, Any]:
    """A flag as scan, queue and the API print it (the contract: number, behaviour, score, legal_basis, evidence)."""
    d = f.to_json()
    b = rules.in_force(f.behaviour, f.filing_date)
    # The contract: `behaviour` names the rule as law cites it (`order77-3.1`, `samr17-8.4`); `code` is the
    # behaviour's stable code across rule versions (P1); `evidence` a list naming the related numbers and figures;
    # `details` the signal's full evidence as it computed it (passages, statistics, gaps...).
    d["code"] = f.behaviour
    d["rule"] = rules.ref(b) if b else None
    d["behaviour"] = d["rule"] or f.behaviour
    d["details"] = f.evidence
    d["evidence"] = evidence_list(f.evidence, f.number)
    if row is not None:
        d["id"] = row.id
        d["status"] = row.status
    return d


def evidence_list(evidence: dict[str, Any], own: str) -> list[dict[str, Any]]:
    """The evidence as a flat list scripts can read: each related document (number, role, title...), then each
    figure (name, value), then whatever else the signal said (passages, words, statistics) by its name."""
    out: list[dict[str, Any]] = []
    for doc in evidence.get("documents") or []:
        ref = doc if isinstance(doc, dict) else {"number": str(doc)}
        if ref.get("number") != own or ref.get("role") not in (None, "filing"):
            out.append({"type": "document", **ref})
    for name, value in (evidence.get("figures") or {}).items():
        out.append({"type": "figure", "name": name, "value": value})
    for name, value in evidence.items():
        if name not in ("documents", "figures"):
            out.append({"type": name, "value": value})
    return out


def row_to_flag(row: t.IntegrityFlag) -> Flag:
    return Flag(
        number=row.number,
        kind=row.kind,
        behaviour=row.behaviour,
        score=row.score,
        legal_basis=row.legal_basis,
        evidence=row.evidence or {},
        rule_version=row.rule_version,
        filing_date=row.filing_date,
        signal=row.signal,
    )


def save_flags(session: Session, flags: list[Flag], scan_id: int | None) -> tuple[list[t.IntegrityFlag], int, int]:
    """Insert new flags, update those already stored for (kind, number, behaviour); decisions are kept."""
    from sqlalchemy import select

    rows, new, updated = [], 0, 0
    now = t.utcnow()
    for f in flags:
        row = session.scalar(
            select(t.IntegrityFlag).where(
                t.IntegrityFlag.kind == f.kind,
                t.IntegrityFlag.number == f.number,
                t.IntegrityFlag.behaviour == f.behaviour,
            )
        )
        if row is None:
            row = t.IntegrityFlag(kind=f.kind, number=f.number, behaviour=f.behaviour, status="open", created_at=now)
            session.add(row)
            new += 1
        else:
            updated += 1
        row.score = float(f.score)
        row.legal_basis = f.legal_basis
        row.evidence = f.evidence
        row.rule_version = f.rule_version
        row.signal = f.signal
        row.filing_date = f.filing_date
        row.scan_id = scan_id
        row.updated_at = now
        rows.append(row)
    session.flush()
    return rows, new, updated


def scan(
    store: Any,
    kind: str | None = None,
    since: dt.date | None = None,
    engine: str = "duckdb",
    rules: IntegrityRules | None = None,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run a scan and store its flags; the JSON the CLI prints (`results`: flags; `warnings`; `counts`)."""
    if kind is not None and kind not in KINDS:
        raise ScanInputError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    if engine not in ENGINES:
        raise ScanInputError(f"unknown engine {engine!r}; one of {', '.join(ENGINES)}")
    rules = rules or default_rules()
    ctx = sig.ScanContext(
        engine=store.engine,
        rules=rules,
        home=getattr(store, "home", None),
        since=since,
        kind=kind,
        engine_name=engine,
        options={"store": store, **(options or {})},
    )
    with store.session() as s:
        run = t.IntegrityScan(kind=kind or "all", since=since, engine=engine, counts={})
        s.add(run)
        s.commit()
        scan_id = run.id
    started = time.perf_counter()
    flags, warnings, per_signal = run_signals(ctx)
    with store.session() as s:
        rows, new, updated = save_flags(s, flags, scan_id)
        run = s.get(t.IntegrityScan, scan_id)
        counts = {
            "flags": len(rows),
            "new": new,
            "updated": updated,
            "by_behaviour": _count(f.behaviour for f in flags),
            "signals": per_signal,
            "seconds": round(time.perf_counter() - started, 3),
        }
        run.counts = counts
        run.finished = t.utcnow()
        results = [flag_json(rules, f, r) for f, r in zip(flags, rows, strict=True)]
        s.commit()
    results.sort(key=lambda d: (d["number"], d["behaviour"]))
    return {
        "scan_id": scan_id,
        "kind": kind or "all",
        "since": since.isoformat() if since else None,
        "engine": engine,
        "counts": counts,
        "warnings": warnings,
        "results": results,
    }


def _count(items: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for x in items:
        out[x] = out.get(x, 0) + 1
    return dict(sorted(out.items()))
