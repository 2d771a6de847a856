"""AWS's Spot Instance Advisor data (spot-advisor-data.json) as spot-risk rows: the trailing
month's interruption-frequency band per region and Linux instance type."""

from __future__ import annotations

import json

from planner.catalog.spot_risk import SpotRisk, band_rates
from planner.errors import InputError

SOURCE = "aws-spot-advisor"
DATA_URL = "https://spot-bid-advisor.s3.amazonaws.com/spot-advisor-data.json"


def is_advisor_data(text: str) -> bool:
    """Whether `text` looks like the advisor's data file (its two top-level keys)."""
    head = text[:4096]
    return '"spot_advisor"' in text and '"ranges"' in head + text[-65536:]


def advisor_rows(text: str, source: str, as_of: str) -> list[SpotRisk]:
    """Rows from the advisor's data file: Linux, every region and instance type, its band's
    midpoint as the rate (the open top band at OPEN_BAND_RATE, an estimate)."""
    try:
        data = json.loads(text)
        ranges = {int(r["index"]): r for r in data["ranges"]}
        regions = data["spot_advisor"]
        bands = [(str(ranges[i]["label"]), float(ranges[i]["max"]) / 100) for i in sorted(ranges)]
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as err:
        raise InputError(f"{source}: not a Spot Instance Advisor data file ({err})") from None
    rates = band_rates(bands)
    label_of = {i: str(ranges[i]["label"]) for i in ranges}
    out = []
    if not isinstance(regions, dict):
        raise InputError(f"{source}: field 'spot_advisor': expected an object")
    for region in sorted(regions):
        linux = regions[region].get("Linux", {}) if isinstance(regions[region], dict) else {}
        if not isinstance(linux, dict):
            raise InputError(f"{source}: field 'spot_advisor.{region[:40]}.Linux': expected an "
                             "object")  # fmt: skip
        for instance_type, figures in sorted(linux.items()):
            band = figures.get("r") if isinstance(figures, dict) else None
            if isinstance(band, bool) or not isinstance(band, int) or band not in label_of:
                continue
            label = label_of[band]
            try:
                out.append(SpotRisk("aws", region, instance_type, label, rates[label],
                                    "published", source, as_of))  # fmt: skip
            except ValueError as err:
                where = f"spot_advisor[{region[:40]!r}].Linux[{instance_type[:40]!r}]"
                raise InputError(f"{source}: {where}: {err}") from None
    return out
