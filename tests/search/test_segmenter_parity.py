"""jieba-rs (`rjieba`, what the analyzer segments with) against Python jieba (the reference, and the
fallback): the same cuts of real Chinese patent text, with jieba's own dictionary and with user
dictionaries: the index's kind (IPC-title and corpus terms with frequencies) and jieba's other forms
(words without a frequency, for which jieba computes `suggest_freq`; words it already has; repeats).

Text: the title, abstract and claims of KPPatent-ZH test records and CN abstracts of the energy-recovery
crawl (../shared/data/patents/corpus), cut into sentences and folded as the analyzer folds them.
Measured on all 16,258 KPPatent-ZH sentences (session 10): jieba's dictionary 16,258 / 16,258 identical;
with a 65k-word user dictionary 16,258 / 16,258 identical on the Han runs the analyzer cuts, 16,257 / 16,258
on whole sentences (``合合合``: two routes of exactly equal probability, told apart by rounding).
"""

from __future__ import annotations

import gzip
import io
import json
import re
import tarfile
from pathlib import Path

import pytest

from ipoffice.core.schemes import iter_scheme_rows
from ipoffice.search import analysis
from ipoffice.search.analysis import _CJK, build_user_dictionary, fold, make_segmenter, read_user_dictionary

pytest.importorskip("rjieba")
pytest.importorskip("jieba")

KP = "patents/corpus/kppatent-zh/test_data_TAC.jsonl.gz"
GP = "patents/corpus/google-patents-crawl-energy-recovery/abstracts_by_ipc_group_and_year.tar.gz"
RUN = re.compile(f"[{_CJK}]+")


@pytest.fixture(scope="module")
def texts(shared_data: Path) -> list[str]:
    """60 KPPatent-ZH records (title, abstract, claims) and 150 CN abstracts of the crawl."""
    out: list[str] = []
    with gzip.open(shared_data / KP, "rt", encoding="utf-8") as fh:
        for line in fh:
            out.append(json.loads(line)["input"])
            if len(out) >= 60:
                break
    n = 0
    with tarfile.open(shared_data / GP, "r|gz") as tf:
        for m in tf:
            fh = tf.extractfile(m) if m.isfile() else None
            for line in (fh.read().decode("utf-8") if fh else "").split("\n"):
                if line.startswith("id-CN") and " abstract-" in line and n < 150:
                    out.append(line.split(" abstract-", 1)[1])
                    n += 1
            if n >= 150:
                break
    return out


@pytest.fixture(scope="module")
def sentences(texts: list[str]) -> list[str]:
    out = []
    for t in texts:
        out.extend(s.strip() for s in re.split(r"(?<=[。；！？\n])", t) if len(s.strip()) >= 8)
    return [fold(s)[0] for s in out[:1500]]


@pytest.fixture(scope="module")
def user_dictionary(tmp_path_factory, texts: list[str]) -> Path:
    """The index's kind of dictionary: IPC titles (sections F and H) and the texts' own terms."""
    titles = [r["title_zh"] for r in iter_scheme_rows("ipc") if r.get("title_zh") and r["symbol"][:1] in "FH"]
    path = tmp_path_factory.mktemp("userdict") / "userdict.txt"
    assert build_user_dictionary(titles, texts, path, min_corpus_df=2) > 1000
    return path


def agreement(py, rj, sentences: list[str]) -> tuple[float, float, list[str]]:
    """Share of sentences cut alike (whole sentence, jieba's ``lcut``) and of sentences whose Han runs
    are cut alike (what the analyzer cuts), and the sentences that differ."""
    whole = runs = 0
    differ = []
    for s in sentences:
        same_runs = all(py.cut(r) == rj.cut(r) for r in RUN.findall(s))
        same_whole = py.lcut(s) == rj.lcut(s)
        runs += same_runs
        whole += same_whole
        if not (same_runs and same_whole):
            differ.append(s)
    return whole / len(sentences), runs / len(sentences), differ


def test_jieba_dictionary_cuts_alike(sentences):
    assert len(sentences) >= 1000
    rate_whole, rate_runs, differ = agreement(make_segmenter(None, "jieba"), make_segmenter(None, "rjieba"), sentences)
    assert (rate_whole, rate_runs) == (1.0, 1.0), differ[:3]


def test_index_user_dictionary_cuts_alike(sentences, user_dictionary):
    py = make_segmenter(user_dictionary, "jieba")
    rj = make_segmenter(user_dictionary, "rjieba")
    # the dictionary's words are used: some sentences are cut otherwise than with jieba's own words
    base = make_segmenter(None, "rjieba")
    assert sum(base.lcut(s) != rj.lcut(s) for s in sentences) > 50
    rate_whole, rate_runs, differ = agreement(py, rj, sentences)
    # equal-probability routes (``合合合``) may be told apart by rounding: allow one sentence in 500
    assert rate_runs >= 0.998 and rate_whole >= 0.998, differ[:3]
    for word, _freq, _tag in read_user_dictionary(user_dictionary)[:2000]:
        assert rj.has_word(word) and py.has_word(word)


def test_user_dictionary_without_frequencies_and_redefinitions(sentences, user_dictionary, tmp_path):
    """jieba's other dictionary forms: words without a frequency (jieba's `suggest_freq`, computed
    against the words loaded before), words jieba has (a new frequency), repeats (the last wins, yet
    jieba's total keeps both), a word removed (frequency 0), a tag, a BOM."""
    words = [w for w, _f, _t in read_user_dictionary(user_dictionary)]
    lines = [f"{w}" for w in words[::7][:800]]  # no frequency
    lines += ["余热 5", "回收 3 v", "装置 1", "锅炉 200000", "换热器 0", "蒸汽发生器 n", "余热锅炉", "余热锅炉 90"]
    lines += [f"{w} 7" for w in words[1::97][:100]] + [f"{w} 30" for w in words[1::97][:100]]  # repeats
    path = tmp_path / "forms.txt"
    path.write_bytes(("\ufeff" + "\n".join(lines) + "\n").encode("utf-8"))
    py = make_segmenter(path, "jieba")
    rj = make_segmenter(path, "rjieba")
    assert not rj.has_word("换热器") and not py.has_word("换热器")
    assert py.cut("余热锅炉") == rj.cut("余热锅炉")
    rate_whole, rate_runs, differ = agreement(py, rj, sentences)
    assert rate_runs >= 0.998 and rate_whole >= 0.998, differ[:3]


def test_analysis_uses_the_dictionary_of_the_index(user_dictionary):
    """Documents and queries are cut by one segmenter: the one of the dictionary set last."""
    analysis.set_user_dictionary(user_dictionary)
    try:
        seg = analysis.current_segmenter()
        assert seg.engine == analysis.ENGINE
        text = "一种余热回收锅炉的换热装置"
        assert analysis.query_tokens(text) == [w for r in RUN.findall(fold(text)[0]) for w in seg.cut(r)]
    finally:
        analysis.set_user_dictionary(None)


def test_base_segmenter_keeps_jiebas_interface():
    """classification features (`lcut`) and the bilingual dictionary (`FREQ`) use the base segmenter."""
    base = analysis._base_jieba()
    assert base.lcut("蓄电池余热回收装置", HMM=False) == ["蓄电池", "余热", "回收", "装置"]
    assert base.FREQ["电池"] > 0 and base.has_word("电池") and not base.has_word("蓄电池余热")


def test_bad_user_dictionary_names_the_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(io.BytesIO("余热 5\n".encode() + b"\xff\xfe bad\n").getvalue())
    with pytest.raises(ValueError, match="line 2"):
        read_user_dictionary(path)
