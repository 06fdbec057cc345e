"""Architecture rules DESIGN.md states, checked on the source: SQL only in pileon/store/, and
imports only along the data flow (a stage never imports a later stage; the store imports no
stage). Today's violations are listed explicitly below, so the test fails on any new one; the
lists should only shrink (remove an entry when its violation is fixed)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "pileon"

#: Rank of each part of the package along the data flow; a module may import its own rank or
#: a lower one. Base records and errors first, the store next, then the stages in order,
#: then what strings stages together, then the command line.
RANKS: dict[str, int] = {
    "records": 0, "errors": 0, "hookspecs": 0, "plugins": 0, "__init__": 0, "crash_log": 0,
    "worker_pool": 0,
    "store": 1,
    "demo": 2,
    "ingest": 3, "collect": 3,  # collect fetches pages and hands them to the ingest adapters
    "analyze": 4,
    "coordinate": 5,
    "triage": 6,
    "export": 7, "report": 7,
    "web": 8,
    "pipeline": 9, "campaign": 9,
    "commands": 10, "cli": 11,
}

#: Imports against the data flow that exist today (module -> imported part). Not new ones.
KNOWN_IMPORTS: set[tuple[str, str]] = {
    ("pileon.hookspecs", "pileon.export"),
    ("pileon.web.serve", "pileon.commands"),
}

#: Modules outside pileon/store/ that run SQL today, with how many SQL calls/strings each has.
KNOWN_SQL: dict[str, int] = {}

#: The one module allowed to open, commit and roll back a transaction (store.db.transaction).
TRANSACTION_MODULE = "pileon.store.db"
#: A statement that opens or ends a transaction by hand. Savepoints ("ROLLBACK TO x",
#: "RELEASE x") nest inside transaction() and are not matched.
_RAW_TRANSACTION = re.compile(
    r"^\s*(BEGIN(\s+(DEFERRED|IMMEDIATE|EXCLUSIVE))?|COMMIT|END|ROLLBACK)(\s+TRANSACTION)?\s*;?\s*$",
    re.IGNORECASE)

_SQL_TEXT = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|BEGIN|COMMIT|"
                       r"ROLLBACK|PRAGMA|WITH)\b")
_SQL_CALLS = {"execute", "executemany", "executescript"}


def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return found


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(tree: ast.Module, module: str) -> set[str]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("pileon"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                base = module.split(".")[: -node.level] if node.level else []
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.startswith("pileon"):
                out.add(target)
    return out


def import_violations() -> set[tuple[str, str]]:
    bad = set()
    for module, tree in _modules().items():
        mine = RANKS[_part(module)]
        for target in _imports(tree, module):
            part = _part(target)
            if part not in RANKS:
                continue
            if RANKS[part] > mine:
                bad.add((module, "pileon." + part if part != "__init__" else "pileon"))
    return bad


def sql_outside_store() -> dict[str, int]:
    counts: dict[str, int] = {}
    for module, tree in _modules().items():
        if module.startswith("pileon.store"):
            continue
        n = 0
        for node in ast.walk(tree):
            call = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in _SQL_CALLS
            text = isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and bool(_SQL_TEXT.match(node.value))
            n += call or text
        if n:
            counts[module] = n
    return counts


def _raw_transaction_lines(tree: ast.Module) -> list[int]:
    """Lines of a BEGIN/COMMIT/ROLLBACK statement in `tree` (SQL is upper case in this code
    base; lower case counts where it is executed)."""
    executed = {id(node.args[0]) for node in ast.walk(tree)
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in _SQL_CALLS and node.args}
    return sorted(node.lineno for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str)
                  and _RAW_TRANSACTION.match(node.value)
                  and (id(node) in executed or node.value.isupper()))


def raw_transactions() -> dict[str, list[int]]:
    """module -> lines of a hand-written transaction statement outside store.db."""
    found = {module: _raw_transaction_lines(tree) for module, tree in _modules().items()
             if module != TRANSACTION_MODULE}
    return {module: lines for module, lines in found.items() if lines}


def test_every_part_of_the_package_has_a_rank() -> None:
    assert {_part(m) for m in _modules()} <= set(RANKS)


def test_no_new_import_against_the_data_flow() -> None:
    new = import_violations() - KNOWN_IMPORTS
    assert not new, "imports against the data flow (a later stage, or a stage from store/): " \
        + ", ".join(f"{a} imports {b}" for a, b in sorted(new))


def test_no_new_sql_outside_the_store() -> None:
    found = sql_outside_store()
    grown = {m: n for m, n in found.items() if n > KNOWN_SQL.get(m, 0)}
    assert not grown, "SQL outside pileon/store/ (move it into a store module): " + ", ".join(
        f"{m} ({n})" for m, n in sorted(grown.items()))


def test_every_transaction_goes_through_the_one_helper() -> None:
    found = raw_transactions()
    assert not found, "BEGIN/COMMIT/ROLLBACK written by hand (use pileon.store.db.transaction):" \
        + ", ".join(f"{m} line {', '.join(map(str, lines))}" for m, lines in sorted(found.items()))


def test_the_checks_catch_what_they_claim_to() -> None:
    tree = ast.parse("from pileon.triage.run import run_triage\n"
                     "def f(conn):\n    conn.execute('SELECT 1')\n")
    assert "pileon.triage.run" in _imports(tree, "pileon.analyze.x")
    assert RANKS[_part("pileon.triage.run")] > RANKS[_part("pileon.analyze.x")]
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Attribute) and n.func.attr in _SQL_CALLS]
    assert calls and _SQL_TEXT.match("  SELECT 1")
    for raw in ("BEGIN IMMEDIATE", "BEGIN", "commit", "ROLLBACK", "END TRANSACTION"):
        assert _RAW_TRANSACTION.match(raw), raw
    for fine in ("ROLLBACK TO grp", "RELEASE grp", "SAVEPOINT grp", "Begin the export",
                 "RAISE(ROLLBACK, 'no')"):
        assert not _RAW_TRANSACTION.match(fine), fine
    sneaky = ast.parse("def f(conn):\n    conn.execute('begin immediate')\n"
                       "    STMT = 'COMMIT'\n    end = {'end': 1}\n")
    assert _raw_transaction_lines(sneaky) == [2, 3]
