"""Every regular expression of spec/ means the same in Python's ``re`` and in ECMA-262, JSON Schema's dialect.

A pattern is read by two kinds of tools: the suite's (jsonschema, schemathesis and Hypothesis, on Python's
``re``) and those of a vendor (a Prism mock, ajv, Redocly: ECMA-262, as JSON Schema says). Where the two
readings differ, a value is valid for one and invalid for the other, and a correct server fails. The usual
traps: Python's ``.`` matches ``\\r``, U+2028 and U+2029, ECMA-262's does not; Python's ``$`` also matches
before a final ``\\n``, ECMA-262's does not (the spec writes ``$(?!\\n)``, the end of the string in both).

Each pattern is tried on tricky strings built from values it admits, in Python and in Node (``node -e``):
ECMA-262 with the ``u`` flag, as JSON Schema validators such as ajv compile it, and without. Without Node,
the comparison is skipped with the reason; the patterns are still compiled and tried in Python. The patterns
the property tests generate from (the spec's, narrowed to what every server supports) are tried too.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from conformance._spec import REQUIREMENTS_SCHEMA_FILE, load_openapi, spec_text
from conformance.properties.strategies import generation_document

#: values each pattern admits (by where it is), to build the tricky strings from; every pattern of the
#: spec must have a row (a self-test says so)
ADMITTED: dict[str, tuple[str, ...]] = {
    "openapi:/components/parameters/Sort/schema/pattern": ("creationTime:desc", "a.b_c:asc"),
    "openapi:/components/parameters/Property/schema/items/pattern": (
        "segments~segmentId==workInUS",
        "sandbox.sandboxName==prod",
        "status==a b=c",
    ),
    "requirements-schema:/$defs/requirement/properties/id/pattern": ("SJ-LIST-013",),
    "requirements-schema:/$defs/requirement/properties/source/pattern": (
        "#retrieve-list",
        "RFC 9110 §15.3.5",
        "ERRATA#E-09",
    ),
    "requirements-schema:/$defs/requirement/properties/errata/items/pattern": ("E-30",),
    "generation:/components/parameters/Sort/schema/pattern": ("creationTime:asc",),
    "generation:/components/parameters/Property/schema/items/pattern": ("segments~segmentId==workInUS",),
}

#: characters where the dialects part: the line terminators of ECMA-262 and Python's extra ones, a
#: character outside the BMP (two code units without the ``u`` flag), a lone surrogate, and a few more
TRICKY = (
    "\n",
    "\r",
    "\r\n",
    "\u2028",
    "\u2029",
    "\x85",
    "\x0b",
    "\x0c",
    "\t",
    " ",
    "\U0001f600",
    "\ud800",
    "é",
    "İ",
)


def patterns() -> dict[str, str]:
    """Every ``pattern`` (and ``patternProperties`` key) of the OpenAPI document and the catalog's schema, and
    of the document the property tests generate from."""
    found: dict[str, str] = {}
    for label, document in (
        ("openapi", load_openapi()),
        ("requirements-schema", json.loads(spec_text(REQUIREMENTS_SCHEMA_FILE))),
        ("generation", generation_document()),
    ):
        for pointer, value in _patterns(document, ""):
            found[f"{label}:{pointer}"] = value
    return found


def _patterns(node: Any, pointer: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{pointer}/{key}"
            if key == "pattern" and isinstance(value, str):
                yield here, value
            elif key == "patternProperties" and isinstance(value, dict):
                yield from ((f"{here}/{name}", name) for name in value)
            yield from _patterns(value, here)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _patterns(item, f"{pointer}/{index}")


def tricky_strings(admitted: tuple[str, ...]) -> list[str]:
    """The admitted values, each with every tricky character before it, after it, inside it and in its place
    of its last character; and the characters alone, and the empty string."""
    out = ["", *TRICKY]
    for value in admitted:
        out.append(value)
        middle = len(value) // 2
        for char in TRICKY:
            out += [value + char, char + value, value[:middle] + char + value[middle:], value[:-1] + char]
        out += [value + "\n\n", value.upper(), value.lower()]
    return list(dict.fromkeys(out))


def python_verdicts(pattern: str, strings: list[str]) -> list[bool]:
    """As jsonschema judges ``pattern`` (``re.search``)."""
    compiled = re.compile(pattern)
    return [compiled.search(s) is not None for s in strings]


NODE_SCRIPT = """
const [pattern, strings] = JSON.parse(require("fs").readFileSync(0, "utf8"));
const verdicts = {};
for (const flags of ["u", ""]) {
  const regex = new RegExp(pattern, flags);
  verdicts[flags || "none"] = strings.map((s) => regex.test(s));
}
process.stdout.write(JSON.stringify(verdicts));
"""


def ecma_verdicts(pattern: str, strings: list[str]) -> dict[str, list[bool]]:
    """ECMA-262's verdicts, with the ``u`` flag and without (``RegExp.prototype.test``, as ``search``)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("no node on PATH: the ECMA-262 reading of the patterns is not compared")
    # JSON escapes lone surrogates (ensure_ascii), so each string reaches JavaScript unchanged
    proc = subprocess.run(
        [node, "-e", NODE_SCRIPT],
        input=json.dumps([pattern, strings]),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, f"node refused the pattern {pattern!r}: {proc.stderr[-2000:]}"
    verdicts: dict[str, list[bool]] = json.loads(proc.stdout)
    return verdicts


PATTERNS = patterns()


def test_every_pattern_of_the_spec_has_admitted_values() -> None:
    assert set(PATTERNS) == set(ADMITTED)


@pytest.mark.parametrize("where", sorted(PATTERNS))
def test_the_admitted_values_are_admitted_in_python(where: str) -> None:
    pattern = PATTERNS[where]
    assert python_verdicts(pattern, list(ADMITTED[where])) == [True] * len(ADMITTED[where])


@pytest.mark.parametrize("where", sorted(PATTERNS))
def test_a_pattern_means_the_same_in_python_and_ecma_262(where: str) -> None:
    pattern = PATTERNS[where]
    strings = tricky_strings(ADMITTED[where])
    python = python_verdicts(pattern, strings)
    for flags, ecma in ecma_verdicts(pattern, strings).items():
        differ = [
            f"{s!r}: Python {p}, ECMA-262 ({flags}) {e}"
            for s, p, e in zip(strings, python, ecma, strict=True)
            if p != e
        ]
        assert differ == [], f"{where} {pattern!r}"


@pytest.mark.parametrize("where", sorted(w for w in PATTERNS if w.startswith("generation:")))
def test_generation_admits_only_what_the_spec_admits(where: str) -> None:
    """The generated valid values are valid for the spec: a narrowing, never a widening."""
    spec = PATTERNS[where.replace("generation:", "openapi:")]
    strings = tricky_strings(ADMITTED[where])
    generated, admitted = python_verdicts(PATTERNS[where], strings), python_verdicts(spec, strings)
    assert [s for s, g, a in zip(strings, generated, admitted, strict=True) if g and not a] == []


def test_the_comparison_sees_the_traps_it_is_for() -> None:
    """The patterns the spec once had: ``.+$`` takes ``\\r`` and a final ``\\n`` in Python only."""
    strings = ["status==a\r", "status==a\n", "status==a"]
    old = r"^[A-Za-z_][A-Za-z0-9_.]*(~[A-Za-z_][A-Za-z0-9_]*)?==.+$"
    assert python_verdicts(old, strings) == [True, True, True]
    assert ecma_verdicts(old, strings) == {"u": [False, False, True], "none": [False, False, True]}
