"""The signatures and ciphers the gateways document: SHA256withRSA (RSA PKCS#1 v1.5 over
SHA-256, base64), AEAD_AES_256_GCM, and HMAC-SHA256. Keys come as PEM text (settings) or are
generated (the stand-ins, the tests)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class BadSignature(Exception):
    """A signature, tag or key that does not check out."""


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> str:
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_private(pem: str) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise BadSignature("the private key is not a PEM RSA key") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise BadSignature("the private key is not an RSA key")
    return key


def load_public(pem: str) -> rsa.RSAPublicKey:
    """A public key from PEM: ``PUBLIC KEY`` or an X.509 certificate (WeChat's platform
    certificates)."""
    from cryptography import x509

    key: object
    try:
        if "BEGIN CERTIFICATE" in pem:
            key = x509.load_pem_x509_certificate(pem.encode()).public_key()
        else:
            key = serialization.load_pem_public_key(pem.encode())
    except ValueError as exc:
        raise BadSignature("the public key is not PEM") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise BadSignature("the public key is not an RSA key")
    return key


def rsa_sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    """SHA256withRSA, base64 (WeChat Pay v3, Alipay RSA2)."""
    signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def rsa_verify(key: rsa.RSAPublicKey, message: bytes, signature_b64: str) -> None:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError) as exc:
        raise BadSignature("the signature does not match") from exc


def aes_gcm_encrypt(key: bytes, nonce: bytes, plaintext: bytes, associated_data: bytes) -> str:
    """AEAD_AES_256_GCM: base64 of ciphertext || 16-byte tag."""
    return base64.b64encode(AESGCM(key).encrypt(nonce, plaintext, associated_data)).decode()


def aes_gcm_decrypt(key: bytes, nonce: bytes, ciphertext_b64: str, associated_data: bytes) -> bytes:
    if len(key) != 32:
        raise BadSignature("the APIv3 key must be 32 bytes")
    try:
        return AESGCM(key).decrypt(nonce, base64.b64decode(ciphertext_b64), associated_data)
    except (InvalidTag, ValueError) as exc:
        raise BadSignature("the resource does not decrypt") from exc


def hmac_hex(secret: bytes, message: bytes) -> str:
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def hmac_equal(expected_hex: str, given_hex: str) -> bool:
    return hmac.compare_digest(expected_hex.encode(), given_hex.encode())
