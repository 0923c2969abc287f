// The end-to-end format, version 1, with WebCrypto only: the page encrypts,
// the server never can. Specified in docs/e2e-format.md and pinned by
// docs/e2e-vectors.json, which cli/pysecrets_e2e.py passes too; the same
// module runs under Node's WebCrypto in the test suite.
//
//   salt        = "pysecrets-e2e/v1/" + secretId
//   material    = utf8(passphrase)                                           generated kind
//               = PBKDF2-HMAC-SHA256(utf8(NFC(passphrase)), salt, 600000)    own kind
//   content key = HKDF-SHA256(material, salt, info "pysecrets-e2e/v1/content")
//   proof       = HKDF-SHA256(material, salt, info "pysecrets-e2e/v1/proof")
//   verifier    = SHA-256("pysecrets-e2e/v1/verifier" || proof || SHA-256(sealed))

export const VERSION = 1;
const LABEL = `pysecrets-e2e/v${VERSION}`;
export const PBKDF2_ITERATIONS = 600000; // OWASP's figure for PBKDF2-HMAC-SHA256
export const MIN_OWN_PASSPHRASE = 12;
export const CHUNK_BYTES = 256 * 1024;
const TAG_BYTES = 16;
const NONCE_BYTES = 12;
const PREFIX_BYTES = 7;
export const SEALED_CHUNK_BYTES = CHUNK_BYTES + TAG_BYTES;
const META_INDEX = 0xffffffff; // reserved for the metadata, so chunks stop one short of it
const CHUNK = 0;
const LAST = 1;
const META = 2;
const GENERATED_FORM = /^[A-Za-z0-9_-]{32}$/;
const SECRET_ID_FORM = /^[A-Za-z0-9]{16}$/;

const subtle = globalThis.crypto.subtle;
const utf8 = new TextEncoder();

/** Authentication failed: wrong passphrase, or data altered, truncated, reordered or moved. */
export class DecryptionFailed extends Error {
  constructor() {
    super("The secret could not be decrypted: the passphrase is wrong or the data was altered.");
    this.name = "DecryptionFailed";
  }
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** base64url without padding: how every binary field travels in JSON, headers and links. */
export function b64encode(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let j = 0; j < chars; j += 1) out += B64[(n >> (18 - 6 * j)) & 63];
  }
  return out;
}

export function b64decode(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new TypeError("not base64url");
  }
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let bits = 0;
  let value = 0;
  let o = 0;
  for (const c of text) {
    value = (value << 6) | B64.indexOf(c);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (value >> bits) & 255;
    }
  }
  return out;
}

/** One Uint8Array holding the given ones in order. */
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A generated passphrase: 192 bits from the CSPRNG, safe in a shell and a URL. */
export function newPassphrase() {
  return b64encode(globalThis.crypto.getRandomValues(new Uint8Array(24)));
}

/** "generated" or "own", from the passphrase alone (an own one of the generated form is refused). */
export function passphraseKind(passphrase) {
  return GENERATED_FORM.test(passphrase) ? "generated" : "own";
}

/**
 * Why a person's passphrase cannot be used, or null if it can: "too_short"
 * (under MIN_OWN_PASSPHRASE characters), or "generated_form" (the form of
 * generated passphrases, which would be derived as one). The page words it.
 */
export function ownPassphraseProblem(passphrase) {
  if ([...passphrase].length < MIN_OWN_PASSPHRASE) return "too_short";
  if (passphraseKind(passphrase) === "generated") return "generated_form";
  return null;
}

function checkSecretId(secretId) {
  if (!SECRET_ID_FORM.test(secretId)) throw new TypeError("a secret id is 16 letters and digits");
}

const label = (purpose) => utf8.encode(`${LABEL}/${purpose}`);
const aad = (secretId, purpose) => utf8.encode(`${LABEL}/${purpose}/${secretId}`);

async function hkdf(material, salt, purpose) {
  const key = await subtle.importKey("raw", material, "HKDF", false, ["deriveBits"]);
  const bits = await subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt, info: label(purpose) },
    key,
    256,
  );
  return new Uint8Array(bits);
}

/**
 * The content key (a non-extractable AES-GCM CryptoKey) and the proof (bytes)
 * that `passphrase` gives for `secretId`. `iterations` is fixed by the format;
 * only the test vectors pass another.
 */
export async function deriveKeys(passphrase, secretId, { iterations = PBKDF2_ITERATIONS } = {}) {
  checkSecretId(secretId);
  const salt = label(secretId);
  let material;
  if (passphraseKind(passphrase) === "generated") {
    material = utf8.encode(passphrase);
  } else {
    const base = await subtle.importKey("raw", utf8.encode(passphrase.normalize("NFC")), "PBKDF2", false, [
      "deriveBits",
    ]);
    const bits = await subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, base, 256);
    material = new Uint8Array(bits);
  }
  const raw = await hkdf(material, salt, "content");
  const contentKey = await subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  raw.fill(0);
  return { contentKey, proof: await hkdf(material, salt, "proof") };
}

/** SHA-256 of the record's ciphertext (the text, or a file's metadata). */
export async function sealedDigest(sealed) {
  return new Uint8Array(await subtle.digest("SHA-256", sealed));
}

/** What the server stores in place of the proof: it binds the proof to the ciphertext's digest. */
export async function verifier(proof, digest) {
  return new Uint8Array(await subtle.digest("SHA-256", concat(label("verifier"), proof, digest)));
}

async function gcmOpen(key, iv, data, additionalData) {
  try {
    return new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv, additionalData }, key, data));
  } catch {
    throw new DecryptionFailed();
  }
}

async function gcmSeal(key, iv, data, additionalData) {
  return new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv, additionalData }, key, data));
}

/** nonce || AES-256-GCM(text as UTF-8); the nonce is random unless a test vector fixes it. */
export async function sealText(contentKey, text, secretId, { nonce } = {}) {
  const iv = nonce ?? globalThis.crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  return concat(iv, await gcmSeal(contentKey, iv, utf8.encode(text), aad(secretId, "text")));
}

export async function openText(contentKey, sealed, secretId) {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new DecryptionFailed();
  const plain = await gcmOpen(
    contentKey,
    sealed.subarray(0, NONCE_BYTES),
    sealed.subarray(NONCE_BYTES),
    aad(secretId, "text"),
  );
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(plain);
  } catch {
    throw new DecryptionFailed();
  }
}

function nonce(prefix, index, flag) {
  const out = new Uint8Array(NONCE_BYTES);
  out.set(prefix);
  new DataView(out.buffer).setUint32(PREFIX_BYTES, index);
  out[NONCE_BYTES - 1] = flag;
  return out;
}

/**
 * Seals a file chunk by chunk: `chunk(plain, last)` for each 256 KiB piece in
 * order (only the last may be shorter, and an empty file is one empty last
 * chunk), then `metadata(name, type, size)`.
 */
export class FileSealer {
  constructor(contentKey, secretId, { prefix } = {}) {
    this.key = contentKey;
    this.secretId = secretId;
    this.aad = aad(secretId, "chunk");
    this.prefix = prefix ?? globalThis.crypto.getRandomValues(new Uint8Array(PREFIX_BYTES));
    this.index = 0;
  }

  async chunk(plain, last) {
    if (this.index >= META_INDEX) throw new RangeError("file too large for one stream");
    const iv = nonce(this.prefix, this.index, last ? LAST : CHUNK);
    this.index += 1;
    return gcmSeal(this.key, iv, plain, this.aad);
  }

  async metadata(name, type, size) {
    const iv = nonce(this.prefix, META_INDEX, META);
    const plain = utf8.encode(JSON.stringify({ name, type, size }));
    return concat(iv, await gcmSeal(this.key, iv, plain, aad(this.secretId, "meta")));
  }
}

/**
 * Seals a Blob (a File) without holding it: each chunk is read, sealed and
 * handed on, so the page's memory stays at a chunk or two whatever the size.
 * Returns the body as a Blob (the browser keeps large ones out of the JS heap)
 * and the sealed metadata.
 */
export async function sealBlob(contentKey, secretId, blob, { name, type, onProgress } = {}) {
  const sealer = new FileSealer(contentKey, secretId);
  const parts = [];
  let offset = 0;
  do {
    const end = Math.min(offset + CHUNK_BYTES, blob.size);
    const plain = new Uint8Array(await blob.slice(offset, end).arrayBuffer());
    parts.push(await sealer.chunk(plain, end === blob.size));
    offset = end;
    onProgress?.(offset, blob.size);
  } while (offset < blob.size);
  const sealedMeta = await sealer.metadata(name ?? blob.name, type ?? blob.type ?? "", blob.size);
  return { body: new Blob(parts, { type: "application/octet-stream" }), sealedMeta };
}

/**
 * Opens what FileSealer made, as the body arrives: `open()` checks the
 * metadata, then `feed(bytes)` returns the plaintext ready and `finish()` the
 * last chunk. The last-chunk flag is implied by where the body ends, so a body
 * cut short, or with chunks dropped, reordered or moved from another file,
 * throws DecryptionFailed, as does one whose length disagrees with the metadata.
 */
export class FileOpener {
  static async open(contentKey, sealedMeta, secretId) {
    if (sealedMeta.length < NONCE_BYTES + TAG_BYTES) throw new DecryptionFailed();
    const iv = sealedMeta.subarray(0, NONCE_BYTES);
    const prefix = iv.slice(0, PREFIX_BYTES);
    const expected = nonce(prefix, META_INDEX, META);
    if (!expected.every((b, i) => b === iv[i])) throw new DecryptionFailed();
    const plain = await gcmOpen(contentKey, iv, sealedMeta.subarray(NONCE_BYTES), aad(secretId, "meta"));
    let meta;
    try {
      meta = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(plain));
    } catch {
      throw new DecryptionFailed();
    }
    if (typeof meta?.name !== "string" || typeof meta.type !== "string" || !Number.isSafeInteger(meta.size)) {
      throw new DecryptionFailed();
    }
    return new FileOpener(contentKey, secretId, prefix, meta);
  }

  constructor(contentKey, secretId, prefix, metadata) {
    this.key = contentKey;
    this.aad = aad(secretId, "chunk");
    this.prefix = prefix;
    this.metadata = metadata;
    this.pending = new Uint8Array(0);
    this.index = 0;
    this.opened = 0;
  }

  async openChunk(sealed, flag) {
    const plain = await gcmOpen(this.key, nonce(this.prefix, this.index, flag), sealed, this.aad);
    this.index += 1;
    this.opened += plain.length;
    if (this.opened > this.metadata.size) throw new DecryptionFailed();
    return plain;
  }

  /** Returns the plaintext chunks that `bytes` completed (a chunk is opened once data follows it). */
  async feed(bytes) {
    this.pending = concat(this.pending, bytes);
    const out = [];
    while (this.pending.length > SEALED_CHUNK_BYTES) {
      out.push(await this.openChunk(this.pending.subarray(0, SEALED_CHUNK_BYTES), CHUNK));
      this.pending = this.pending.slice(SEALED_CHUNK_BYTES);
    }
    return out;
  }

  /** Opens the last chunk; the file is whole only if this returns. */
  async finish() {
    const last = await this.openChunk(this.pending, LAST);
    this.pending = new Uint8Array(0);
    if (this.opened !== this.metadata.size) throw new DecryptionFailed();
    return last;
  }
}

// Plaintext is handed to the browser's blob storage in batches of this size,
// so the page's own memory stays small whatever the file's size.
const BATCH_BYTES = 8 * 1024 * 1024;

/**
 * Opens a sealed body as it streams in (a ReadableStream of bytes, such as a
 * fetch response's body) into a Blob, chunk by chunk; `onProgress(received,
 * total)` counts sealed bytes. Returns the Blob and the metadata, only once the
 * whole body proved genuine; anything else throws DecryptionFailed.
 */
export async function openToBlob(contentKey, sealedMeta, secretId, stream, { onProgress, total = 0 } = {}) {
  const opener = await FileOpener.open(contentKey, sealedMeta, secretId);
  const parts = [];
  let batch = [];
  let batchBytes = 0;
  const keep = (pieces, flush = false) => {
    for (const piece of pieces) {
      batch.push(piece);
      batchBytes += piece.length;
    }
    if (flush || batchBytes >= BATCH_BYTES) {
      parts.push(new Blob(batch));
      batch = [];
      batchBytes = 0;
    }
  };
  const reader = stream.getReader();
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.length;
    keep(await opener.feed(value));
    onProgress?.(received, total);
  }
  keep([await opener.finish()], true);
  return { blob: new Blob(parts, { type: "application/octet-stream" }), metadata: opener.metadata };
}
