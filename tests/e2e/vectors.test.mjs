// The browser's implementation of the end-to-end format (frontend/static/e2e.js)
// against docs/e2e-vectors.json, under Node's WebCrypto: run by
// tests/e2e/test_javascript.py with `node --test`.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import * as e2e from "../../frontend/static/e2e.js";

const V = JSON.parse(readFileSync(new URL("../../docs/e2e-vectors.json", import.meta.url), "utf8"));
const B = e2e.b64decode;
const sha256 = (bytes) => new Uint8Array(createHash("sha256").update(bytes).digest());

function pattern(size) {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 1) out[i] = i % 251;
  return out;
}

function flip(bytes, index) {
  const out = bytes.slice();
  out[index < 0 ? out.length + index : index] ^= 1;
  return out;
}

async function sealFile(vector) {
  const { contentKey } = await e2e.deriveKeys(vector.passphrase, vector.secret_id);
  const sealer = new e2e.FileSealer(contentKey, vector.secret_id, { prefix: B(vector.prefix) });
  const plain = pattern(vector.size);
  const parts = [];
  let offset = 0;
  do {
    const end = Math.min(offset + e2e.CHUNK_BYTES, plain.length);
    parts.push(await sealer.chunk(plain.subarray(offset, end), end === plain.length));
    offset = end;
  } while (offset < plain.length);
  return { body: e2e.concat(...parts), meta: await sealer.metadata(vector.name, vector.type, vector.size) };
}

async function openFile(passphrase, secretId, meta, body, piece = 65536) {
  const { contentKey } = await e2e.deriveKeys(passphrase, secretId);
  const opener = await e2e.FileOpener.open(contentKey, meta, secretId);
  const out = [];
  for (let i = 0; i < body.length; i += piece) out.push(...(await opener.feed(body.subarray(i, i + piece))));
  out.push(await opener.finish());
  return { metadata: opener.metadata, plain: e2e.concat(...out) };
}

test("the kind is decided by the passphrase alone", () => {
  for (const { passphrase, kind } of V.kinds) assert.equal(e2e.passphraseKind(passphrase), kind, passphrase);
  for (let i = 0; i < 50; i += 1) assert.equal(e2e.passphraseKind(e2e.newPassphrase()), "generated");
  assert.equal(e2e.ownPassphraseProblem("short"), "too_short");
  assert.equal(e2e.ownPassphraseProblem("ünïcödé 1234"), null);
  assert.equal(e2e.ownPassphraseProblem(e2e.newPassphrase()), "generated_form");
  assert.equal(e2e.ownPassphraseProblem("correct horse battery staple"), null);
});

test("the constants are the format's", () => {
  assert.equal(e2e.PBKDF2_ITERATIONS, V.constants.pbkdf2_iterations);
  assert.equal(e2e.CHUNK_BYTES, V.constants.chunk_bytes);
  assert.equal(e2e.MIN_OWN_PASSPHRASE, V.constants.min_own_passphrase);
});

test("keys: proofs match, and content keys are not extractable", async () => {
  for (const v of V.keys) {
    const keys = await e2e.deriveKeys(v.passphrase, v.secret_id);
    assert.equal(e2e.b64encode(keys.proof), v.proof, `${v.kind} ${v.secret_id}`);
    assert.equal(keys.contentKey.extractable, false);
    assert.deepEqual(keys.contentKey.algorithm, { name: "AES-GCM", length: 256 });
  }
});

test("texts seal to the known bytes and open", async () => {
  for (const v of V.texts) {
    const { contentKey, proof } = await e2e.deriveKeys(v.passphrase, v.secret_id);
    const sealed = await e2e.sealText(contentKey, v.text, v.secret_id, { nonce: B(v.nonce) });
    assert.equal(e2e.b64encode(sealed), v.sealed);
    assert.equal(await e2e.openText(contentKey, sealed, v.secret_id), v.text);
    const digest = await e2e.sealedDigest(sealed);
    assert.equal(e2e.b64encode(digest), v.digest);
    assert.equal(e2e.b64encode(await e2e.verifier(proof, digest)), v.verifier);
  }
});

test("files seal to the known bytes and open", async () => {
  for (const v of V.files) {
    const { body, meta } = await sealFile(v);
    assert.equal(e2e.b64encode(meta), v.sealed_metadata, v.name);
    assert.equal(body.length, v.body_bytes);
    assert.equal(e2e.b64encode(sha256(body)), v.body_sha256);
    if (v.body) assert.equal(e2e.b64encode(body), v.body);
    const { proof } = await e2e.deriveKeys(v.passphrase, v.secret_id);
    assert.equal(e2e.b64encode(await e2e.verifier(proof, await e2e.sealedDigest(meta))), v.verifier);
    for (const piece of [1000, 65536, 300000]) {
      const { metadata, plain } = await openFile(v.passphrase, v.secret_id, meta, body, piece);
      assert.deepEqual(metadata, { name: v.name, type: v.type, size: v.size });
      assert.deepEqual(plain, pattern(v.size));
    }
  }
});

test("sealBlob seals a Blob as the vectors say", async () => {
  const v = V.files.at(-1);
  const { contentKey } = await e2e.deriveKeys(v.passphrase, v.secret_id);
  const progress = [];
  const { body, sealedMeta } = await e2e.sealBlob(contentKey, v.secret_id, new Blob([pattern(v.size)]), {
    name: v.name,
    type: v.type,
    onProgress: (done) => progress.push(done),
  });
  assert.equal(body.size, v.body_bytes);
  assert.deepEqual(progress, [e2e.CHUNK_BYTES, 2 * e2e.CHUNK_BYTES, v.size]);
  const bytes = new Uint8Array(await body.arrayBuffer());
  const { plain } = await openFile(v.passphrase, v.secret_id, sealedMeta, bytes);
  assert.deepEqual(plain, pattern(v.size));
});

test("openToBlob opens a streamed body into a Blob, and refuses an altered one", async () => {
  const v = V.files.at(-1);
  const { contentKey } = await e2e.deriveKeys(v.passphrase, v.secret_id);
  const { body, meta } = await sealFile(v);
  const seen = [];
  const { blob, metadata } = await e2e.openToBlob(contentKey, meta, v.secret_id, new Blob([body]).stream(), {
    onProgress: (received) => seen.push(received),
    total: body.length,
  });
  assert.deepEqual(new Uint8Array(await blob.arrayBuffer()), pattern(v.size));
  assert.equal(metadata.name, v.name);
  assert.equal(seen.at(-1), body.length);
  const cut = new Blob([body.subarray(0, body.length - 1)]).stream();
  await assert.rejects(e2e.openToBlob(contentKey, meta, v.secret_id, cut), e2e.DecryptionFailed);
});

function altered(c) {
  return (async () => {
    const text = "text" in c;
    const v = text ? V.texts[c.text] : V.files[c.file];
    let data;
    let meta = null;
    if (text) data = B(v.sealed);
    else ({ body: data, meta } = await sealFile(v));
    if ("flip" in c) data = flip(data, c.flip);
    if ("flip_metadata" in c) meta = flip(meta, c.flip_metadata);
    if ("truncate" in c) data = data.slice(0, c.truncate);
    if ("swap" in c) {
      const step = e2e.SEALED_CHUNK_BYTES;
      const chunks = [];
      for (let i = 0; i < data.length; i += step) chunks.push(data.slice(i, i + step));
      const [i, j] = c.swap;
      [chunks[i], chunks[j]] = [chunks[j], chunks[i]];
      data = e2e.concat(...chunks);
    }
    if ("append" in c) data = e2e.concat(data, B(c.append));
    if ("metadata_of" in c) ({ meta } = await sealFile(V.files[c.metadata_of]));
    if ("body_of" in c) ({ body: data } = await sealFile(V.files[c.body_of]));
    return { passphrase: c.passphrase ?? v.passphrase, secretId: c.secret_id ?? v.secret_id, data, meta };
  })();
}

test("every failure case fails to open", async () => {
  assert.ok(V.failures.length >= 10);
  for (const c of V.failures) {
    const { passphrase, secretId, data, meta } = await altered(c);
    const attempt =
      meta === null
        ? e2e.deriveKeys(passphrase, secretId).then(({ contentKey }) => e2e.openText(contentKey, data, secretId))
        : openFile(passphrase, secretId, meta, data);
    await assert.rejects(attempt, e2e.DecryptionFailed, c.case);
  }
});

test("base64url round-trips and refuses what is not base64url", () => {
  const all = new Uint8Array(256).map((_, i) => i);
  for (let n = 0; n <= 5; n += 1) assert.deepEqual(B(e2e.b64encode(all.subarray(0, n))), all.subarray(0, n));
  assert.equal(e2e.b64encode(all), Buffer.from(all).toString("base64url"));
  for (const bad of ["a", "ab=", "a+b/", "é", "abcde"]) assert.throws(() => B(bad), TypeError);
});
