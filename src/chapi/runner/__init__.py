"""Executing RunPacks: json-ir in-process, bash-curl as subprocesses.

The run service calls :func:`execute_pack` (or :func:`aexecute_pack`) with a
pack's files, the API description, the environment's base URL and plaintext
secrets. It gets back a :class:`RunOutcome` with every case, a summary and
the artifacts (``results.json``, ``junit.xml``, ``summary.md``, per-file
logs), all with secrets masked. Progress arrives as typed events.
"""

from .credentials import scheme_env_prefix, secret_names
from .engine import aexecute_pack, execute_pack
from .events import (
    CaseFinished,
    Event,
    EventCallback,
    FileFinished,
    NotebookDisplay,
    ProgressPrinter,
    RunFinished,
    RunStarted,
)
from .masking import MASK, Masker
from .reports import RESULTS_VERSION
from .results import CaseResult, Outcome, PackFile, PackFileLike, RunOutcome, summarize

__all__ = [
    "MASK",
    "RESULTS_VERSION",
    "CaseFinished",
    "CaseResult",
    "Event",
    "EventCallback",
    "FileFinished",
    "Masker",
    "NotebookDisplay",
    "Outcome",
    "PackFile",
    "PackFileLike",
    "ProgressPrinter",
    "RunFinished",
    "RunOutcome",
    "RunStarted",
    "aexecute_pack",
    "execute_pack",
    "scheme_env_prefix",
    "secret_names",
    "summarize",
]
