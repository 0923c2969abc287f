"""
A quiet day tells nothing about one secret: per-day counts under 5 read
"fewer than 5", and sizes are rounded, on the page and in its JSON alike.
"""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat

from ops.report import shown_bytes, shown_count

FILE_BYTES = 1_234_567


@pytest.mark.parametrize(("n", "shown"), [(0, 0), (1, "fewer than 5"), (4, "fewer than 5"), (5, 5), (37, 37)])
def test_small_counts_read_fewer_than_5(n, shown):
    assert shown_count(n) == shown


@pytest.mark.parametrize(
    ("n", "shown"),
    [
        (0, 0),
        (12_345, 0),
        (499_999, 0),
        (500_001, 1_000_000),
        (1_234_567, 1_000_000),
        (-1_234_567, -1_000_000),
        (987_654_321, 990_000_000),
    ],
)
def test_sizes_keep_two_figures_and_never_finer_than_a_megabyte(n, shown):
    assert shown_bytes(n) == shown


@pytest.fixture
def one_quiet_day(api, post_json, isolated_stores):
    """One file and one text made and opened: what a quiet day must not give away."""
    upload = SimpleUploadedFile("a.bin", b"q" * FILE_BYTES, "application/octet-stream")
    file = api.post("/api/files/", {"file": upload}).json()
    b"".join(post_json(f"/api/secrets/{file['secret_id']}/reveal/", {"passphrase": file["passphrase"]}))
    text = post_json("/api/text/", {"secret": "t", "view_count": 2}).json()
    post_json(f"/api/secrets/{text['secret_id']}/reveal/", {"passphrase": text["passphrase"]})
    upload = SimpleUploadedFile("b.bin", b"k" * FILE_BYTES, "application/octet-stream")
    assert api.post("/api/files/", {"file": upload}).status_code == 201
    return sum(p.stat().st_size for p in (isolated_stores / "blobs").iterdir())


def test_the_json_shows_a_quiet_day_only_roughly(staff, one_quiet_day):
    usage = staff.get("/admin/ops/usage.json").json()
    today = usage["days"][-1]
    for name in ("created_text", "created_file", "views", "used_up"):
        assert today[name] == "fewer than 5", name
    assert today["burned"] == 0
    numbers = {int(n) for n in re.findall(r"-?\d+", json.dumps(usage["days"]) + json.dumps(usage["totals"]))}
    assert one_quiet_day not in numbers and one_quiet_day > 0
    assert usage["totals"]["stored_bytes"] == today["stored_bytes_at_end"] == 1_000_000


def test_the_page_shows_a_quiet_day_only_roughly(staff, one_quiet_day):
    html = staff.get("/admin/ops/").content.decode()
    cells = re.findall(r'<td class="num">([^<]*)</td>', html)
    assert cells.count("fewer than 5") >= 4
    assert "1 texts" not in html and "1 files" not in html
    assert str(one_quiet_day) not in html
    assert filesizeformat(one_quiet_day) not in html
