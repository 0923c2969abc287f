"""The end-to-end format's known answers (docs/e2e-vectors.json), and how a failure case alters a vector."""

import json
from pathlib import Path

import pysecrets_e2e as e2e

VECTORS_PATH = Path(__file__).resolve().parents[2] / "docs" / "e2e-vectors.json"
VECTORS = json.loads(VECTORS_PATH.read_text())
B = e2e.b64decode


def pattern(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


def sealed_chunks(body: bytes) -> list[bytes]:
    step = e2e.SEALED_CHUNK_BYTES
    return [body[i : i + step] for i in range(0, len(body), step)] or [b""]


def flip(data: bytes, index: int) -> bytes:
    out = bytearray(data)
    out[index] ^= 0x01
    return bytes(out)


def seal_file_vector(vector: dict) -> tuple[bytes, bytes]:
    """Seal a file vector again with its fixed prefix: (body, sealed metadata)."""
    keys = e2e.derive_keys(vector["passphrase"], secret_id=vector["secret_id"])
    sealer = e2e.FileSealer(keys.content_key, secret_id=vector["secret_id"], prefix=B(vector["prefix"]))
    plain = pattern(vector["size"])
    # In uneven pieces, so that chunking cannot depend on how the input arrives.
    body = b"".join(sealer.update(plain[i : i + 100_003]) for i in range(0, len(plain), 100_003))
    last, meta = sealer.finalize(name=vector["name"], content_type=vector["type"])
    return body + last, meta


def open_file(passphrase: str, secret_id: str, meta: bytes, body: bytes, piece: int = 65_536):
    keys = e2e.derive_keys(passphrase, secret_id=secret_id)
    opener = e2e.FileOpener(keys.content_key, meta, secret_id=secret_id)
    out = [opener.feed(body[i : i + piece]) for i in range(0, len(body), piece)]
    out.append(opener.finish())
    return opener.metadata, b"".join(out)


def altered(case: dict) -> tuple[str, str, bytes, bytes | None]:
    """(passphrase, secret_id, text or body, metadata or None) after applying a failure case."""
    if "text" in case:
        vector = VECTORS["texts"][case["text"]]
        data, meta = B(vector["sealed"]), None
    else:
        vector = VECTORS["files"][case["file"]]
        data, meta = seal_file_vector(vector)
    passphrase = case.get("passphrase", vector["passphrase"])
    secret_id = case.get("secret_id", vector["secret_id"])
    if "flip" in case:
        data = flip(data, case["flip"])
    if "flip_metadata" in case:
        meta = flip(meta, case["flip_metadata"])
    if "truncate" in case:
        data = data[: case["truncate"]]
    if "swap" in case:
        chunks = sealed_chunks(data)
        i, j = case["swap"]
        chunks[i], chunks[j] = chunks[j], chunks[i]
        data = b"".join(chunks)
    if "append" in case:
        data += B(case["append"])
    if "metadata_of" in case:
        meta = seal_file_vector(VECTORS["files"][case["metadata_of"]])[1]
    if "body_of" in case:
        data = seal_file_vector(VECTORS["files"][case["body_of"]])[0]
    return passphrase, secret_id, data, meta
