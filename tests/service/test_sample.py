"""The bundled sample (what `make run` loads) imports cleanly, once."""

from __future__ import annotations

from ipoffice.service.sample import load_sample, sample_dir


def test_sample_loads_once(store):
    rep = load_sample(store)
    assert rep is not None and rep.rejected == 0 and not rep.files_failed
    assert rep.loaded > 1000
    assert {"uspto-grant-v4.2", "cnipa-cn-patent-document", "gp-crawl-abstracts", "kipris-sample"} <= set(rep.formats)
    assert load_sample(store) is None  # second run: already loaded


def test_sample_sources_documented():
    text = (sample_dir() / "SOURCES.md").read_text(encoding="utf-8")
    for f in sample_dir().rglob("*"):
        if f.is_file() and f.name != "SOURCES.md":
            assert f.name in text, f"{f.name} is not described in sample/SOURCES.md"
