"""Per-document patent signals P3 (generated text) and P4 (claim structure) as a streaming pass over the filings.

Why here, in the extraction pass: each filing is judged on its own text, so the work is linear and needs no
corpus in memory. The extraction already parses every record once, in worker processes and bounded batches;
judging P3/P4 there costs one more look at text already in hand, not a second read of a million records. What a
filing's judgement yields (behaviour code, signal, score, evidence) is written as rows of the `perdoc` table of
the extract, only for filings whose score reaches the flag threshold of the rule in force on their filing date,
so the table stays small. Both engines read that same table (`DuckDBPasses.perdoc_flags`,
`SparkPasses.perdoc_flags`), so the flags cannot depend on the engine.

The judgement itself (thresholds by filing date, the two-sided P3 test, the P4 components) is the one the
registered signals `generated_text` and `claim_structure` (in `patent_signals`) have always applied; they now read
their flags from here, whether the filings come from the store or from a benchmark's Parquet records.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from ipoffice.integrity import claims as claim_mod
from ipoffice.integrity.documents import FilingDoc, build_filing, doc_ref
from ipoffice.integrity.documents import parse_date as _date
from ipoffice.integrity.textstats import _CJK, _SENT, _TOKEN, FEATURES, FUNCTION_EN, FUNCTION_ZH, drift_z, windows

PERDOC_SIGNALS = ("claim_structure", "generated_text")


@dataclass
class PerDocSpec:
    """What the workers need to judge a filing: the rules (thresholds by date) and the generated-text model."""

    rules: Any  # IntegrityRules
    model: Any = None  # textstats.GeneratedTextModel; None: P3 is not judged
    model_where: str = ""


def _title(titles: dict[str, str], language: str | None) -> str:
    if not titles:
        return ""
    for lang in (language, "zh", "en"):
        if lang and lang in titles:
            return titles[lang]
    return next(iter(titles.values()))


def filing_from_record(doc_id: int, data: dict[str, Any]) -> FilingDoc:
    """A FilingDoc from a PatentRecord-shaped dict (`patent_documents.data`, or a benchmark's record): the same
    fields `documents.to_filing` reads from a store row (language, dates, family, title come from the record)."""
    lang = data.get("language")
    return build_filing(
        data,
        id=doc_id,
        number=str(data.get("number") or ""),
        country=str(data.get("country") or ""),
        language=lang,
        application_date=_date(data.get("application_date")),
        publication_date=_date(data.get("publication_date")),
        family_id=data.get("family_id"),
        title=_title(data.get("titles") or {}, lang),
    )


def _gaps(doc: FilingDoc) -> dict[str, Any]:
    return {"gaps": doc.gaps} if doc.gaps else {}


def _flag_at(rules: Any, code: str, day: dt.date | None) -> tuple[Any, float]:
    b = rules.in_force(code, day)
    return b, float(b.thresholds.get("flag", 0.5)) if b else 1.0


def judge_p4(spec: PerDocSpec, doc: FilingDoc) -> tuple[float, dict[str, Any]] | None:
    """Order 77 Art. 3(4): the claim-structure finding of one filing under the rule of its date."""
    b = spec.rules.in_force("P4", doc.filing_date)
    if b is None or not doc.claims:
        return None
    f = claim_mod.analyse(doc.claims, dict(b.thresholds))
    if not f.components:
        return None
    ev = {"documents": [doc_ref(doc, "filing")], "figures": f.counts, **claim_mod.as_evidence(f), **_gaps(doc)}
    return f.score, ev


def _p3_prepare(spec: PerDocSpec, doc: FilingDoc, prefilter: bool) -> tuple[dict[str, Any], Any, dict] | None:
    """(statistics, classifier input or None, thresholds) of a filing, or None when P3 does not judge it."""
    m = spec.model
    b = spec.rules.in_force("P3", doc.filing_date)
    if m is None or b is None or doc.language not in m.lms:
        return None  # text statistics are per language: no model of this language's real patents, no judgement
    th = b.thresholds
    flag = float(th.get("flag", 0.5))
    min_z = float(th.get("drift_min_z", 2.5))
    # with the prefilter, a filing whose drift alone keeps its score under the flag is not classified: the score
    # is 0.8 x min(classifier / its threshold, drift / its threshold), so drift bounds it (a small margin below
    # the bound, as the score is rounded to 4 places before it is compared with the flag)
    min_windows = int(th.get("min_windows", 2))
    if prefilter:
        may = _may_drift(m, doc.text(4000), (flag - 1e-4) / 0.8 * min_z, min_windows)
        if may is None:
            return None  # too short to judge, as `prepare` would find
        if not may:
            return {}, None, th  # drift under the bound: not classified, as `prepare` would find
    res, x = m.prepare(
        doc.text(4000), min_drift=(flag - 1e-4) / 0.8 * min_z if prefilter else None, min_windows=min_windows
    )
    if res is None or res["windows"] < min_windows:
        return None  # too little text to judge: type/token figures of a short abstract sit far from any page's
    return res, x, th


_DRIFT_COLS = tuple(FEATURES.index(f) for f in ("content_repeat", "hapax_ratio", "ttr"))
_DRIFT_SLACK = 0.01  # `prepare` rounds each z to 2 places: below the bound by more, it cannot reach it


def text_tokens(text: str) -> list[str]:
    """`textstats.tokens`, the same list: lower-cased in one C-level map rather than a comprehension."""
    return list(map(str.lower, _TOKEN.findall(text)))


def _sentences(text: str) -> list[list[str]]:
    """`textstats.sentences` (sentences of >= 2 tokens), through `text_tokens`."""
    return [ts for s in _SENT.split(text) if len(ts := text_tokens(s)) >= 2]


def _may_drift(m: Any, text: str, min_drift: float, min_windows: int) -> bool | None:
    """Could this text reach `min_drift`? None when it has under `min_windows` windows. The three figures that
    `drift_z` reads (content-word repetition, hapax share, type/token ratio) per window, as `window_features`
    computes them (content words counted over the window's distinct words: the same integer sums), without the
    bigram model's log-probabilities and the trigram and overlap counts that only the classifier needs: at a
    million filings most texts stop here (the statistics had cost about 40 % of the extraction)."""
    lang = m._lang(text)
    ws = windows(_sentences(text))[:20]
    if not ws or len(ws) < min_windows:
        return None
    rows = []
    for w in ws:
        toks = [t for s in w for t in s]
        n = max(1, len(toks))
        counts = Counter(toks)
        fw = FUNCTION_ZH if toks and _CJK.match(toks[0]) else FUNCTION_EN
        n_content = repeated = hapax = 0
        for t, c in counts.items():
            if c == 1:
                hapax += 1
            if t not in fw and not t[0].isdigit() and (len(t) > 2 or _CJK.match(t)):
                n_content += c
                if c >= 2:
                    repeated += c
        rows.append([repeated / n_content if n_content else 0.0, hapax / n, len(counts) / n])
    mean = np.array(rows).mean(axis=0)
    cols = list(_DRIFT_COLS)
    mu, sd = np.array(m.real_mean[lang])[cols], np.array(m.real_std[lang])[cols]
    z = (mean - mu) / np.where(sd > 0, sd, 1)
    drift = min(-z[0], z[1], z[2])
    return bool(drift >= min_drift - _DRIFT_SLACK)


def _p3_finish(spec: PerDocSpec, doc: FilingDoc, res: dict[str, Any], clf: float, th: dict) -> tuple[float, dict]:
    min_p = float(th.get("generated_min_probability", 0.5))
    min_z = float(th.get("drift_min_z", 2.5))
    d = drift_z(res["statistics"])
    res["classifier_probability"] = round(clf, 4)
    res["topic_drift_z"] = round(d, 2)
    res["probability"] = round(min(1.0, 0.8 * min(clf / min_p, max(0.0, d) / min_z)), 4)
    ev = {
        "documents": [doc_ref(doc, "filing")],
        "figures": {
            "probability_generated": round(res["probability"], 4),
            "classifier_probability": res["classifier_probability"],
            "topic_drift_z": res["topic_drift_z"],
            "windows": res["windows"],
        },
        "model": {"where": spec.model_where, "trained_on": spec.model.trained_on},
        **res,
        **_gaps(doc),
    }
    return res["probability"], ev


def judge_p3(spec: PerDocSpec, doc: FilingDoc, prefilter: bool = True) -> tuple[float, dict[str, Any]] | None:
    """Order 77 Art. 3(3): generated-text statistics of one filing (classifier and topic drift must agree)."""
    got = _p3_prepare(spec, doc, prefilter)
    if got is None:
        return None
    res, x, th = got
    if x is None:
        return 0.0, {}
    return _p3_finish(spec, doc, res, spec.model.classify_many([x])[0], th)


def _row(spec: PerDocSpec, doc: FilingDoc, code: str, signal: str, score: float, ev: dict) -> list[tuple]:
    _b, flag = _flag_at(spec.rules, code, doc.filing_date)
    if score < flag:
        return []
    ev_json = orjson.dumps(ev, option=orjson.OPT_SERIALIZE_NUMPY).decode()
    return [(doc.id, doc.number, doc.filing_date, code, signal, float(score), ev_json)]


def perdoc_rows(spec: PerDocSpec, doc_id: int, data: dict[str, Any]) -> list[tuple]:
    """Rows of the `perdoc` table for one filing (see `perdoc_batch`)."""
    return perdoc_batch(spec, [(doc_id, data)])


def perdoc_batch(spec: PerDocSpec, items: list[tuple]) -> list[tuple]:
    """Rows of the `perdoc` table for a batch of filings: (doc_id, number, filing_date, code, signal, score,
    evidence) for each of P4 and P3 whose score reaches the flag threshold of the rule in force on its filing
    date. The P3 classifier runs once for the batch, on the filings whose drift could reach a flag.

    `items`: (doc_id, record) pairs, or (doc_id, record, FilingDoc) where the caller has built the filing."""
    out: list[tuple] = []
    pending: list[tuple[FilingDoc, dict[str, Any], Any, dict]] = []
    for doc_id, data, *built in items:
        if data.get("doc_type") == "design":
            continue  # a design is its drawings: no claims stack or text statistics to judge
        doc = built[0] if built else filing_from_record(doc_id, data)
        got = judge_p4(spec, doc)
        if got is not None:
            out += _row(spec, doc, "P4", "claim_structure", *got)
        p3 = _p3_prepare(spec, doc, prefilter=True)
        if p3 is not None and p3[1] is not None:
            pending.append((doc, *p3))
    if pending:
        probs = spec.model.classify_many([x for _, _, x, _ in pending])
        for (doc, res, _x, th), clf in zip(pending, probs, strict=True):
            out += _row(spec, doc, "P3", "generated_text", *_p3_finish(spec, doc, res, clf, th))
    return sorted(out, key=lambda r: (r[0], r[3]))


__all__ = ["PERDOC_SIGNALS", "PerDocSpec", "filing_from_record", "judge_p3", "judge_p4", "perdoc_batch", "perdoc_rows"]
