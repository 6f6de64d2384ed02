"""The services the :class:`chapi.Chapi` facade composes, one per capability.

Each service works over the storage ports only; the facade builds them and
users reach them as ``chapi.projects``, ``chapi.specs``, ``chapi.chat``,
``chapi.packs``, ``chapi.policies`` and ``chapi.runs``.
"""

from .chat import ChatService, Reply
from .packs import PackService
from .policies import PolicyService
from .projects import ProjectService
from .runs import RunResult, RunService
from .specs import SpecService

__all__ = [
    "ChatService",
    "PackService",
    "PolicyService",
    "ProjectService",
    "Reply",
    "RunResult",
    "RunService",
    "SpecService",
]
