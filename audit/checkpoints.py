"""Signed checkpoints of the audit chain, kept outside the database.

A checkpoint says "the chain had N events and its head hash was H at time T", signed with
Ed25519, in the style of a transparency log's checkpoint (C2SP tlog-checkpoint, signed-note):

    <origin>
    <N>
    <H, base64 of the 32 hash bytes>
    time <T, ISO 8601 UTC>

    — <key name> <base64 of key id (4 bytes) and signature (64 bytes)>

The signed text is everything before the blank line. Checkpoints are appended to one file,
AUDIT_CHECKPOINT_DIR/checkpoints, each followed by a blank line; nothing rewrites it. Someone
who can rewrite the database cannot make its chain agree with checkpoints they cannot sign.
"""

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.utils import timezone

from audit.chain import GENESIS_HASH, canonical_time

FILE_NAME = "checkpoints"
DASH = "\u2014"  # the em dash that opens a signature line of a signed note
ED25519 = b"\x01"  # the signature-type byte of an Ed25519 verifier key
# The last checkpoint is a few hundred bytes; this much of the file's end always holds it whole.
TAIL_BYTES = 4096


class CheckpointError(Exception):
    """A configuration problem: no key, no directory (exit code 2)."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    head_hash: str  # hex, as the chain stores it
    time: str

    def text(self) -> str:
        root = base64.b64encode(bytes.fromhex(self.head_hash)).decode("ascii")
        return f"{self.origin}\n{self.size}\n{root}\ntime {self.time}\n"


@dataclass(frozen=True)
class Signed:
    checkpoint: Checkpoint
    line: int  # where it starts in the file, for messages


def _key_id(name: str, public: Ed25519PublicKey) -> bytes:
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + raw).digest()[:4]


def verifier_key(name: str, public: Ed25519PublicKey) -> str:
    """Return the public key in signed-note form: name+keyid+base64(type byte, key)."""
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    encoded = base64.b64encode(ED25519 + raw).decode("ascii")
    return f"{name}+{_key_id(name, public).hex()}+{encoded}"


def parse_verifier_key(text: str) -> tuple[str, Ed25519PublicKey]:
    name, _, rest = text.strip().partition("+")
    key_id, _, encoded = rest.partition("+")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except binascii.Error as error:
        raise CheckpointError("AUDIT_CHECKPOINT_PUBLIC_KEY is not valid base64.") from error
    if not name or len(raw) != 33 or raw[:1] != ED25519:
        raise CheckpointError("AUDIT_CHECKPOINT_PUBLIC_KEY is not an Ed25519 verifier key.")
    public = Ed25519PublicKey.from_public_bytes(raw[1:])
    if _key_id(name, public).hex() != key_id:
        raise CheckpointError("AUDIT_CHECKPOINT_PUBLIC_KEY: its key id does not match the key.")
    return name, public


def signing_key() -> Ed25519PrivateKey:
    """The configured private key (32-byte seed, base64); in DEBUG one derived from SECRET_KEY."""
    if settings.AUDIT_CHECKPOINT_KEY:
        try:
            seed = base64.b64decode(settings.AUDIT_CHECKPOINT_KEY, validate=True)
        except binascii.Error as error:
            raise CheckpointError("AUDIT_CHECKPOINT_KEY is not valid base64.") from error
        if len(seed) != 32:
            raise CheckpointError("AUDIT_CHECKPOINT_KEY must be 32 bytes (base64-encoded).")
        return Ed25519PrivateKey.from_private_bytes(seed)
    if settings.DEBUG:
        seed = hashlib.sha256(b"govern audit checkpoint\n" + settings.SECRET_KEY.encode()).digest()
        return Ed25519PrivateKey.from_private_bytes(seed)
    raise CheckpointError(
        "Set AUDIT_CHECKPOINT_KEY (manage.py audit_checkpoint --new-key prints one)."
    )


def new_key() -> str:
    seed = os.urandom(32)
    return base64.b64encode(seed).decode("ascii")


def verifying_key() -> tuple[str, Ed25519PublicKey]:
    """The public key to check against: AUDIT_CHECKPOINT_PUBLIC_KEY, else the signing key's."""
    if settings.AUDIT_CHECKPOINT_PUBLIC_KEY:
        return parse_verifier_key(settings.AUDIT_CHECKPOINT_PUBLIC_KEY)
    return settings.AUDIT_CHECKPOINT_ORIGIN, signing_key().public_key()


def directory() -> Path:
    if not settings.AUDIT_CHECKPOINT_DIR:
        raise CheckpointError("Set AUDIT_CHECKPOINT_DIR to where checkpoints are kept.")
    return Path(settings.AUDIT_CHECKPOINT_DIR)


def sign(checkpoint: Checkpoint, key: Ed25519PrivateKey) -> str:
    """Return the checkpoint as a signed note."""
    text = checkpoint.text()
    name = checkpoint.origin
    signature = _key_id(name, key.public_key()) + key.sign(text.encode())
    return f"{text}\n{DASH} {name} {base64.b64encode(signature).decode('ascii')}\n"


def append(note: str, folder: Path) -> Path:
    """Append one note to the checkpoint file (created when absent), flushed to disk."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE_NAME
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(descriptor, (note + "\n").encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return path


def write(size: int, head_hash: str, folder: Path | None = None) -> Checkpoint:
    """Sign and append a checkpoint of a chain of `size` events ending at `head_hash`."""
    key, target = signing_key(), folder or directory()
    checkpoint = Checkpoint(
        settings.AUDIT_CHECKPOINT_ORIGIN, size, head_hash, canonical_time(timezone.now())
    )
    append(sign(checkpoint, key), target)
    return checkpoint


class BadCheckpoint(Exception):
    """A checkpoint that is malformed or not signed by the key: evidence of tampering."""


def _notes(text: str) -> Iterator[tuple[int, list[str], list[str]]]:
    """Yield (first line number, body lines, signature lines) of each note in the file."""
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        if not lines[index]:
            index += 1
            continue
        start = index
        while index < len(lines) and lines[index]:
            index += 1
        body = lines[start:index]
        index += 1
        signatures = []
        while index < len(lines) and lines[index]:
            signatures.append(lines[index])
            index += 1
        yield start + 1, body, signatures


def _checked(
    line: int, body: list[str], signatures: list[str], name: str, key: Ed25519PublicKey
) -> Checkpoint:
    if len(body) != 4 or not body[1].isdigit() or not body[3].startswith("time "):
        raise BadCheckpoint(f"checkpoint at line {line} is malformed")
    try:
        head = base64.b64decode(body[2], validate=True).hex()
        datetime.fromisoformat(body[3].removeprefix("time "))
    except (binascii.Error, ValueError) as error:
        raise BadCheckpoint(f"checkpoint at line {line} is malformed") from error
    text = "\n".join(body) + "\n"
    wanted = _key_id(name, key)
    for signature_line in signatures:
        if _signed_by(signature_line, name, wanted, key, text):
            return Checkpoint(body[0], int(body[1]), head, body[3].removeprefix("time "))
    raise BadCheckpoint(f"checkpoint at line {line} is not signed by the key {name}")


def _signed_by(line: str, name: str, key_id: bytes, key: Ed25519PublicKey, text: str) -> bool:
    dash, _, rest = line.partition(" ")
    signer, _, encoded = rest.partition(" ")
    if dash != DASH or signer != name:
        return False
    try:
        raw = base64.b64decode(encoded, validate=True)
        if raw[:4] != key_id:
            return False
        key.verify(raw[4:], text.encode())
    except (binascii.Error, InvalidSignature):
        return False
    return True


def read(folder: Path) -> list[Signed]:
    """Return every checkpoint in the folder's file, each signature verified."""
    path = folder / FILE_NAME
    if not path.is_file():
        raise CheckpointError(f"No checkpoint file {path}.")
    name, key = verifying_key()
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise BadCheckpoint(f"{path} is not UTF-8 text") from error
    return [
        Signed(_checked(line, body, signatures, name, key), line)
        for line, body, signatures in _notes(text)
    ]


def latest(folder: Path) -> Checkpoint | None:
    """Return the file's last checkpoint, its own signature verified, reading only the file's
    tail: a page can afford one signature, not a year of them (audit_verify reads them all).
    None when no checkpoint has been written."""
    path = folder / FILE_NAME
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        end = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, end - TAIL_BYTES))
        tail = handle.read().decode("utf-8", errors="replace")
    note = _last_note(tail)
    if note is None:
        return None
    name, key = verifying_key()
    return _checked(0, *note, name, key)


def _last_note(text: str) -> tuple[list[str], list[str]] | None:
    """Return (body lines, signature lines) of the text's last note, read from its end: the
    text may begin anywhere, even inside an earlier note."""
    lines = text.rstrip("\n").split("\n")
    signatures: list[str] = []
    while lines and lines[-1].startswith(DASH):
        signatures.insert(0, lines.pop())
    if not lines or lines.pop() != "":
        return ([], []) if text.strip() else None
    body: list[str] = []
    while lines and lines[-1]:
        body.insert(0, lines.pop())
    return body, signatures


@dataclass(frozen=True)
class Agreement:
    checked: int
    last: Checkpoint | None
    problem: str = ""


def agree(signed: list[Signed], count: int, hashes: dict[int, str]) -> Agreement:
    """Compare the checkpoints with an intact chain of `count` events whose hash at each
    checkpointed size is in `hashes` (size 0 is the genesis hash)."""
    previous: Signed | None = None
    for entry in signed:
        point = entry.checkpoint
        if previous is not None and point.size < previous.checkpoint.size:
            return Agreement(0, None, f"checkpoint at line {entry.line} goes backwards")
        if point.size > count:
            return Agreement(
                0,
                None,
                f"the chain was truncated: the checkpoint of {point.time} (line {entry.line}) "
                f"saw {point.size} events, the chain has {count}",
            )
        if (hashes.get(point.size) if point.size else GENESIS_HASH) != point.head_hash:
            return Agreement(
                0,
                None,
                f"the chain was rewritten: event {point.size} does not have the hash the "
                f"checkpoint of {point.time} (line {entry.line}) signed",
            )
        previous = entry
    return Agreement(len(signed), previous.checkpoint if previous else None)


def sizes(signed: Iterable[Signed]) -> set[int]:
    return {entry.checkpoint.size for entry in signed}
