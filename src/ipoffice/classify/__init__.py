"""IPC classification desk: suggest subclasses and main groups for a document or a text.

Modules: `text` (what a classifier reads and its features, from `ipoffice.search.analysis`), `data`
(training samples: office-classified documents, IPC scheme titles, files), `model` (TF-IDF, linear
model + kNN, calibration), `train` (``ipoffice classify train``), `storage` (versioned models in
``$IPOFFICE_HOME/models/classify/``), `suggest` (classify a text or a stored number, with reasons),
`intake` (suggested IPC stored on new filings, ``source='suggested'``), `permissions`.

**No model yet: train on first use, not a shipped base model.** A home without a model trains one the
first time something is classified, from the store's office-classified documents and the IPC scheme
titles the store already holds (``ipoffice init`` loads IPC 2026.01), and says so on stderr. Chosen
over a base model inside the package because (1) the scheme titles are already in every home, so a
shipped model would duplicate them (about 8 MB) and need a rebuild script kept in step with the scheme
data; (2) the first model then also knows the office's own documents; (3) it is quick: about 10 s for
the scheme and a few thousand documents on one core (the bound is jieba over the 77k titles, ~5 s).
A store too big for that is one whose administrator runs ``ipoffice classify train`` at set-up, and
``ipoffice classify train`` is how any later version is made.
"""

from ipoffice.classify.suggest import ClassifyError, NotFound, classify_number, classify_text

__all__ = ["ClassifyError", "NotFound", "classify_number", "classify_text"]
