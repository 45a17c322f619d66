"""Finds texts a person reads that do not go through `_()`, `N_()` or `ngettext()`.

A string literal (or f-string) is reported when it is

- given to a Qt text setter or a text-taking constructor (`setText`, `setToolTip`, `addItem`,
  `QLabel(...)`, `QMessageBox.warning(...)`, the project's `show_status`, ...),
- given to an exception raised or returned for a person to read (any class named `...Error`,
  `...Exception`, or defined in the checked files as a subclass of one), or
- prose anywhere else (two or more words with a capital letter or a full stop, like the
  sentences the services return from tables and functions).

What stays as it is, and why:

- docstrings, comments, and what goes to the log (`log.info(...)`, `logging.*`): read by
  developers in English; log files are sent to support as they are.
- texts with no letters ("—", "0712 345 678"), URLs, and the fixed names in `FIXED_TEXTS`
  (M-PESA, KES, Daraja: Safaricom's own names, the same in Kiswahili).
- SQL statements and the command line's `--help` (read by whoever installs the app, in
  English like the README).
- a line ending in `# i18n: keep (why)`, or such a comment just above it, for anything else:
  an object name that happens to look like prose, a sample value. The reason is required,
  so each exception explains itself.

Run for one folder: `python scripts/translations.py untranslated bucket_desktop/ui`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

TRANSLATION_CALLS = frozenset({"_", "N_", "ngettext"})
TEXT_METHODS = frozenset(
    {
        "setText", "setWindowTitle", "setToolTip", "setPlaceholderText", "setStatusTip",
        "setWhatsThis", "setTitle", "setLabelText", "setInformativeText", "setDetailedText",
        "addItem", "addItems", "insertItem", "setItemText", "setTabText", "addTab", "insertTab",
        "setHorizontalHeaderLabels", "setVerticalHeaderLabels", "setHeaderLabels", "addAction",
        "addMenu", "addButton", "setButtonText", "setSuffix", "setPrefix", "setSpecialValueText",
        "setAccessibleName", "setAccessibleDescription", "showMessage", "setFormat",
        "information", "warning", "critical", "question", "about", "getText", "getItem",
        "addRow", "show_status", "show_message", "show_alert", "set_starting", "setHtml",
        "setPlainText",
    }
)  # fmt: skip
# Constructors whose texts are shown: Qt's and the project's labels, buttons, boxes, items.
TEXT_CONSTRUCTORS = re.compile(r"^(Q\w*(Label|Button|Box|Item|Action|Menu)|\w+(Label|Button))$")
TEXT_KEYWORDS = frozenset(
    {"text", "title", "label", "tooltip", "message", "placeholder", "heading", "hint", "note"}
)
EXCEPTION_NAME = re.compile(r"(Error|Exception)$")
LOG_OBJECTS = frozenset({"log", "logger", "logging", "_log", "LOG"})
LOG_METHODS = frozenset({"debug", "info", "warning", "error", "exception", "critical", "log"})
# Methods whose argument is a text in these rules, but which also take data on log objects.
KEEP_MARK = re.compile(r"#\s*i18n:\s*keep\s*\(.+\)")
FIXED_TEXTS = frozenset(
    {"M-PESA", "KES", "Daraja", "Safaricom", "MikroTik", "RouterOS", "Payment Bucket"}
)
_URL = re.compile(r"^\w+://|^www\.", re.IGNORECASE)
_SQL = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|PRAGMA|WITH|ALTER|DROP|BEGIN|REPLACE)\b"
)
_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True, slots=True)
class Finding:
    """One text left untranslated."""

    path: Path
    line: int
    text: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.why}: {self.text!r}"


def check_paths(paths: Iterable[Path]) -> list[Finding]:
    """Every finding in the Python files under `paths` (files or folders)."""
    files = sorted({f for p in paths for f in ([p] if p.is_file() else p.rglob("*.py"))})
    trees = {f: ast.parse(f.read_text("utf-8"), str(f)) for f in files}
    exceptions = _exception_classes(trees.values())
    findings: list[Finding] = []
    for path, tree in trees.items():
        lines = path.read_text("utf-8").splitlines()
        findings.extend(_Checker(path, lines, exceptions).run(tree))
    return sorted(findings, key=lambda finding: (str(finding.path), finding.line))


def _exception_classes(trees: Iterable[ast.Module]) -> set[str]:
    bases: dict[str, set[str]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {_name(base) for base in node.bases}
    found = {name for name in bases if EXCEPTION_NAME.search(name)}
    changed = True
    while changed:  # subclasses of subclasses (DarajaSubscriberBusy < DarajaError)
        changed = False
        for name, parents in bases.items():
            if name not in found and parents & found:
                found.add(name)
                changed = True
    return found


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def is_fixed(text: str) -> bool:
    """True for a text that is the same in every language (no words, a URL, a fixed name)."""
    stripped = text.strip()
    if not _WORD.search(stripped) or _URL.match(stripped) or stripped in FIXED_TEXTS:
        return True
    return bool(_SQL.match(stripped))


def looks_like_prose(text: str) -> bool:
    """Two or more words that read as a label or a sentence (not an identifier or a format)."""
    stripped = text.strip()
    words = [w for w in stripped.split() if _WORD.search(w)]
    if len(words) < 2 or is_fixed(stripped):
        return False
    if re.search(r"%\(\w+\)|\w+_\w+\b(?!\})|^[a-z]+\.[a-z]", stripped):
        return False  # log formats, identifiers, dotted names
    return stripped[0].isupper() or stripped[-1] in ".:?!…"


class _Checker(ast.NodeVisitor):
    def __init__(self, path: Path, lines: list[str], exceptions: set[str]) -> None:
        self.path = path
        self.lines = lines
        self.exceptions = exceptions
        self.findings: list[Finding] = []
        self.parents: dict[ast.AST, ast.AST] = {}

    def run(self, tree: ast.Module) -> list[Finding]:
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[child] = parent
        docstrings = set(_docstrings(tree))
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr) or (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node not in docstrings
                and not isinstance(self.parents.get(node), ast.JoinedStr)
            ):
                self._check(node)
        return self.findings

    def _check(self, node: ast.expr) -> None:
        text = _text_of(node)
        if is_fixed(text) or self._kept(node):
            return
        why = None
        decided = False  # the nearest call that takes the text as an argument decides
        for ancestor, child in self._ancestry(node):
            if isinstance(ancestor, ast.FunctionDef) and ancestor.name == "__repr__":
                return
            if isinstance(ancestor, ast.Call) and child is not ancestor.func:
                name = _name(ancestor.func)
                if name in TRANSLATION_CALLS or self._is_log_call(ancestor):
                    return
                if name in ("execute", "executemany", "executescript", "setObjectName"):
                    return
                if _is_keyword(ancestor, child, {"help", "description", "prog", "metavar"}):
                    return
                if not decided:
                    decided = True
                    why = self._call_reason(ancestor, name, child)
            if not decided and (
                isinstance(ancestor, (ast.Compare, ast.Subscript)) or _is_dict_key(ancestor, child)
            ):
                return  # compared with or used as a key: data, not shown
        if why is None and looks_like_prose(text):
            why = "prose not wrapped in _()"
        if why is not None:
            self.findings.append(Finding(self.path, node.lineno, text, why))

    def _call_reason(self, call: ast.Call, name: str, child: ast.AST) -> str | None:
        keyword = next((k.arg for k in call.keywords if child in (k, k.value)), None)
        if keyword is not None:
            return f"text given as {keyword}=" if keyword in TEXT_KEYWORDS else None
        if child is not _first_text_argument(call):
            return None  # addItem("Paybill", "paybill"): the data after the text
        if isinstance(call.func, ast.Attribute) and name in TEXT_METHODS:
            return f"text given to {name}()"
        if name in self.exceptions or EXCEPTION_NAME.search(name):
            # The sentence is the first argument; the others are codes and field names.
            return f"sentence of {name}" if call.args and call.args[0] is child else None
        if TEXT_CONSTRUCTORS.match(name) and isinstance(call.func, ast.Name):
            return f"text of {name}()"
        return None

    def _ancestry(self, node: ast.AST) -> Iterator[tuple[ast.AST, ast.AST]]:
        child = node
        parent = self.parents.get(node)
        while parent is not None and not isinstance(parent, ast.stmt):
            yield parent, child
            child, parent = parent, self.parents.get(parent)
        if parent is not None:
            yield parent, child
            for above in self._enclosing_functions(parent):
                yield above, above

    def _enclosing_functions(self, node: ast.AST) -> Iterator[ast.AST]:
        parent = self.parents.get(node)
        while parent is not None:
            if isinstance(parent, ast.FunctionDef):
                yield parent
            parent = self.parents.get(parent)

    def _is_log_call(self, call: ast.Call) -> bool:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in LOG_METHODS:
            owner = func.value
            return _name(owner) in LOG_OBJECTS or (
                isinstance(owner, ast.Call) and _name(owner.func) == "getLogger"
            )
        return False

    def _kept(self, node: ast.expr) -> bool:
        end = getattr(node, "end_lineno", None) or node.lineno
        # The mark may sit on any line of the statement that holds the text.
        statement: ast.AST = node
        while not isinstance(statement, ast.stmt) and statement in self.parents:
            statement = self.parents[statement]
        first = getattr(statement, "lineno", node.lineno)
        last = max(end, getattr(statement, "end_lineno", None) or end)
        if first > 1 and self.lines[first - 2].strip().startswith("#"):
            first -= 1  # or on a comment line just above it
        return any(KEEP_MARK.search(self.lines[i - 1]) for i in range(first, last + 1))


def _first_text_argument(call: ast.Call) -> ast.expr | None:
    for argument in call.args:
        for node in ast.walk(argument):
            if isinstance(node, ast.JoinedStr) or (
                isinstance(node, ast.Constant) and isinstance(node.value, str)
            ):
                return argument
    return None


def _text_of(node: ast.expr) -> str:
    if isinstance(node, ast.Constant):
        return str(node.value)
    parts = []
    for value in node.values if isinstance(node, ast.JoinedStr) else ():
        parts.append(str(value.value) if isinstance(value, ast.Constant) else "{…}")
    return "".join(parts)


def _is_keyword(call: ast.Call, child: ast.AST, names: set[str]) -> bool:
    return any(child in (k, k.value) and k.arg in names for k in call.keywords)


def _is_dict_key(parent: ast.AST, child: ast.AST) -> bool:
    return isinstance(parent, ast.Dict) and any(key is child for key in parent.keys)


def _docstrings(tree: ast.Module) -> Iterator[ast.expr]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                yield body[0].value
