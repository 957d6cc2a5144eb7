"""Talking to Jira through the `jira` client: sign-in, the shared retry policy, readable errors.

The client's `ResilientSession` would retry 429/503 itself, but it sleeps for real (10-60 s
without `Retry-After`), crashes on a `Retry-After` given as an HTTP date and cannot be told to
wait less in tests. So the client is built with `max_retries=0` and every call goes through
`JiraApi.call`, under the policy every HTTP source shares (`connectors/retry.py`); what does
not heal fails the run with a message that says what was being done, what Jira answered and
which setting to look at, and never contains the token. `str(JIRAError)` dumps the request
headers, Authorization included, so it is never used.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

import requests
from jira import JIRA, JIRAError

from connectors.jira.endpoints import AUTH_STATUSES, CLOUD, DATACENTER, Deployment, deployment_of
from connectors.retry import RetriesExhausted, RetryPolicy
from dashboard.core.config import JiraSource
from dashboard.core.redaction import error_body, redact

T = TypeVar("T")


class JiraSyncError(RuntimeError):
    """A Jira sync could not complete. The message is meant for people and holds no secret."""


@dataclass
class Failure:
    """What to say when a call fails: what we were doing, and the settings involved."""

    source: JiraSource
    deployment: Deployment | None = None
    secrets: tuple[str, ...] = ()
    """What Jira's answers must not carry into a message (the token), in any encoding."""

    def explain(self, error: Exception, what: str, jql: str | None = None, retries: int = 0) -> JiraSyncError:
        after = f" (after {retries} retries)" if retries else ""
        if isinstance(error, JIRAError):
            message = self._http(error, what, retries)
        elif isinstance(error, requests.Timeout):
            message = (f"Jira at {self.source.url} did not answer within {self.source.timeout_seconds:g} s "
                       f"while {what}{after} ([jira].timeout_seconds)")
        elif isinstance(error, requests.exceptions.ChunkedEncodingError):
            message = f"Jira's answer broke off while {what}{after}: {_reason(error)}"
        elif isinstance(error, requests.ConnectionError):
            message = f"the connection to Jira at {self.source.url} failed while {what}{after}: {_reason(error)}"
        elif isinstance(error, (json.JSONDecodeError, requests.exceptions.JSONDecodeError)):
            message = f"Jira sent a response that is not valid JSON while {what} ({error.msg} at character {error.pos})"
        else:
            message = f"{type(error).__name__} while {what}: {error}"
        if jql is not None:
            message += f"\n  JQL: {jql}"
        return JiraSyncError(redact(message, self.secrets))

    def _http(self, error: JIRAError, what: str, retries: int) -> str:
        code, text = error.status_code, error_body(error.text, self.secrets) or "no message"
        if code is None:
            return f"the jira client refused while {what}: {text}"
        if code in AUTH_STATUSES:
            hint = self.deployment.auth_hint if self.deployment else f"{CLOUD.auth_hint}, {DATACENTER.auth_hint}"
            user = f"[jira].email = {self.source.email!r}" if self.source.email else "no [jira].email (the token went as a personal access token)"
            where = f"${self.source.token_env} (environment or .streamlit/secrets.toml)"
            return (f"Jira at {self.source.url} refused the credentials (HTTP {code}: {text}) while {what}. "
                    f"{hint}; check {user} and the token in {where}")
        if code == 429:
            return f"Jira kept rate-limiting (HTTP 429) after {retries} retries while {what}; run again later or raise [jira].max_retries"
        if code == 400:
            return f"Jira rejected the request (HTTP 400) while {what}: {text}"
        if code == 404:
            return f"Jira found nothing (HTTP 404) while {what}: {text}; check [jira].url and [jira].projects"
        after = f" after {retries} retries" if retries else ""
        return f"Jira answered HTTP {code}{after} while {what}: {text}"


def _reason(error: requests.ConnectionError) -> str:
    """The innermost cause ("Connection reset by peer"), not the whole wrapped chain with its URL."""
    cause: BaseException = error
    while cause.args and isinstance(cause.args[-1], BaseException):
        cause = cause.args[-1]
    return str(cause) or type(cause).__name__


def with_retries(policy: RetryPolicy, failure: Failure, what: str, call: Callable[[], T], jql: str | None = None) -> T:
    """Run one client call under the shared retry policy, explaining whatever does not heal."""
    try:
        return policy.run(call)
    except RetriesExhausted as gave_up:
        raise failure.explain(gave_up.last, what, jql, gave_up.retries) from None
    except (JIRAError, requests.RequestException, ValueError) as error:
        raise failure.explain(error, what, jql) from None


class JiraApi:
    """A signed-in client plus what `serverInfo` said, with every call retried and explained."""

    def __init__(self, client: JIRA, deployment: Deployment, source: JiraSource, policy: RetryPolicy, failure: Failure):
        self.client = client
        self.deployment = deployment
        self.source = source
        self.policy = policy
        self.failure = replace(failure, deployment=deployment)
        self.requests = 1  # serverInfo, answered before the counting hook could be attached
        client._session.hooks["response"].append(self._count)

    def _count(self, response: requests.Response, *args, **kwargs) -> None:
        self.requests += 1

    def call(self, what: str, fn: Callable[..., T], *args, jql: str | None = None, **kwargs) -> T:
        return with_retries(self.policy, self.failure, what, lambda: fn(*args, **kwargs), jql)

    def get_json(self, what: str, path: str, params: dict | None = None):
        """GET `/rest/api/2/<path>`: for endpoints the client has no method for (changelog pages)."""
        return self.call(what, self.client._get_json, path, params=params)


def connect(source: JiraSource, token: str, policy: RetryPolicy) -> JiraApi:
    """Sign in and read `serverInfo`, which decides between Cloud and Data Center.

    An `email` means HTTP Basic with email and API token (Cloud); without one the token goes
    as a Bearer personal access token (Data Center).
    """
    auth = {"basic_auth": (source.email, token)} if source.email else {"token_auth": token}
    failure = Failure(source, secrets=(token,))

    def build() -> JIRA:
        return JIRA(server=source.url, max_retries=0, timeout=source.timeout_seconds, **auth)

    client = with_retries(policy, failure, f"reading serverInfo of {source.url}", build)
    deployment = deployment_of({"deploymentType": client.deploymentType})
    if source.mode != "auto" and source.mode != deployment.name:
        raise JiraSyncError(
            f"[jira].mode is {source.mode!r} but {source.url} says it is {deployment.title} "
            f"(serverInfo deploymentType {client.deploymentType!r}); set mode = \"auto\" or check [jira].url"
        )
    if deployment.name == "cloud" and not source.email:
        raise JiraSyncError(f"{source.url} is Jira Cloud, which signs in with an email and an API token: set [jira].email")
    return JiraApi(client, deployment, source, policy, failure)
