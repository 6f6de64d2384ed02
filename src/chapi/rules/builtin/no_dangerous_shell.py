"""NoDangerousShell: shell files use an allowlist of commands, in safe forms."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace

from .._shell import (
    CURL_FLAGS,
    CURL_VALUE_OPTIONS,
    HELPER_CALL,
    Command,
    CurlCall,
    Redirect,
    Script,
    ShellParseError,
    Word,
    curl_call,
    helper_call,
    parse_script,
)
from ..finding import Finding
from ..rule import PackFile, Rule, RuleContext

__all__ = ["ALLOWED_COMMANDS", "NoDangerousShell"]

ALLOWED_COMMANDS = frozenset(
    {
        "curl", "jq", "printf", "echo", "test", "[", "grep", "cat", "mktemp", "wc",
        "sed", "tr", "head", "tail", "cut", "sort", "date", "sleep", "true", "false",
        "exit", "return", "set", "local", "read", "shift", "export", "declare",
        "base64", ":", "pwd", "unset", "readonly", "seq",
    }
)  # fmt: skip
"""Commands a script may run (besides its own functions, ``rm`` of its own
temporary files and ``trap`` calling one of its functions)."""

_WHY = {
    "eval": "eval runs a string as code",
    "source": "source runs another file",
    ".": "'.' runs another file",
    "exec": "exec replaces the shell or rewires descriptors",
    "sudo": "sudo raises privileges",
    "doas": "doas raises privileges",
    "su": "su switches user",
    "nohup": "nohup detaches a process",
    "coproc": "coproc starts a background process",
    "alias": "alias redefines commands",
    "dd": "dd writes raw devices",
    "mkfs": "mkfs formats disks",
    "shutdown": "shutdown stops the machine",
    "reboot": "reboot restarts the machine",
    "chmod": "chmod changes permissions",
    "chown": "chown changes ownership",
    "trap": "trap with a command runs code on signals",
    "rm": "rm may only delete the script's own temporary files",
    "enable": "enable loads or switches builtins",
}
_SHELLS = frozenset(
    {"sh", "bash", "dash", "zsh", "ksh", "fish", "csh", "tcsh", "busybox", "python",
     "python3", "perl", "ruby", "node", "php", "lua", "awk", "gawk", "osascript"}
)  # fmt: skip
_WRAPPERS = frozenset(
    {"env", "xargs", "exec", "nohup", "sudo", "doas", "time", "nice", "timeout",
     "stdbuf", "setsid", "chroot", "strace", "watch", "parallel", "command", "builtin"}
)  # fmt: skip
_BUILTINS = frozenset(
    {"cd", "command", "builtin", "type", "hash", "wait", "kill", "read", "printf",
     "echo", "test", "[", "set", "unset", "export", "declare", "local", "readonly",
     "typeset", "shift", "exit", "return", "trap", "eval", "exec", "source", ".",
     "alias", "unalias", "let", "mapfile", "readarray", "getopts", "shopt", "ulimit",
     "umask", "enable", "true", "false", ":", "pwd", "times", "caller", "compgen",
     "complete", "fc", "history", "jobs", "fg", "bg", "disown", "suspend", "bind"}
)  # fmt: skip
DANGEROUS_VARIABLES = frozenset(
    {"IFS", "PATH", "BASH_ENV", "ENV", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT",
     "PROMPT_COMMAND", "SHELLOPTS", "BASHOPTS", "CDPATH", "GLOBIGNORE", "PS4",
     "BASH_LOADABLES_PATH", "HISTFILE", "DYLD_INSERT_LIBRARIES", "PYTHONPATH",
     "BASH_XTRACEFD", "EXECIGNORE", "FPATH", "HOME", "TMPDIR"}
)  # fmt: skip
"""Variables whose change alters how the shell finds, loads or runs code."""
_SHADOWED = ALLOWED_COMMANDS | _BUILTINS | _SHELLS | _WRAPPERS | frozenset(_WHY)
"""Names a script's own function may not take: calls would no longer mean the command."""
_SAFE_DEVICES = re.compile(r"^/dev/(null|stdout|stderr|fd/[0-2])$")
_WRITE_REDIRECTS = frozenset({">", ">>", ">|", "&>", "&>>", "<>", ">&"})
_CURL_WRITES = (
    "--output", "--dump-header", "--cookie-jar", "--trace", "--trace-ascii", "--stderr",
    "--libcurl", "--output-dir", "--etag-save", "--hsts", "--alt-svc", "--ssl-sessions",
)  # fmt: skip
_CURL_READS = (
    "--upload-file", "--cookie", "--etag-compare", "--cacert", "--cert", "--key",
    "--capath", "--netrc-file", "--crlfile", "--pinnedpubkey", "--proxy-cacert",
    "--proxy-capath", "--proxy-cert", "--proxy-key", "--proxy-crlfile",
    "--proxy-pinnedpubkey", "--random-file", "--egd-file",
)  # fmt: skip
_CURL_KNOWN = CURL_VALUE_OPTIONS | CURL_FLAGS
_CURL_VARIABLE_FILE = re.compile(r"^%?[A-Za-z0-9_]+(?:\[[^\]]*\])?@(.*)$")
_CURL_OUTPUT_FORMAT = re.compile(r"%output\{(?:>>)?([^}]*)\}")
_REQUIRED, _OPTIONAL = "required", "optional"
_GNU_OPTIONS: dict[str, tuple[dict[str, str | None], dict[str, str]]] = {
    "sed": (
        {"expression": _REQUIRED, "file": _REQUIRED, "in-place": _OPTIONAL,
         "line-length": _REQUIRED, "null-data": None, "zero-terminated": None,
         "quiet": None, "silent": None, "regexp-extended": None, "separate": None,
         "sandbox": None, "unbuffered": None, "posix": None, "debug": None,
         "follow-symlinks": None, "binary": None},
        {"e": "expression", "f": "file", "l": "line-length", "i": "in-place"},
    ),
    "sort": (
        {"output": _REQUIRED, "compress-program": _REQUIRED,
         "temporary-directory": _REQUIRED, "files0-from": _REQUIRED, "key": _REQUIRED,
         "field-separator": _REQUIRED, "buffer-size": _REQUIRED, "parallel": _REQUIRED,
         "batch-size": _REQUIRED, "random-source": _REQUIRED, "sort": _REQUIRED,
         "numeric-sort": None, "reverse": None, "unique": None, "stable": None,
         "general-numeric-sort": None, "human-numeric-sort": None, "month-sort": None,
         "version-sort": None, "random-sort": None, "check": _OPTIONAL, "merge": None,
         "ignore-case": None, "dictionary-order": None, "ignore-leading-blanks": None,
         "ignore-nonprinting": None, "zero-terminated": None, "debug": None},
        {"o": "output", "T": "temporary-directory", "k": "key", "t": "field-separator",
         "S": "buffer-size"},
    ),
    "date": (
        {"set": _REQUIRED, "file": _REQUIRED, "date": _REQUIRED, "reference": _REQUIRED,
         "iso-8601": _OPTIONAL, "rfc-3339": _REQUIRED, "utc": None, "universal": None,
         "rfc-email": None, "debug": None, "resolution": None},
        {"s": "set", "f": "file", "d": "date", "r": "reference"},
    ),
    "mktemp": (
        {"tmpdir": _OPTIONAL, "directory": None, "dry-run": None, "quiet": None,
         "suffix": _REQUIRED},
        {"p": "tmpdir"},
    ),
}  # fmt: skip
"""GNU tools on the allowlist whose options need a look: long options by
name and how they take a value, short options that take one."""
_MKTEMP = re.compile(r'^"?\$\(\s*mktemp\b[^()`$;|&<>]*\)"?$')
_NAME_ARG = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\+?=|\[|$)")


def _bound_names(command: Command) -> list[str]:
    """Variables a command sets other than by ``NAME=value`` (read, printf -v, unset, ...)."""
    if command.name is None:
        return []
    name = command.name.value
    args = [w.value for w in command.words[1:]]
    if name in ("read", "unset", "mapfile", "readarray", "getopts"):
        return [a for a in args if not a.startswith("-")]
    if name == "printf":
        return [args[i + 1] for i, a in enumerate(args[:-1]) if a == "-v"]
    if name in ("local", "declare", "readonly", "export", "typeset"):
        return [a for a in args if not a.startswith("-") and "=" not in a]
    return []


def _temp_vars(script: Script) -> set[str]:
    """Variables that only ever hold ``$(mktemp ...)``: the script's own temporary paths.

    A name also assigned any other value, read into, unset, used as a loop
    variable or defaulted with ``${NAME:=...}`` is not a temporary path.
    """
    names: set[str] = set()
    others: set[str] = set(script.loop_variables)
    others.update(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?=", script.text))
    for command in script.commands:
        candidates = list(command.assignments)
        if command.name is not None and command.name.value in (
            "local",
            "declare",
            "readonly",
            "export",
            "typeset",
        ):
            candidates += [w for w in command.words[1:] if "=" in w.raw]
        for word in candidates:
            name, _, raw_value = word.raw.partition("=")
            (names if _MKTEMP.match(raw_value) else others).add(name.rstrip("+"))
        others.update(
            re.split(r"[\[+=]", n, maxsplit=1)[0] for n in _bound_names(command)
        )
    return names - others


def _in_temp(word: Word, temp: set[str]) -> bool:
    match = re.match(
        r"^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))(.*)$", word.value
    )
    if not match or (match.group(1) or match.group(2)) not in temp:
        return False
    rest = match.group(3)
    if word.glob or word.brace or (rest and not rest.startswith("/")):
        return False
    return "$" not in rest and "`" not in rest and ".." not in rest.split("/")


def inside_workdir(word: Word, temp: set[str]) -> bool:
    """True when a path stays in the working folder, a safe device or own temp space."""
    if _in_temp(word, temp):
        return True
    if not word.static:
        return False
    value = word.value
    if _SAFE_DEVICES.match(value) or value == "-":
        return True
    if not value or value.startswith(("/", "~")) or "\\" in value:
        return False
    return ".." not in value.split("/")


def _sent_file(option: str, value: str) -> str | None:
    """The file a curl data or form option sends, if its value names one.

    ``-d @file``, ``--data-urlencode @file`` or ``name@file``, and
    ``-F name=@file`` or ``name=<file`` (up to the first ``;``).
    """
    if option in ("--data", "--data-binary", "--data-ascii", "--json"):
        return value[1:] if value.startswith("@") else None
    if option == "--data-urlencode":
        at = value.find("@")
        if at >= 0 and "=" not in value[:at]:
            return value[at + 1 :]
        return None
    if option == "--form":
        content = value.partition("=")[2]
        if content.startswith(("@", "<")):
            return content[1:].split(";")[0]
    return None


def _part(word: Word, text: str) -> Word:
    """A piece of an already decoded word (an option's attached value)."""
    return replace(word, raw=text, value=text, tilde=text.startswith("~"), hazards=())


def _gnu_parse(
    args: list[Word], long: dict[str, str | None], short: dict[str, str]
) -> tuple[list[tuple[str, Word | None]], list[Word]]:
    """Options (by long name) and operands, read the way GNU ``getopt_long`` reads them.

    Long options may be abbreviated to any unique prefix (``--comp`` is
    ``--compress-program``); an ambiguous or unknown one is kept as written.
    Short options in ``short`` take a value (attached or the next word).
    """
    options: list[tuple[str, Word | None]] = []
    operands: list[Word] = []
    index = 0
    while index < len(args):
        word = args[index]
        text = word.value
        index += 1
        if text == "--":
            operands += args[index:]
            break
        if text.startswith("--"):
            given, has_value, value = text[2:].partition("=")
            matches = [n for n in long if n == given] or [
                n for n in long if n.startswith(given)
            ]
            name = matches[0] if len(matches) == 1 else given
            takes = long.get(name)
            attached = _part(word, value) if has_value else None
            if attached is None and takes == _REQUIRED and index < len(args):
                attached = args[index]
                index += 1
            options.append((name, attached))
        elif text.startswith("-") and len(text) > 1:
            for position, letter in enumerate(text[1:], start=1):
                if letter in short:
                    rest = text[position + 1 :]
                    if rest or short[letter] == "in-place":
                        value_word: Word | None = _part(word, rest) if rest else None
                    elif index < len(args):
                        value_word = args[index]
                        index += 1
                    else:
                        value_word = None
                    options.append((short[letter], value_word))
                    break
                options.append((letter, None))
        else:
            operands.append(word)
    return options, operands


_SED_SIMPLE = set("dDpPnNgGhHxlz=F")


def _sed_safe(script: str) -> bool:
    """True when a sed script uses only commands that neither run nor write anything.

    Allowed: addresses, ``!``, ``{}``, ``s`` (flags ``g``, ``p``, ``i``,
    ``I``, ``m``, ``M``, numbers), ``y``, ``d``, ``p``, ``q``, ``n``, ``a``,
    ``i``, ``c``, labels and branches; ``e``, ``w``, ``W``, ``r``, ``R`` and
    the ``e``/``w`` flags of ``s`` are not.
    """
    i, n = 0, len(script)

    def delimited(start: int, parts: int) -> int:
        if start >= n or script[start] in "\\\n":
            return -1
        delimiter = script[start]
        j = start + 1
        for _ in range(parts):
            while j < n and script[j] != delimiter:
                j += 2 if script[j] == "\\" else 1
            if j >= n:
                return -1
            j += 1
        return j

    while i < n:
        while i < n and script[i] in " \t\n;":
            i += 1
        if i >= n:
            break
        for part in range(2):
            if script[i].isdigit() or script[i] == "$":
                i += 1
                while i < n and (script[i].isdigit() or script[i] in "~+"):
                    i += 1
            elif script[i] in "/\\":
                start = i + 1 if script[i] == "\\" else i
                i = delimited(start, 1)
                if i < 0:
                    return False
                while i < n and script[i] in "IM":
                    i += 1
            if part == 0 and i < n and script[i] == ",":
                i += 1
                continue
            break
        while i < n and script[i] in " \t":
            i += 1
        if i < n and script[i] == "!":
            i += 1
        while i < n and script[i] in " \t":
            i += 1
        if i >= n:
            return False
        command = script[i]
        i += 1
        if command == "{":
            continue
        if command in "sy":
            i = delimited(i - 1 + 1, 2) if i < n else -1
            if i < 0:
                return False
            while command == "s" and i < n and script[i] in "gpiImM0123456789":
                i += 1
        elif command in "qQlL":
            while i < n and (script[i].isdigit() or script[i] == " "):
                i += 1
        elif command in "aic:btT#":
            while (
                i < n and script[i] != "\n" and (command in "aic#" or script[i] != ";")
            ):
                i += 2 if script[i] == "\\" else 1
        elif command not in _SED_SIMPLE and command not in "{}":
            return False
        while i < n and script[i] in " \t":
            i += 1
        if i < n and script[i] not in ";\n}":
            return False
    return True


def _plain(text: str) -> Word:
    """A path taken from inside an option value, static only when nothing expands."""
    literal = "$" not in text and "`" not in text
    return Word(raw=text, value=text, literal=literal, tilde=text.startswith("~"))


class NoDangerousShell(Rule):
    """Shell files run only allowlisted commands, in forms that cannot harm the host.

    The script is parsed with bashlex; every simple command, including those
    inside ``$(...)``, backticks, process substitutions and function bodies,
    is checked. Command names are decoded (quotes, ``$'...'`` escapes) before
    they are compared, and a name that is not static or not ASCII is refused.
    A script bashlex cannot parse is an error: nothing weaker replaces the
    parser.
    """

    name = "NoDangerousShell"
    description = "shell files run only allowlisted commands in safe forms"
    kinds = frozenset({"bash"})

    def check(self, file: PackFile, context: RuleContext) -> Iterable[Finding]:
        """Parse the script and check every command, redirect and background job."""
        try:
            script = parse_script(file.content)
        except ShellParseError as exc:
            yield self.finding(file, f"unparseable shell: {exc}", line=exc.line)
            return

        temp = _temp_vars(script)
        functions = set(script.functions)
        for name, line in sorted(script.functions.items()):
            if not name.isascii() or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name):
                yield self.finding(
                    file, "function name is not a plain ASCII name", line=line
                )
            elif name in _SHADOWED and name not in script.trusted_functions:
                yield self.finding(
                    file,
                    f"function '{name}' shadows a command of the same name",
                    line=line,
                    command=name,
                )
        for line, hazard in script.hazards:
            yield self.finding(file, hazard, line=line)
        for line in script.background:
            yield self.finding(file, "background job ('&') is not allowed", line=line)
        for redirect in script.compound_redirects:
            yield from self._redirect(file, redirect, temp)
        for command in script.commands:
            yield from self._command(file, command, functions, temp)

    def _command(
        self, file: PackFile, command: Command, functions: set[str], temp: set[str]
    ) -> Iterator[Finding]:
        for word in command.assignments:
            yield from self._assignment(file, word.raw.partition("=")[0], command.line)
        for redirect in command.redirects:
            yield from self._redirect(file, redirect, temp, command)
        if not command.words:
            return
        yield from self._invocation(file, command, list(command.words), functions, temp)

    def _subscript(self, file: PackFile, name: str, line: int) -> Iterator[Finding]:
        base = re.split(r"[\[+=]", name, maxsplit=1)[0]
        subscript = name[len(base) :].rstrip("+=")
        if subscript and not re.fullmatch(r"\[\s*[0-9]+\s*\]", subscript):
            yield self.finding(
                file,
                "array subscript is not an integer literal "
                "(bash evaluates it as arithmetic)",
                line=line,
                variable=base,
            )

    def _assignment(self, file: PackFile, name: str, line: int) -> Iterator[Finding]:
        base = re.split(r"[\[+=]", name, maxsplit=1)[0]
        yield from self._subscript(file, name, line)
        if base in DANGEROUS_VARIABLES:
            yield self.finding(
                file,
                f"assigning {base} changes how the shell finds or runs commands",
                line=line,
                variable=base,
            )

    def _name_problem(self, word: Word) -> str | None:
        if not word.literal:
            return "command name is not static (built from an expansion)"
        if not word.value.isascii():
            return "command name holds non-ASCII characters (look-alike letters)"
        if (word.glob and word.value != "[") or word.brace or word.tilde:
            return "command name uses glob, brace or tilde expansion"
        if "/" in word.value:
            return "command given by path; use the plain command name"
        if not word.value or any(c.isspace() or ord(c) < 32 for c in word.value):
            return "command name is empty or holds whitespace or control characters"
        return None

    def _invocation(
        self,
        file: PackFile,
        command: Command,
        words: list[Word],
        functions: set[str],
        temp: set[str],
    ) -> Iterator[Finding]:
        head = words[0]
        line = head.line
        problem = self._name_problem(head)
        if problem:
            yield self.finding(file, problem, line=line, command=head.raw)
            return
        name = head.value
        args = words[1:]

        if name in _SHELLS:
            fed = any(
                r.heredoc is not None or r.type in ("<", "<<<")
                for r in command.redirects
            )
            if any(p in ("curl", "wget", "cat") for p in command.piped_from):
                why = "download piped to a shell or interpreter"
            elif fed:
                why = "input fed to a shell or interpreter"
            elif any(a.value in ("-c", "-e") for a in args):
                why = "runs code from a string in a nested shell or interpreter"
            else:
                why = "runs a nested shell or interpreter"
            yield self.finding(file, f"{name}: {why}", line=line, command=name)
            return
        if name in ("command", "builtin"):
            rest = [a for a in args if not a.value.startswith("-")]
            if any(a.value in ("-v", "-V") for a in args) or not rest:
                return
            yield from self._invocation(file, command, rest, functions, temp)
            return
        if name in _WRAPPERS:
            yield self.finding(
                file,
                _WHY.get(name, f"{name} runs another command and is not allowed"),
                line=line,
                command=name,
            )
            inner = self._wrapped(name, args)
            if inner:
                yield from self._invocation(file, command, inner, functions, temp)
            return
        if name == "find":
            yield self.finding(file, "find is not allowed", line=line, command=name)
            for index, arg in enumerate(args):
                if arg.value in ("-exec", "-execdir", "-ok", "-okdir", "-delete"):
                    yield self.finding(
                        file,
                        f"find {arg.value} runs or deletes on matched files",
                        line=line,
                    )
                    if index + 1 < len(args):
                        yield from self._invocation(
                            file, command, args[index + 1 :], functions, temp
                        )
            return
        if name == HELPER_CALL and name in functions and command.words[0] is head:
            yield from self._arguments(file, command, "curl", args, temp)
            return
        if name in functions:
            return
        if name == "rm":
            targets = [a for a in args if not a.value.startswith("-")]
            if targets and all(_in_temp(a, temp) for a in targets):
                return
            yield self.finding(file, _WHY["rm"], line=line, command=name)
            return
        if name == "trap":
            action = args[0] if args else None
            if action is None or action.value in ("", "-") or action.value in functions:
                return
            yield self.finding(file, _WHY["trap"], line=line, command=name)
            return
        if name not in ALLOWED_COMMANDS:
            why = _WHY.get(name, f"command '{name}' is not in the allowlist")
            yield self.finding(file, why, line=line, command=name)
            return
        yield from self._arguments(file, command, name, args, temp)

    def _wrapped(self, name: str, args: list[Word]) -> list[Word]:
        rest = list(args)
        while rest and (
            rest[0].value.startswith("-") or (name == "env" and "=" in rest[0].value)
        ):
            rest.pop(0)
        if name == "timeout" and rest:
            rest.pop(0)
        return rest

    def _arguments(
        self,
        file: PackFile,
        command: Command,
        name: str,
        args: list[Word],
        temp: set[str],
    ) -> Iterator[Finding]:
        line = command.line
        yield from self._variable_names(file, name, args, line)
        if name in ("declare", "local", "readonly", "export") and any(
            a.value.startswith(("-", "+")) and "i" in a.value for a in args
        ):
            yield self.finding(
                file,
                f"{name} -i makes every assignment an arithmetic evaluation",
                line=line,
            )
        if name in ("declare", "export", "local", "readonly") and any(
            a.value.startswith("-") and "f" in a.value for a in args
        ):
            yield self.finding(
                file, f"{name} -f exports or redefines functions", line=line
            )
        if name in ("declare", "local", "readonly") and any(
            a.value.startswith("-") and "n" in a.value for a in args
        ):
            yield self.finding(
                file,
                f"{name} -n makes a name reference that hides which variable is set",
                line=line,
            )
        if name == "curl":
            call = (
                helper_call(command)
                if command.words[0].value == HELPER_CALL
                else curl_call(command)
            )
            if call.has("--config"):
                yield self.finding(
                    file, "curl --config reads options from a file", line=line
                )
            if call.has("--remote-name", "--remote-name-all", "--remote-header-name"):
                yield self.finding(
                    file, "curl -O/-J writes a file named by the server", line=line
                )
            for word in call.values(*_CURL_WRITES):
                if not inside_workdir(word, temp):
                    yield self.finding(
                        file,
                        "curl writes outside the working folder",
                        line=line,
                        path=word.raw,
                    )
            for word in call.values(*_CURL_READS):
                if not inside_workdir(word, temp) and not (
                    word.value and "=" in word.value
                ):
                    yield self.finding(
                        file,
                        "curl reads a file outside the working folder",
                        line=line,
                        path=word.raw,
                    )
            for option, given in call.options:
                source = _sent_file(option, given.value) if given is not None else None
                if (
                    given is not None
                    and source is not None
                    and source != "-"
                    and not inside_workdir(_part(given, source), temp)
                ):
                    yield self.finding(
                        file,
                        "curl sends a file from outside the working folder",
                        line=line,
                    )
            yield from self._curl_file_options(file, call.values, temp, line)
            yield from self._curl_hazards(file, call, line)
        if name in _GNU_OPTIONS:
            yield from self._gnu_command(file, name, args, temp, line)
        if (
            name == "set"
            and any(a.value == "-o" for a in args)
            and any(a.value in ("allexport", "posix") for a in args)
        ):
            yield self.finding(
                file, "set -o changes how variables are exported", line=line
            )
        for arg in args:
            if "IFS" in arg.params:
                yield self.finding(file, "expanding IFS is not allowed", line=line)

    def _variable_names(
        self, file: PackFile, name: str, args: list[Word], line: int
    ) -> Iterator[Finding]:
        """Names given to builtins that set or test variables must be plain and static.

        ``read``, ``unset``, ``printf -v``, ``test -v`` and the declaration
        builtins evaluate an array subscript in the name as arithmetic, so
        ``printf -v 'a[$(id)]' x`` runs ``id``; a computed name hides which
        variable is set.
        """
        names: list[Word] = []
        if name in ("export", "declare", "local", "readonly", "unset", "read"):
            takes_value = ("-d", "-n", "-N", "-p", "-t", "-u") if name == "read" else ()
            index = 0
            while index < len(args):
                arg = args[index]
                index += 1
                if (
                    arg.literal
                    and arg.value.startswith(("-", "+"))
                    and len(arg.value) > 1
                ):
                    if arg.value in takes_value:
                        index += 1
                    continue
                names.append(arg)
        elif name in ("printf", "test", "["):
            names = [args[i + 1] for i, a in enumerate(args[:-1]) if a.value == "-v"]
        for word in names:
            target = word.value.partition("=")[0].rstrip("+")
            if not word.literal and not re.fullmatch(
                r"[A-Za-z_][A-Za-z0-9_]*", word.raw.partition("=")[0].rstrip("+")
            ):
                yield self.finding(
                    file,
                    f"{name}: variable name is computed, not written out",
                    line=line,
                )
                continue
            match = _NAME_ARG.match(target)
            if match is None:
                yield self.finding(
                    file, f"{name}: '{target[:40]}' is not a variable name", line=line
                )
                continue
            if name in ("test", "["):
                yield from self._subscript(file, target, line)
            else:
                yield from self._assignment(file, target, line)

    def _gnu_command(
        self, file: PackFile, name: str, args: list[Word], temp: set[str], line: int
    ) -> Iterator[Finding]:
        """sed, sort, date and mktemp options, long ones abbreviated or not."""
        long, short = _GNU_OPTIONS[name]
        options, operands = _gnu_parse(args, long, short)
        given = {option for option, _ in options}
        values = {option: value for option, value in options if value is not None}
        if name == "sed":
            if "in-place" in given:
                yield self.finding(file, "sed -i edits files in place", line=line)
            if "file" in given:
                yield self.finding(
                    file, "sed -f reads its script from a file", line=line
                )
            scripts = [v for o, v in options if o == "expression" and v is not None]
            if not scripts and "file" not in given and operands:
                scripts = [operands[0]]
            if any(not w.static or not _sed_safe(w.value) for w in scripts):
                yield self.finding(
                    file,
                    "sed script may execute commands or write files "
                    "(only s, y, d, p, q, n, a, i, c and branches are allowed)",
                    line=line,
                )
        elif name == "sort":
            if "compress-program" in given:
                yield self.finding(
                    file, "sort --compress-program runs another program", line=line
                )
            for option in ("output", "temporary-directory"):
                target = values.get(option)
                if target is not None and not inside_workdir(target, temp):
                    yield self.finding(
                        file,
                        f"sort --{option} writes outside the working folder",
                        line=line,
                    )
        elif name == "date" and "set" in given:
            yield self.finding(file, "date --set changes the clock", line=line)
        elif name == "mktemp":
            places = [w for w in operands] + (
                [values["tmpdir"]] if "tmpdir" in values else []
            )
            if any(
                w.value.startswith(("/", "~")) or ".." in w.value.split("/")
                for w in places
            ):
                yield self.finding(
                    file, "mktemp outside the system temporary folder", line=line
                )

    def _curl_hazards(
        self, file: PackFile, call: CurlCall, line: int
    ) -> Iterator[Finding]:
        """Abbreviated options, credential files, engines and non-HTTP URLs."""
        for option, _ in call.options:
            if (
                option.startswith("--")
                and option not in _CURL_KNOWN
                and any(known.startswith(option) for known in _CURL_KNOWN)
            ):
                yield self.finding(
                    file,
                    f"curl option {option} is abbreviated; write the option out",
                    line=line,
                )
        if call.has("--netrc", "--netrc-optional"):
            yield self.finding(
                file,
                "curl --netrc sends credentials from the user's ~/.netrc",
                line=line,
            )
        if call.has("--engine"):
            yield self.finding(
                file, "curl --engine loads a crypto engine (native code)", line=line
            )
        for word in call.values("--proto-default"):
            if word.value.lower() not in ("http", "https"):
                yield self.finding(
                    file, "curl --proto-default allows a non-HTTP scheme", line=line
                )
        for url in call.urls:
            value = url.value.strip()
            if re.match(r"\$\{?BASE_URL\b", value):
                continue
            scheme = value.split(":", 1)[0].lower() if ":" in value else ""
            if ("://" in value or scheme == "file") and scheme not in ("http", "https"):
                yield self.finding(
                    file,
                    "curl URL uses a scheme other than http or https (file://, ...)",
                    line=url.line,
                )

    def _curl_file_options(
        self,
        file: PackFile,
        values: Callable[..., list[Word]],
        temp: set[str],
        line: int,
    ) -> Iterator[Finding]:
        """Options whose value may name a file: ``-H @f``, ``-w @f``, ``--variable``."""
        sources: list[str] = []
        for word in values("--header", "--proxy-header", "--write-out"):
            if word.value.startswith("@"):
                sources.append(word.value[1:])
        for word in values("--variable"):
            match = _CURL_VARIABLE_FILE.match(word.value)
            if match:
                sources.append(match.group(1))
        for source in sources:
            if source != "-" and not inside_workdir(_plain(source), temp):
                yield self.finding(
                    file, "curl reads a file outside the working folder", line=line
                )
        for word in values("--write-out"):
            for target in _CURL_OUTPUT_FORMAT.findall(word.value):
                if not inside_workdir(_plain(target), temp):
                    yield self.finding(
                        file, "curl writes outside the working folder", line=line
                    )

    def _redirect(
        self,
        file: PackFile,
        redirect: Redirect,
        temp: set[str],
        command: Command | None = None,
    ) -> Iterator[Finding]:
        if redirect.heredoc is not None:
            if not redirect.heredoc_quoted and re.search(r"\$\(|`", redirect.heredoc):
                yield self.finding(
                    file,
                    "command substitution inside a here-document is not allowed",
                    line=redirect.line,
                )
            return
        target = redirect.target
        if not isinstance(target, Word):
            return
        if re.match(r"/dev/(tcp|udp)/", target.value):
            yield self.finding(
                file,
                "redirect to /dev/tcp or /dev/udp opens a network connection",
                line=redirect.line,
                path=target.raw,
            )
            return
        if redirect.type == "<" and not target.static and not _in_temp(target, temp):
            yield self.finding(
                file,
                "input redirect from a computed path (it could name /dev/tcp/...)",
                line=redirect.line,
                path=target.raw,
            )
            return
        if redirect.type not in _WRITE_REDIRECTS:
            return
        if not inside_workdir(target, temp):
            yield self.finding(
                file,
                f"redirect '{redirect.type}' writes outside the working folder",
                line=redirect.line,
                path=target.raw,
            )
