"""Command-line values converted without importing pydantic, where typer would convert them alike.

typer converts each option's value through a pydantic TypeAdapter built when the value is first
converted. Importing pydantic and building those adapters costs about 80 ms: more than a whole
`tracker list` on an empty store once typer has started. tracker's options are strings,
integers, paths, flags and lists of strings, and for the usual values of those types the
adapter's result is plain Python (`"12"` is `int("12")`, a path is `Path(value)` checked by
typer's own path rules). Those values are converted here; every other value, and so every error
message, still goes through typer's own conversion, imported only then.

The conversion is installed at typer's one seam for it, `typer.core.build_runtime_param`. A typer
without that seam or with a different contract is left as it is: slower to start, never wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_NOT_PLAIN = object()


def _plain_int(value: object) -> object:
    # A default, or text that int() and pydantic read alike; signs, spaces and underscores go to typer.
    if type(value) is int:
        return value
    # Up to 18 digits: a longer one may be beyond what int() reads from text (typer says so).
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return _NOT_PLAIN


def _plain_str(value: object) -> object:
    return value if isinstance(value, str) else _NOT_PLAIN


def _plain_bool(value: object) -> object:
    # A flag's own value; text for a flag (from an environment variable) goes to typer.
    return value if isinstance(value, bool) else _NOT_PLAIN


def install() -> bool:
    """Route tracker's plain option values around pydantic; True when typer has the seam for it."""
    try:
        from typer import core
        from typer._coercion import RuntimeParam, TypeDescriptor
        from typer._param_types import coerce_cli_path
    except ImportError:
        return False
    found: Callable[[TypeDescriptor], RuntimeParam] | None = getattr(core, "build_runtime_param", None)
    if found is None or getattr(found, "plain_values", False):
        return found is not None
    build_with_typer = found

    @dataclass(frozen=True)
    class PlainRuntimeParam(RuntimeParam):
        descriptor: TypeDescriptor
        convert_item: Callable[[Any, Any, Any], object]
        is_list: bool

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if self.is_list:
                if isinstance(value, list | tuple):
                    items = [self.convert_item(item, param, ctx) for item in value]
                    if _NOT_PLAIN not in items:
                        return items
            else:
                converted = self.convert_item(value, param, ctx)
                if converted is not _NOT_PLAIN:
                    return converted
            return build_with_typer(self.descriptor)._coerce_value(value, param=param, ctx=ctx)

    def path_converter(descriptor: TypeDescriptor) -> Callable[[Any, Any, Any], object]:
        info = descriptor.parameter_info

        def convert(value: object, param: Any, ctx: Any) -> object:
            if not isinstance(value, str) or not value:
                return _NOT_PLAIN
            # Handed a Path, typer skips pydantic and applies its own checks (exists, readable...).
            try:
                return coerce_cli_path(Path(value), info, path_type=Path, param=param, ctx=ctx)
            except Exception:  # typer judges the value as typed again, and says why in its own words
                return _NOT_PLAIN

        return convert

    def item_converter(annotation: Any, descriptor: TypeDescriptor) -> Callable[[Any, Any, Any], object] | None:
        info = descriptor.parameter_info
        if annotation is str:
            return lambda value, _param, _ctx: _plain_str(value)
        if annotation is bool:
            return lambda value, _param, _ctx: _plain_bool(value)
        if annotation is int and info.min is None and info.max is None:
            return lambda value, _param, _ctx: _plain_int(value)
        if annotation is Path and info.path_type is None:
            return path_converter(descriptor)
        return None

    def build_plain(descriptor: TypeDescriptor) -> RuntimeParam | None:
        info = descriptor.parameter_info
        annotation = descriptor.annotation
        if descriptor.file_annotation is not None or info.parser is not None:
            return None
        is_list = descriptor.is_list
        item = annotation.__args__[0] if is_list and len(annotation.__args__) == 1 else annotation
        convert = item_converter(item, descriptor)
        if convert is None:
            return None
        return PlainRuntimeParam(
            parameter_info=info, annotation=annotation, descriptor=descriptor, convert_item=convert, is_list=is_list
        )

    def build(descriptor: TypeDescriptor) -> RuntimeParam:
        try:
            plain = build_plain(descriptor)
        except Exception:  # a typer whose internals moved: its own conversion, only slower
            plain = None
        return plain if plain is not None else build_with_typer(descriptor)

    # Used only if it converts as typer's contract says on this very typer.
    try:
        from typer._coercion import resolve_type_descriptor
        from typer.models import OptionInfo

        for kind, text, expected in ((int, "7", 7), (str, "x", "x"), (list[str], ("a",), ["a"])):
            plain = build_plain(resolve_type_descriptor(kind, OptionInfo()))
            if plain is None or plain._coerce_value(text, param=None, ctx=None) != expected:  # type: ignore[arg-type]
                return False
    except Exception:  # any surprise at all: typer as it is
        return False

    build.plain_values = True  # type: ignore[attr-defined]
    build.__wrapped__ = build_with_typer  # type: ignore[attr-defined]
    setattr(core, "build_runtime_param", build)  # noqa: B010 (typer does not export the name)
    return True
