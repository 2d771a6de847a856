"""One Provider object per cloud (providers/<cloud>/__init__.py: PROVIDER) behind one protocol,
and the registry the CLI looks providers up in by cloud name.

A Provider holds what its cloud's SDK code can do: refresh prices, fetch quotas, launch and tear
down a plan's endpoints (`planner launch --target`), and read what they served (`planner observe
--source`). Each verb is a function that imports its SDK code
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

Verb = Literal["prices", "quotas", "spot_risk"]
VERB_WORDS: Mapping[str, str] = {
    "prices": "price refresh (planner catalog refresh)",
    "quotas": "quota refresh (planner quotas refresh)",
    "spot_risk": "spot-risk import (planner catalog spot-risk)",
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
class LaunchOptions:
    """What `planner launch` and `planner teardown` pass a launcher; each uses what its cloud
    needs (an endpoint override, a project, a role) and ignores the rest."""

    endpoint_url: str | None = None
    """The cloud's API endpoint (e.g. a local moto or fake server)."""
    api_endpoint: str | None = None
    """A second API endpoint where the cloud has two (Vertex AI's regional API)."""
    project: str | None = None
    role_arn: str | None = None
    timeout_s: float = 1800.0
    """Seconds to wait per endpoint or operation."""
    poll_s: float = 15.0
    """Seconds between status checks."""
    on_poll: Callable[[str, str], None] | None = None
    """Told (endpoint name, status) at each status check."""


@dataclass(frozen=True)
class Launcher:
    """A cloud's launch target: the API calls a plan's endpoints need, and making them."""

    target: str
    """The `planner launch --target` value."""
    title: str
    """The service it launches on, in words ("SageMaker")."""
    calls: Callable[[Any, str, LaunchOptions], list[Any]]
    """(plan, "launch" or "teardown", options) -> the providers.launch.Call list (dry run)."""
    apply: Callable[[Any, str, LaunchOptions], Any]
    """(plan, "launch" or "teardown", options) -> the providers.launch.Report of what it did."""


@dataclass(frozen=True)
class MetricsOptions:
    """What `planner observe --source` passes a cloud's metrics source."""

    url: str | None = None
    region: str | None = None
    endpoint_url: str | None = None


@dataclass(frozen=True)
class Metrics:
    """A cloud's metrics source: `open` gives a planner.observe MetricsSource."""

    source: str
    """The `planner observe --source` value."""
    title: str
    open: Callable[[MetricsOptions], Any]


@dataclass(frozen=True)
class SpotRiskImport:
    """How a cloud's published spot interruption data becomes spot-risk rows."""

    reads: Callable[[str], bool]
    """Whether a saved file's text is this cloud's data (so `--provider` may be left out)."""
    rows: Callable[[str, str, str], list[Any]]
    """(text, source name, as_of) -> planner.catalog.spot_risk.SpotRisk rows; InputError for
    a file that is not such data."""
    describe: str
    """What the rows are, for the written file's comment (source, what a rate means)."""
    fetch: Callable[[str | None], str] | None = None
    """(endpoint URL override or None) -> the data's text, read from the cloud's API (None:
    only saved files are read)."""


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
    spot_risk: SpotRiskImport | None = None
    """How its published spot interruption data is read."""
    launchers: tuple[Launcher, ...] = ()
    """Its `planner launch --target` targets (managed endpoint services)."""
    metrics: tuple[Metrics, ...] = ()
    """Its `planner observe --source` sources."""

    @property
    def launch_targets(self) -> tuple[str, ...]:
        return tuple(t.target for t in self.launchers)

    @property
    def metric_sources(self) -> tuple[str, ...]:
        return tuple(m.source for m in self.metrics)

    def has(self, verb: Verb) -> bool:
        return getattr(self, verb) is not None

    def need(self, verb: Verb) -> Any:
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


def _title(name: str) -> str:
    return f"{cloud(name).title} ({name})"


def _named(name: str, items: Callable[[Provider], Sequence[Any]], key: str, what: str,
           option: str) -> Any | None:  # fmt: skip
    """The item (a launcher, a metrics source) whose `key` is `name`, or the only one of cloud
    `name`; None when `name` is a cloud without any (the caller says so in its words) or no
    cloud at all (the caller lists what is known). Several on the named cloud: exit 2."""
    for c in CLOUDS:
        found = next((i for i in items(provider(c)) if getattr(i, key) == name), None)
        if found is not None:
            return found
    mine = items(provider(name)) if name in CLOUDS else ()
    if len(mine) > 1:
        raise InputError(
            f"{_title(name)} has several {what}: "
            f"{', '.join(getattr(i, key) for i in mine)}; name one with {option}"
        )
    return mine[0] if mine else None


def launcher(target: str) -> Launcher:
    """The launcher `planner launch --target target` names: a launch target (sagemaker), or a
    cloud with exactly one. A cloud without one is a `Missing` error (exit 2) naming it."""
    found = _named(target, lambda p: p.launchers, "target", "launch targets", "--target")
    if found is not None:
        return found
    targets = ", ".join(t for c in CLOUDS for t in provider(c).launch_targets) or "none"
    if target in CLOUDS:
        sky = cloud(target).skypilot
        hint = (
            "; `planner emit --target skypilot` writes SkyPilot YAML that launches on it"
            if sky is not None
            else ""
        )
        raise cloud(target).missing(
            "launcher for planner launch", f"launch targets: {targets}{hint}"
        )
    raise InputError(f"unknown launch target {target!r}; launch targets: {targets}")


def metrics_source(source: str) -> Metrics:
    """The metrics source `planner observe --source source` names (a cloud with exactly one may
    be named instead); a cloud without one is a `Missing` error (exit 2) naming it."""
    found = _named(source, lambda p: p.metrics, "source", "metrics sources", "--source")
    if found is not None:
        return found
    sources = ", ".join(m for c in CLOUDS for m in provider(c).metric_sources) or "none"
    if source in CLOUDS:
        raise cloud(source).missing(
            "metrics source for planner observe",
            f"sources: prometheus (any cluster with its metrics), {sources}",
        )
    raise InputError(f"unknown metrics source {source!r}; sources: prometheus, {sources}")


def spot_risk_reader(text: str, name: str | None, source: str) -> tuple[str, SpotRiskImport]:
    """The cloud and importer for a saved spot-risk data file: cloud `name`'s (exit 2 when it
    has none), or the one provider whose importer reads `text`."""
    if name is not None:
        return name, provider(name).need("spot_risk")
    readers = [(c, provider(c).spot_risk) for c in with_verb("spot_risk")]
    found = [(c, r) for c, r in readers if r is not None and r.reads(text)]
    if len(found) != 1:
        known = ", ".join(c for c, _ in readers) or "none"
        why = "is none of their data" if not found else "could be several clouds' data"
        raise InputError(
            f"{source} {why}; give --provider (clouds whose spot data is read: {known})"
        )
    return found[0]  # type: ignore[return-value]


def with_verb(verb: Verb) -> tuple[str, ...]:
    """The clouds whose provider has `verb`, in the registry's order."""
    return tuple(c for c in CLOUDS if provider(c).has(verb))
