"""
botocore's data files, read lean: a worker keeps what it parsed for as long as
it lives, and what is freed after parsing mostly stays in the process too.

Stock botocore parses every model into OrderedDicts with their documentation,
and reads the endpoint table of every AWS service (1.2 MB of JSON, about 7 MiB
once parsed) to build a client of any one of them. With it, the DynamoDB and
S3 clients cost a worker about 18 MiB; read this way, about 4. So:

- the endpoint table is read partition by partition and service by service:
  only the services this backend makes clients for are kept, and each other
  one is parsed alone and dropped at once, so the whole table never is;
- documentation strings are emptied before parsing (they serve ``help()``
  only; the keys stay, botocore reads some of them);
- objects are plain dicts, ordered as the file is (botocore needs nothing of
  OrderedDict but the order).

Nothing else changes: the file found is the one stock botocore would read
(same search path, so the built-in table still counts as built-in), and for
the services kept a client resolves endpoints, signs and (de)serializes as a
stock one does.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Callable
from json.decoder import scanstring

from botocore.loaders import JSONFileLoader, Loader, create_loader

# What this backend makes clients for; the endpoint table keeps these only.
SERVICES = frozenset({"dynamodb", "s3"})

# Inside a JSON string every '"' is escaped, so an unescaped '"documentation"'
# followed by ':' can only be a key; its string value is matched whole.
_DOCUMENTATION = re.compile(r'"documentation"\s*:\s*"(?:[^"\\]|\\.)*"')
_SPACE = re.compile(r"[ \t\n\r]*")
_decode_value = json.JSONDecoder().raw_decode  # plain dicts and lists
_DROPPED = object()

# A decoder of one JSON value at text[i]: (the value or _DROPPED, the index after it).
Decode = Callable[[str, int], tuple[object, int]]


def _skip_space(text: str, i: int) -> int:
    return _SPACE.match(text, i).end()


def _expect(text: str, i: int, char: str) -> None:
    if text[i : i + 1] != char:
        raise ValueError(f"expected {char!r} at character {i} of a botocore data file")


def _object(text: str, i: int, member: Callable[[str], Decode]) -> tuple[dict, int]:
    """The object at text[i], each member's value decoded by ``member(key)``; dropped ones left out."""
    _expect(text, i, "{")
    found = {}
    i = _skip_space(text, i + 1)
    if text[i : i + 1] == "}":
        return found, i + 1
    while True:
        _expect(text, i, '"')
        key, i = scanstring(text, i + 1)
        i = _skip_space(text, i)
        _expect(text, i, ":")
        value, i = member(key)(text, _skip_space(text, i + 1))
        if value is not _DROPPED:
            found[key] = value
        i = _skip_space(text, i)
        if text[i : i + 1] == "}":
            return found, i + 1
        _expect(text, i, ",")
        i = _skip_space(text, i + 1)


def _array(text: str, i: int, item: Decode) -> tuple[list, int]:
    """The array at text[i], each item decoded by ``item``."""
    _expect(text, i, "[")
    found = []
    i = _skip_space(text, i + 1)
    if text[i : i + 1] == "]":
        return found, i + 1
    while True:
        value, i = item(text, i)
        found.append(value)
        i = _skip_space(text, i)
        if text[i : i + 1] == "]":
            return found, i + 1
        _expect(text, i, ",")
        i = _skip_space(text, i + 1)


def _dropped(text: str, i: int) -> tuple[object, int]:
    return _DROPPED, _decode_value(text, i)[1]


def endpoint_table(text: str, services: frozenset[str] = SERVICES) -> dict:
    """
    botocore's endpoint table (``endpoints.json``) with only ``services`` in
    each partition's ``services``; everything else as it is in the file.
    """

    def partition_member(key: str) -> Decode:
        if key != "services":
            return _decode_value
        return lambda text, i: _object(text, i, lambda name: _decode_value if name in services else _dropped)

    def partition(text: str, i: int) -> tuple[dict, int]:
        return _object(text, i, partition_member)

    def top_member(key: str) -> Decode:
        return (lambda text, i: _array(text, i, partition)) if key == "partitions" else _decode_value

    table, end = _object(text, _skip_space(text, 0), top_member)
    if _skip_space(text, end) != len(text):
        raise ValueError("extra data after botocore's endpoint table")
    return table


def without_documentation(text: str) -> dict:
    """A botocore model (JSON text) parsed with every documentation string emptied."""
    return json.loads(_DOCUMENTATION.sub('"documentation":""', text))


class LeanFileLoader(JSONFileLoader):
    """Reads the files botocore's loader finds, as this module says."""

    # As botocore's own loader: ``name.json`` first, then ``name.json.gz``.
    OPENERS = ((".json", open), (".json.gz", gzip.open))

    def load_file(self, file_path: str):
        for extension, opener in self.OPENERS:
            try:
                with opener(file_path + extension, "rb") as file:
                    text = file.read().decode("utf-8")
            except (FileNotFoundError, IsADirectoryError):
                continue
            if os.path.basename(file_path) == "endpoints":
                return endpoint_table(text)
            return without_documentation(text)
        return None


def lean_loader(data_path: str | None) -> Loader:
    """botocore's loader for ``data_path`` (AWS_DATA_PATH), reading its files lean."""
    loader = create_loader(data_path)
    loader.file_loader = LeanFileLoader()
    return loader
