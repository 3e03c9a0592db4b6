"""Settings: each one is declared once (app/settings.py), read from its environment variable,
and documented with that same default in docs/api.md (no database, no app)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from starlette.datastructures import Secret

from app.settings import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]

# Documented defaults that are behaviour, not a value (the code's default is empty).
DOCUMENTED_AS_PROSE = {"JWT_SECRET": "random per process outside production"}


def _fields() -> dict[str, dataclasses.Field[Any]]:
    return {f.metadata["env"]: f for f in dataclasses.fields(Settings)}


def _default(spec: dataclasses.Field[Any]) -> Any:
    if spec.default is not dataclasses.MISSING:
        return spec.default
    return spec.default_factory()  # type: ignore[misc]


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Secret) else value


def _other_value(spec: dataclasses.Field[Any]) -> tuple[str, Any]:
    """(text for the variable, what Settings must then hold): valid, and never the default."""
    meta, default = spec.metadata, _plain(_default(spec))
    if meta["choices"]:
        choice = next(c for c in meta["choices"] if c != default)
        return choice.upper(), choice  # the choices are read case-insensitively
    if isinstance(default, bool):
        return "yes", not default
    if isinstance(default, int | float):
        step = 1 if isinstance(default, int) else 0.25  # floats: a fraction, so it is not read as an int
        value = default + step if meta["maximum"] is None or default + step <= meta["maximum"] else default - step
        return str(value), value
    if isinstance(default, tuple):
        return "192.0.2.1, 192.0.2.2", ("192.0.2.1", "192.0.2.2")  # addresses are also plain items
    text = f"{spec.name}-{'x' * 32}"  # long enough for JWT_SECRET in production
    return text, text


def test_every_setting_is_read_from_its_environment_variable() -> None:
    fields = _fields()
    values = {env: _other_value(spec) for env, spec in fields.items()}
    if "LOG_LEVEL" in values:
        values["LOG_LEVEL"] = ("debug", "DEBUG")
    # All at once: they satisfy each other's rules (an s3 backend's FILES_BUCKET, the namespace's
    # queue, DB_POOL_MIN <= DB_POOL_MAX, production's JWT_SECRET).
    conf = load_settings({env: text for env, (text, _) in values.items()}, env_file=None)
    defaults = load_settings({}, env_file=None)
    for env, (_, expected) in values.items():
        name = fields[env].name
        assert _plain(getattr(conf, name)) == expected, env
        assert _plain(getattr(defaults, name)) != expected, f"{env}: the test value is the default"


def test_a_bad_value_names_its_variable() -> None:
    checked = 0
    for env, spec in _fields().items():
        meta = spec.metadata
        bad = []
        if meta["cast"] not in (str,) and not isinstance(_default(spec), Secret | str | tuple):
            bad.append(("not-a-value", "has an invalid value"))
        if meta["minimum"] is not None:
            bad.append((str(meta["minimum"] - 1), f"must be at least {meta['minimum']}"))
        if meta["maximum"] is not None:
            bad.append((str(meta["maximum"] + 1), f"must be at most {meta['maximum']}"))
        if meta["choices"]:
            bad.append(("sometimes", "must be one of"))
        if meta["positive"]:
            bad.append(("0", "must be a positive number"))
        for text, message in bad:
            with pytest.raises(SettingsError, match=f"environment variable {env} {message}"):
                load_settings({env: text}, env_file=None)
            checked += 1
    assert checked >= 40  # every number, every choice and every bound of the settings


def _documented() -> dict[str, str]:
    """Variable -> default text of the Configuration table in docs/api.md."""
    text = (ROOT / "docs/api.md").read_text()
    table = text.split("## Configuration (environment only)", 1)[1].split("\n## ", 1)[0]
    documented = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        names = re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[0])
        defaults = [d.strip() for d in cells[1].split(" / ")]
        if len(defaults) == 1:
            defaults *= len(names)
        assert len(defaults) == len(names), line
        documented.update(zip(names, defaults, strict=True))
    return documented


def _as_documented(value: Any) -> str:
    value = _plain(value)
    if value in ("", ()):
        return "-"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:g}"
    return f"`{value}`"


def test_docs_list_every_setting_with_its_default() -> None:
    documented = _documented()
    for env, spec in _fields().items():
        assert env in documented, f"{env} is missing from docs/api.md's Configuration table"
        expected = DOCUMENTED_AS_PROSE.get(env) or _as_documented(_default(spec))
        assert documented[env] == expected, env
    # The table's other variables (DB_HOST ..., ANTHROPIC_MODEL) are read by load_settings itself.
    source = (ROOT / "app/settings.py").read_text()
    for env in set(documented) - set(_fields()):
        assert f'"{env}"' in source, f"docs/api.md documents {env}, which app/settings.py does not read"
