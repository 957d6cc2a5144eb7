"""Where the Jira token comes from: the environment, else `.streamlit/secrets.toml`. Never the config."""
from __future__ import annotations

import os
import tomllib
from pathlib import Path

from connectors.jira.connection import JiraSyncError
from dashboard.core.config import JiraSource

SECRETS_FILE = Path(".streamlit") / "secrets.toml"


def resolve_token(source: JiraSource, secrets_file: Path | None = None) -> str:
    """The token from `$<token_env>`, else the top-level key of that name in the secrets file.

    Streamlit exports top-level secrets as environment variables too, so the dashboard and the
    command line find the token under the same name.
    """
    token = os.environ.get(source.token_env, "").strip()
    if token:
        return token
    file = secrets_file or SECRETS_FILE
    if file.exists():
        try:
            secrets = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise JiraSyncError(f"{file}: not valid TOML ({error})") from None
        token = str(secrets.get(source.token_env) or "").strip()
        if token:
            return token
    raise JiraSyncError(
        f"no Jira token: set the environment variable {source.token_env} "
        f"(or {source.token_env} = \"...\" in {file}); [jira].token_env names it"
    )
