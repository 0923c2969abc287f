"""
The ``pysecrets`` command: send, get and burn secrets from a terminal or a script.

Results go to standard output (the link, the secret); everything meant for the
person (questions, progress, what went wrong) goes to standard error in plain
words. Exit codes: 0 done, 1 nothing to open (unknown, wrong passphrase, used
up, expired), 2 usage, 3 server or network trouble.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import sys
from datetime import datetime
from pathlib import Path

from pysecrets_cli import __version__, links
from pysecrets_cli.api import Api
from pysecrets_cli.end_to_end import EndToEnd
from pysecrets_cli.errors import DONE, TROUBLE, USAGE, ClientError, Usage
from pysecrets_cli.files import receive, safe_name, save
from pysecrets_cli.progress import Progress
from pysecrets_cli.receipts import Receipts, Status
from pysecrets_cli.sealing import Created, Options, RevealedFile, Sealing, ServerSide

# A text secret is small (the server's limit is 64 KiB by default); reading
# standard input stops well past any limit instead of filling memory.
MAX_STDIN_TEXT = 16 * 1024 * 1024
DURATION = re.compile(r"(\d+)([smhdw])")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}

DESCRIPTION = """\
Share a text or a file once: the receiver needs the link and the passphrase,
and the secret is gone after its last view or when it expires.

  echo 'hunter2' | pysecrets send --views 2 --expires 1h
  pysecrets send report.pdf
  pysecrets get https://secrets.example.com/secret/AbCdEf0123456789
  pysecrets burn AbCdEf0123456789
  pysecrets status https://secrets.example.com/receipt/RECEIPT

The server comes from --url or PYSECRETS_URL; a full link names its own.
Secrets are end-to-end: this machine encrypts, and the server never sees the
secret or the passphrase (--server-side lets the server encrypt instead, as
the original API does). A link /e/ID opens end-to-end, /secret/ID server-side.
A passphrase is never taken from the command line (other users can read it):
it comes from PYSECRETS_PASSPHRASE, --passphrase-file, or a prompt.

exit codes: 0 done, 1 not found / wrong passphrase / used up / expired,
            2 usage, 3 server or network trouble
"""


def duration(text: str) -> int:
    """``90s``, ``5m``, ``1h``, ``2d``, ``1w`` or combined (``1d12h``) as seconds."""
    text = text.strip().lower()
    if not text or DURATION.sub("", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 5m, 1h, 1d or 1d12h")
    return sum(int(n) * UNIT_SECONDS[unit] for n, unit in DURATION.findall(text))


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def parser() -> argparse.ArgumentParser:
    # Options shared by every command may come before or after its name; SUPPRESS
    # keeps a subcommand's unset copy from hiding the value given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--url",
        default=argparse.SUPPRESS,
        help="the server, e.g. https://secrets.example.com (PYSECRETS_URL)",
    )
    common.add_argument(
        "--timeout",
        type=float,
        default=argparse.SUPPRESS,
        help="seconds to wait for the server at each step (default 60)",
    )
    common.add_argument(
        "-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="no notes or progress bar"
    )

    main = argparse.ArgumentParser(
        prog="pysecrets",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    main.add_argument("--version", action="version", version=f"pysecrets {__version__}")
    commands = main.add_subparsers(dest="command", metavar="COMMAND", required=True)

    send = commands.add_parser(
        "send",
        parents=[common],
        help="share a file, or text from standard input",
        description="Share a file, or the text on standard input (a prompt when it is a terminal). "
        "Prints the link and the passphrase: send them to the receiver through two different channels.",
    )
    send.add_argument(
        "path", nargs="?", default="-", metavar="PATH|-", help="a file to share; - or nothing: text"
    )
    send.add_argument(
        "--views", type=positive, metavar="N", help="how many times it may be opened (default 1)"
    )
    send.add_argument(
        "--expires",
        type=duration,
        metavar="TIME",
        help="lifetime: 5m, 1h, 1d, 1w... (default: the longest allowed)",
    )
    send.add_argument(
        "--own-passphrase",
        action="store_true",
        help="choose the passphrase (asked on the terminal, or PYSECRETS_PASSPHRASE / --passphrase-file)",
    )
    send.add_argument("--passphrase-file", metavar="FILE", help="with --own-passphrase: read it from FILE")
    send.add_argument("--name", help="the file name the receiver sees (default: the file's own)")
    send.add_argument("--json", action="store_true", help="print one JSON object instead of lines")

    get = commands.add_parser(
        "get",
        parents=[common],
        help="open a secret (takes one view)",
        description="Open a secret, taking one view. A text goes to standard output, a file to -o "
        "or under its own name in the current folder (never over an existing file without --force).",
    )
    get.add_argument("ref", metavar="LINK|ID", help="the link, or the secret's id with --url")
    get.add_argument(
        "-o", "--output", metavar="PATH", help="write it here (a folder, a file, or - for stdout)"
    )
    get.add_argument("--force", action="store_true", help="replace an existing file")
    get.add_argument("--passphrase-file", metavar="FILE", help="read the passphrase from FILE (- for stdin)")

    burn = commands.add_parser(
        "burn",
        parents=[common],
        help="delete a secret now",
        description="Delete a secret at once, whatever views or time it had left.",
    )
    burn.add_argument("ref", metavar="LINK|ID", help="the link, or the secret's id with --url")
    burn.add_argument("--passphrase-file", metavar="FILE", help="read the passphrase from FILE (- for stdin)")

    # The receipt's two commands take the same arguments.
    for name, summary, description in (
        (
            "status",
            "whether a secret was opened, from its receipt",
            "Read a secret's state from the receipt that send printed: unread, viewed, "
            "used_up, burned or destroyed, with its views. Reading it takes no view and changes nothing.",
        ),
        (
            "revoke",
            "burn a secret from its receipt, without the passphrase",
            "Burn a secret now, with the receipt that send printed: for a secret sent to "
            "the wrong person. Says how it stands afterwards.",
        ),
    ):
        by_receipt = commands.add_parser(name, parents=[common], help=summary, description=description)
        by_receipt.add_argument(
            "receipt", metavar="RECEIPT", help="the receipt's link, or the receipt with --url"
        )
        by_receipt.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    send.add_argument(
        "--server-side",
        action="store_true",
        help="let the server encrypt (it sees the secret and the passphrase) instead of this machine",
    )
    for command in (get, burn):
        command.add_argument(
            "--server-side",
            action="store_true",
            help="with a bare id: a secret the server encrypted (a link says which by itself)",
        )
    return main


class Terminal:
    """Standard error, for notes to the person; quiet when asked."""

    def __init__(self, quiet: bool):
        self.quiet = quiet

    def note(self, message: str) -> None:
        if not self.quiet:
            print(message, file=sys.stderr)

    def interactive(self) -> bool:
        return not self.quiet and sys.stderr.isatty()


def has_terminal() -> bool:
    try:
        with open("/dev/tty"):
            return True
    except OSError:
        return False


def read_passphrase(args, *, confirm: bool = False) -> str:
    """From --passphrase-file, PYSECRETS_PASSPHRASE, or a prompt on the terminal; never from argv."""
    if args.passphrase_file:
        try:
            if args.passphrase_file == "-":  # noqa: S105 - the name for standard input
                line = sys.stdin.readline()
            else:
                with open(args.passphrase_file, encoding="utf-8") as f:
                    line = f.readline()
        except (OSError, UnicodeDecodeError) as e:
            raise Usage(f"Cannot read the passphrase file: {getattr(e, 'strerror', None) or e}.") from e
        passphrase = line.rstrip("\r\n")
    elif os.environ.get("PYSECRETS_PASSPHRASE"):
        passphrase = os.environ["PYSECRETS_PASSPHRASE"]
    elif has_terminal():
        passphrase = getpass.getpass("Passphrase: ")
        if confirm and getpass.getpass("Passphrase again: ") != passphrase:
            raise Usage("The two passphrases differ; nothing was sent.")
    else:
        raise Usage(
            "No passphrase: set PYSECRETS_PASSPHRASE, use --passphrase-file, or run it in a terminal."
        )
    if not passphrase:
        raise Usage("The passphrase is empty.")
    return passphrase


def sealing_for(server: str, args, *, end_to_end: bool) -> Sealing:
    api = Api(server, timeout=getattr(args, "timeout", 60.0))
    return EndToEnd(api) if end_to_end else ServerSide(api)


def opening(args) -> tuple[links.Ref, Sealing, str]:
    """
    The secret a link or id names, the sealing it was made with, and its
    passphrase. The kind comes from the link's path, never from a guess, so a
    passphrase meant for an end-to-end secret is never sent to the server.
    """
    ref = links.secret_ref(args.ref, url=getattr(args, "url", None))
    end_to_end = ref.end_to_end if ref.end_to_end is not None else not args.server_side
    if ref.end_to_end is not None and args.server_side and end_to_end:
        raise Usage("This link is for an end-to-end secret; drop --server-side.")
    # An end-to-end link may carry its passphrase after '#', never sent to the server.
    passphrase = ref.fragment if end_to_end and ref.fragment else read_passphrase(args)
    return ref, sealing_for(ref.server, args, end_to_end=end_to_end), passphrase


def cmd_send(args, term: Terminal) -> int:
    if args.passphrase_file and not args.own_passphrase:
        raise Usage("--passphrase-file goes with --own-passphrase when sending.")
    server = links.server_url(getattr(args, "url", None))
    own = read_passphrase(args, confirm=True) if args.own_passphrase else None
    options = Options(views=args.views, lifetime=args.expires, passphrase=own)
    sealing = sealing_for(server, args, end_to_end=not args.server_side)
    if args.path == "-":
        created = sealing.create_text(read_text(term), options)
    else:
        created = send_file(sealing, Path(args.path), args.name, options, term)
    print_created(
        server, created, own=own is not None, as_json=args.json, term=term, end_to_end=not args.server_side
    )
    return DONE


def read_text(term: Terminal) -> str:
    if sys.stdin.isatty():
        data = getpass.getpass("Secret (hidden; pipe it in for several lines): ").encode()
    else:
        data = sys.stdin.buffer.read(MAX_STDIN_TEXT + 1)
        if len(data) > MAX_STDIN_TEXT:
            raise Usage(
                "Standard input is far larger than a text secret may be; "
                "send it as a file: pysecrets send PATH"
            )
    if not data:
        raise Usage("Nothing to send: the text is empty.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Usage("Standard input is not UTF-8 text; send it as a file: pysecrets send PATH") from e


def send_file(sealing: Sealing, path: Path, name: str | None, options: Options, term: Terminal) -> Created:
    try:
        source = open(path, "rb")  # noqa: SIM115 - closed below, after the upload
    except OSError as e:
        raise Usage(f"Cannot read {path}: {e.strerror or e}.") from e
    with source:
        stat = os.fstat(source.fileno())
        if not stat.st_mode & 0o170000 == 0o100000:
            raise Usage(f"{path} is not a regular file.")
        progress = Progress(stat.st_size, "Sending", enabled=term.interactive())
        try:
            return sealing.create_file(
                source, name=name or path.name, size=stat.st_size, options=options, progress=progress
            )
        finally:
            progress.finish()


def local_time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    except ValueError:
        return iso


def print_created(
    server: str, created: Created, *, own: bool, as_json: bool, term: Terminal, end_to_end: bool
) -> None:
    link = links.secret_link(server, created.secret_id, end_to_end=end_to_end)
    if as_json:
        out = {
            "link": link,
            "secret_id": created.secret_id,
            # The sender's own passphrase is not echoed into logs or pipes.
            "passphrase": None if own else created.passphrase,
            "receipt": created.receipt,
            "receipt_url": created.receipt_url,
            "expires_at": created.expires_at,
        }
        print(json.dumps(out))
        return
    lines = [("Link", link), ("Passphrase", "(your own)" if own else created.passphrase)]
    if created.receipt:
        # The receipt's page, which `pysecrets status` also takes.
        lines.append(("Receipt", created.receipt_url or created.receipt))
    lines.append(("Expires", local_time(created.expires_at)))
    for label, value in lines:
        print(f"{label + ':':<12}{value}")
    if term.interactive():
        term.note("Send the link and the passphrase through two different channels.")
        if created.receipt:
            term.note("Keep the receipt to yourself: `pysecrets status RECEIPT` tells whether it was opened.")


def cmd_get(args, term: Terminal) -> int:
    target = output_target(args.output, force=args.force)
    ref, sealing, passphrase = opening(args)
    revealed = sealing.reveal(ref.token, passphrase)
    if isinstance(revealed, RevealedFile):
        write_file(revealed, target, force=args.force, term=term)
    else:
        data = revealed.text.encode("utf-8")
        if target is None:
            out = sys.stdout.buffer
            out.write(data)
            if sys.stdout.isatty() and not data.endswith(b"\n"):
                out.write(b"\n")
            out.flush()
        else:
            text_file = RevealedFile(name="secret.txt", size=len(data), views_left=0, chunks=iter([data]))
            write_file(text_file, target, force=args.force, term=term)
    term.note(views_left_note(revealed.views_left))
    return DONE


def output_target(output: str | None, *, force: bool) -> Path | str | None:
    """
    Where -o points, checked before anything is revealed: a view must not be
    spent on a file that then cannot be written. ``None`` means the default.
    """
    if output is None or output == "-":
        return output
    path = Path(output)
    if path.is_dir():
        return path
    if not path.parent.is_dir():
        raise Usage(f"There is no folder {path.parent} to write into.")
    if (path.exists() or path.is_symlink()) and not force:
        raise Usage(f"{path} exists; choose another name, or add --force to replace it.")
    return path


def write_file(revealed: RevealedFile, target, *, force: bool, term: Terminal) -> None:
    progress = Progress(revealed.size, "Receiving", enabled=term.interactive())
    try:
        if target == "-":
            receive(revealed, sys.stdout.buffer, progress)
            sys.stdout.buffer.flush()
            return
        if target is None or target.is_dir():
            folder = target or Path.cwd()
            path = save(revealed, folder / safe_name(revealed.name), force=force, progress=progress)
        else:
            path = save(revealed, target, force=force, progress=progress)
    finally:
        progress.finish()
    term.note(f"Saved {path}")


def views_left_note(views_left: int) -> str:
    if views_left <= 0:
        return "That was the last view: the secret is gone now."
    return f"{views_left} view{'s' if views_left != 1 else ''} left."


def cmd_burn(args, term: Terminal) -> int:
    ref, sealing, passphrase = opening(args)
    sealing.burn(ref.token, passphrase)
    term.note("Burned: the secret is gone.")
    return DONE


STATE_WORDS = {
    "unread": "Not opened yet.",
    "viewed": "Opened, and it can be opened again.",
    "used_up": "Opened as many times as it allowed; it is gone.",
    "burned": "Burned before all its views were taken; it is gone.",
    "destroyed": "Destroyed after too many wrong passphrases; it is gone.",
    "expired": "Its lifetime ran out; it is gone.",
}


def receipts_for(args) -> tuple[Receipts, str]:
    ref = links.receipt_ref(args.receipt, url=getattr(args, "url", None))
    return Receipts(Api(ref.server, timeout=getattr(args, "timeout", 60.0))), ref.token


def print_status(status: Status, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(status.as_dict()))
        return
    # First line for scripts and eyes alike: the state and the views left.
    print(f"{status.state} {status.views_left}")
    last = local_time(status.last_viewed_at) if status.last_viewed_at else "never"
    for label, value in (
        ("State", STATE_WORDS.get(status.state, status.state)),
        ("Views", f"{status.views_taken} of {status.view_count} taken, {status.views_left} left"),
        ("Last view", last),
        ("Created", local_time(status.created_at)),
        ("Expires", local_time(status.expires_at)),
    ):
        print(f"{label + ':':<12}{value}")


def cmd_status(args, term: Terminal) -> int:
    receipts, token = receipts_for(args)
    print_status(receipts.status(token), as_json=args.json)
    return DONE


def cmd_revoke(args, term: Terminal) -> int:
    receipts, token = receipts_for(args)
    status = receipts.revoke(token)
    print_status(status, as_json=args.json)
    return DONE


COMMANDS = {"send": cmd_send, "get": cmd_get, "burn": cmd_burn, "status": cmd_status, "revoke": cmd_revoke}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    term = Terminal(getattr(args, "quiet", False))
    try:
        return COMMANDS[args.command](args, term)
    except ClientError as e:
        print(f"pysecrets: {e.message}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("\npysecrets: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Whoever read standard output stopped early; say so and leave quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        print("pysecrets: standard output was closed before everything was written.", file=sys.stderr)
        return TROUBLE
    except EOFError:
        print("\npysecrets: no answer on the terminal.", file=sys.stderr)
        return USAGE
