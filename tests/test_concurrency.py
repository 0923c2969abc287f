"""
Exactly N views, across processes: the real service under gunicorn with
several workers, and a crowd of client processes released at once.
"""

import json
import random

import pytest

from tests.support import e2e_client
from tests.support.crowd import all_at_once
from tests.support.http import send
from tests.support.server import GunicornServer

ROUNDS = 3
CROWD = 20


def post(url: str, body: dict) -> tuple[int, bytes]:
    status, _, answer = send(url, body)
    return status, answer


def reveal_all_at_once(url: str, body: dict) -> list[tuple[int, bytes]]:
    return all_at_once(post, (url, body), CROWD)


@pytest.fixture(scope="module", params=["local", "aws"])
def server(request):
    # The same service on each backend: SQLite's immediate transactions, or
    # DynamoDB's conditional writes from every worker process.
    env = request.getfixturevalue("aws_env") if request.param == "aws" else {}
    with GunicornServer(env=env, workers=3) as running:
        yield running


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(ROUNDS))
@pytest.mark.parametrize("views", [1, 2, 3])
@pytest.mark.parametrize("route", ["legacy", "api"])
def test_exactly_n_of_a_crowd_reveal(server, views, round_, route):
    status, body = post(server.url + "/encrypt", {"secret": f"crowd {views}/{round_}", "view_count": views})
    assert status == 200
    created = json.loads(body)
    if route == "legacy":
        outcomes = reveal_all_at_once(server.url + "/decrypt", created)
    else:
        url = f"{server.url}/api/secrets/{created['secret_id']}/reveal/"
        outcomes = reveal_all_at_once(url, {"passphrase": created["passphrase"]})
    statuses = sorted(status for status, _ in outcomes)
    assert statuses == [200] * views + [404] * (CROWD - views), server.log()[-2000:]
    revealed = [json.loads(body)["data"] for status, body in outcomes if status == 200]
    assert revealed == [f"crowd {views}/{round_}"] * views


@pytest.mark.slow
@pytest.mark.parametrize("views", [1, 3])
def test_exactly_n_of_a_crowd_reveal_an_end_to_end_secret(server, views):
    status, ticket = post(server.url + "/api/e2e/", {})
    assert status == 201
    sealed = e2e_client.seal_text(json.loads(ticket), f"end to end {views}", view_count=views)
    status, _ = post(server.url + json.loads(ticket)["text_url"], sealed.body)
    assert status == 201
    outcomes = reveal_all_at_once(f"{server.url}/api/e2e/{sealed.secret_id}/reveal/", sealed.proof)
    statuses = sorted(status for status, _ in outcomes)
    assert statuses == [200] * views + [404] * (CROWD - views), server.log()[-2000:]
    opened = [e2e_client.open_text(sealed, json.loads(body)) for status, body in outcomes if status == 200]
    assert opened == [f"end to end {views}"] * views


def reveal_or_burn(base: str, secret_id: str, passphrase: str) -> tuple[str, int]:
    action = random.choice(["reveal", "burn"])
    status, _ = post(f"{base}/api/secrets/{secret_id}/{action}/", {"passphrase": passphrase})
    return action, status


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_burn_racing_the_last_view_never_succeeds_beside_it(server, round_):
    # Half the crowd reveals the one view, half burns: exactly one of them
    # gets it done, a view (200) or a burn (204), never both.
    status, body = post(server.url + "/encrypt", {"secret": f"burn race {round_}", "view_count": 1})
    assert status == 200
    created = json.loads(body)
    outcomes = all_at_once(reveal_or_burn, (server.url, created["secret_id"], created["passphrase"]), CROWD)
    done = [(action, status) for action, status in outcomes if status != 404]
    assert done in ([("reveal", 200)], [("burn", 204)]), (outcomes, server.log()[-2000:])
    again = post(
        f"{server.url}/api/secrets/{created['secret_id']}/reveal/", {"passphrase": created["passphrase"]}
    )
    assert again[0] == 404
