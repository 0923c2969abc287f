"""
What can go wrong, sorted by what the person at the terminal should do next.
Each kind carries its exit code; only ``main`` turns them into a message and
a status. Messages are plain words and never carry a passphrase or content.
"""

DONE = 0
MISSING = 1
USAGE = 2
TROUBLE = 3


class ClientError(Exception):
    exit_code = TROUBLE

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Missing(ClientError):
    """Nothing to open here: unknown, wrong passphrase, used up or expired (the server cannot tell which)."""

    exit_code = MISSING


class Usage(ClientError):
    """The command, its options or its input are wrong; running it again unchanged will not help."""

    exit_code = USAGE


class Trouble(ClientError):
    """The server or the network failed; the same command may work later."""

    exit_code = TROUBLE
