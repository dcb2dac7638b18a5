"""Errors and warnings that name the file, row and column a user must fix."""

from __future__ import annotations

from dataclasses import dataclass


class OreshockWarning(UserWarning):
    """Warning raised by oreshock itself; the test suite turns it into an error."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and what was expected."""

    path: str
    row: int | None
    column: str | None
    message: str
    expected: str | None = None
    found: str | None = None

    def __str__(self) -> str:
        where = self.path
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


class OreshockError(Exception):
    """Base class of oreshock's errors."""


class DataFileError(OreshockError):
    """A data file is malformed; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        first = self.problems[0] if self.problems else Problem("?", None, None, "unknown")
        self.path = first.path
        self.row = first.row
        self.column = first.column
        self.expected = first.expected if first.expected is not None else first.message
        self.found = first.found
        lines = [str(p) for p in self.problems]
        head = f"{len(lines)} problem(s) in input data:" if len(lines) > 1 else "bad input data:"
        super().__init__(head + "\n  " + "\n  ".join(lines))


class ScenarioError(OreshockError):
    """A scenario file is invalid; the message names file, line and field."""


class UnknownIdError(OreshockError, KeyError):
    """A mineral, stage, country, group or run id that the dataset does not know."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown id"
