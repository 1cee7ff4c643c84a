"""Harbor's registry token service: `GET /service/token`, and the tokens it signs.

Tokens are ES256 JWTs whose header carries the signing certificate in `x5c`, the form CNCF
Distribution's `auth.token` verifier accepts when `rootcertbundle` holds that certificate. The
claims are Harbor's: `iss`, `sub`, `aud`, `exp`, `nbf`, `iat`, `jti` and `access`.

Behaviour (Harbor's `src/core/service/token`):

* Credentials come as Basic auth. Bad credentials do not fail the request: the token is issued
  to anonymous, with only what anonymous may do (often nothing).
* No valid credentials and no scope (a `docker login` probe): 401.
* `scope` may repeat, and one value may hold several scopes separated by spaces.
* Only `service=harbor-registry` is handled; anything else is a 400. `POST` is a 405.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.x509.oid import NameOID

from harborsec.testing._auth import (
    ANONYMOUS,
    REPOSITORY_ACTIONS,
    Principal,
    TokenGrant,
    authenticate_basic,
    repository_actions,
)
from harborsec.testing._http import Call, json_response, text_response
from harborsec.testing._state import State
from harborsec.testing._store import write_atomically

__all__ = ["TokenAuthority", "TokenService", "format_time"]

_KEY_FILE = "token-key.pem"
_CERT_FILE = "token-cert.pem"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def format_time(timestamp: float) -> str:
    """Format a POSIX time as RFC 3339 in UTC, to the second (`2025-06-02T09:14:07Z`)."""
    moment = dt.datetime.fromtimestamp(math.floor(timestamp), tz=dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class TokenAuthority:
    """Signs and verifies registry tokens.

    The EC P-256 key and its self-signed certificate are created on first use; with
    `key_dir`, they are kept there (unencrypted: they are test credentials) and reused, so that
    a registry configured with the certificate keeps trusting a re-created emulator.

    Args:
        issuer: The `iss` claim.
        service: The `aud` claim and the only `service` the token endpoint accepts.
        expiration: Token lifetime in seconds (0 gives tokens that are already expired).
        key_dir: Where to keep the key and certificate, or None for memory only.
        clock: Returns the current POSIX time.
    """

    def __init__(
        self,
        *,
        issuer: str,
        service: str,
        expiration: int,
        key_dir: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer
        self.service = service
        self.expiration = expiration
        self.clock = clock
        self._key, self._certificate = self._load_or_create(key_dir)
        self.certificate_pem = self._certificate.public_bytes(serialization.Encoding.PEM)
        der = self._certificate.public_bytes(serialization.Encoding.DER)
        self._x5c = [base64.b64encode(der).decode("ascii")]
        self._issued: set[str] = set()  # the `jti` of every token signed since the last revoke
        self._revoked: set[str] = set()

    def _load_or_create(
        self, key_dir: Path | None
    ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        if key_dir is not None and (key_dir / _KEY_FILE).exists():
            key = serialization.load_pem_private_key((key_dir / _KEY_FILE).read_bytes(), None)
            certificate = x509.load_pem_x509_certificate((key_dir / _CERT_FILE).read_bytes())
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise ValueError(f"{key_dir / _KEY_FILE} is not an EC key")
            return key, certificate
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, self.issuer)])
        now = dt.datetime.now(dt.timezone.utc)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .sign(key, hashes.SHA256())
        )
        if key_dir is not None:
            key_dir.mkdir(parents=True, exist_ok=True)
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            write_atomically(key_dir / _KEY_FILE, pem)
            write_atomically(
                key_dir / _CERT_FILE, certificate.public_bytes(serialization.Encoding.PEM)
            )
        return key, certificate

    def issue(self, subject: str, access: list[dict[str, Any]]) -> tuple[str, int]:
        """Sign a token for `subject` granting `access`; return it and its `iat`."""
        issued_at = math.floor(self.clock())
        token_id = secrets.token_urlsafe(16)
        self._issued.add(token_id)
        header = {"typ": "JWT", "alg": "ES256", "x5c": self._x5c}
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.service,
            "exp": issued_at + self.expiration,
            "nbf": issued_at,
            "iat": issued_at,
            "jti": token_id,
            "access": access,
        }
        signing_input = ".".join(
            _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        der = self._key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return f"{signing_input}.{_b64url(signature)}", issued_at

    def revoke_all(self) -> int:
        """Refuse every token signed so far, as if each had expired; return how many."""
        count = len(self._issued)
        self._revoked |= self._issued
        self._issued = set()
        return count

    def verify(self, token: str) -> TokenGrant | None:
        """Return what `token` grants, or None unless it is one of ours and still valid.

        Checked: the ES256 signature with our key, `iss`, `aud`, `nbf`, `exp` and `iat`.
        """
        try:
            header_b64, claims_b64, signature_b64 = token.split(".")
            header = json.loads(_b64url_decode(header_b64))
            claims = json.loads(_b64url_decode(claims_b64))
            signature = _b64url_decode(signature_b64)
        except (ValueError, binascii.Error):
            return None
        if not isinstance(header, dict) or header.get("alg") != "ES256" or len(signature) != 64:
            return None
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        try:
            self._key.public_key().verify(
                der, f"{header_b64}.{claims_b64}".encode("ascii"), ec.ECDSA(hashes.SHA256())
            )
        except InvalidSignature:
            return None
        return self._check_claims(claims)

    def _check_claims(self, claims: Any) -> TokenGrant | None:
        if not isinstance(claims, dict) or claims.get("iss") != self.issuer:
            return None
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.service not in audiences:
            return None
        now = self.clock()
        exp, nbf, iat = claims.get("exp"), claims.get("nbf"), claims.get("iat")
        if not (isinstance(exp, int) and isinstance(nbf, int) and isinstance(iat, int)):
            return None
        if now >= exp or now < nbf or claims.get("jti") in self._revoked:
            return None
        access: dict[str, frozenset[str]] = {}
        for entry in claims.get("access") or []:
            if isinstance(entry, dict) and entry.get("type") == "repository":
                name = str(entry.get("name"))
                actions = frozenset(str(a) for a in entry.get("actions") or [])
                access[name] = access.get(name, frozenset()) | actions
        return TokenGrant(subject=str(claims.get("sub") or ""), issued_at=iat, access=access)


class TokenService:
    """The `/service/token` area.

    Args:
        state: The emulator's state (accounts, projects).
        authority: Signs the tokens.
        robot_prefix: The prefix that marks robot usernames.
    """

    prefix = "/service/"

    def __init__(self, state: State, authority: TokenAuthority, *, robot_prefix: str) -> None:
        self._state = state
        self._authority = authority
        self._robot_prefix = robot_prefix

    def handle(self, call: Call) -> httpx.Response:
        """Answer a request under `/service/`."""
        if call.path != "/service/token":
            return text_response(404, "404 page not found\n")
        if call.method not in ("GET", "HEAD"):
            return text_response(405, "Method Not Allowed\n")
        service = call.query.get("service", "")
        if service != self._authority.service:
            return text_response(400, f"Unable to handle service: {service}\n")
        scopes = [scope for value in call.query.get_list("scope") for scope in value.split()]
        principal = (
            authenticate_basic(self._state, call.authorization, robot_prefix=self._robot_prefix)
            or ANONYMOUS
        )
        if not scopes and not principal.authenticated:
            return text_response(401, "Unauthorized\n")
        access = []
        for scope in scopes:
            entry = self._grant(principal, scope)
            if entry is None:
                return text_response(400, f"invalid scope: {scope}\n")
            access.append(entry)
        token, issued_at = self._authority.issue(principal.name, access)
        document = {
            "token": token,
            "access_token": "",
            "expires_in": self._authority.expiration,
            "issued_at": format_time(issued_at),
        }
        return json_response(200, document)

    def _grant(self, principal: Principal, scope: str) -> dict[str, Any] | None:
        """The `access` entry for one scope (`type:name:actions`), or None if it is malformed."""
        parts = scope.split(":")
        if len(parts) < 3 or not parts[0]:
            return None
        kind, name, requested = parts[0], ":".join(parts[1:-1]), parts[-1].split(",")
        granted: list[str] = []
        if kind == "repository":
            allowed = repository_actions(self._state, principal, name)
            wanted = set(REPOSITORY_ACTIONS) if "*" in requested else set(requested)
            granted = [action for action in REPOSITORY_ACTIONS if action in wanted & allowed]
        elif kind == "registry" and name == "catalog" and principal.admin:
            granted = [action for action in requested if action == "*"]
        return {"type": kind, "name": name, "actions": granted}
