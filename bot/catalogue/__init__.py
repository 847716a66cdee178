"""The 事项库: load, validate and query the service catalogue in data/catalogue/."""

from bot.catalogue.loader import (
    Catalogue,
    CatalogueError,
    MergedMaterial,
    catalogue_fingerprint,
    default_catalogue_path,
    load_catalogue,
)
from bot.catalogue.schema import Bundle, Department, Material, Matter

__all__ = [
    "Bundle",
    "Catalogue",
    "CatalogueError",
    "Department",
    "Material",
    "Matter",
    "MergedMaterial",
    "catalogue_fingerprint",
    "default_catalogue_path",
    "load_catalogue",
]
