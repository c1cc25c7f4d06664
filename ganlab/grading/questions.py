"""Written questions: answers in a student's own words, collected for the instructor.

Some things a course should ask cannot be scored by a program: what a measurement shows, why
a trick helps here and not there.  A lesson module lists such questions in ``QUESTIONS``, a
tuple of :class:`Question`.  In the notebook, the answer is a markdown cell tagged
``answer:NN.Qk`` (the exercise notebook ships it holding ``YOUR ANSWER HERE``); ``ganlab
grade`` reads it from the submitted file, never running anything, and shows it in the report
beside the scores.  It earns no points.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

QUESTION_ID = re.compile(r"(\d{2})\.Q(\d+)")
MAX_ANSWER_CHARS = 4000  # more is cut (with a mark), so a report stays readable


@dataclass(frozen=True)
class Question:
    """A written question: ``id`` ``"NN.Qk"`` (lesson NN, question k) and a short ``title``."""

    id: str
    title: str

    def __post_init__(self) -> None:
        if not QUESTION_ID.fullmatch(self.id):
            raise ValueError(f"question id must look like '03.Q1', got {self.id!r}")

    @property
    def lesson(self) -> str:
        """The lesson number, ``"03"`` for ``"03.Q1"``."""
        return self.id.split(".")[0]

    @property
    def tag(self) -> str:
        """The tag of the markdown cell that holds the answer."""
        return f"answer:{self.id}"


def lesson_questions(lesson: str) -> tuple[Question, ...]:
    """The written questions of lesson ``lesson`` (``"03"``), in order; () if it has none."""
    from ganlab.grading.lessons import lesson_module

    module = lesson_module(lesson)
    questions = getattr(module, "QUESTIONS", ()) if module is not None else ()
    for question in questions:
        if not isinstance(question, Question) or question.lesson != lesson:
            raise ValueError(f"lesson {lesson}'s QUESTIONS holds {question!r:.60}")
    return tuple(questions)


def _cell_text(cell: dict) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def _tags(cell: dict) -> list[str]:
    metadata = cell.get("metadata")
    tags = metadata.get("tags", []) if isinstance(metadata, dict) else []
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def clean_answer(text: str) -> str:
    """The answer as written, without the exercise's placeholder or a solution's markers;
    ``""`` if nothing else."""
    # here, not above: generate imports nbformat, a second that a grading worker never needs
    from ganlab.grading.generate import ANSWER_STUB, BEGIN, END

    for marker in (ANSWER_STUB[0], BEGIN, END):  # the placeholder, and a solution's markers
        text = text.replace(marker, "")
    text = text.strip()
    if len(text) > MAX_ANSWER_CHARS:
        text = text[:MAX_ANSWER_CHARS] + " [... cut]"
    return text


def written_answers(
    path: str | os.PathLike, questions: tuple[Question, ...] | list[Question]
) -> dict[str, str]:
    """Each question's answer in the notebook at ``path``: the text of the markdown cells
    tagged for it (``""`` when none holds more than the placeholder).  Reads the file as
    data; a file that cannot be read gives every question ``""``."""
    answers = dict.fromkeys((q.id for q in questions), "")
    try:
        cells = json.loads(Path(path).read_text(encoding="utf-8")).get("cells", [])
    except (OSError, UnicodeDecodeError, ValueError, RecursionError, AttributeError):
        return answers
    by_tag = {q.tag: q.id for q in questions}
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "markdown":
            continue
        for tag in _tags(cell):
            if tag in by_tag:
                text = clean_answer(_cell_text(cell))
                answers[by_tag[tag]] = "\n\n".join(filter(None, [answers[by_tag[tag]], text]))
    return answers
