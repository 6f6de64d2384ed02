"""Shell scripts as the rules see them: parsed by bashlex, words decoded by hand.

bashlex gives the structure (commands, pipelines, substitutions, redirects,
functions, background jobs); the text of each word is then decoded here
from the source, because bashlex does not decode ANSI-C quoting
(``$'\\x72m'``). A decoded :class:`Word` says whether its value is static:
known before the script runs, with no expansion, glob, brace or tilde.

A script bashlex cannot parse is not analysed further: the caller reports
it, and nothing falls back to pattern matching.
"""

from __future__ import annotations

import bisect
import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import bashlex

__all__ = [
    "Command",
    "CurlCall",
    "Marker",
    "Redirect",
    "Script",
    "ShellParseError",
    "Word",
    "curl_calls",
    "decode_word",
    "heredoc_hazards",
    "param_hazards",
    "parse_script",
    "script_markers",
    "unwrap",
]


class ShellParseError(Exception):
    """bashlex could not parse the script."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Word:
    """One shell word, decoded.

    Attributes:
        raw: the source text.
        value: the decoded text; expansions stay as their source text.
        literal: no parameter, command or arithmetic expansion.
        glob: unquoted ``*``, ``?`` or ``[``.
        brace: unquoted ``{`` or ``}`` (brace expansion possible).
        tilde: starts with an unquoted ``~``.
        params: names of the parameters it expands.
        line: 1-based line of the word.
        hazards: why a ``${...}`` in the word may run code or hides
            something from the parser (see :func:`param_hazards`).
    """

    raw: str
    value: str
    literal: bool
    glob: bool = False
    brace: bool = False
    tilde: bool = False
    params: tuple[str, ...] = ()
    line: int = 1
    hazards: tuple[str, ...] = ()

    @property
    def static(self) -> bool:
        """True when the value is fully known before the script runs."""
        return self.literal and not (self.glob or self.brace or self.tilde)


@dataclass(frozen=True)
class Redirect:
    """A redirection: ``type`` is the operator, ``target`` a word or a file descriptor."""

    type: str
    target: Word | int | None
    heredoc: str | None = None
    heredoc_quoted: bool = False
    line: int = 1


@dataclass(frozen=True)
class Command:
    """One simple command with its assignments, words and redirects.

    ``piped_from`` holds the names of commands earlier in the same pipeline.
    """

    words: tuple[Word, ...]
    assignments: tuple[Word, ...]
    redirects: tuple[Redirect, ...]
    line: int
    nested: bool = False
    piped_from: tuple[str, ...] = ()

    @property
    def name(self) -> Word | None:
        """The command word, if the command has one."""
        return self.words[0] if self.words else None


@dataclass
class Script:
    """What a parsed script holds."""

    text: str
    commands: list[Command] = field(default_factory=list)
    functions: dict[str, int] = field(default_factory=dict)
    background: list[int] = field(default_factory=list)
    compound_redirects: list[Redirect] = field(default_factory=list)
    trusted_functions: frozenset[str] = frozenset()
    hazards: list[tuple[int, str]] = field(default_factory=list)
    loop_variables: set[str] = field(default_factory=set)


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPECIAL = "@*#?-$!0123456789"
_SIMPLE_ESCAPES = {
    "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n",
    "r": "\r", "t": "\t", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?",
}  # fmt: skip


def _match_close(text: str, start: int, opener: str, closer: str) -> int:
    """Index just past the closer matching the opener at ``start - 1``."""
    depth = 1
    i = start
    quote = ""
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch == "\\":
            i += 2
            continue
        elif ch in "'\"":
            quote = ch
        elif ch == opener:
            depth += 1
        elif ch == closer:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


def _ansi_c(text: str, i: int) -> tuple[str, int]:
    """Decode ``$'...'`` content starting at ``i`` (after the quote)."""
    out: list[str] = []
    while i < len(text) and text[i] != "'":
        ch = text[i]
        if ch != "\\" or i + 1 >= len(text):
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1]
        i += 2
        if nxt in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[nxt])
        elif nxt in "01234567":
            digits = re.match(r"[0-7]{0,2}", text[i:])
            code = nxt + (digits.group(0) if digits else "")
            i += len(code) - 1
            out.append(chr(int(code, 8) & 0xFF))
        elif nxt in "xuU":
            limit = {"x": 2, "u": 4, "U": 8}[nxt]
            digits = re.match(rf"[0-9A-Fa-f]{{1,{limit}}}", text[i:])
            if digits:
                i += len(digits.group(0))
                value = int(digits.group(0), 16)
                out.append(chr(value) if value <= 0x10FFFF else "\ufffd")
            else:
                out.append("\\" + nxt)
        elif nxt == "c" and i < len(text):
            out.append(chr(ord(text[i]) & 0x1F))
            i += 1
        else:
            out.append("\\" + nxt)
    return "".join(out), i + 1


def _expansion(text: str, i: int) -> tuple[str, int, str | None] | None:
    """The expansion starting with ``$`` at ``i``: (source, end, parameter name)."""
    if i + 1 >= len(text):
        return None
    nxt = text[i + 1]
    if nxt == "{":
        end = _match_close(text, i + 2, "{", "}")
        inner = text[i + 2 : end - 1].lstrip("!#")
        name = _NAME.match(inner)
        return text[i:end], end, name.group(0) if name else inner[:1] or None
    if nxt == "(":
        end = _match_close(text, i + 2, "(", ")")
        return text[i:end], end, None
    if nxt in _SPECIAL:
        return text[i : i + 2], i + 2, nxt
    name = _NAME.match(text, i + 1)
    if name:
        return text[i : name.end()], name.end(), name.group(0)
    return None


_INDIRECT_LISTING = re.compile(r"^![A-Za-z_][A-Za-z0-9_]*(?:\[[@*]\]|[@*])$")
_PARAM_HEAD = re.compile(r"^#?([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-])(\[[^\]]*\])?")
_OFFSET = re.compile(r"^\s*-?\s*[0-9]*\s*$")


def param_hazards(source: str) -> tuple[str, ...]:
    """Why a ``${...}`` expansion may run code or hide code from the parser.

    bashlex keeps the inside of ``${...}`` as text, so a command
    substitution there (``${x:-$(rm -rf /)}``) would go unseen; bash
    evaluates array subscripts and substring offsets as arithmetic, and
    arithmetic on a value such as ``a[$(id)]`` runs ``id``; indirect
    expansion (``${!name}``) and the ``@P`` transformation expand a value a
    second time. Each of these is a hazard; plain ``${name}``, defaults,
    pattern operations, ``${#name}``, literal integer subscripts and offsets
    are not.
    """
    inner = source[2:-1] if source.endswith("}") else source[2:]
    found: list[str] = []
    if re.search(r"\$\(|`|[<>]\(", inner):
        found.append("command substitution inside ${...} is hidden from the parser")
    if inner.startswith("!") and not _INDIRECT_LISTING.match(inner):
        found.append("indirect expansion ${!...} expands a value a second time")
    head = _PARAM_HEAD.match(inner)
    if head is None:
        return tuple(found)
    subscript = head.group(2)
    if subscript is not None and not re.fullmatch(
        r"\[\s*(?:[0-9]+|[@*])\s*\]", subscript
    ):
        found.append(
            "array subscript is not an integer literal (bash evaluates it as arithmetic)"
        )
    rest = inner[head.end() :]
    if rest.startswith("@") and rest[1:2] == "P":
        found.append("the @P transformation expands a value as a prompt (runs code)")
    elif (
        rest.startswith(":")
        and rest[1:2] not in ("-", "=", "?", "+")
        and not all(_OFFSET.match(part) for part in rest[1:].split(":", 1))
    ):
        found.append(
            "substring offset is not an integer literal "
            "(bash evaluates it as arithmetic)"
        )
    for nested in re.finditer(r"\$\{", inner):
        inner_end = _match_close(inner, nested.end(), "{", "}")
        found.extend(param_hazards(inner[nested.start() : inner_end]))
    return tuple(dict.fromkeys(found))


def decode_word(raw: str, line: int = 1) -> Word:
    """Decode a word's source text the way bash would, short of expanding it."""
    out: list[str] = []
    literal = True
    glob = brace = False
    tilde = raw.startswith("~")
    params: list[str] = []
    hazards: list[str] = []
    i = 0
    quote = ""
    while i < len(raw):
        ch = raw[i]
        if quote == '"':
            if ch == '"':
                quote = ""
                i += 1
            elif ch == "\\" and i + 1 < len(raw) and raw[i + 1] in '$`"\\\n':
                out.append("" if raw[i + 1] == "\n" else raw[i + 1])
                i += 2
            elif ch == "$" and (found := _expansion(raw, i)):
                source, i, name = found
                out.append(source)
                literal = False
                if name:
                    params.append(name)
                if source.startswith("${"):
                    hazards.extend(param_hazards(source))
            elif ch == "`":
                end = raw.find("`", i + 1)
                end = len(raw) if end < 0 else end + 1
                out.append(raw[i:end])
                literal = False
                i = end
            else:
                out.append(ch)
                i += 1
            continue
        if ch == "\\":
            if i + 1 < len(raw) and raw[i + 1] != "\n":
                out.append(raw[i + 1])
            i += 2
        elif ch == "'":
            end = raw.find("'", i + 1)
            end = len(raw) if end < 0 else end
            out.append(raw[i + 1 : end])
            i = end + 1
        elif ch == '"':
            quote = '"'
            i += 1
        elif raw.startswith("$'", i):
            decoded, i = _ansi_c(raw, i + 2)
            out.append(decoded)
        elif raw.startswith('$"', i):
            quote = '"'
            i += 2
        elif ch == "$" and (found := _expansion(raw, i)):
            source, i, name = found
            out.append(source)
            literal = False
            if name:
                params.append(name)
            if source.startswith("${"):
                hazards.extend(param_hazards(source))
        elif ch == "`":
            end = raw.find("`", i + 1)
            end = len(raw) if end < 0 else end + 1
            out.append(raw[i:end])
            literal = False
            i = end
        else:
            glob = glob or ch in "*?["
            brace = brace or ch in "{}"
            out.append(ch)
            i += 1
    return Word(
        raw=raw,
        value="".join(out),
        literal=literal,
        glob=glob,
        brace=brace,
        tilde=tilde,
        params=tuple(params),
        line=line,
        hazards=tuple(dict.fromkeys(hazards)),
    )


def heredoc_hazards(body: str) -> tuple[str, ...]:
    """The ``${...}`` hazards of an unquoted here-document body (bash expands it)."""
    found: list[str] = []
    for match in re.finditer(r"\$\{", body):
        if match.start() > 0 and body[match.start() - 1] == "\\":
            continue
        end = _match_close(body, match.end(), "{", "}")
        found.extend(param_hazards(body[match.start() : end]))
    return tuple(dict.fromkeys(found))


class _Walker:
    def __init__(self, text: str) -> None:
        self.text = text
        self.script = Script(text=text)
        self._newlines = [m.start() for m in re.finditer("\n", text)]

    def line(self, pos: int) -> int:
        return bisect.bisect_left(self._newlines, pos) + 1

    def word(self, node: Any) -> Word:
        start, end = node.pos
        return decode_word(self.text[start:end], self.line(start))

    def walk(self, node: Any, nested: bool = False) -> None:
        kind = node.kind
        if kind == "command":
            self.command(node, nested, ())
        elif kind == "pipeline":
            names: list[str] = []
            for part in node.parts:
                if part.kind == "command":
                    self.command(part, nested, tuple(names))
                    first = next((p for p in part.parts if p.kind == "word"), None)
                    names.append(self.word(first).value if first is not None else "")
                elif part.kind not in ("pipe", "reservedword"):
                    self.walk(part, nested)
        elif kind == "operator":
            if node.op == "&":
                self.script.background.append(self.line(node.pos[0]))
        elif kind == "function":
            name = next(p for p in node.parts if p.kind == "word")
            self.script.functions[self.word(name).value] = self.line(name.pos[0])
            for part in node.parts:
                if part.kind != "word":
                    self.walk(part, nested)
        elif kind in ("commandsubstitution", "processsubstitution"):
            self.walk(node.command, True)
        else:
            for child in self.children(node):
                self.walk(child, nested)
            for redirect in getattr(node, "redirects", None) or ():
                self.script.compound_redirects.append(self.redirect(redirect))

    def scan(self, node: Any) -> None:
        """Visit every node: hazards of every word, loop variables, here-documents."""
        kind = getattr(node, "kind", None)
        if kind in ("word", "assignment"):
            word = self.word(node)
            self.script.hazards += [(word.line, h) for h in word.hazards]
        elif kind == "for":
            names = [p for p in node.parts if p.kind == "word"]
            if names:
                self.script.loop_variables.add(self.word(names[0]).value)
        elif kind == "redirect":
            heredoc = getattr(node, "heredoc", None)
            target = node.output
            quoted = hasattr(target, "kind") and (
                self.word(target).raw != self.word(target).value
            )
            if heredoc is not None and not quoted:
                line = self.line(heredoc.pos[0])
                self.script.hazards += [
                    (line, h) for h in heredoc_hazards(heredoc.value)
                ]
        for child in self.children(node):
            self.scan(child)
        for attr in ("command", "output"):
            child = getattr(node, attr, None)
            if hasattr(child, "kind"):
                self.scan(child)
        for redirect in getattr(node, "redirects", None) or ():
            self.scan(redirect)

    def children(self, node: Any) -> Iterator[Any]:
        for attr in ("parts", "list"):
            yield from getattr(node, attr, None) or ()

    def substitutions(self, node: Any) -> None:
        for part in getattr(node, "parts", None) or ():
            if part.kind in ("commandsubstitution", "processsubstitution"):
                self.walk(part.command, True)
            else:
                self.substitutions(part)

    def redirect(self, node: Any) -> Redirect:
        target = node.output
        heredoc = getattr(node, "heredoc", None)
        word = self.word(target) if hasattr(target, "kind") else target
        if hasattr(target, "kind"):
            self.substitutions(target)
        return Redirect(
            type=node.type,
            target=word,
            heredoc=heredoc.value if heredoc is not None else None,
            heredoc_quoted=isinstance(word, Word) and word.raw != word.value,
            line=self.line(node.pos[0]),
        )

    def command(self, node: Any, nested: bool, piped_from: tuple[str, ...]) -> None:
        words: list[Word] = []
        assignments: list[Word] = []
        redirects: list[Redirect] = []
        for part in node.parts:
            if part.kind == "word":
                words.append(self.word(part))
                self.substitutions(part)
            elif part.kind == "assignment":
                assignments.append(self.word(part))
                self.substitutions(part)
            elif part.kind == "redirect":
                redirects.append(self.redirect(part))
            else:
                self.walk(part, nested)
        self.script.commands.append(
            Command(
                words=tuple(words),
                assignments=tuple(assignments),
                redirects=tuple(redirects),
                line=self.line(node.pos[0]),
                nested=nested,
                piped_from=piped_from,
            )
        )


_FUNCTION_DEF = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\(\)\s*\{", re.MULTILINE)


@lru_cache(maxsize=1)
def trusted_preludes() -> tuple[str, ...]:
    """chapi's own bash preludes (the renderer's helper functions), if installed, longest first.

    A prelude is fixed text shipped in the package, never built from a
    description or a request; the renderer lists its variants (with and
    without the header and time checks) in ``TRUSTED_PRELUDES``. When a
    script holds one verbatim it is set aside before parsing (bashlex cannot
    parse its arrays and arithmetic) and its functions count as defined; the
    rest of the script is checked as usual.
    """
    try:
        render_bash = importlib.import_module("chapi.generation.render_bash")
    except Exception:  # the generation package is optional for the rules
        return ()
    found = getattr(render_bash, "TRUSTED_PRELUDES", None) or (
        getattr(render_bash, "PRELUDE", None) or getattr(render_bash, "_PRELUDE", None),
    )
    texts = {t.rstrip("\n") for t in found if isinstance(t, str) and t.strip()}
    return tuple(sorted(texts, key=lambda t: (-len(t), t)))


def _set_aside_preludes(text: str) -> tuple[str, frozenset[str]]:
    for prelude in trusted_preludes():
        index = text.find(prelude)
        if index >= 0:
            blank = "\n" * prelude.count("\n")  # keeps the line numbers of what follows
            names = frozenset(_FUNCTION_DEF.findall(prelude))
            return text[:index] + blank + text[index + len(prelude) :], names
    return text, frozenset()


@lru_cache(maxsize=512)
def _parse_cached(original: str) -> Script | ShellParseError:
    text, trusted = _set_aside_preludes(original)
    walker = _Walker(text)
    walker.script.trusted_functions = trusted
    walker.script.functions.update({name: 1 for name in sorted(trusted)})
    try:
        trees = bashlex.parse(text) if text.strip() else []
        for tree in trees:
            walker.walk(tree)
            walker.scan(tree)
        walker.script.hazards = sorted(set(walker.script.hazards))
    except RecursionError:
        return ShellParseError("the script nests too deeply to parse", None)
    except (
        Exception
    ) as exc:  # bashlex raises many types; every one means "cannot parse"
        position = getattr(exc, "position", None)
        line = walker.line(position) if isinstance(position, int) else None
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        return ShellParseError(f"{type(exc).__name__}: {message}", line)
    walker.script.text = original
    return walker.script


def parse_script(text: str) -> Script:
    """Parse a bash script.

    Raises:
        ShellParseError: bashlex cannot parse it (the line is given when known).
    """
    result = _parse_cached(text)
    if isinstance(result, ShellParseError):
        raise result
    return result


# -- curl --------------------------------------------------------------------

_CURL_ARG_SHORT = set("AbcCdDeEFHhKmoQruTUwxXyYz")
_CURL_ARG_LONG = {
    "--abstract-unix-socket", "--alt-svc", "--aws-sigv4", "--cacert", "--capath",
    "--cert", "--cert-type", "--ciphers", "--config", "--connect-timeout",
    "--connect-to", "--continue-at", "--cookie", "--cookie-jar", "--data",
    "--data-ascii", "--data-binary", "--data-raw", "--data-urlencode",
    "--dns-servers", "--dump-header", "--etag-compare", "--etag-save",
    "--expect100-timeout", "--form", "--form-string", "--header", "--hsts",
    "--interface", "--json", "--keepalive-time", "--key", "--key-type",
    "--limit-rate", "--local-port", "--max-filesize", "--max-redirs", "--max-time",
    "--oauth2-bearer", "--output", "--output-dir", "--pass", "--preproxy",
    "--proto", "--proto-redir", "--proxy", "--proxy-header", "--proxy-user",
    "--quote", "--range", "--referer", "--request", "--request-target", "--resolve",
    "--retry", "--retry-delay", "--retry-max-time", "--stderr", "--trace",
    "--trace-ascii", "--unix-socket", "--upload-file", "--url", "--url-query",
    "--user", "--user-agent", "--variable", "--write-out", "--libcurl",
    "--speed-limit", "--speed-time", "--time-cond", "--tls-max", "--parallel-max",
    "--netrc-file", "--crlfile", "--pinnedpubkey", "--proxy-cacert", "--proxy-capath",
    "--proxy-cert", "--proxy-key", "--engine", "--proto-default", "--ssl-sessions",
    "--random-file", "--egd-file", "--proxy-crlfile", "--proxy-pinnedpubkey",
}  # fmt: skip
CURL_VALUE_OPTIONS = frozenset(_CURL_ARG_LONG)
"""curl's long options that take a value (the ones the rules read)."""
CURL_FLAGS = frozenset(
    {"--head", "--get", "--ssl", "--netrc", "--netrc-optional", "--remote-name",
     "--remote-name-all", "--remote-header-name", "--compressed", "--fail",
     "--fail-with-body", "--location", "--location-trusted", "--include", "--insecure",
     "--silent", "--show-error", "--verbose", "--globoff", "--http1.0", "--http1.1",
     "--http2", "--http3", "--ipv4", "--ipv6", "--no-progress-meter", "--disable",
     "--create-dirs", "--next", "--parallel", "--tlsv1", "--tlsv1.2", "--tlsv1.3",
     "--proxy-insecure", "--compressed-ssh", "--no-buffer", "--no-keepalive",
     "--path-as-is", "--raw", "--digest", "--basic", "--anyauth", "--ntlm",
     "--negotiate", "--ssl-reqd", "--retry-all-errors", "--retry-connrefused"}
)  # fmt: skip
"""curl options without a value whose names are also prefixes of longer options."""
_SHORT_TO_LONG = {
    "X": "--request", "d": "--data", "F": "--form", "H": "--header", "o": "--output",
    "u": "--user", "x": "--proxy", "T": "--upload-file", "D": "--dump-header",
    "c": "--cookie-jar", "b": "--cookie", "K": "--config", "w": "--write-out",
    "e": "--referer", "A": "--user-agent", "m": "--max-time", "r": "--range",
    "I": "--head", "G": "--get", "O": "--remote-name", "L": "--location",
    "J": "--remote-header-name", "E": "--cert", "Q": "--quote", "U": "--proxy-user",
    "n": "--netrc", "Z": "--parallel", "q": "--disable", ":": "--next",
}  # fmt: skip
DATA_OPTIONS = frozenset(
    {"--data", "--data-ascii", "--data-binary", "--data-raw", "--data-urlencode",
     "--json", "--form", "--form-string"}
)  # fmt: skip


@dataclass(frozen=True)
class CurlCall:
    """One curl invocation: its options (long names) and URLs.

    ``method`` is the HTTP method it sends, or ``None`` when the method is
    not static (``-X "$METHOD"``).
    """

    command: Command
    options: tuple[tuple[str, Word | None], ...]
    urls: tuple[Word, ...]
    method: str | None
    line: int

    def values(self, *names: str) -> list[Word]:
        """The arguments given to any of the long options ``names``."""
        return [w for opt, w in self.options if opt in names and w is not None]

    def has(self, *names: str) -> bool:
        """True when any of the long options ``names`` is present."""
        return any(opt in names for opt, _ in self.options)


def _curl_method(options: list[tuple[str, Word | None]]) -> str | None:
    names = {opt for opt, _ in options}
    requested = [w for opt, w in options if opt == "--request" and w is not None]
    if requested:
        word = requested[-1]
        return word.value.upper() if word.static else None
    if "--head" in names:
        return "HEAD"
    if "--get" in names:
        return "GET"
    if names & DATA_OPTIONS:
        return "POST"
    if "--upload-file" in names:
        return "PUT"
    return "GET"


def curl_call(command: Command) -> CurlCall:
    """Read a ``curl`` command's options and URLs."""
    options: list[tuple[str, Word | None]] = []
    urls: list[Word] = []
    words = list(command.words[1:])
    i = 0
    while i < len(words):
        word = words[i]
        text = word.value
        i += 1
        if text.startswith("--") and len(text) > 2:
            name = text.split("=", 1)[0] if "=" in text else text
            if name in _CURL_ARG_LONG:
                if "=" in text:
                    value = decode_word(text.split("=", 1)[1], word.line)
                    options.append((name, value))
                else:
                    options.append((name, words[i] if i < len(words) else None))
                    i += 1
                given = options[-1][1]
                if name == "--url" and given is not None:
                    urls.append(given)
            else:
                options.append((name, None))
        elif text.startswith("-") and len(text) > 1 and word.literal:
            for j, letter in enumerate(text[1:], start=1):
                long = _SHORT_TO_LONG.get(letter, f"-{letter}")
                if letter in _CURL_ARG_SHORT:
                    rest = text[j + 1 :]
                    if rest:
                        options.append((long, decode_word(rest, word.line)))
                    else:
                        options.append((long, words[i] if i < len(words) else None))
                        i += 1
                    break
                options.append((long, None))
        else:
            urls.append(word)
    return CurlCall(
        command=command,
        options=tuple(options),
        urls=tuple(urls),
        method=_curl_method(options),
        line=command.line,
    )


HELPER_CALL = "_call"
"""The prelude function that sends a request: ``_call METHOD URL [curl options...]``."""


def helper_call(command: Command) -> CurlCall:
    """Read a prelude ``_call METHOD URL [curl options...]`` as the curl call it makes."""
    words = command.words
    inner = curl_call(replace(command, words=(words[0], *words[3:])))
    method = words[1] if len(words) > 1 else None
    url = words[2:3]
    return replace(
        inner,
        urls=(*url, *inner.urls),
        method=method.value.upper() if method is not None and method.static else None,
    )


_RUNNERS = frozenset(
    {"command", "builtin", "exec", "env", "time", "nice", "timeout", "stdbuf", "nohup",
     "setsid", "sudo", "doas"}
)  # fmt: skip


def unwrap(command: Command) -> Command:
    """The command another one runs: ``command curl ...`` and ``env X=1 curl ...`` are curl.

    Leading runners (``command``, ``exec``, ``env``, ``time``, ``nice``,
    ``timeout``, ``sudo``, ...) are dropped with their options, ``env``'s
    assignments and ``timeout``'s duration. Anything else is returned as is.
    """
    words = list(command.words)
    while words and words[0].static and words[0].value in _RUNNERS:
        runner = words.pop(0).value
        while words and (
            words[0].value.startswith("-")
            or (runner == "env" and "=" in words[0].value)
        ):
            words.pop(0)
        if runner == "timeout" and words:
            words.pop(0)
    if len(words) == len(command.words):
        return command
    return replace(command, words=tuple(words))


def curl_calls(script: Script) -> list[CurlCall]:
    """Every curl invocation in the script, in source order (nested ones too).

    Calls of the trusted prelude's ``_call`` helper count as curl calls, and
    so do curl commands run through ``command``, ``env``, ``exec`` and the
    like (see :func:`unwrap`).
    """
    calls: list[CurlCall] = []
    for command in map(unwrap, script.commands):
        if command.name is None or not command.name.static:
            continue
        if command.name.value == "curl":
            calls.append(curl_call(command))
        elif (
            command.name.value == HELPER_CALL
            and HELPER_CALL in script.trusted_functions
        ):
            calls.append(helper_call(command))
    return sorted(calls, key=lambda c: c.line)


# -- markers -------------------------------------------------------------------

_MARKER = re.compile(r"^\s*#\s*chapi:step\b(?P<rest>.*)$")
_PAIR = re.compile(
    r"""(?P<key>[a-z_]+)=(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>\S*))"""
)


@dataclass(frozen=True)
class Marker:
    """A ``# chapi:step key=value ...`` comment describing the next request."""

    line: int
    fields: dict[str, str]

    @property
    def operation(self) -> str | None:
        """The ``operation`` field, ``METHOD /path``."""
        return self.fields.get("operation")

    @property
    def auth(self) -> str:
        """The ``auth`` field (``valid`` when absent)."""
        return self.fields.get("auth", "valid")

    @property
    def expect(self) -> list[int | str]:
        """The ``expect`` field as statuses and ranges (``200,201`` or ``2XX``)."""
        items: list[int | str] = []
        for part in self.fields.get("expect", "").split(","):
            part = part.strip().upper()
            if part.isdigit():
                items.append(int(part))
            elif part:
                items.append(part)
        return items


def script_markers(text: str) -> list[Marker]:
    """The step markers of a script, in order."""
    found: list[Marker] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _MARKER.match(line)
        if match:
            fields = {
                m.group("key"): next(
                    g
                    for g in (m.group("dq"), m.group("sq"), m.group("bare"))
                    if g is not None
                )
                for m in _PAIR.finditer(match.group("rest"))
            }
            found.append(Marker(line=number, fields=fields))
    return found
