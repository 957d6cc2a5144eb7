"""A minimal OpenID Connect provider on 127.0.0.1 for `st.login` to sign in against over HTTP.

It speaks the authorization-code flow as Streamlit's Authlib client uses it: discovery
(`/.well-known/openid-configuration`), `/authorize` (which signs the test's chosen user in at
once and sends the browser back with a code), `/token` (an RS256 ID token carrying the user's
claims and the client's nonce), `/jwks` and `/logout`. No consent screen, one client.

    with OidcProvider(client_id="dash", client_secret="s") as provider:
        provider.user = {"email": "pm@example.com", "email_verified": True}
        ... [auth] server_metadata_url = provider.metadata_url ...

Authlib refuses plain-HTTP token endpoints unless `AUTHLIB_INSECURE_TRANSPORT` is set in the
dashboard's environment; a test sets it for its server only.
"""
from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey


class OidcProvider:
    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.user: dict[str, Any] = {}
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test", "use": "sig", "alg": "RS256"})
        self.codes: dict[str, dict[str, Any]] = {}
        self.requests: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def __enter__(self) -> OidcProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "end_session_endpoint": f"{self.url}/logout",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "email", "profile"],
        }

    def authorize(self, query: dict[str, str]) -> str:
        """Sign the current user in for this request; the address to send the browser back to."""
        if query.get("client_id") != self.client_id:
            return f"{query['redirect_uri']}?{urlencode({'error': 'unauthorized_client', 'state': query.get('state', '')})}"
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"user": dict(self.user), "nonce": query.get("nonce"), "redirect_uri": query["redirect_uri"]}
        return f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"

    def token(self, form: dict[str, str], basic: str | None) -> tuple[int, dict[str, Any]]:
        grant = self.codes.pop(form.get("code", ""), None)
        client = (basic or "").split(":", 1) if basic else [form.get("client_id"), form.get("client_secret")]
        if grant is None or client != [self.client_id, self.client_secret]:
            return 400, {"error": "invalid_grant"}
        now = int(time.time())
        claims = {"iss": self.url, "aud": self.client_id, "sub": grant["user"].get("email", "anonymous"),
                  "iat": now, "exp": now + 600, **({"nonce": grant["nonce"]} if grant["nonce"] else {}),
                  **grant["user"]}
        id_token = jwt.encode({"alg": "RS256", "kid": "test"}, claims, self.key)
        return 200, {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 600,
                     "id_token": id_token}

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _redirect(self, location: str) -> None:
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                provider.requests.append(parts.path)
                query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
                if parts.path == "/.well-known/openid-configuration":
                    self._json(200, provider.metadata())
                elif parts.path == "/jwks":
                    self._json(200, KeySet([provider.key]).as_dict(private=False))
                elif parts.path == "/authorize":
                    self._redirect(provider.authorize(query))
                elif parts.path == "/logout":
                    self._redirect(query.get("post_logout_redirect_uri", "/"))
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                provider.requests.append(parts.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = {name: values[-1] for name, values in parse_qs(self.rfile.read(length).decode()).items()}
                basic = None
                header = self.headers.get("Authorization", "")
                if header.startswith("Basic "):
                    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                    basic = f"{unquote(user)}:{unquote(password)}"
                if parts.path == "/token":
                    self._json(*provider.token(form, basic))
                else:
                    self._json(404, {"error": "not_found"})

        return Handler
