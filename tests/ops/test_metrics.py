"""/metrics: aggregates only, closed to the public, summed over every gunicorn worker."""

import concurrent.futures
import os
import re
import signal
import time

import pytest
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from sharing import metrics
from sharing.errors import StorageUnavailable
from sharing.stores.base import RecordExists, RecordStore
from tests.support.http import send
from tests.support.server import GunicornServer

TOKEN = "scrape-token-for-tests"
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def samples(text: str) -> dict:
    """{(name, sorted labels): value} of an exposition."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(text: str, name: str, **labels) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def scrape(settings, api):
    settings.METRICS_TOKEN = TOKEN

    def get() -> str:
        response = api.get("/metrics", **AUTH)
        assert response.status_code == 200
        return response.content.decode()

    return get


def test_metrics_are_off_without_a_token(settings, api):
    settings.METRICS_TOKEN = ""
    assert api.get("/metrics").status_code == 404
    assert api.get("/metrics", **AUTH).status_code == 404


def test_a_scraper_needs_the_bearer_token(settings, api):
    settings.METRICS_TOKEN = TOKEN
    assert api.get("/metrics").status_code == 401
    assert api.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert api.get("/metrics", HTTP_AUTHORIZATION=TOKEN).status_code == 401
    response = api.get("/metrics", **AUTH)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_requests_are_counted_by_route_and_status_never_by_path(scrape, post_json):
    before = scrape()
    created = post_json("/api/text/", {"secret": "metrics canary text", "view_count": 2}).json()
    secret_id, passphrase = created["secret_id"], created["passphrase"]
    assert post_json(f"/api/secrets/{secret_id}/reveal/", {"passphrase": passphrase}).status_code == 200
    assert (
        post_json(f"/api/secrets/{secret_id}/reveal/", {"passphrase": "wrong wrong wrong"}).status_code == 404
    )
    after = scrape()

    def delta(route, status):
        labels = {"route": route, "method": "POST", "status": status}
        name = "pysecrets_http_requests_total"
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("/api/text/", "201") == 1
    assert delta("/api/secrets/<secret_id>/reveal/", "200") == 1
    assert delta("/api/secrets/<secret_id>/reveal/", "404") == 1
    histogram = "pysecrets_http_request_duration_seconds_count"
    assert value(after, histogram, route="/api/text/", method="POST") >= 1
    for kept_out in (secret_id, passphrase, "metrics canary text"):
        assert kept_out not in after


def test_store_calls_are_timed_by_backend_and_call(scrape, post_json):
    post_json("/api/text/", {"secret": "s"})
    text = scrape()
    assert (
        value(text, "pysecrets_store_call_duration_seconds_count", backend="SQLiteRecordStore", call="put")
        >= 1
    )


def test_throttle_windows_are_timed_like_a_store(scrape, settings, post_json, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.THROTTLE_RATES = {"create": "100/minute", "reveal": None}
    post_json("/api/text/", {"secret": "s"})
    text = scrape()
    assert (
        value(text, "pysecrets_store_call_duration_seconds_count", backend="SQLiteHitWindow", call="hit") >= 1
    )


def test_derivations_are_gauged_while_waiting_and_running():
    seen = {}

    class Gate:
        def __enter__(self):
            seen["waiting"] = metrics.DERIVATIONS_WAITING._value.get()
            seen["running_before"] = metrics.DERIVATIONS_RUNNING._value.get()

        def __exit__(self, *exc):
            return False

    def work():
        seen["running"] = metrics.DERIVATIONS_RUNNING._value.get()
        seen["waiting_after"] = metrics.DERIVATIONS_WAITING._value.get()
        return "key"

    assert metrics.gated(Gate(), work) == "key"
    assert seen == {"waiting": 1, "running_before": 0, "running": 1, "waiting_after": 0}
    assert metrics.DERIVATIONS_RUNNING._value.get() == 0 and metrics.DERIVATIONS_WAITING._value.get() == 0


class FlakyStore(RecordStore):
    def put(self, record, *, tally=None):
        raise StorageUnavailable()

    def get(self, secret_id, *, now):
        raise RecordExists(secret_id)


def test_store_failures_are_counted_and_normal_results_are_not():
    store = metrics.instrument_store(FlakyStore(), RecordStore, normal=(RecordExists,))
    assert isinstance(store, RecordStore)
    errors = metrics.STORE_ERRORS.labels("FlakyStore", "put")
    misses = metrics.STORE_ERRORS.labels("FlakyStore", "get")
    before = errors._value.get(), misses._value.get()
    with pytest.raises(StorageUnavailable):
        store.put(None)
    with pytest.raises(RecordExists):
        store.get("x", now=0)
    assert (errors._value.get(), misses._value.get()) == (before[0] + 1, before[1])


def healthz_answers_by_worker(metrics_dir) -> dict[int, float]:
    """Each worker's own count of /healthz answers, read from the file it writes."""
    counts = {}
    for name in os.listdir(metrics_dir):
        if name.startswith("counter_"):
            pid = int(re.sub(r"\D", "", name))
            for key, number, *_ in MmapedDict.read_all_values_from_file(os.path.join(metrics_dir, name)):
                if '"/healthz"' in key and key.startswith('["pysecrets_http_requests"'):
                    counts[pid] = counts.get(pid, 0) + number
    return counts


@pytest.mark.slow
def test_every_worker_answers_with_the_whole_machines_numbers(tmp_path):
    data_dir = tmp_path / "data"
    stale = data_dir / "metrics" / "counter_999999.db"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"left by a previous run")
    with GunicornServer(env={"METRICS_TOKEN": TOKEN}, workers=2, data_dir=str(data_dir)) as server:
        metrics_dir = data_dir / "metrics"
        assert not stale.exists(), "numbers of a previous run are dropped at start"

        def health(_):
            return send(server.url + "/healthz", method="GET").status

        def guess(_):
            return send(
                server.url + "/api/secrets/AAAAAAAAAAAAAAAA/reveal/", {"passphrase": "a guess, derived"}
            )

        def healthz_count() -> float:
            answer = send(server.url + "/metrics", method="GET", headers={"Authorization": f"Bearer {TOKEN}"})
            assert answer.status == 200
            return value(
                answer.body.decode(),
                "pysecrets_http_requests_total",
                route="/healthz",
                method="GET",
                status="200",
            )

        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            assert {answer.status for answer in pool.map(guess, range(12))} == {404}
            assert set(pool.map(health, range(30))) == {200}
        gauged = {int(re.sub(r"\D", "", name)) for name in os.listdir(metrics_dir) if "livesum" in name}
        assert gauged, "derivations are gauged per worker"
        # The worker that answered most is killed outright: what it counted stays, its live
        # gauges go, a new worker takes its place, and the next answers come from others.
        by_worker = healthz_answers_by_worker(metrics_dir)
        victim = max(by_worker, key=by_worker.get)
        os.kill(victim, signal.SIGKILL)

        def settled() -> bool:
            live = [
                name for name in os.listdir(metrics_dir) if "live" in name and name.endswith(f"_{victim}.db")
            ]
            pids = server.worker_pids()
            return victim not in pids and len(pids) == 2 and not live

        deadline = time.monotonic() + 20
        while not settled() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert settled(), sorted(os.listdir(metrics_dir))
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            assert set(pool.map(health, range(30))) == {200}
        by_worker = healthz_answers_by_worker(metrics_dir)
        assert sum(by_worker.values()) == 60 and len(by_worker) >= 2, by_worker
        # Whichever live worker answers the scrape, it reports every worker's, the dead one's too.
        counts = [healthz_count() for _ in range(10)]
        assert set(counts) == {60}, (counts, by_worker)
