"""Where a credential is found: an environment variable, else the top-level key of the same name
in `.streamlit/secrets.toml`.

Streamlit exports top-level secrets as environment variables too, so the dashboard and the
command line find a secret under one name. Settings name the variable (`[jira].token_env`,
`[digest.smtp].password_env`); a credential never goes in prodops.toml.
"""
from __future__ import annotations

import os
from pathlib import Path

from dashboard.core.file_limits import read_toml

SECRETS_FILE = Path(".streamlit") / "secrets.toml"


def secret(name: str, secrets_file: Path | None = None) -> str | None:
    """`$name`, else `name` in the secrets file; None when neither holds it.

    Raises:
        FileRefused: the secrets file is not valid TOML, or too large to be one.
    """
    found = os.environ.get(name, "").strip()
    if found:
        return found
    file = secrets_file or SECRETS_FILE
    if not file.exists():
        return None
    return str(read_toml(file, "secrets file").get(name) or "").strip() or None
