"""
Two machines behind one load balancer: two gunicorn instances, each with a
DATA_DIR of its own (as two hosts have), one proxy hop in front (the client
here writes X-Forwarded-For as that proxy would), sharing DynamoDB Local and
SeaweedFS for the secrets, Redis for throttle windows and PostgreSQL for the
operators' accounts. Everything is asked of them over HTTP only.
"""

import collections
import concurrent.futures
import http.client
import http.cookiejar
import json
import multiprocessing
import os
import secrets
import signal
import threading
import time
import urllib.parse
import urllib.request

import pytest

from tests.support.crowd import all_at_once
from tests.support.http import file_form, send
from tests.support.server import GunicornServer

pytestmark = pytest.mark.slow

REVEAL_RATE = 10  # per client per minute, on the whole fleet
ATTEMPT_CAP = 4  # MAX_FAILED_ATTEMPTS
ADMIN, ADMIN_PASSWORD = "operator", "a long operator password"


@pytest.fixture(scope="module")
def fleet(aws_env, shared_servers):
    database = shared_servers.postgres.create_database(f"fleet_{secrets.token_hex(4)}")
    env = {
        **aws_env,
        "REDIS_URL": shared_servers.redis.redis_url,
        "DATABASE_URL": database,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "NUM_PROXIES": "1",
        "THROTTLE_CREATE": "1000/minute",
        "THROTTLE_REVEAL": f"{REVEAL_RATE}/minute",
        "MAX_FAILED_ATTEMPTS": str(ATTEMPT_CAP),
    }
    machines = [GunicornServer(env=env, workers=2) for _ in range(2)]
    try:
        first = machines[0]
        # One-off steps of a first start, on one machine (README: Running on many machines).
        first.manage("migrate", "--noinput", "-v", "0")
        first.manage("shell", "-c", CREATE_ADMIN)
        for machine in machines:  # both at once, as a fleet starts
            machine.spawn()
        for machine in machines:
            machine.wait_ready(timeout=60)
        yield machines
    finally:
        for machine in machines:
            machine.__exit__(None, None, None)  # stopped, and its DATA_DIR removed


CREATE_ADMIN = (
    "from django.contrib.auth.models import User; "
    f"User.objects.create_superuser({ADMIN!r}, password={ADMIN_PASSWORD!r})"
)


def client_address() -> str:
    return f"198.51.{secrets.randbelow(256)}.{secrets.randbelow(256)}"


def post(machine, path, body, *, client: str, **kwargs):
    return send(machine.url + path, body, headers={"X-Forwarded-For": client}, **kwargs)


def create_text(machine, text: str, views: int = 1) -> dict:
    answer = post(machine, "/api/text/", {"secret": text, "view_count": views}, client=client_address())
    assert answer.status == 201, answer
    return _json(answer)


def reveal(machine, secret_id: str, passphrase: str, *, client: str | None = None):
    return post(
        machine,
        f"/api/secrets/{secret_id}/reveal/",
        {"passphrase": passphrase},
        client=client or client_address(),
    )


def _json(answer) -> dict:
    return json.loads(answer.body if hasattr(answer, "body") else answer)


def test_a_text_and_a_file_made_on_one_open_on_the_other(fleet):
    a, b = fleet
    made = create_text(a, "made on a")
    answer = reveal(b, made["secret_id"], made["passphrase"])
    assert answer.status == 200 and _json(answer)["data"] == "made on a"

    content = secrets.token_bytes(300_000)
    body, content_type = file_form(content, "report.bin", view_count="1")
    created = post(b, "/api/files/", body, client=client_address(), content_type=content_type)
    assert created.status == 201, created
    made = _json(created)
    answer = reveal(a, made["secret_id"], made["passphrase"])
    assert answer.status == 200 and answer.body == content
    # One view only, spent on a: gone for b too.
    assert reveal(b, made["secret_id"], made["passphrase"]).status == 404


def _race(urls, counter, secret_id, passphrase):
    with counter.get_lock():
        n = counter.value
        counter.value += 1
    url = urls[n % len(urls)]
    answer = send(
        f"{url}/api/secrets/{secret_id}/reveal/",
        {"passphrase": passphrase},
        headers={"X-Forwarded-For": f"203.0.113.{n}"},
    )
    return url, answer.status, answer.body


def test_24_clients_racing_a_3_view_secret_across_both_get_exactly_3_views(fleet):
    urls = [machine.url for machine in fleet]
    for round_ in range(5):
        made = create_text(fleet[round_ % 2], f"round {round_}", views=3)
        counter = multiprocessing.Value("i", 0)
        outcomes = all_at_once(_race, (urls, counter, made["secret_id"], made["passphrase"]), 24)
        won = [(url, body) for url, status, body in outcomes if status == 200]
        assert sorted(status for _, status, _ in outcomes) == [200] * 3 + [404] * 21, round_
        assert {_json(body)["data"] for _, body in won} == {f"round {round_}"}
        assert sorted(_json(body)["views_left"] for _, body in won) == [0, 1, 2]
        assert {url for url, _, _ in outcomes} == set(urls)  # both machines were in the race
        for machine in fleet:
            assert reveal(machine, made["secret_id"], made["passphrase"]).status == 404


def test_one_clients_passphrase_attempts_are_throttled_across_both(fleet):
    client = client_address()
    statuses = [
        reveal(fleet[n % 2], "A" * 16, f"guess number {n:04d}", client=client).status
        for n in range(REVEAL_RATE + 4)
    ]
    assert statuses == [404] * REVEAL_RATE + [429] * 4
    # Both machines refuse it now; another client is unaffected.
    for machine in fleet:
        assert reveal(machine, "A" * 16, "one more guess here", client=client).status == 429
        assert reveal(machine, "A" * 16, "one more guess here").status == 404


def test_the_per_secret_attempt_cap_holds_across_both(fleet):
    a, b = fleet
    spared, destroyed = create_text(a, "spared", views=1), create_text(b, "destroyed", views=1)
    # Guesses alternate between the machines: counted on each alone, neither would reach the cap.
    for n in range(ATTEMPT_CAP - 1):
        assert reveal(fleet[n % 2], spared["secret_id"], f"wrong guess {n:04d}").status == 404
    for n in range(ATTEMPT_CAP + 1):
        assert reveal(fleet[n % 2], destroyed["secret_id"], f"wrong guess {n:04d}").status == 404
    assert _json(reveal(b, spared["secret_id"], spared["passphrase"]))["data"] == "spared"
    for machine in fleet:
        assert reveal(machine, destroyed["secret_id"], destroyed["passphrase"]).status == 404


def logged_in(machine):
    """An operator's browser (one cookie jar: cookies are not bound to ports), logged in on ``machine``."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with browser.open(machine.url + "/admin/login/", timeout=30) as page:
        assert page.status == 200
    csrf = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    form = urllib.parse.urlencode(
        {"username": ADMIN, "password": ADMIN_PASSWORD, "csrfmiddlewaretoken": csrf, "next": "/admin/"}
    ).encode()
    with browser.open(urllib.request.Request(machine.url + "/admin/login/", data=form), timeout=30) as page:
        assert page.status == 200 and "/admin/login/" not in page.url
    assert any(cookie.name == "sessionid" for cookie in jar)
    return browser


def test_an_operator_logged_in_on_one_sees_the_dashboard_on_the_other(fleet):
    a, b = fleet
    browser = logged_in(a)
    with browser.open(b.url + "/admin/ops/", timeout=30) as page:
        assert page.status == 200 and page.url.endswith("/admin/ops/")
        assert "Usage" in page.read().decode()
    # A stranger on b is sent to the login page.
    with urllib.request.urlopen(b.url + "/admin/ops/", timeout=30) as page:
        assert "/admin/login/" in page.url


def _guess(urls, counter, secret_id):
    with counter.get_lock():
        n = counter.value
        counter.value += 1
    answer = send(
        f"{urls[n % 2]}/api/secrets/{secret_id}/reveal/",
        {"passphrase": f"parallel wrong guess {n:04d}"},
        headers={"X-Forwarded-For": f"192.0.2.{n}"},
    )
    return answer.status


def test_the_attempt_cap_holds_against_parallel_guesses_on_both(fleet):
    a, b = fleet
    browser = logged_in(a)

    def totals() -> dict:
        with browser.open(b.url + "/admin/ops/usage.json", timeout=30) as page:
            return json.loads(page.read())["totals"]

    made = create_text(a, "guessed at from everywhere", views=1)
    before = totals()
    counter = multiprocessing.Value("i", 0)
    statuses = all_at_once(_guess, ([machine.url for machine in fleet], counter, made["secret_id"]), 24)
    after = totals()
    assert statuses == [404] * 24
    # Of 24 guesses racing on two machines, no more than the cap were counted, and one destroyed it.
    assert 1 <= after["failed_attempts"] - before["failed_attempts"] <= ATTEMPT_CAP
    assert after["destroyed"] - before["destroyed"] == 1
    assert reveal(b, made["secret_id"], made["passphrase"]).status == 404


def test_each_instance_keeps_its_own_control_socket(fleet):
    sockets = {os.path.join(machine.data_dir, "gunicorn.ctl") for machine in fleet}
    assert len(sockets) == 2 and all(os.path.exists(path) for path in sockets)


def test_sigkill_one_machine_mid_traffic_and_the_other_serves_every_secret(fleet):
    a, b = fleet
    views = 3
    made = {}  # secret id -> (passphrase, content, seen views, lost answers)
    lock = threading.Lock()
    for n in range(16):
        machine = fleet[n % 2]
        if n % 4 == 0:
            content = secrets.token_bytes(200_000)
            body, content_type = file_form(content, "f.bin", view_count=str(views))
            answer = post(machine, "/api/files/", body, client=client_address(), content_type=content_type)
        else:
            content = f"premade {n}"
            answer = post(
                machine, "/api/text/", {"secret": content, "view_count": views}, client=client_address()
            )
        assert answer.status == 201
        data = _json(answer)
        made[data["secret_id"]] = [data["passphrase"], content, 0, 0]

    server_errors, unanswered = [], collections.Counter()
    killed = threading.Event()
    premade = list(made)

    def one(n: int) -> None:
        machine, name = (a, "a") if n % 2 == 0 else (b, "b")
        secret_id = None
        try:
            if n % 3 == 0 and premade:  # reveal a premade secret once
                with lock:
                    secret_id = premade.pop() if premade else None
                if secret_id is None:
                    return
                answer = reveal(machine, secret_id, made[secret_id][0])
                with lock:
                    if answer.status == 200:
                        made[secret_id][2] += 1
                    elif answer.status >= 500:
                        server_errors.append((name, answer.status))
                return
            text = f"during traffic {n}"
            answer = post(
                machine, "/api/text/", {"secret": text, "view_count": views}, client=client_address()
            )
            if answer.status == 201:
                data = _json(answer)
                with lock:
                    made[data["secret_id"]] = [data["passphrase"], text, 0, 0]
            elif answer.status >= 500:
                with lock:
                    server_errors.append((name, answer.status))
        except (OSError, http.client.HTTPException) as e:
            # No answer at all (URLError is an OSError), or an answer cut off after its
            # head, when the machine died between writing the head and the body.
            reason = getattr(e, "reason", e)
            with lock:
                # Refused: sent after the machine died (a load balancer sends it elsewhere).
                # Anything else (reset, closed): in flight on it when it died.
                unanswered[
                    name, "refused" if isinstance(reason, ConnectionRefusedError) else "in flight"
                ] += 1
            if secret_id is not None:
                with lock:
                    made[secret_id][3] += 1

    def kill_a_after(seconds: float) -> None:
        time.sleep(seconds)
        pids = [a.process.pid, *a.worker_pids()]
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        killed.set()

    killer = threading.Thread(target=kill_a_after, args=(1.0,))
    killer.start()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(240)))
    killer.join()
    assert killed.is_set()
    a.process.wait(timeout=10)

    assert server_errors == []  # no 5xx from anybody: the dead machine only stopped answering
    assert unanswered["b", "refused"] == unanswered["b", "in flight"] == 0  # b answered every request
    # Every secret whose creation was answered is on b, whole, with every view not spent.
    for secret_id, (passphrase, content, seen, lost) in made.items():
        served = 0
        while True:
            answer = reveal(b, secret_id, passphrase)
            if answer.status != 200:
                assert answer.status == 404
                break
            got = answer.body if isinstance(content, bytes) else _json(answer)["data"]
            assert got == content
            served += 1
        # A reveal that died with a's workers may or may not have spent its view.
        assert views - seen - lost <= served <= views - seen, secret_id
    print(
        f"\nkill: {unanswered['a', 'in flight']} requests in flight on a lost, "
        f"{unanswered['a', 'refused']} refused after; {len(made)} secrets whole on b"
    )
