"""NoDangerousShell: shell files use an allowlist of commands, in safe forms."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from .._shell import (
    HELPER_CALL,
    Command,
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
DANGEROUS_VARIABLES = frozenset(
    {"IFS", "PATH", "BASH_ENV", "ENV", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT",
     "PROMPT_COMMAND", "SHELLOPTS", "BASHOPTS", "CDPATH", "GLOBIGNORE", "PS4",
     "BASH_LOADABLES_PATH", "HISTFILE", "DYLD_INSERT_LIBRARIES", "PYTHONPATH",
     "BASH_XTRACEFD", "EXECIGNORE", "FPATH", "HOME", "TMPDIR"}
)  # fmt: skip
"""Variables whose change alters how the shell finds, loads or runs code."""
_SAFE_DEVICES = re.compile(r"^/dev/(null|stdout|stderr|fd/[0-2])$")
_WRITE_REDIRECTS = frozenset({">", ">>", ">|", "&>", "&>>", "<>", ">&"})
_CURL_WRITES = (
    "--output", "--dump-header", "--cookie-jar", "--trace", "--trace-ascii", "--stderr",
    "--libcurl", "--output-dir", "--etag-save", "--hsts", "--alt-svc",
)  # fmt: skip
_CURL_READS = (
    "--upload-file",
    "--cookie",
    "--etag-compare",
    "--cacert",
    "--cert",
    "--key",
)
_CURL_VARIABLE_FILE = re.compile(r"^%?[A-Za-z0-9_]+(?:\[[^\]]*\])?@(.*)$")
_CURL_OUTPUT_FORMAT = re.compile(r"%output\{(?:>>)?([^}]*)\}")
_SED_EXEC = re.compile(
    r"(^|[;{}\n]|\d|\$|/)\s*[eEwWrR](\s|$)|s(.).*\3.*\3[gpiImM0-9]*[ew]"
)
_MKTEMP = re.compile(r'^"?\$\(\s*mktemp\b[^()`$;|&<>]*\)"?$')
_NAME_ARG = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\+?=|\[|$)")


def _temp_vars(script: Script) -> set[str]:
    """Variables assigned from ``$(mktemp ...)``: the script's own temporary paths."""
    names: set[str] = set()
    for command in script.commands:
        candidates = list(command.assignments)
        if command.name is not None and command.name.value in (
            "local",
            "declare",
            "readonly",
        ):
            candidates += [w for w in command.words[1:] if "=" in w.raw]
        for word in candidates:
            name, _, raw_value = word.raw.partition("=")
            if _MKTEMP.match(raw_value):
                names.add(name)
    return names


def _in_temp(word: Word, temp: set[str]) -> bool:
    match = re.match(
        r"^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))(.*)$", word.value
    )
    if not match or (match.group(1) or match.group(2)) not in temp:
        return False
    rest = match.group(3)
    if rest and not rest.startswith("/"):
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

    def _assignment(self, file: PackFile, name: str, line: int) -> Iterator[Finding]:
        base = re.split(r"[\[+=]", name, maxsplit=1)[0]
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
        if name in ("export", "declare", "local", "readonly", "unset", "read"):
            for arg in args:
                match = _NAME_ARG.match(arg.value)
                if match and not arg.value.startswith("-"):
                    yield from self._assignment(file, match.group(1), line)
        if name == "printf":
            for index, arg in enumerate(args[:-1]):
                if arg.value == "-v":
                    yield from self._assignment(file, args[index + 1].value, line)
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
            for word in call.values("--data", "--data-binary", "--data-urlencode", "--json",
                                    "--form", "--data-ascii"):  # fmt: skip
                at = word.value.find("@") if "@" in word.value else -1
                if at >= 0 and (at == 0 or word.value[:at].rstrip("<").endswith("=")):
                    source = word.value[at + 1 :].split(";")[0]
                    if source != "-" and not inside_workdir(
                        Word(raw=source, value=source, literal=word.literal), temp
                    ):
                        yield self.finding(
                            file,
                            "curl sends a file from outside the working folder",
                            line=line,
                        )
            yield from self._curl_file_options(file, call.values, temp, line)
        if name == "sed":
            for arg in args:
                if arg.value.startswith("-i") or arg.value.startswith("--in-place"):
                    yield self.finding(file, "sed -i edits files in place", line=line)
                elif not arg.value.startswith("-") and _SED_EXEC.search(arg.value):
                    yield self.finding(
                        file,
                        "sed script may execute commands or write files (e, w, r)",
                        line=line,
                    )
                    break
        if name == "sort":
            for index, arg in enumerate(args):
                value = arg.value
                target = None
                if value in ("-o", "--output") and index + 1 < len(args):
                    target = args[index + 1]
                elif value.startswith("--output="):
                    target = Word(raw=value[9:], value=value[9:], literal=arg.literal)
                elif value.startswith("-o") and len(value) > 2:
                    target = Word(raw=value[2:], value=value[2:], literal=arg.literal)
                if target is not None and not inside_workdir(target, temp):
                    yield self.finding(
                        file, "sort -o writes outside the working folder", line=line
                    )
        if name == "date" and any(
            a.value in ("-s", "--set") or a.value.startswith("--set=") for a in args
        ):
            yield self.finding(file, "date --set changes the clock", line=line)
        if name == "mktemp" and any(
            a.value.startswith(("/", "~")) or ".." in a.value.split("/") for a in args
        ):
            yield self.finding(
                file, "mktemp outside the system temporary folder", line=line
            )
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
        if redirect.type not in _WRITE_REDIRECTS or not isinstance(target, Word):
            return
        if not inside_workdir(target, temp):
            yield self.finding(
                file,
                f"redirect '{redirect.type}' writes outside the working folder",
                line=redirect.line,
                path=target.raw,
            )
