"""Option defaults from a config file and `PLANNER_*` environment variables.

Precedence: a flag on the command line > a `PLANNER_*` variable > the config file > the
built-in default. The config file is `planner.toml` (or the `[tool.planner]` table of a
`pyproject.toml`) in the working directory or the nearest folder above it that has one;
`PLANNER_CONFIG=FILE` names one instead. Top-level keys apply to every verb that has that
option; a table named after a verb (`[plan]`, `["catalog list"]`) applies to that verb only:

    catalog = ["bundled", "prices/negotiated.csv"]   # paths are relative to this file
    profiles = "measured.csv"
    fit = "fit.csv"            # from `planner calibrate`: every verb with --fit uses it
    format = "json"            # verbs without a json format keep their own default

    [plan]
    time-limit = 30

Keys are option names without the dashes (`time-limit` or `time_limit`). Unknown keys, values
of the wrong type and malformed TOML exit 2 naming the file, the line and the key. The result is
click's `default_map`, so a flag always wins.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner._readfile import MAX_NESTING, nesting_depth, read_input
from planner.errors import InputError

ENV_KEYS = ("catalog", "profiles", "fit", "quotas", "format", "time_limit", "workers", "executor")
"""The options a `PLANNER_<KEY>` variable sets (PLANNER_CATALOG, PLANNER_TIME_LIMIT...)."""
PATH_KEYS = ("catalog", "profiles", "fit", "quotas")
"""Keys whose values are paths, resolved against the config file's folder."""
CONFIG_FILE = "planner.toml"
MAX_CONFIG_BYTES = 1_000_000
"""Largest config file read (1 MB)."""


@dataclass(frozen=True)
class Setting:
    """One resolved default: where it applies, its value and where it came from."""

    key: str
    value: Any
    source: str
    verbs: tuple[str, ...]  # the verbs it applies to
    overridden_by: str | None = None


@dataclass
class Resolved:
    """Every default the config file and the environment set, and click's default_map."""

    file: Path | None = None
    settings: list[Setting] = field(default_factory=list)
    default_map: dict[str, Any] = field(default_factory=dict)


RESOLVED = Resolved()
"""What the running command resolved (read by `planner config show`)."""


@dataclass(frozen=True)
class Defaults:
    """The defaults in force (`planner config show`): the config file read, the environment
    variables looked at, and each setting with where it came from."""

    config_file: str | None
    environment_keys: tuple[str, ...]
    settings: tuple[Setting, ...]


def defaults() -> Defaults:
    """What the running command resolved, as `planner config show` shows it."""
    return Defaults(
        str(RESOLVED.file) if RESOLVED.file else None,
        tuple(f"PLANNER_{k.upper()}" for k in ENV_KEYS),
        tuple(RESOLVED.settings),
    )


def _norm(key: str) -> str:
    return key.strip().lstrip("-").replace("-", "_").lower()


def find_config(start: Path | None = None) -> tuple[Path, dict[str, Any]] | None:
    """The config file in use and its planner table, or None."""
    named = os.environ.get("PLANNER_CONFIG")
    if named:
        path = Path(named)
        data = _read_toml(path)
        return path, data.get("tool", {}).get(
            "planner", {}
        ) if path.name == "pyproject.toml" else data
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate, _read_toml(candidate)
        project = folder / "pyproject.toml"
        if project.is_file():
            data = _read_toml(project)
            table = data.get("tool", {}).get("planner")
            if table is not None:
                if not isinstance(table, dict):
                    raise InputError(f"{project}: [tool.planner] must be a table")
                return project, table
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    text = read_input(path, "config file", limit=MAX_CONFIG_BYTES)
    deepest, line = _toml_depth(text)
    if deepest > MAX_NESTING:
        raise InputError(
            f"{path}:{line}: nested more than {MAX_NESTING} levels deep, more than a config "
            "file needs"
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        where = re.search(r"line (\d+)", str(err))
        line_text = where.group(1) if where else "1"
        raise InputError(f"{path}:{line_text}: malformed TOML: {err}") from None
    except (RecursionError, ValueError) as err:  # ValueError: an integer of 4,300+ digits
        raise InputError(f"{path}: not a config file the planner reads ({err})") from None


def _toml_depth(text: str) -> tuple[int, int]:
    """How deep TOML text nests ([ and { outside strings, dotted keys aside) and where."""
    deepest, line = nesting_depth(text)
    dotted = max((header.count(".") + 1 for header in re.findall(r"^\s*\[+([^\]]*)", text,
                  re.MULTILINE)), default=0)  # fmt: skip
    return max(deepest, dotted), line


def _line_of(path: Path, key: str, table: str | None) -> int:
    """The line where `key` is set (inside `table` when given), for messages."""
    try:
        lines = read_input(path, "config file", limit=MAX_CONFIG_BYTES).splitlines()
    except InputError:
        return 1
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    section: str | None = None
    for number, line in enumerate(lines, 1):
        header = re.match(r"^\s*\[+\s*([^\]]+?)\s*\]+", line)
        if header:
            name = header.group(1).strip().strip("\"'")
            section = name.removeprefix("tool.planner").strip(".").strip("\"'") or None
            continue
        if pattern.match(line) and (section == table or (table is None and section is None)):
            return number
    return 1


def _commands(root) -> dict[str, Any]:
    """Every leaf verb by its full name ("plan", "catalog list")."""
    found: dict[str, Any] = {}

    def walk(group, prefix: str) -> None:
        for name, command in group.commands.items():
            full = f"{prefix}{name}"
            if _is_group(command):
                walk(command, f"{full} ")
            else:
                found[full] = command

    walk(root, "")
    return found


def _is_group(command) -> bool:
    return isinstance(getattr(command, "commands", None), dict)


def _options(command) -> list[Any]:
    return [p for p in command.params if p.param_type_name == "option" and not p.hidden]


def _option(command, key: str):
    for param in _options(command):
        names = [_norm(o) for o in param.opts if o.startswith("--")]
        if _norm(key) in names or (_norm(key) == "format" and param.name == "fmt"):
            return param
    return None


def _convert(command, param, value: Any, where: str, key: str) -> Any:
    """The value as the option takes it from the command line (the option converts and checks
    it itself: numbers by their `parser=`, choices, paths, flags); errors name `where`."""
    import typer

    values = value if isinstance(value, list) else [value]
    if param.multiple:
        items = []
        for item in values:
            items += [p.strip() for p in str(item).split(",") if p.strip()]
        values = items
    elif isinstance(value, list):
        raise InputError(f"{where}: {key}: one value expected, got a list")
    for item in values:
        if isinstance(item, (dict, list)):
            raise InputError(f"{where}: {key}: expected a value, got a table or nested list")
    raw = values if param.multiple else values[0]
    if not param.multiple and isinstance(raw, bool) and not getattr(param, "is_flag", False):
        raw = str(raw).lower()
    try:
        converted = param.process_value(typer.Context(command), raw)
    except typer.TyperException as err:  # click's BadParameter: "Invalid value for ...: why"
        why = err.format_message().split(": ", 1)[-1]
        raise InputError(f"{where}: {key}: {why}") from None
    return _plain(converted)


def _plain(value: Any) -> Any:
    """What the option made of a value, as click's default_map holds it (text, numbers, flags)."""
    import enum

    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, Path):
        return str(value)
    return value


def _resolve_paths(key: str, value: Any, base: Path) -> Any:
    if _norm(key) not in PATH_KEYS:
        return value

    def one(v: Any) -> Any:
        if not isinstance(v, str) or v == "bundled" or Path(v).is_absolute():
            return v
        return str(base / v)

    if isinstance(value, list):
        return [one(v) for v in value]
    if isinstance(value, str) and "," in value and _norm(key) == "catalog":
        return [one(v.strip()) for v in value.split(",") if v.strip()]
    return one(value)


def _set(default_map: dict[str, Any], verb: str, name: str, value: Any) -> None:
    node = default_map
    for part in verb.split(" "):
        node = node.setdefault(part, {})
    node[name] = value


def resolve(root, environ: dict[str, str] | None = None) -> Resolved:
    """Read the config file and the environment into click's default_map (and remember it)."""
    environ = dict(os.environ if environ is None else environ)
    verbs = _commands(root)
    layers: list[tuple[str, str, Any, str]] = []  # (verb, key, value, source)
    found = find_config()
    path = None
    if found is not None:
        path, table = found
        for key, value in table.items():
            if isinstance(value, dict):
                verb = key.replace(".", " ").strip()
                if verb not in verbs:
                    hint = difflib.get_close_matches(verb, list(verbs), 1)
                    extra = f" (did you mean [{hint[0]}]?)" if hint else ""
                    line = _table_line(path, key)
                    raise InputError(f"{path}:{line}: [{key}]: no verb {verb!r}{extra}")
                for sub, sub_value in value.items():
                    where = f"{path}:{_line_of(path, sub, key)}"
                    layers.append((verb, sub, _resolve_paths(sub, sub_value, path.parent), where))
            else:
                where = f"{path}:{_line_of(path, key, None)}"
                layers.append(("", key, _resolve_paths(key, value, path.parent), where))
    for key in ENV_KEYS:
        name = f"PLANNER_{key.upper()}"
        if environ.get(name, "") != "":
            layers.append(("", key, environ[name], f"environment {name}"))
    result = Resolved(file=path)
    applied: list[Setting] = []
    for verb, key, value, source in layers:
        targets = [verb] if verb else list(verbs)
        used: list[str] = []
        shown_value: Any = value
        refused: InputError | None = None
        for target in targets:
            param = _option(verbs[target], key)
            if param is None:
                if verb:
                    names = sorted(
                        o.lstrip("-")
                        for p in _options(verbs[target])
                        for o in p.opts
                        if o.startswith("--")
                    )
                    hint = difflib.get_close_matches(key.replace("_", "-"), names, 1)
                    extra = f" (did you mean '{hint[0]}'?)" if hint else ""
                    raise InputError(f"{source}: {key}: 'planner {verb}' has no such option{extra}")
                continue
            try:
                converted = _convert(verbs[target], param, value, source, key)
            except InputError as err:
                if verb:
                    raise
                refused = refused or err
                continue  # e.g. format = "json" on a verb without json: keep its default
            used.append(target)
            shown_value = converted
            _set(result.default_map, target, param.name, converted)
        if not used and not verb:
            everywhere = {
                o.lstrip("-")
                for c in verbs.values()
                for p in _options(c)
                for o in p.opts
                if o.startswith("--")
            }
            if key.replace("_", "-") not in everywhere and _norm(key) != "format":
                hint = difflib.get_close_matches(key.replace("_", "-"), sorted(everywhere), 1)
                extra = f" (did you mean '{hint[0]}'?)" if hint else ""
                raise InputError(f"{source}: {key}: no verb has this option{extra}")
            if refused is not None and _norm(key) != "format":
                raise refused
            raise InputError(f"{source}: {key}: {value!r} is not a value any verb accepts")
        if used:
            for i, earlier in enumerate(applied):
                if _norm(earlier.key) == _norm(key) and set(earlier.verbs) & set(used):
                    applied[i] = Setting(
                        earlier.key, earlier.value, earlier.source, earlier.verbs, source
                    )
            applied.append(Setting(key, shown_value, source, tuple(used)))
    result.settings = applied
    RESOLVED.file, RESOLVED.settings, RESOLVED.default_map = (
        result.file,
        result.settings,
        result.default_map,
    )
    return result


def _table_line(path: Path, table: str) -> int:
    try:
        lines = read_input(path, "config file", limit=MAX_CONFIG_BYTES).splitlines()
    except InputError:
        return 1
    for number, line in enumerate(lines, 1):
        if re.match(rf"^\s*\[\s*(tool\.planner\.)?[\"']?{re.escape(table)}[\"']?\s*\]", line):
            return number
    return 1
