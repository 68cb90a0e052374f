"""Pure parsing of DKIM key records (RFC 6376 3.2, 3.6.1; RFC 8301; RFC 8463). No DNS here.

The tag-list parser is shared with ADSP (RFC 5617 4.2.1) and BIMI, which reuse DKIM's syntax.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any, Literal

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

KeyClass = Literal["invalid", "weak", "ok"]

# RFC 6376 3.2: tag-name = ALPHA *ALNUMPUNC (ALNUMPUNC = ALPHA / DIGIT / "_").
_TAG_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# RFC 6376 3.2: tag-value = [ tval *( 1*(WSP / FWS) tval ) ], VALCHAR = %x21-3A / %x3C-7E.
_TAG_VALUE_RE = re.compile(
    r"^[\x21-\x3a\x3c-\x7e]+(?:[ \t\r\n]+[\x21-\x3a\x3c-\x7e]+)*$"
)
_WSP = " \t\r\n"  # WSP and the CRLF of FWS (RFC 6376 2.8)
# A DNS key record is at most one DNS message (64 KiB); tag-lists of more tags than
# this are hostile. RFC 6376 defines 7 key tags; DMARC/BIMI a dozen.
MAX_TAGS = 64

# RFC 8301 3.2: verifiers MUST NOT accept RSA keys under 1024 bits; signers SHOULD use 2048.
RSA_MIN_BITS = 1024
RSA_GOOD_BITS = 2048
RSA_WIDELY_VERIFIED_BITS = (
    4096  # larger keys may not verify everywhere (docs/scanner-decisions.md 2.3)
)
ED25519_RAW_OCTETS = 32  # RFC 8463 4.2: p= is the raw 32-octet public key, not SPKI
KNOWN_KEY_TYPES = ("rsa", "ed25519")  # RFC 6376 3.6.1 k=, RFC 8463 3


class TagListError(ValueError):
    """The text is not a tag-list; ``reason`` is a short token for the result's errors."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class TagList:
    """Tags in order of appearance (names case-sensitive, RFC 6376 3.2) and soft problems."""

    tags: dict[str, str]
    warnings: tuple[str, ...] = ()

    @property
    def first(self) -> str | None:
        return next(iter(self.tags), None)


def parse_tag_list(text: str) -> TagList:
    """Parse ``tag=value; tag=value;`` (RFC 6376 3.2). Raises :class:`TagListError`.

    A tag appearing twice makes the whole list invalid (3.2). An empty element between two
    semicolons is outside the grammar; it is accepted with a warning, as lenient verifiers do.
    """
    if not text.isascii():
        raise TagListError("non_ascii")
    specs = text.split(";")
    if specs and not specs[-1].strip(_WSP):
        specs.pop()  # the optional trailing ";"
    if len(specs) > MAX_TAGS:
        raise TagListError("too_many_tags", str(len(specs)))
    tags: dict[str, str] = {}
    warnings: list[str] = []
    for spec in specs:
        if not spec.strip(_WSP):
            warnings.append("empty_tag_spec")
            continue
        name, equals, value = spec.partition("=")
        name, value = name.strip(_WSP), value.strip(_WSP)
        if not equals or not _TAG_NAME_RE.match(name):
            raise TagListError("bad_tag_spec", spec.strip(_WSP)[:40])
        if value and not _TAG_VALUE_RE.match(value):
            raise TagListError("bad_tag_value", name)
        if name in tags:
            raise TagListError("duplicate_tag", name)
        tags[name] = value
    return TagList(tags, tuple(dict.fromkeys(warnings)))


@dataclass(frozen=True)
class DkimKey:
    """One key record, as read. ``valid`` is False when the record must be discarded."""

    record: str
    valid: bool
    key_type: str | None = None
    key_bits: int | None = None
    key_class: KeyClass | None = None
    key_format: str | None = None  # "spki", "pkcs1" (RSA) or "raw" (Ed25519)
    revoked: bool = False
    testing: bool = False
    strict: bool = False  # t=s: i= must equal d= exactly (RFC 6376 3.6.1)
    hashes: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        """A verifier could use this key for e-mail: valid, not revoked, known type, >= 1024."""
        return (
            self.valid
            and not self.revoked
            and not self.errors
            and self.key_bits is not None
            and self.key_class != "invalid"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "key_type": self.key_type,
            "key_bits": self.key_bits,
            "testing": self.testing,
            "revoked": self.revoked,
            "key_class": self.key_class,
            "key_format": self.key_format,
            "strict": self.strict,
            "hashes": list(self.hashes),
            "valid": self.valid,
            "usable": self.usable,
        }


def parse_dkim_key(text: str) -> DkimKey:
    """Read a DKIM key record (RFC 6376 3.6.1). Never raises: problems go to ``errors``."""
    try:
        tag_list = parse_tag_list(text)
    except TagListError as error:
        return DkimKey(text, valid=False, errors=(error.reason,))
    tags = tag_list.tags
    discard = _discard_reason(tag_list)
    if discard:
        return DkimKey(text, valid=False, errors=(discard,))
    flags = _colon_list(tags.get("t", ""))
    hashes = _colon_list(tags.get("h", ""))
    services = _colon_list(tags.get("s", ""))
    published_type = tags.get("k", "rsa").lower()
    # RFC 6376 3.6.1: an unknown k= makes the key unusable; key_type names known types only.
    key_type = published_type if published_type in KNOWN_KEY_TYPES else None
    errors: list[str] = _hash_errors(hashes)
    warnings = list(tag_list.warnings)
    if services and not {"*", "email"} & set(services):
        errors.append(
            "service_not_email"
        )  # RFC 6376 3.6.1 s=: not for e-mail, ignore the key
    material = "".join(tags["p"].split())
    revoked = not material
    bits: int | None = None
    key_format: str | None = None
    if not revoked:
        bits, key_format, key_error = _key_size(published_type, material)
        if key_error:
            errors.append(key_error)
    if bits is not None and bits > RSA_WIDELY_VERIFIED_BITS and key_type == "rsa":
        warnings.append("rsa_over_4096")
    return DkimKey(
        record=text,
        valid=True,
        key_type=key_type,
        key_bits=bits,
        key_class=_key_class(key_type, bits),
        key_format=key_format,
        revoked=revoked,
        testing="y" in flags,
        strict="s" in flags,
        hashes=hashes,
        services=services,
        errors=tuple(errors),
        warnings=tuple(warnings),
    )


def _discard_reason(tag_list: TagList) -> str | None:
    """RFC 6376 3.6.1: v= if present must be first and "DKIM1"; p= is required."""
    tags = tag_list.tags
    if "v" in tags and tags["v"] != "DKIM1":
        return "bad_version"  # %x44.4B.49.4D.31: case-sensitive
    if "v" in tags and tag_list.first != "v":
        return "v_not_first"
    return None if "p" in tags else "missing_p"


def _colon_list(value: str) -> tuple[str, ...]:
    """``"y:s"`` -> ``("y", "s")``; ABNF literals are case-insensitive (RFC 5234 2.3)."""
    items = (item.strip(_WSP).lower() for item in value.split(":"))
    return tuple(item for item in items if item)


def _hash_errors(hashes: tuple[str, ...]) -> list[str]:
    """A key whose h= admits no usable hash can verify no signature: it is unusable.

    RFC 6376 3.6.1: unrecognised h= algorithms are ignored, and a signature whose hash is
    not listed is not verified with this key (6.1.2); RFC 8301 3.1: SHA-1 signatures MUST
    NOT be considered valid. So h=sha1 alone, or only unknown names, leaves nothing.
    """
    if not hashes or "sha256" in hashes:
        return []
    if "sha1" in hashes:
        return ["h_sha1_only"]
    return ["h_no_known_hash"]


def _key_size(
    key_type: str, material: str
) -> tuple[int | None, str | None, str | None]:
    """(bits, format, error) from the base64 ``p=`` value."""
    if key_type not in KNOWN_KEY_TYPES:
        return (
            None,
            None,
            "unknown_key_type",
        )  # RFC 6376 3.6.1: unknown k= -> key unusable
    try:
        der = base64.b64decode(material, validate=True)
    except (binascii.Error, ValueError):
        return None, None, "bad_base64"
    if key_type == "ed25519":
        return _ed25519_size(der)
    return _rsa_size(der)


def _ed25519_size(raw: bytes) -> tuple[int | None, str | None, str | None]:
    if len(raw) != ED25519_RAW_OCTETS:
        # A common mistake is publishing the 44-octet SubjectPublicKeyInfo instead.
        return None, None, "ed25519_not_raw_32_octets"
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        return None, None, "bad_ed25519_key"
    return 8 * ED25519_RAW_OCTETS, "raw", None


def _rsa_size(der: bytes) -> tuple[int | None, str | None, str | None]:
    """SubjectPublicKeyInfo first, then a bare PKCS#1 RSAPublicKey, as dkimpy does."""
    body = base64.encodebytes(der)
    for key_format, label in (("spki", b"PUBLIC KEY"), ("pkcs1", b"RSA PUBLIC KEY")):
        pem = (
            b"-----BEGIN "
            + label
            + b"-----\n"
            + body
            + b"-----END "
            + label
            + b"-----\n"
        )
        try:
            key = serialization.load_pem_public_key(pem)
        except (ValueError, UnsupportedAlgorithm):
            continue
        if not isinstance(key, rsa.RSAPublicKey):
            return (
                None,
                key_format,
                "key_type_mismatch",
            )  # e.g. an Ed25519 SPKI under k=rsa
        return key.key_size, key_format, None
    return None, None, "bad_rsa_key"


def _key_class(key_type: str | None, bits: int | None) -> KeyClass | None:
    if bits is None or key_type is None:
        return None
    if key_type == "ed25519":
        return "ok"
    if bits < RSA_MIN_BITS:
        return "invalid"
    return "weak" if bits < RSA_GOOD_BITS else "ok"


__all__ = [
    "DkimKey",
    "TagList",
    "TagListError",
    "parse_dkim_key",
    "parse_tag_list",
]
