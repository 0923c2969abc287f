"""
Writes docs/e2e-vectors.json: known answers for the end-to-end format.

    .venv/bin/python scripts/make_e2e_vectors.py > docs/e2e-vectors.json

Nonces and prefixes are fixed here so that every implementation must
reproduce the ciphertext byte for byte; tests/e2e checks the Python and the
JavaScript implementations against the file, never against this script.
"""

import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "cli"))

import pysecrets_e2e as e2e

SID = "HrVfOn1aoqKHeRKi"
OTHER_SID = "Zz9Zz9Zz9Zz9Zz9Z"
GENERATED = "iT95_B9p9PSMcP-hH9OGS81w9FZVTEpf"
OTHER_GENERATED = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
OWN = "correct horse battery staple"
# "Crème brûlée à Zürich" typed with combining accents (NFD): it must derive
# what the precomposed (NFC) spelling derives.
OWN_NFD = "Cre\u0300me bru\u0302le\u0301e a\u0300 Zu\u0308rich"
OWN_NFC = "Crème brûlée à Zürich"
OWN_EMOJI = "🔑 ключ — 鍵 — مفتاح"
B = e2e.b64encode


def pattern(size: int) -> bytes:
    """The plaintext of a file vector: byte i is i mod 251."""
    return bytes(i % 251 for i in range(size))


def keys_vector(passphrase: str, secret_id: str) -> dict:
    keys = e2e.derive_keys(passphrase, secret_id=secret_id)
    return {
        "passphrase": passphrase,
        "secret_id": secret_id,
        "kind": e2e.passphrase_kind(passphrase),
        "content_key": B(keys.content_key),
        "proof": B(keys.proof),
    }


def text_vector(passphrase: str, secret_id: str, text: str, nonce: bytes) -> dict:
    keys = e2e.derive_keys(passphrase, secret_id=secret_id)
    sealed = e2e.seal_text(keys.content_key, text, secret_id=secret_id, nonce=nonce)
    digest = e2e.sealed_digest(sealed)
    return {
        "passphrase": passphrase,
        "secret_id": secret_id,
        "text": text,
        "nonce": B(nonce),
        "sealed": B(sealed),
        "digest": B(digest),
        "verifier": B(e2e.verifier(keys.proof, digest)),
    }


def file_vector(passphrase: str, secret_id: str, size: int, name: str, content_type: str, prefix: bytes):
    keys = e2e.derive_keys(passphrase, secret_id=secret_id)
    sealer = e2e.FileSealer(keys.content_key, secret_id=secret_id, prefix=prefix)
    body = sealer.update(pattern(size))
    last, meta = sealer.finalize(name=name, content_type=content_type)
    body += last
    digest = e2e.sealed_digest(meta)
    vector = {
        "passphrase": passphrase,
        "secret_id": secret_id,
        "name": name,
        "type": content_type,
        "size": size,
        "prefix": B(prefix),
        "sealed_metadata": B(meta),
        "digest": B(digest),
        "verifier": B(e2e.verifier(keys.proof, digest)),
        "body_bytes": len(body),
        "body_sha256": B(hashlib.sha256(body).digest()),
    }
    if len(body) <= 256:
        vector["body"] = B(body)
    return vector


def main() -> None:
    chunk = e2e.CHUNK_BYTES
    vectors = {
        "format": "pysecrets-e2e",
        "version": e2e.VERSION,
        "notes": [
            "Binary fields are base64url without padding.",
            "A file's plaintext is pattern(size): byte i is i mod 251.",
            "Every text and file vector opens with its passphrase and secret_id, and seals back to "
            "the same bytes with the nonce or prefix given; every failure must fail to open.",
        ],
        "constants": {
            "pbkdf2_iterations": e2e.PBKDF2_ITERATIONS,
            "chunk_bytes": chunk,
            "min_own_passphrase": e2e.MIN_OWN_PASSPHRASE,
        },
        "kinds": [
            {"passphrase": GENERATED, "kind": "generated"},
            {"passphrase": OTHER_GENERATED, "kind": "generated"},
            {"passphrase": GENERATED[:31], "kind": "own"},
            {"passphrase": GENERATED + "A", "kind": "own"},
            {"passphrase": GENERATED[:31] + "=", "kind": "own"},
            {"passphrase": GENERATED[:31] + " ", "kind": "own"},
            {"passphrase": OWN, "kind": "own"},
        ],
        "keys": [
            keys_vector(GENERATED, SID),
            keys_vector(GENERATED, OTHER_SID),
            keys_vector(OTHER_GENERATED, SID),
            keys_vector(OWN, SID),
            keys_vector(OWN_NFD, SID),
            keys_vector(OWN_NFC, SID),
            keys_vector(OWN_EMOJI, OTHER_SID),
        ],
        "texts": [
            text_vector(GENERATED, SID, "super secret text", bytes(range(12))),
            text_vector(GENERATED, OTHER_SID, "", bytes(12)),
            text_vector(OWN, SID, "line one\nline two\n\ttabbed — ünïcödé 🔑", bytes(range(100, 112))),
        ],
        "files": [
            file_vector(GENERATED, SID, 0, "empty.txt", "text/plain", bytes(range(7))),
            file_vector(GENERATED, SID, 100, "report.pdf", "application/pdf", bytes(range(7, 14))),
            file_vector(OWN, SID, chunk, "exactly one chunk.bin", "", bytes(range(14, 21))),
            file_vector(
                GENERATED,
                OTHER_SID,
                chunk + 1,
                "naïve 🔑 name.tar.gz",
                "application/gzip",
                bytes(range(21, 28)),
            ),
            file_vector(GENERATED, SID, 2 * chunk + 1000, "three.bin", "application/octet-stream", bytes(7)),
        ],
        # Each must fail to open. "text" or "file" names a vector by index; the
        # rest says how to alter what it holds before opening.
        "failures": [
            {"text": 0, "case": "wrong passphrase", "passphrase": OTHER_GENERATED},
            {"text": 0, "case": "another secret's id", "secret_id": OTHER_SID},
            {"text": 0, "case": "a flipped ciphertext bit", "flip": 20},
            {"text": 0, "case": "a flipped nonce bit", "flip": 0},
            {"text": 0, "case": "a flipped tag bit", "flip": -1},
            {"text": 0, "case": "truncated", "truncate": 11},
            {"file": 1, "case": "wrong passphrase", "passphrase": OTHER_GENERATED},
            {"file": 1, "case": "another secret's id", "secret_id": OTHER_SID},
            {"file": 1, "case": "a flipped metadata bit", "flip_metadata": 15},
            {"file": 1, "case": "a flipped body bit", "flip": 3},
            {"file": 0, "case": "the empty last chunk dropped", "truncate": 0},
            {"file": 4, "case": "the last chunk dropped", "truncate": 2 * (chunk + 16)},
            {"file": 4, "case": "cut inside a chunk", "truncate": chunk + 16 + 100},
            {"file": 4, "case": "the first two chunks swapped", "swap": [0, 1]},
            {"file": 2, "case": "an empty chunk appended", "append": B(b"\0" * 16)},
            {"file": 1, "case": "the metadata of another file", "metadata_of": 0},
            {"file": 1, "case": "the body of another file", "body_of": 0},
        ],
    }
    json.dump(vectors, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
