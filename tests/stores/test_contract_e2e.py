"""End-to-end secrets on every backend: their records and bodies keep the same contract as the others."""

import io

import pysecrets_e2e as fmt
import pytest

from sharing.domain.e2e import EndToEnd
from sharing.domain.lifecycle import Lifecycle, Policy, new_secret_id
from sharing.errors import SecretNotFound


@pytest.fixture
def end_to_end(record_store, blob_store):
    return EndToEnd(Lifecycle(records=record_store, blobs=blob_store, policy=Policy(max_failed_attempts=2)))


def test_a_text_keeps_every_field_and_its_views(end_to_end, record_store):
    secret_id, passphrase = new_secret_id(), fmt.new_passphrase()
    keys = fmt.derive_keys(passphrase, secret_id=secret_id)
    sealed = fmt.seal_text(keys.content_key, "on every backend", secret_id=secret_id)
    verifier = fmt.verifier(keys.proof, fmt.sealed_digest(sealed))
    end_to_end.create_text(secret_id=secret_id, sealed=sealed, verifier=verifier, view_count=2)
    record = record_store.get(secret_id, now=0)
    assert (record.kind, record.version, record.kdf_n) == ("e2e-text", 1, 0)
    assert (record.payload, record.wrapped_key, record.salt) == (sealed, verifier, fmt.sealed_digest(sealed))
    with pytest.raises(SecretNotFound):
        end_to_end.reveal(secret_id=secret_id, proof=bytes(32))
    assert record_store.get(secret_id, now=0).failed_attempts == 1
    first = end_to_end.reveal(secret_id=secret_id, proof=keys.proof)
    assert fmt.open_text(keys.content_key, first.sealed, secret_id=secret_id) == "on every backend"
    assert (first.views_left, end_to_end.reveal(secret_id=secret_id, proof=keys.proof).views_left) == (1, 0)
    with pytest.raises(SecretNotFound):
        end_to_end.reveal(secret_id=secret_id, proof=keys.proof)


def test_a_file_body_streams_back_and_goes_with_its_last_view(end_to_end, blob_store):
    secret_id, passphrase = new_secret_id(), fmt.new_passphrase()
    keys = fmt.derive_keys(passphrase, secret_id=secret_id)
    content = bytes(range(256)) * 4096  # 1 MiB: four chunks
    sealer = fmt.FileSealer(keys.content_key, secret_id=secret_id)
    body = sealer.update(content)
    last, meta = sealer.finalize(name="a.bin", content_type="")
    upload = end_to_end.begin_file(secret_id)
    for piece in io.BytesIO(body + last):
        upload.write(piece)
    end_to_end.create_file(
        upload=upload.finish(),
        sealed_metadata=meta,
        verifier=fmt.verifier(keys.proof, fmt.sealed_digest(meta)),
    )
    revealed = end_to_end.reveal(secret_id=secret_id, proof=keys.proof)
    try:
        received = b"".join(revealed.content)
    finally:
        revealed.content.close()
    opener = fmt.FileOpener(keys.content_key, revealed.sealed_metadata, secret_id=secret_id)
    assert opener.feed(received) + opener.finish() == content
    assert secret_id not in set(blob_store.list_ids(older_than=2**40))  # the bucket is shared
