"""What every settings model shares: strict parsing, the error that names the file and the field, the names of the file and variables read."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

CONFIG_ENV = "PRODOPS_CONFIG"
DB_ENV = "PRODOPS_DB"
DEFAULT_CONFIG_FILE = "prodops.toml"
DEFAULT_DB = "data/prodops.duckdb"


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or has a wrong field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_boolean_numbers(cls, value, info):
        """`limit = true` is a slip, not 1: pydantic would read a TOML boolean as a number."""
        annotation = cls.model_fields[info.field_name].annotation
        if isinstance(value, bool) and annotation in (int, float, int | None, float | None):
            raise ValueError(f"expected a number, got {str(value).lower()}")
        return value


_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
