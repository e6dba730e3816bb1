"""Envelope encryption and crypto-shredding of personal data."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet, InvalidToken

from tandem_intake.personal_data import (
    DEV_ONLY_INSECURE_MASTER_KEY,
    PersonalDataErased,
    PersonalDataUnreadable,
    Vault,
)
from tandem_intake.settings import IntakeSettings

DATA = {
    "full_name": "Amina Haddad",
    "email": "amina@example.org",
    "date_of_birth": "1994-03-07",
    "notes": "Prefers meetings near Dalston",
}


@pytest.fixture
def vault() -> Vault:
    return Vault([Fernet.generate_key()])


def test_round_trip(vault):
    wrapped = vault.new_data_key()
    assert vault.open(wrapped, vault.seal(wrapped, DATA)) == DATA


def test_ciphertext_contains_no_plaintext(vault):
    wrapped = vault.new_data_key()
    token = vault.seal(wrapped, DATA)
    for value in [*DATA.values(), "Amina", "Haddad", "1994", "example.org"]:
        assert value.encode() not in token
    assert b"Amina" not in wrapped


def test_each_participant_has_her_own_key(vault):
    a, b = vault.new_data_key(), vault.new_data_key()
    token = vault.seal(a, DATA)
    with pytest.raises(PersonalDataUnreadable):
        vault.open(b, token)


def test_erasure_makes_decryption_impossible():
    master = Fernet.generate_key()
    vault = Vault([master])
    wrapped = vault.new_data_key()
    token = vault.seal(wrapped, DATA)
    wrapped = None  # crypto-shredding: the wrapped data key is destroyed
    with pytest.raises(PersonalDataErased):
        vault.open(wrapped, token)
    # The master key alone cannot read the data: only the destroyed data key could.
    with pytest.raises(InvalidToken):
        Fernet(master).decrypt(token)
    with pytest.raises(PersonalDataUnreadable):
        vault.open(vault.new_data_key(), token)


def test_blanked_token_reads_as_erased(vault):
    with pytest.raises(PersonalDataErased):
        vault.open(vault.new_data_key(), None)


def test_a_different_master_key_cannot_unwrap(vault):
    wrapped = vault.new_data_key()
    token = vault.seal(wrapped, DATA)
    with pytest.raises(PersonalDataUnreadable):
        Vault([Fernet.generate_key()]).open(wrapped, token)


def test_master_key_rotation():
    old, new = Fernet.generate_key(), Fernet.generate_key()
    before = Vault([old])
    wrapped = before.new_data_key()
    token = before.seal(wrapped, DATA)
    during = Vault([new, old])
    rewrapped = during.rewrap(wrapped)
    assert Vault([new]).open(rewrapped, token) == DATA


def test_settings_and_dev_key(caplog):
    with caplog.at_level("WARNING"):
        dev = Vault.from_setting(None)
    assert "DEV_ONLY_INSECURE_MASTER_KEY" in caplog.text
    wrapped = dev.new_data_key()
    assert Vault([DEV_ONLY_INSECURE_MASTER_KEY]).open(wrapped, dev.seal(wrapped, DATA)) == DATA
    with pytest.raises(ValueError, match="Fernet key"):
        Vault.from_setting("not-a-key")
    production = {"environment": "production", "operator_key": "a-real-operator-key"}
    with pytest.raises(ValueError, match="ENCRYPTION_KEY must be set in production"):
        IntakeSettings(**production, encryption_key=None)
    assert IntakeSettings(**production, encryption_key="k").encryption_key == "k"
