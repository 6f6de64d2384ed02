"""The rules chapi ships with."""

from .allowed_ops import AllowedOps
from .auth_three_cases import AuthThreeCases
from .json_schema_valid import JsonSchemaValid
from .no_dangerous_shell import NoDangerousShell
from .no_inline_secrets import NoInlineSecrets
from .no_root_url import NoRootUrl
from .safe_path import SafePath

__all__ = [
    "BUILTIN_RULES",
    "AllowedOps",
    "AuthThreeCases",
    "JsonSchemaValid",
    "NoDangerousShell",
    "NoInlineSecrets",
    "NoRootUrl",
    "SafePath",
]

BUILTIN_RULES = (
    SafePath,
    JsonSchemaValid,
    NoDangerousShell,
    NoRootUrl,
    NoInlineSecrets,
    AllowedOps,
    AuthThreeCases,
)
"""The built-in rule classes, in the order they run."""
