"""Settings a user may change, each declared once: name, default, check, help, variable.

Every option can be set three ways, the first that applies wins:

1. ``set_options(name=value)``, for the whole process or, used with ``with``, for a block
   (the previous values come back on exit);
2. its environment variable (e.g. ``ORESHOCK_DB``), read each time the option is looked up,
   so a variable set after import still counts and importing oreshock reads nothing;
3. its default.

A value that fails its check raises an ``OreshockError`` naming the option, where the value
came from and what is expected, rather than being ignored. docs/options.md is generated from
this registry by ``options_reference()`` and a test keeps it current.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from oreshock.core.errors import OreshockError
from oreshock.core.i18n import LANGUAGES


@dataclass(frozen=True)
class Option:
    """One setting. ``default`` is written as one would write it in the environment variable,
    and goes through the same ``convert`` as a value from there, so the two cannot disagree.
    """

    name: str
    env: str
    default: str
    help: str
    expected: str
    """What a valid value looks like, quoted in the error for an invalid one."""
    convert: Callable[[Any], Any]
    """Text or a Python value -> the option's value; raises ValueError or TypeError."""


OPTIONS: dict[str, Option] = {}
"""Option name -> its declaration, in the order they are documented."""

_overrides: dict[str, Any] = {}
"""Values given to ``set_options``; only this module touches it."""


def register(option: Option) -> Option:
    if option.name in OPTIONS:
        raise ValueError(f"option {option.name!r} is declared twice")
    OPTIONS[option.name] = option
    return option


def _file_path(value: Any) -> Path:
    if not isinstance(value, str | os.PathLike) or not str(value).strip():
        raise ValueError("not a path")
    path = Path(value).expanduser()
    if path.is_dir():
        raise ValueError("a directory")
    return path


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError("not a whole number")
    number = int(value)
    if number < 1:
        raise ValueError("less than 1")
    return number


def _positive_seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError("not a number of seconds")
    number = float(value)
    if not number > 0 or number == float("inf"):
        raise ValueError("not a positive, finite number of seconds")
    return number


def _optional_secret(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) < 16:
        raise ValueError("shorter than 16 characters")
    return value


def _one_of(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if value not in choices:
            raise ValueError("not one of the choices")
        return str(value)

    return convert


register(
    Option(
        name="db_path",
        env="ORESHOCK_DB",
        default="~/.oreshock/oreshock.duckdb",
        help="Results database (DuckDB file) used when a command or the API is given none; "
        "ensemble folders go in `ensembles/` beside it.",
        expected="a path to a file (not a directory)",
        convert=_file_path,
    )
)
register(
    Option(
        name="language",
        env="ORESHOCK_LANG",
        default="en",
        help="Language of the command line's tables and texts, and of reports it writes, "
        "when `--lang` is not given.",
        expected=f"one of {', '.join(LANGUAGES)}",
        convert=_one_of(LANGUAGES),
    )
)
register(
    Option(
        name="chromium",
        env="ORESHOCK_CHROMIUM",
        default="/usr/bin/chromium",
        help="Headless Chromium that prints PDF reports and runs the dashboard's browser tests "
        "(`bash scripts/install-system-deps.sh` installs Debian's).",
        expected="a path to the chromium executable",
        convert=_file_path,
    )
)
register(
    Option(
        name="property_examples",
        env="ORESHOCK_PROPERTY_EXAMPLES",
        default="50",
        help="Examples each hypothesis property test tries; raise it for a deeper search "
        "(e.g. 500).",
        expected="a whole number of at least 1",
        convert=_positive_int,
    )
)


KERNELS = ("compiled", "numpy")
register(
    Option(
        name="kernels",
        env="ORESHOCK_KERNELS",
        default="compiled",
        help="How the engine runs its shipments to existing customers, allocation, sharing "
        "and rerouting rules: `compiled` "
        "(numba, several times faster) or `numpy` (the reference implementation; a test "
        "keeps the two equal to 1e-12).",
        expected=f"one of {', '.join(KERNELS)}",
        convert=_one_of(KERNELS),
    )
)


def _option(name: str) -> Option:
    try:
        return OPTIONS[name]
    except KeyError:
        raise OreshockError(
            f"unknown option {name!r}; expected one of {', '.join(OPTIONS)}"
        ) from None


def _convert(option: Option, value: Any, source: str) -> Any:
    try:
        return option.convert(value)
    except (TypeError, ValueError):
        raise OreshockError(
            f"option {option.name!r}: {value!r} from {source} is not valid; "
            f"expected {option.expected}"
        ) from None


def get_option(name: str) -> Any:
    """The current value of option ``name``: set_options, else its variable, else default."""
    option = _option(name)
    if name in _overrides:
        return _overrides[name]
    raw = os.environ.get(option.env, "")
    if raw.strip():
        return _convert(option, raw, f"environment variable {option.env}")
    return _convert(option, option.default, "its default")


def get_options() -> dict[str, Any]:
    """Every option's current value."""
    return {name: get_option(name) for name in OPTIONS}


class set_options:  # lower case: it reads as a function call, as in xarray
    """Set options for the process, or for a ``with`` block::

        set_options(language="ja")
        with set_options(db_path="/tmp/scratch.duckdb"):
            ...  # the previous values are back after the block

    Every value is checked before any is applied; ``None`` removes a value set earlier, so
    the environment variable or the default applies again.
    """

    def __init__(self, **options: Any) -> None:
        checked = {
            name: None if value is None else _convert(_option(name), value, "set_options")
            for name, value in options.items()
        }
        self._previous = dict(_overrides)
        for name, value in checked.items():
            if value is None:
                _overrides.pop(name, None)
            else:
                _overrides[name] = value

    def __enter__(self) -> set_options:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _overrides.clear()
        _overrides.update(self._previous)


def _lines() -> Iterator[str]:
    yield "# Options"
    yield ""
    yield "Generated by `python -m oreshock.cli.reference options`; do not edit by hand."
    yield ""
    yield (
        "Each option is read when it is used, from the first of: `set_options(name=value)` "
        "in Python (also as `with set_options(...):` for a block), its environment variable, "
        "its default. An invalid value is an error that names the option and what it expects."
    )
    yield ""
    yield "```python"
    yield "from oreshock.core.options import get_option, set_options"
    yield ""
    yield 'with set_options(language="ja"):'
    yield '    assert get_option("language") == "ja"'
    yield "```"
    yield ""
    yield "| option | environment variable | default | expected | description |"
    yield "| --- | --- | --- | --- | --- |"
    for o in OPTIONS.values():
        cells = [f"`{o.name}`", f"`{o.env}`", f"`{o.default}`", o.expected, o.help]
        yield "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def options_reference() -> str:
    """Markdown for docs/options.md: every option with its variable, default and help."""
    return "\n".join(_lines()) + "\n"


register(
    Option(
        name="store_wait",
        env="ORESHOCK_STORE_WAIT",
        default="30",
        help="Seconds a command or the API waits for another process to finish with the results "
        "database, or for another import into the same dataset folder, before giving up with a "
        "message (a run that cannot be saved is kept in a recovery folder).",
        expected="a positive number of seconds",
        convert=_positive_seconds,
    )
)
register(
    Option(
        name="token",
        env="ORESHOCK_TOKEN",
        default="",
        help="Secret every HTTP request must carry (`Authorization: Bearer ...`); required "
        "when `oreshock serve` listens on an address other than loopback.",
        expected="empty, or a secret of at least 16 characters",
        convert=_optional_secret,
    )
)
register(
    Option(
        name="fault_trials",
        env="ORESHOCK_FAULT_TRIALS",
        default="5",
        help="Trials each fault test (kill -9 at a random point, concurrent writers) repeats; "
        "raise it for a deeper search (e.g. 20).",
        expected="a whole number of at least 1",
        convert=_positive_int,
    )
)
