"""Lifecycle rule sets: the default one and rule files read with errors naming the file."""

from __future__ import annotations

import os
from typing import Any

from . import _native
from .exceptions import InvalidParameterError, RuleFileError

RuleSet = _native.RuleSet


def default_rules() -> RuleSet:
    """The default rule set (written out in docs/lifecycle.md).

    Example:
        >>> from ciblage import lifecycle
        >>> lifecycle.default_rules()
        RuleSet(12 rules: apologise, renewal, spend_drop, welcome, ...)
    """
    return RuleSet.default()


def _rules(rules: Any) -> Any:
    if rules is None:
        return RuleSet.default()
    if isinstance(rules, RuleSet):
        return rules
    if isinstance(rules, (str, os.PathLike)):
        path = os.fspath(rules)
        if isinstance(path, str) and path.lower().endswith((".toml", ".json")):
            return _read_rules(path)
    raise InvalidParameterError(
        f"invalid parameter rules: expected a RuleSet or a path to a .toml/.json file, got {rules!r}"
    )


def _read_rules(path: str) -> Any:
    """A rule file, every error naming the file."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise RuleFileError(f"rule file {path!r}: cannot be read: {e.strerror or e}") from e
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise RuleFileError(
            f"rule file {path!r}: line {line}: not UTF-8 text (byte {data[e.start]:#04x} at offset {e.start})"
        ) from e
    text = text.removeprefix("\ufeff")
    try:
        if path.lower().endswith(".toml"):
            return RuleSet.from_toml(text)
        return RuleSet.from_json(text)
    except RuleFileError as e:
        raise RuleFileError(f"rule file {path!r}: {e}") from e
