"""Personal data at rest: envelope encryption and crypto-shredding.

Every participant has her own data key (a Fernet key). Her personal data is stored only as
Fernet tokens made with that key, and the data key itself is stored only wrapped (encrypted)
with the service's master key. Erasure destroys the wrapped data key: every token made with
it, including copies in backups, can then never be decrypted again.

vault = Vault.from_keys(["<fernet master key>"])
wrapped = vault.new_data_key()                 # store on the participant row
token = vault.seal(wrapped, {"full_name": ...}) # store on the application row
vault.open(wrapped, token)                      # -> dict; PersonalDataErased if wrapped is None
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

log = logging.getLogger(__name__)

# Publicly known, derived from a fixed label: for local development and tests ONLY. Data
# encrypted with it is not protected. Production refuses to start without a real key.
DEV_ONLY_INSECURE_MASTER_KEY = base64.urlsafe_b64encode(
    hashlib.sha256(b"tandem-intake DEV ONLY insecure master key - never use in production").digest()
).decode()


class PersonalDataErased(Exception):
    """The participant's data key was destroyed: her personal data is gone for good."""


class PersonalDataUnreadable(Exception):
    """A token does not decrypt with this participant's key (wrong key or tampered)."""


class Vault:
    def __init__(self, master_keys: Sequence[str | bytes]) -> None:
        if not master_keys:
            raise ValueError("at least one master key is required")
        try:
            self._master = MultiFernet([Fernet(k) for k in master_keys])
        except (ValueError, TypeError) as exc:
            raise ValueError(
                "master key must be a Fernet key (32 url-safe base64-encoded bytes)"
            ) from exc

    @classmethod
    def from_setting(cls, value: str | None) -> Vault:
        """From `encryption_key` (comma-separated for rotation); None → the dev-only key."""
        if not value:
            log.warning(
                "intake: no encryption_key set; using DEV_ONLY_INSECURE_MASTER_KEY. "
                "Personal data is NOT protected. Set TANDEM_INTAKE_ENCRYPTION_KEY."
            )
            return cls([DEV_ONLY_INSECURE_MASTER_KEY])
        return cls([k.strip() for k in value.split(",") if k.strip()])

    # -- data keys ------------------------------------------------------------------------
    def new_data_key(self) -> bytes:
        """A fresh per-participant data key, wrapped with the master key (store this)."""
        return self._master.encrypt(Fernet.generate_key())

    def rewrap(self, wrapped_key: bytes) -> bytes:
        """Re-encrypt a wrapped data key with the current (first) master key."""
        return self._master.rotate(wrapped_key)

    def _data_key(self, wrapped_key: bytes | None) -> Fernet:
        if wrapped_key is None:
            raise PersonalDataErased("the participant's data key was destroyed")
        try:
            return Fernet(self._master.decrypt(wrapped_key))
        except InvalidToken as exc:
            raise PersonalDataUnreadable("data key does not decrypt with the master key") from exc

    # -- personal data --------------------------------------------------------------------
    def seal(self, wrapped_key: bytes | None, data: dict[str, Any]) -> bytes:
        plaintext = json.dumps(data, sort_keys=True, default=str).encode()
        return self._data_key(wrapped_key).encrypt(plaintext)

    def open(self, wrapped_key: bytes | None, token: bytes | None) -> dict[str, Any]:
        if token is None:
            raise PersonalDataErased("the personal data was blanked")
        fernet = self._data_key(wrapped_key)
        try:
            return json.loads(fernet.decrypt(token))
        except InvalidToken as exc:
            raise PersonalDataUnreadable("token does not decrypt with this data key") from exc
