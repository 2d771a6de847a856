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
click's `default_map`, so a flag always wins. Finding and reading the file is
planner.cli.config_file; this module maps its keys, and the environment's, onto the verbs.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

from planner.cli.config_file import find_config, line_of, table_line
from planner.errors import InputError

ENV_KEYS = ("catalog", "profiles", "fit", "quotas", "format", "time_limit", "workers", "executor")
"""The options a `PLANNER_<KEY>` variable sets (PLANNER_CATALOG, PLANNER_TIME_LIMIT...)."""
PATH_KEYS = ("catalog", "profiles", "fit", "quotas")
"""Keys whose values are paths, resolved against the config file's folder."""


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


class Layer(NamedTuple):
    """One setting as given: for `verb` ("" : every verb with the option), where it came from."""

    verb: str
    key: str
    value: Any
    source: str


def resolve(root, environ: dict[str, str] | None = None) -> Resolved:
    """Read the config file and the environment into click's default_map (and remember it)."""
    environ = dict(os.environ if environ is None else environ)
    verbs = _commands(root)
    found = find_config()
    layers = _file_layers(*found, verbs) if found is not None else []
    layers += _environment_layers(environ)
    result = Resolved(file=found[0] if found is not None else None)
    for layer in layers:  # later layers win: the environment over the file
        used, value = _apply(layer, verbs, result.default_map)
        _record(result.settings, layer, used, value)
    RESOLVED.file, RESOLVED.settings, RESOLVED.default_map = (
        result.file,
        result.settings,
        result.default_map,
    )
    return result


def _file_layers(path: Path, table: dict[str, Any], verbs: dict[str, Any]) -> list[Layer]:
    """The config file's settings: top-level keys for every verb, a verb's table for it."""
    layers = []
    for key, value in table.items():
        if not isinstance(value, dict):
            where = f"{path}:{line_of(path, key, None)}"
            layers.append(Layer("", key, _resolve_paths(key, value, path.parent), where))
            continue
        verb = key.replace(".", " ").strip()
        if verb not in verbs:
            hint = difflib.get_close_matches(verb, list(verbs), 1)
            extra = f" (did you mean [{hint[0]}]?)" if hint else ""
            raise InputError(f"{path}:{table_line(path, key)}: [{key}]: no verb {verb!r}{extra}")
        for sub, sub_value in value.items():
            where = f"{path}:{line_of(path, sub, key)}"
            layers.append(Layer(verb, sub, _resolve_paths(sub, sub_value, path.parent), where))
    return layers


def _environment_layers(environ: dict[str, str]) -> list[Layer]:
    """The `PLANNER_*` variables set (and not empty), for every verb with the option."""
    names = ((key, f"PLANNER_{key.upper()}") for key in ENV_KEYS)
    return [
        Layer("", key, environ[name], f"environment {name}")
        for key, name in names
        if environ.get(name, "") != ""
    ]


def _apply(layer: Layer, verbs: dict[str, Any], default_map: dict[str, Any]) -> tuple[list, Any]:
    """Put `layer` into `default_map` for each verb it applies to; those verbs and the value as
    they took it. A verb's own table must fit that verb; a top-level key is kept by the verbs
    whose option takes it (format = "json" leaves verbs without json alone) and refused when
    none does."""
    targets = [layer.verb] if layer.verb else list(verbs)
    used: list[str] = []
    shown: Any = layer.value
    refused: InputError | None = None
    for target in targets:
        param = _option(verbs[target], layer.key)
        if param is None:
            if layer.verb:
                raise _no_such_option(layer, verbs[target])
            continue
        try:
            converted = _convert(verbs[target], param, layer.value, layer.source, layer.key)
        except InputError as err:
            if layer.verb:
                raise
            refused = refused or err
            continue
        used.append(target)
        shown = converted
        _set(default_map, target, param.name, converted)
    if not used:
        raise _taken_by_none(layer, verbs, refused)
    return used, shown


def _no_such_option(layer: Layer, command) -> InputError:
    names = sorted(o.lstrip("-") for p in _options(command) for o in p.opts if o.startswith("--"))
    hint = difflib.get_close_matches(layer.key.replace("_", "-"), names, 1)
    extra = f" (did you mean '{hint[0]}'?)" if hint else ""
    return InputError(
        f"{layer.source}: {layer.key}: 'planner {layer.verb}' has no such option{extra}"
    )


def _taken_by_none(layer: Layer, verbs: dict[str, Any], refused: InputError | None) -> InputError:
    """Why no verb took a top-level key: no verb has it, or none takes its value."""
    key, source = layer.key, layer.source
    everywhere = {
        o.lstrip("-") for c in verbs.values() for p in _options(c) for o in p.opts
        if o.startswith("--")
    }  # fmt: skip
    if key.replace("_", "-") not in everywhere and _norm(key) != "format":
        hint = difflib.get_close_matches(key.replace("_", "-"), sorted(everywhere), 1)
        extra = f" (did you mean '{hint[0]}'?)" if hint else ""
        return InputError(f"{source}: {key}: no verb has this option{extra}")
    if refused is not None and _norm(key) != "format":
        return refused
    return InputError(f"{source}: {key}: {layer.value!r} is not a value any verb accepts")


def _record(applied: list[Setting], layer: Layer, used: list[str], value: Any) -> None:
    """Add the setting `planner config show` lists, marking what it overrides."""
    for i, earlier in enumerate(applied):
        if _norm(earlier.key) == _norm(layer.key) and set(earlier.verbs) & set(used):
            applied[i] = replace(earlier, overridden_by=layer.source)
    applied.append(Setting(layer.key, value, layer.source, tuple(used)))
