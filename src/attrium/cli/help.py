"""Two touches to typer 0.29's help (pinned in pyproject.toml; it vendors its click as
`typer._click`), imported by `main`.

It labels every flag `<bool>` (`--json <bool>`, as if it took a value) and writes a
required argument `{file}` in the usage line, a notation click's own users never see;
the help here shows flags bare and arguments as `FILE`, as click does.
"""

from typer._click import Context
from typer.core import TyperArgument, TyperOption

_typer_option_type = TyperOption.display_type_rich


def _type_unless_flag(self: TyperOption, ctx: Context) -> str | None:
    return None if self.is_flag else _typer_option_type(self, ctx)


def _usage_name(self: TyperArgument) -> str:
    name = (self.metavar or self.name or "").upper()
    shown = name if self.required else f"[{name}]"
    return shown if self.nargs == 1 else f"{shown}..."


TyperOption.display_type_rich = _type_unless_flag  # type: ignore[method-assign]
TyperArgument._usage_display_name = _usage_name  # type: ignore[method-assign]
