"""Where the Jira token comes from: the environment, else `.streamlit/secrets.toml`. Never the config."""
from __future__ import annotations

from pathlib import Path

from connectors.jira.connection import JiraSyncError
from dashboard.core.config import JiraSource
from dashboard.core.file_limits import FileRefused
from dashboard.core.secrets import SECRETS_FILE, secret


def resolve_token(source: JiraSource, secrets_file: Path | None = None) -> str:
    """The token from `$<token_env>`, else the top-level key of that name in the secrets file."""
    try:
        token = secret(source.token_env, secrets_file)
    except FileRefused as error:
        raise JiraSyncError(str(error)) from None
    if token:
        return token
    raise JiraSyncError(
        f"no Jira token: set the environment variable {source.token_env} "
        f"(or {source.token_env} = \"...\" in {secrets_file or SECRETS_FILE}); [jira].token_env names it"
    )
