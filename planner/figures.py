"""Figures written the same way everywhere (reports, observe, CLI): dollars, percentages, ms."""

from __future__ import annotations


def usd(value: float | None, decimals: int = 2) -> str:
    """`$1,234.50`; negative values as `-$3.00`; None as a dash."""
    if value is None:
        return "-"
    sign = "-" if value < 0 and round(abs(value), decimals) else ""
    return f"{sign}${abs(value):,.{decimals}f}"


def signed_usd(value: float, decimals: int = 2) -> str:
    """A change in dollars with its sign: `+$1.20`, `-$0.40`, `$0.00`."""
    if not round(value, decimals):
        return usd(0.0, decimals)
    return ("+" if value > 0 else "-") + usd(abs(value), decimals)


def pct(value: float | None, decimals: int = 1) -> str:
    """A fraction as a percentage: 0.125 -> `12.5%`."""
    if value is None:
        return "-"
    return f"{value * 100 if round(value * 100, decimals) else 0.0:.{decimals}f}%"


def signed_pct(value: float | None, decimals: int = 1) -> str:
    """A relative change with its sign: `+12.5%`; None (from zero) as `new`."""
    if value is None:
        return "new"
    return f"{value * 100:+.{decimals}f}%"


def ms(value: float | None) -> str:
    """Milliseconds, rounded: `60 ms`; None as a dash."""
    return "-" if value is None else f"{value:,.0f} ms"


def number(value: float | None, decimals: int = 2) -> str:
    """A plain number without trailing zeros; None as a dash."""
    if value is None:
        return "-"
    text = f"{value + 0.0 if round(value, decimals) else 0.0:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def relative_change(old: float, new: float) -> float | None:
    """(new - old) / old; 0 when both are 0; None when only old is 0 (an increase from nothing)."""
    if old == 0:
        return 0.0 if new == 0 else None
    return (new - old) / abs(old)
