"""One Provider object per cloud (providers/<cloud>/__init__.py: PROVIDER) behind one protocol,
and the registry the CLI looks providers up in by cloud name.

A Provider holds what its cloud's SDK code can do: refresh prices, fetch quotas, and which
launch targets and metric sources it serves. Each verb is a function that imports its SDK code
only when called (CLI start-up stays fast). A verb a provider lacks is an InputError (exit 2)
naming the cloud and the verb, never a KeyError.

    from providers.provider import provider
    provider("aws").need("prices")(request)   # a RefreshResult
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from planner.catalog import Offering
from planner.clouds import CLOUDS, cloud
from planner.errors import InputError

Verb = Literal["prices", "quotas"]
VERB_WORDS: Mapping[str, str] = {
    "prices": "price refresh (planner catalog refresh)",
    "quotas": "quota refresh (planner quotas refresh)",
}


@dataclass(frozen=True)
class Request:
    """What a refresh asks of a provider (the CLI's options, parsed)."""

    regions: Sequence[str] | None
    """The regions, or None for every region the cloud has."""
    base: Sequence[Offering]
    """The base catalog's offerings (kept where not refreshed; quota conversions use them)."""
    ctx: Any
    """A providers.refresh_common.RefreshContext: clock, retries, progress, HTTP."""
    endpoints: Mapping[str, str] = field(default_factory=dict)
    """Service -> URL overrides ('' for every service)."""
    project: str | None = None
    fewest_vcpus: bool = False

    def endpoint(self, service: str) -> str | None:
        return self.endpoints.get(service) or self.endpoints.get("")


@dataclass(frozen=True)
class Quotas:
    """What a quota refresh found: quotas, its run log, its source and how it converted them."""

    quotas: list[Any]
    log: Any
    source: str
    how: str


@dataclass(frozen=True)
class Provider:
    """A cloud's SDK code: which verbs it has, each imported lazily when called."""

    cloud: str
    """The Cloud's spec name (planner/clouds)."""
    endpoint_services: tuple[str, ...] = ()
    """Service names that --endpoint-url SERVICE=URL may redirect."""
    prices: Callable[[Request], Any] | None = None
    """Request -> RefreshResult: current offerings and prices from the cloud's APIs."""
    quotas: Callable[[Request], Quotas] | None = None
    """Request -> Quotas: accelerator quotas from the cloud's APIs."""
    launch_targets: tuple[str, ...] = ()
    """`planner launch --target` values whose launcher lives in this provider."""
    metric_sources: tuple[str, ...] = ()
    """`planner observe --source` values whose client lives in this provider."""

    def has(self, verb: Verb) -> bool:
        return getattr(self, verb) is not None

    def need(self, verb: Verb) -> Callable[..., Any]:
        """The function for `verb`; InputError naming the cloud and the verb when it has none."""
        found = getattr(self, verb)
        if found is None:
            title = cloud(self.cloud).title if self.cloud in CLOUDS else self.cloud
            others = ", ".join(with_verb(verb)) or "none"
            sky = cloud(self.cloud).skypilot if self.cloud in CLOUDS else None
            hint = (
                f"; its prices can come from SkyPilot's catalog: --catalog DIR with "
                f"{sky.name}/vms.csv"
                if verb == "prices" and sky is not None
                else ""
            )
            raise InputError(
                f"{title} ({self.cloud}) has no {VERB_WORDS[verb]}; clouds with it: {others}{hint}"
            )
        return found


PROVIDERS: dict[str, Provider] = {}


def register(new: Provider) -> Provider:
    """Make `new` the provider of its cloud (which must be registered in planner.clouds)."""
    cloud(new.cloud)
    PROVIDERS[new.cloud] = new
    return new


def unregister(name: str) -> None:
    PROVIDERS.pop(name, None)


def _discover() -> None:
    """Register every providers/<cloud>/ package's PROVIDER (imports no SDK)."""
    import providers

    for info in sorted(pkgutil.iter_modules(providers.__path__), key=lambda m: m.name):
        if info.ispkg:
            module = importlib.import_module(f"providers.{info.name}")
            found = getattr(module, "PROVIDER", None)
            if isinstance(found, Provider) and found.cloud not in PROVIDERS:
                register(found)


def provider(name: str) -> Provider:
    """The provider of cloud `name`: a registered one, or an empty one (every verb exits 2)
    for a cloud without SDK code; InputError listing the clouds for an unknown name."""
    if not PROVIDERS:
        _discover()
    cloud(name)
    return PROVIDERS.get(name) or Provider(name)


def with_verb(verb: Verb) -> tuple[str, ...]:
    """The clouds whose provider has `verb`, in the registry's order."""
    return tuple(c for c in CLOUDS if provider(c).has(verb))
