"""Rules read from a submission's code, never run: the grader judges them on the source.

Some things a case wants to know cannot be observed safely where the student's code runs (a
count of operations made there is a number that code could forge).  A :class:`SourceRule`
judges the *text* instead: the definition of the graded function and of the notebook's own
functions it calls, found by :func:`definitions` in the code cells before the exercise's
check.  The grader reads those cells from the submitted file; in a notebook, ``check()``
reads the cells run so far, so a student sees the verdict the grader will give.

:func:`python_loops` is the rule of the vectorisation exercises: no ``for`` or ``while``, no
comprehension, no recursion, no ``map`` / ``filter`` / ``reduce`` in that code.
"""

from __future__ import annotations

import ast
import inspect
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ganlab.grading.core import Outcome, fail, ok

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
LOOPS = {
    ast.For: "a for loop",
    ast.AsyncFor: "an async for loop",
    ast.While: "a while loop",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
}
LOOPING_CALLS = {"map", "filter", "reduce", "starmap", "accumulate"}
UNREADABLE_CALLS = {"exec", "eval", "compile", "__import__", "import_module"}


@dataclass(frozen=True)
class SourceRule:
    """A case judged on source code: ``judge(cells, target) -> Outcome``, where ``cells`` are
    the code cells that precede the exercise's check and ``target`` the graded name (the
    grader passes the exercise's; :meth:`judge_object` the name ``obj`` is defined under).

    With ``after_the_values`` (the default) it earns its points only when the exercise's
    other cases pass: a stub or a wrong answer has no loop either."""

    judge: Callable[[Sequence[str], str], Outcome]
    target: str
    after_the_values: bool = True

    def judge_object(self, obj: object) -> Outcome:
        """The verdict on ``obj``'s code where it was defined (see :func:`cells_of`): under
        the exercise's name if the cells define it, else under ``obj.__name__``."""
        cells = cells_of(obj)
        defined = _top_level(cells)
        name = getattr(obj, "__name__", "")
        return self.judge(cells, self.target if self.target in defined else name)


def parse_cell(source: str) -> ast.Module | None:
    """The cell's syntax tree, with IPython's ``%`` and ``!`` lines blanked; None if it is
    not Python."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _top_level(cells: Sequence[str]) -> dict[str, ast.AST]:
    """The last top-level definition of each name in the cells: a ``def``, or an assignment
    of a lambda or of another name (``f = g``)."""
    found: dict[str, ast.AST] = {}
    for source in cells:
        tree = parse_cell(source)
        for node in tree.body if tree is not None else ():
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                found[node.name] = node
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        found[target.id] = node.value
    return found


def definitions(cells: Sequence[str], target: str) -> list[ast.AST]:
    """The definition of ``target`` in the cells and, transitively, of every name it uses that
    the cells define at the top level; ``[]`` if the cells do not define ``target``."""
    defined = _top_level(cells)
    todo, seen, out = [target], set(), []
    while todo:
        name = todo.pop()
        if name in seen or name not in defined:
            continue
        seen.add(name)
        node = defined[name]
        out.append(node)
        todo += [n.id for n in ast.walk(node) if isinstance(n, ast.Name)]
    return out


def _called_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def python_loops(nodes: Sequence[ast.AST]) -> list[str]:
    """What in the definitions loops in Python, each as "a for loop (line 4 of `f`)"; a call
    the grader cannot read through (``exec``, ``eval``) counts too.  Recursion is a loop."""
    names = {getattr(n, "name", "") for n in nodes}
    found = []
    for definition in nodes:
        owner = getattr(definition, "name", "the lambda")
        for node in ast.walk(definition):
            where = f"line {getattr(node, 'lineno', '?')} of `{owner}`"
            kind = LOOPS.get(type(node))
            if kind:
                found.append(f"{kind} ({where})")
            elif isinstance(node, ast.Call):
                called = _called_name(node)
                if called in LOOPING_CALLS:
                    found.append(f"a call of {called}, which loops in Python ({where})")
                elif called in UNREADABLE_CALLS:
                    found.append(f"a call of {called}, whose code cannot be read ({where})")
                elif called == owner and called in names:
                    found.append(f"recursion ({where})")
    return list(dict.fromkeys(found))


def cells_before_check(cells: Sequence[str], exercise_id: str) -> list[str]:
    """The cells before the first one that checks ``exercise_id`` (all of them if none does)."""
    from ganlab.grading.submission import checked_ids

    for number, source in enumerate(cells):
        if exercise_id in checked_ids(source):
            return list(cells[:number])
    return list(cells)


def cells_of(obj: object) -> list[str]:
    """Where ``obj`` was defined, as cells: in a notebook (IPython), the cells run so far, in
    order; for a function from a file, that file's source as one cell."""
    module = sys.modules.get(getattr(obj, "__module__", "") or "")
    shell = _ipython()
    if shell is not None and getattr(module, "__name__", "") == "__main__":
        return [str(cell) for cell in shell.user_ns.get("In", [])[1:]]
    try:
        return [inspect.getsource(module)] if module is not None else []
    except (OSError, TypeError):
        return []


def _ipython() -> object | None:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def no_python_loops(target: str, advice: str) -> SourceRule:
    """A rule that passes when the graded function ``target``, and the notebook's functions
    it calls, contain no Python loop (:func:`python_loops`); ``advice`` says how to do
    without."""

    def judge(cells: Sequence[str], target: str) -> Outcome:
        nodes = definitions(cells, target)
        if not nodes:
            return fail(
                f"the grader could not find `def {target}` in the code before the check: "
                "define it at the top level of a cell"
            )
        loops = python_loops(nodes)
        if loops:
            return fail(f"{target}: your code has {'; '.join(loops[:3])}. {advice}")
        return ok(f"{target}: no Python loop")

    return SourceRule(judge, target)
