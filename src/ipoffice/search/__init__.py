"""The search desk: a full-text index of the patent documents (tantivy, in the data home) and the
examiner query language over it.

- `analysis`: one analyzer for every language (jieba for Chinese, English stems, width and
  traditional/simplified folding), shared by indexer, query compiler and highlighter.
- `index`: build, update and check the index from the store.
- `query`: the query language: parser (AST with positions, precise errors) and compiler.
- `searcher`: run a query as a role may see the results; highlights; the lexical stage of
  prior-art search.
- `permissions`: the ``search`` and ``index_*`` permission checks.
"""

from ipoffice.search import permissions as permissions  # registers the checks on import
