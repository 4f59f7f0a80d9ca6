"""The IPC classifier: TF-IDF features, a linear model and a kNN over classified texts, calibrated.

Why this mix. The office's own classified documents are few per class (hundreds of US grants spread
over hundreds of subclasses) or many in few classes (a crawl of 15,000 abstracts in 20 groups); the
IPC scheme itself names every one of its 650 subclasses and 7,500 main groups. So:

* **kNN** over every training text, documents *and* scheme-title samples (one sample per main group:
  its title and its subgroups' titles, Chinese and English; one per subclass). It covers every class
  of the scheme, needs no per-class weights (7,500 main groups would make a linear model huge), and
  its neighbours are the "nearest classified documents" the examiner is shown.
* **Linear model** (`SGDClassifier`, log loss, one-vs-rest) over the subclasses that documents carry:
  where the office has examples it learns which words decide between close subclasses better than
  similarity does. Its weights are pruned and kept sparse (float32) so a model stays small.
* **Mixture and calibration**: P(subclass) = a·P_linear + (1-a)·P_kNN, then temperature scaling
  (P ∝ P^(1/T)); main groups are P(main group) = P(subclass) · q(main group | subclass), q a softmax of
  the best similarity of each main group's samples (temperature τ). a, T and τ are fitted on a held-out
  part of the documents (NLL for T and τ, precision@1 for a) and the expected calibration error before
  and after is kept in the model's metrics. With too few documents to hold some out the defaults stay
  and the metrics say so. Confidences of one level therefore sum to at most 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier

__all__ = ["IpcModel", "Prediction", "Sample", "expected_calibration_error", "fit_model"]

KNN_K = 25
_EPS = 1e-9


def _identity(tokens: list[str]) -> list[str]:  # the vectorizer's analyzer: features are computed beforehand
    return tokens


@dataclass
class Sample:
    """One training text: its features, its IPC subclasses and main groups (canonical), what it is."""

    tokens: list[str]
    subclasses: list[str]
    main_groups: list[str]
    kind: str  # "document" | "scheme"
    ref: dict[str, Any] = field(default_factory=dict)  # document: number, title, ipc; scheme: symbol, title


@dataclass
class Prediction:
    symbol: str
    level: str  # "subclass" | "main_group"
    confidence: float
    terms: list[dict[str, Any]]
    neighbours: list[dict[str, Any]]
    scheme_titles: list[dict[str, Any]]


@dataclass
class IpcModel:
    vectorizer: TfidfVectorizer
    X: sp.csr_matrix  # samples x features, rows L2-normalised (float32)
    kinds: np.ndarray  # 0 document, 1 scheme
    refs: list[dict[str, Any]]
    subclasses: list[str]  # every subclass any sample carries
    main_groups: list[str]
    S_sub: sp.csr_matrix  # samples x subclasses indicator
    S_mg: sp.csr_matrix  # samples x main groups indicator
    mg_parent: np.ndarray  # main group index -> subclass index
    linear_classes: np.ndarray  # subclass indices the linear model scores
    linear_coef: sp.csr_matrix | None  # linear classes x features (sparse float32)
    linear_bias: np.ndarray | None
    alpha: float = 0.5
    temperature: float = 1.0
    tau: float = 0.05
    metrics: dict[str, Any] = field(default_factory=dict)

    # ----------------------------------------------------------------- scoring

    def vectors(self, token_lists: Sequence[list[str]]) -> sp.csr_matrix:
        return self.vectorizer.transform(token_lists).astype(np.float32).tocsr()

    def _linear_probs(self, Q: sp.csr_matrix) -> np.ndarray:
        n_sub = len(self.subclasses)
        out = np.zeros((Q.shape[0], n_sub), dtype=np.float64)
        if self.linear_coef is None or not len(self.linear_classes):
            return out
        z = np.asarray((Q @ self.linear_coef.T).todense(), dtype=np.float64) + self.linear_bias
        if len(self.linear_classes) == 1:
            out[:, self.linear_classes[0]] = 1.0
            return out
        p = 1.0 / (1.0 + np.exp(-z))  # one-vs-rest probabilities, normalised as SGDClassifier does
        p /= np.maximum(p.sum(axis=1, keepdims=True), _EPS)
        out[:, self.linear_classes] = p
        return out

    def _sims(self, Q: sp.csr_matrix) -> np.ndarray:
        return np.asarray((Q @ self.X.T).todense(), dtype=np.float64)

    def _knn_probs(self, sims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """kNN class distributions (subclasses) and the neighbour indices per query."""
        n = sims.shape[0]
        k = min(KNN_K, sims.shape[1])
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        out = np.zeros((n, len(self.subclasses)), dtype=np.float64)
        for i in range(n):
            idx = top[i]
            w = np.clip(sims[i, idx], 0.0, None) ** 2
            if w.sum() <= 0:
                continue
            out[i] = np.asarray(self.S_sub[idx].T @ w).ravel()
            out[i] /= out[i].sum()
        return out, top

    def _mix(self, p_lin: np.ndarray, p_knn: np.ndarray, alpha: float, temperature: float) -> np.ndarray:
        has_lin = p_lin.sum(axis=1, keepdims=True) > 0
        a = np.where(has_lin, alpha, 0.0)
        p = a * p_lin + (1.0 - a) * p_knn
        zero = p.sum(axis=1) <= 0
        if zero.any():
            p[zero] = 1.0 / p.shape[1]
        logp = np.log(np.maximum(p, 1e-12)) / temperature
        logp -= logp.max(axis=1, keepdims=True)
        q = np.exp(logp)
        return q / q.sum(axis=1, keepdims=True)

    def _mg_best_sims(self, sims: np.ndarray) -> np.ndarray:
        """Per query, the best similarity of any sample of each main group (queries x main groups)."""
        order, starts = self._mg_pairs
        if not len(order):
            return np.zeros((sims.shape[0], len(self.main_groups)), dtype=np.float32)
        return np.maximum.reduceat(sims[:, order], starts, axis=1).astype(np.float32)

    @property
    def _mg_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        cached = getattr(self, "_mg_pairs_cache", None)
        if cached is None:
            S = self.S_mg.tocsc()
            cached = (S.indices.astype(np.int64), S.indptr[:-1].astype(np.int64))
            self._mg_pairs_cache = cached
        return cached

    def _mg_probs(self, p_sub: np.ndarray, mg_sims: np.ndarray, tau: float) -> np.ndarray:
        z = mg_sims / tau
        out = np.zeros_like(mg_sims)
        for s in range(len(self.subclasses)):
            cols = self._mg_of_sub[s]
            if not len(cols):
                continue
            zz = z[:, cols]
            zz = np.exp(zz - zz.max(axis=1, keepdims=True))
            out[:, cols] = p_sub[:, [s]] * zz / zz.sum(axis=1, keepdims=True)
        return out

    @property
    def _mg_of_sub(self) -> list[np.ndarray]:
        cached = getattr(self, "_mg_of_sub_cache", None)
        if cached is None:
            cached = [np.flatnonzero(self.mg_parent == s) for s in range(len(self.subclasses))]
            self._mg_of_sub_cache = cached
        return cached

    def components(self, Q: sp.csr_matrix, batch: int = 256) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(P linear, P kNN, best main-group similarities) for query vectors, in batches (memory)."""
        lin, knn, mgs = [], [], []
        for a in range(0, Q.shape[0], batch):
            q = Q[a : a + batch]
            sims = self._sims(q)
            lin.append(self._linear_probs(q))
            knn.append(self._knn_probs(sims)[0])
            mgs.append(self._mg_best_sims(sims))
        return np.vstack(lin), np.vstack(knn), np.vstack(mgs)

    def probabilities(
        self, Q: sp.csr_matrix, params: tuple[float, float, float] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(P subclass, P main group) for query vectors."""
        alpha, temperature, tau = params or (self.alpha, self.temperature, self.tau)
        p_lin, p_knn, mg_sims = self.components(Q)
        p_sub = self._mix(p_lin, p_knn, alpha, temperature)
        return p_sub, self._mg_probs(p_sub, mg_sims, tau)

    # ----------------------------------------------------------------- one text, with reasons

    def predict(
        self, tokens: list[str], top: int = 5, level: str = "both", exclude_document: int | None = None
    ) -> list[Prediction]:
        """The top classes of one text with their reasons. ``exclude_document``: a stored document's
        id whose own sample must not vote (classifying a document the model was trained on)."""
        Q = self.vectors([tokens])
        if Q.nnz == 0:
            return []
        sims = self._sims(Q)
        if exclude_document is not None:
            for j, ref in enumerate(self.refs):
                if ref.get("document_id") == exclude_document:
                    sims[0, j] = -1.0
        p_knn, nbr = self._knn_probs(sims)
        p_sub = self._mix(self._linear_probs(Q), p_knn, self.alpha, self.temperature)
        p_mg = self._mg_probs(p_sub, self._mg_best_sims(sims), self.tau)
        out: list[Prediction] = []
        names = self.vectorizer.get_feature_names_out()
        if level in ("subclass", "both"):
            for c in np.argsort(-p_sub[0])[:top]:
                out.append(self._explain(Q, names, sims[0], nbr[0], int(c), "subclass", float(p_sub[0, c])))
        if level in ("main_group", "both"):
            for c in np.argsort(-p_mg[0])[:top]:
                out.append(self._explain(Q, names, sims[0], nbr[0], int(c), "main_group", float(p_mg[0, c])))
        return out

    def _explain(
        self, Q: sp.csr_matrix, names: np.ndarray, sims: np.ndarray, nbr: np.ndarray, c: int, level: str, conf: float
    ) -> Prediction:
        S = self.S_sub if level == "subclass" else self.S_mg
        symbol = self.subclasses[c] if level == "subclass" else self.main_groups[c]
        members = S[:, c].nonzero()[0]
        # neighbours that carry the class: the kNN ones first, then the best of all its samples
        order = members[np.argsort(-sims[members])][:50]
        docs = [int(j) for j in order if self.kinds[j] == 0 and sims[j] > 0][:10]
        titles = [int(j) for j in order if self.kinds[j] == 1 and sims[j] > 0][:2]
        # decisive terms: the query's weights times what speaks for the class (linear weights, the
        # vectors of its nearest samples)
        q = Q.toarray().ravel()
        contrib = np.zeros_like(q)
        sub_idx = c if level == "subclass" else int(self.mg_parent[c])
        if self.linear_coef is not None:
            pos = np.flatnonzero(self.linear_classes == sub_idx)
            if len(pos):
                w = self.linear_coef[int(pos[0])].toarray().ravel()
                contrib += self.alpha * q * np.clip(w, 0, None) / max(np.abs(w).max(), _EPS)
        near = [j for j in order[:5] if sims[j] > 0]
        if near:
            v = np.asarray(self.X[near].sum(axis=0)).ravel()
            contrib += (1 - self.alpha) * q * v / max(v.max(), _EPS)
        terms: list[dict[str, Any]] = []
        shown: list[str] = []
        for f in np.argsort(-contrib)[:40]:
            if contrib[f] <= 0 or len(terms) >= 8:
                break
            name = str(names[f])
            bigram = name.startswith("~")
            text = name[1:] if bigram else name
            if bigram and any(text in s for s in shown):
                continue
            shown.append(text)
            terms.append({"term": text, "weight": round(float(contrib[f]), 4)})
        return Prediction(
            symbol=symbol,
            level=level,
            confidence=round(conf, 4),
            terms=terms,
            neighbours=[{**self.refs[j], "similarity": round(float(sims[j]), 4)} for j in docs],
            scheme_titles=[{**self.refs[j], "similarity": round(float(sims[j]), 4)} for j in titles],
        )


# --------------------------------------------------------------------------- fitting


def _indicator(label_lists: Sequence[Sequence[str]], classes: list[str]) -> sp.csr_matrix:
    pos = {c: i for i, c in enumerate(classes)}
    rows, cols = [], []
    for i, labels in enumerate(label_lists):
        for lab in dict.fromkeys(labels):
            rows.append(i)
            cols.append(pos[lab])
    return sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(label_lists), len(classes)))


def _fit_linear(
    X: sp.csr_matrix, samples: Sequence[Sample], sub_index: dict[str, int], keep: int, seed: int
) -> tuple[np.ndarray, sp.csr_matrix | None, np.ndarray | None]:
    """One-vs-rest log-loss SGD over the subclasses documents carry (documents' other subclasses
    repeat the row); scheme samples of those subclasses join as extra examples."""
    doc_classes = sorted({s for x in samples if x.kind == "document" for s in x.subclasses})
    wanted = set(doc_classes)
    rows, ys, weights = [], [], []
    for i, x in enumerate(samples):
        for s in dict.fromkeys(x.subclasses):
            if s in wanted:
                rows.append(i)
                ys.append(s)
                weights.append(1.0 if x.kind == "document" else 0.5)
    if len(doc_classes) < 2 or not rows:
        return np.array([sub_index[c] for c in doc_classes], dtype=np.int64), None, None
    clf = SGDClassifier(loss="log_loss", alpha=2e-6, max_iter=20, tol=None, random_state=seed, average=False)
    clf.fit(X[rows], ys, sample_weight=np.asarray(weights))
    coef = clf.coef_.astype(np.float32)
    # keep the `keep` largest weights per class: the model stays small, the decision barely moves
    if coef.shape[1] > keep:
        thresh = -np.partition(-np.abs(coef), keep - 1, axis=1)[:, [keep - 1]]
        coef = np.where(np.abs(coef) >= thresh, coef, 0.0).astype(np.float32)
    classes = np.array([sub_index[c] for c in clf.classes_], dtype=np.int64)
    return classes, sp.csr_matrix(coef), clf.intercept_.astype(np.float64)


def _build(samples: Sequence[Sample], seed: int, keep: int = 4000) -> IpcModel:
    vec = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=1, max_df=0.5, dtype=np.float32)
    X = vec.fit_transform([s.tokens for s in samples]).astype(np.float32).tocsr()
    subclasses = sorted({c for s in samples for c in s.subclasses})
    main_groups = sorted({c for s in samples for c in s.main_groups})
    sub_index = {c: i for i, c in enumerate(subclasses)}
    mg_parent = np.array([sub_index.get(m.split(" ")[0], -1) for m in main_groups], dtype=np.int64)
    lin_classes, coef, bias = _fit_linear(X, samples, sub_index, keep, seed)
    return IpcModel(
        vectorizer=vec,
        X=X,
        kinds=np.array([0 if s.kind == "document" else 1 for s in samples], dtype=np.int8),
        refs=[s.ref for s in samples],
        subclasses=subclasses,
        main_groups=main_groups,
        S_sub=_indicator([s.subclasses for s in samples], subclasses),
        S_mg=_indicator([s.main_groups for s in samples], main_groups),
        mg_parent=mg_parent,
        linear_classes=lin_classes,
        linear_coef=coef,
        linear_bias=bias,
    )


def expected_calibration_error(conf: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """ECE of top-1 confidences: the gap between confidence and accuracy, averaged over equal-width bins."""
    if not len(conf):
        return float("nan")
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        m = (conf > lo) & (conf <= hi) if lo > 0 else (conf >= lo) & (conf <= hi)
        if m.any():
            ece += m.mean() * abs(conf[m].mean() - correct[m].mean())
    return float(ece)


def _nll(p: np.ndarray, truth: list[list[int]]) -> float:
    vals = [math.log(0.99 * p[i, t].sum() + 0.01 / p.shape[1]) for i, t in enumerate(truth) if t]
    return -float(np.mean(vals)) if vals else float("inf")


def _p_at_1(p: np.ndarray, truth: list[list[int]]) -> float:
    top = p.argmax(axis=1)
    return float(np.mean([top[i] in t for i, t in enumerate(truth)])) if truth else 0.0


def _calibrate(model: IpcModel, held: Sequence[Sample]) -> dict[str, Any]:
    """Fit a, T, τ on held-out documents; return what was measured."""
    sub_pos = {c: i for i, c in enumerate(model.subclasses)}
    mg_pos = {c: i for i, c in enumerate(model.main_groups)}
    Q = model.vectors([s.tokens for s in held])
    t_sub = [[sub_pos[c] for c in s.subclasses if c in sub_pos] for s in held]
    t_mg = [[mg_pos[c] for c in s.main_groups if c in mg_pos] for s in held]
    p_lin, p_knn, mg_sims = model.components(Q)
    alphas = [0.0, 0.25, 0.5, 0.75, 0.9] if model.linear_coef is not None else [0.0]
    best = max(alphas, key=lambda a: (_p_at_1(model._mix(p_lin, p_knn, a, 1.0), t_sub), -abs(a - 0.5)))  # noqa: SLF001
    raw = model._mix(p_lin, p_knn, best, 1.0)  # noqa: SLF001
    temps = [0.25, 0.35, 0.5, 0.7, 1.0, 1.4, 2.0, 3.0]

    def top1(p: np.ndarray, truth: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        return p.max(axis=1), np.array([p[i].argmax() in tr for i, tr in enumerate(truth)], dtype=float)

    # T: the reliability of the top suggestion (ECE), then the NLL of a lightly smoothed distribution
    temp = min(
        temps,
        key=lambda t: (
            round(expected_calibration_error(*top1(model._mix(p_lin, p_knn, best, t), t_sub)), 2),  # noqa: SLF001
            _nll(model._mix(p_lin, p_knn, best, t), t_sub),  # noqa: SLF001
        ),
    )
    p_sub = model._mix(p_lin, p_knn, best, temp)  # noqa: SLF001
    taus = [0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.2]
    tau = max(
        taus,
        key=lambda u: (
            _p_at_1(model._mg_probs(p_sub, mg_sims, u), t_mg),  # noqa: SLF001
            -expected_calibration_error(*top1(model._mg_probs(p_sub, mg_sims, u), t_mg)),  # noqa: SLF001
        ),
    )
    p_mg = model._mg_probs(p_sub, mg_sims, tau)  # noqa: SLF001
    correct_raw = np.array([raw[i].argmax() in t for i, t in enumerate(t_sub)], dtype=float)
    correct = np.array([p_sub[i].argmax() in t for i, t in enumerate(t_sub)], dtype=float)
    correct_mg = np.array([p_mg[i].argmax() in t for i, t in enumerate(t_mg)], dtype=float)
    model.alpha, model.temperature, model.tau = best, temp, tau
    return {
        "held_out_documents": len(held),
        "alpha": best,
        "temperature": temp,
        "tau": tau,
        "subclass_precision_at_1": round(float(correct.mean()), 4),
        "main_group_precision_at_1": round(float(correct_mg.mean()), 4),
        "subclass_ece_before": round(expected_calibration_error(raw.max(axis=1), correct_raw), 4),
        "subclass_ece_after": round(expected_calibration_error(p_sub.max(axis=1), correct), 4),
        "main_group_ece": round(expected_calibration_error(p_mg.max(axis=1), correct_mg), 4),
    }


def fit_model(samples: Sequence[Sample], seed: int = 0, calibrate: bool = True, held_share: float = 0.15) -> IpcModel:
    """Fit on the samples; when there are enough documents, first hold some out to fit the mixture
    weight and the temperatures, then refit on everything with those parameters."""
    if not samples:
        raise ValueError("nothing to train on: no classified documents and no IPC scheme titles")
    docs = [i for i, s in enumerate(samples) if s.kind == "document"]
    metrics: dict[str, Any] = {}
    if calibrate and len(docs) >= 60:
        rng = np.random.default_rng(seed)
        held_idx = set(rng.choice(docs, size=max(20, int(len(docs) * held_share)), replace=False).tolist())
        part = _build([s for i, s in enumerate(samples) if i not in held_idx], seed)
        metrics["calibration"] = _calibrate(part, [samples[i] for i in sorted(held_idx)])
        params = (part.alpha, part.temperature, part.tau)
    else:
        metrics["calibration"] = {"note": f"not calibrated: {len(docs)} classified documents (60 needed)"}
        params = (0.5, 1.0, 0.05)
    model = _build(samples, seed)
    model.alpha, model.temperature, model.tau = params
    model.metrics = metrics
    return model
