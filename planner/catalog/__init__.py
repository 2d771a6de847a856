"""Cloud offerings: the Offering value, loading catalogs (bundled, own CSV, SkyPilot), filtering."""

from planner.catalog.load import BUNDLED, Catalog, CatalogError, load_catalog
from planner.catalog.offering import CATALOG_COLUMNS, Offering
from planner.catalog.select import SORT_KEYS, select_offerings
from planner.clouds import catalog_services

SERVICES = catalog_services()
"""Every service a catalog row may name (from the provider registry)."""

__all__ = [
    "BUNDLED",
    "CATALOG_COLUMNS",
    "SERVICES",
    "SORT_KEYS",
    "Catalog",
    "CatalogError",
    "Offering",
    "load_catalog",
    "select_offerings",
]
