"""Field encryption, blind indexes and masking: the building blocks every domain seals and
shows personal data with."""

from __future__ import annotations

import pytest

from core.privacy import fields
from core.privacy.keys import Keyring, KeyringError, new_key, parse_data_keys
from core.privacy.masking import mask_email, mask_id_number, mask_name, mask_phone

TENANT, OTHER = "tenant-a", "tenant-b"
PHONE = "+8613812341234"


@pytest.fixture
def ring() -> Keyring:
    keys, current = parse_data_keys(f"k2:{new_key()},k1:{new_key()}")
    return Keyring(keys, current, index_key=b"i" * 32)


def test_a_sealed_value_names_its_key_and_hides_the_text(ring: Keyring) -> None:
    stored = fields.encrypt(ring, PHONE, field="user.phone", tenant=TENANT)

    assert stored.startswith("v1:k2:") and PHONE not in stored and "1234" not in stored
    assert fields.key_id_of(stored) == "k2"
    assert fields.decrypt(ring, stored, field="user.phone", tenant=TENANT) == PHONE
    again = fields.encrypt(ring, PHONE, field="user.phone", tenant=TENANT)
    assert again != stored  # a fresh nonce each time: equal values do not look equal


def test_a_value_under_an_older_key_still_opens(ring: Keyring) -> None:
    older = Keyring({"k1": ring.data_keys["k1"]}, "k1", ring.index_key)
    stored = fields.encrypt(older, PHONE, field="user.phone", tenant=TENANT)

    assert fields.key_id_of(stored) == "k1"
    assert fields.decrypt(ring, stored, field="user.phone", tenant=TENANT) == PHONE


def test_a_value_copied_to_another_column_or_tenant_does_not_open(ring: Keyring) -> None:
    stored = fields.encrypt(ring, PHONE, field="user.phone", tenant=TENANT)

    with pytest.raises(fields.DecryptionError):
        fields.decrypt(ring, stored, field="user.name", tenant=TENANT)
    with pytest.raises(fields.DecryptionError):
        fields.decrypt(ring, stored, field="user.phone", tenant=OTHER)


def test_tampered_unknown_key_and_plain_values_are_refused(ring: Keyring) -> None:
    stored = fields.encrypt(ring, PHONE, field="user.phone", tenant=TENANT)
    body = stored.split(":", 2)[2]
    flipped = body[:-6] + ("A" if body[-6] != "A" else "B") + body[-5:]

    with pytest.raises(fields.DecryptionError):
        fields.decrypt(ring, f"v1:k2:{flipped}", field="user.phone", tenant=TENANT)
    with pytest.raises(KeyringError, match="k9"):
        fields.decrypt(ring, f"v1:k9:{body}", field="user.phone", tenant=TENANT)
    for plain in (PHONE, "", "v1:k2"):
        with pytest.raises(fields.DecryptionError):
            fields.decrypt(ring, plain, field="user.phone", tenant=TENANT)


def test_the_blind_index_finds_equal_values_only_in_their_own_tenant_and_purpose(
    ring: Keyring,
) -> None:
    index = fields.blind_index(ring, PHONE, purpose="phone", tenant=TENANT)

    assert index == fields.blind_index(ring, PHONE, purpose="phone", tenant=TENANT)
    assert PHONE not in index and "13812341234" not in index
    assert index != fields.blind_index(ring, "+8613812341235", purpose="phone", tenant=TENANT)
    assert index != fields.blind_index(ring, PHONE, purpose="phone", tenant=OTHER)
    assert index != fields.blind_index(ring, PHONE, purpose="email", tenant=TENANT)
    rekeyed = Keyring(ring.data_keys, ring.current, b"j" * 32)
    assert index != fields.blind_index(rekeyed, PHONE, purpose="phone", tenant=TENANT)


def test_bad_keys_are_refused_with_the_reason() -> None:
    with pytest.raises(KeyringError, match="32 bytes"):
        parse_data_keys("k1:c2hvcnQ=")
    with pytest.raises(KeyringError, match="base64"):
        parse_data_keys("k1:not base64!")
    with pytest.raises(KeyringError, match="letters and digits"):
        parse_data_keys(f"k-1:{new_key()}")
    with pytest.raises(KeyringError, match="no data keys"):
        parse_data_keys(" , ")


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("+8613812341234", "138****1234"),
        ("+85291234567", "852****4567"),
        ("123", "***"),
    ],
)
def test_phone_numbers_show_the_first_three_and_last_four_digits(value: str, masked: str) -> None:
    assert mask_phone(value) == masked


def test_id_numbers_show_only_their_first_and_last_character() -> None:
    assert mask_id_number("11010519491231002X") == "1" + "*" * 16 + "X"
    assert mask_id_number("AB") == "**"


def test_names_and_emails_keep_one_character() -> None:
    assert mask_name("王小明") == "王**"
    assert mask_name("  Alice Smith ") == "A****"
    assert mask_name("") == ""
    assert mask_email("zhou.li@jiejia.example") == "z***@jiejia.example"
