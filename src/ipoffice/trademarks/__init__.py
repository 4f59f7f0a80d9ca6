"""Trademark examination: are two marks identical or similar, and are their goods similar?

The examiner's core question under Trademark Law (2019) Arts. 30-31: is there an earlier identical or similar
mark for identical or similar goods? This package answers it for word marks, rule by rule, with the
examination guideline (商标审查审理指南, 下编第五章) as dated data in ``rules/data/tm_similarity.yaml``:

- ``normalize``: folding (width, case, traditional/simplified, spacing, punctuation, emoji) and script runs;
- ``hanzi``, ``phonetic``, ``meaning``: 形, 音, 义 of Chinese characters and Latin words (shipped data in
  ``data/``, see ``data/SOURCES.md``);
- ``similarity.compare(a, b, on=...)``: score, call and reasons, each naming its rule code;
- ``goods.goods_similar(a, b)``: the similar-goods table (类似群 and its notes), free-text goods mapped;
- ``keys.keys(mark)``: candidate keys for an index-backed conflict search.
"""

from ipoffice.trademarks.goods import goods_similar, map_goods
from ipoffice.trademarks.keys import keys
from ipoffice.trademarks.normalize import fold, normalize
from ipoffice.trademarks.similarity import MarkSimilarity, Reason, compare

__all__ = ["MarkSimilarity", "Reason", "compare", "fold", "goods_similar", "keys", "map_goods", "normalize"]
