"""
Receipts: the sender's way to learn whether a secret was opened, and to revoke
it without its passphrase. Whichever way a secret was sealed, its receipt is
read and used the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from pysecrets_cli.api import Api, fail
from pysecrets_cli.errors import Trouble
from pysecrets_cli.links import segment

NOT_FOUND = "No such receipt: it never existed, or the secret's lifetime is over."
FIELDS = ("state", "view_count", "views_taken", "views_left", "created_at", "expires_at", "last_viewed_at")


@dataclass(frozen=True)
class Status:
    state: str  # unread, viewed, used_up, burned, destroyed or expired
    view_count: int
    views_taken: int
    views_left: int
    created_at: str
    expires_at: str
    last_viewed_at: str | None

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in FIELDS}


class Receipts:
    def __init__(self, api: Api):
        self.api = api

    def status(self, token: str) -> Status:
        """The secret's state now; reading it changes nothing and takes no view."""
        return self._answer(self.api.request("GET", f"/api/receipts/{segment(token)}/"))

    def revoke(self, token: str) -> Status:
        """Burn the secret if it is still there; return its state after."""
        return self._answer(self.api.send_json("POST", f"/api/receipts/{segment(token)}/burn/", {}))

    def _answer(self, response) -> Status:
        if response.status != 200:
            fail(response, missing=NOT_FOUND)
        body = response.json()
        try:
            return Status(
                state=str(body["state"]),
                view_count=int(body["view_count"]),
                views_taken=int(body.get("views_taken", 0)),
                views_left=int(body["views_left"]),
                created_at=str(body["created_at"]),
                expires_at=str(body["expires_at"]),
                last_viewed_at=body.get("last_viewed_at"),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise Trouble("The server's answer about the receipt is incomplete.") from e
