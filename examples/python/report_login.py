"""Report a user's login to the cache warmer from Python, as an auth service written in Python would.

The warmer's documented contract is one signal-with-start: signal ``userLoggedIn`` with
``{"userId": ..., "force"?: bool, "preloadForms"?: bool}`` to the login shard
``user-logins:<task queue>:<shard>`` (workflow type ``userLoginsWorkflow``, input ``{}``) on the
workers' task queue, starting it when it is not running. The shard is CRC-32 of the user id's UTF-8
bytes (``zlib.crc32``) modulo the number of shards (WARMING_LOGIN_SHARDS, default 4); any shard
accepts any user, so a different number only dedupes a user's logins less. ``report_login`` is the
one place that call is made, so an auth service adapts only it if the receiver ever changes.

An auth service whose next step reads the user's data may wait for the preload: right after the
signal, it sends the update ``waitForUserPreload`` with ``{"userId": ...}`` to the same shard and
waits for its result (``{"userId", "outcome": "preloaded" | "skipped" | "failed" | "carried" |
"unknown", "preloadWorkflowId"?}``) at most its own deadline; the login is recorded by the signal
either way, so a wait that times out never fails it (``--wait-ms``).

Usage::

    pip install temporalio
    python report_login.py USER_ID [--force] [--no-forms] [--wait-ms MS]

Temporal connection settings come from the environment and the Temporal config file, read by
``temporalio.envconfig`` the way the Temporal CLI reads them (TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE). TEMPORAL_TASK_QUEUE names
the warmer's task queue (default ``cache-warming``) and WARMING_LOGIN_SHARDS the shards (default 4). Exit 0 once Temporal recorded the login;
otherwise one line on stderr and exit 1 (2 for a bad command line).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import unicodedata
import zlib
from datetime import timedelta

from temporalio.client import Client
from temporalio.envconfig import ClientConfig

# How long reporting a login may take, connection included: a login must never wait on warming.
TIMEOUT = timedelta(seconds=5)
MAX_USER_ID_LENGTH = 256
DEFAULT_SHARDS = 4


def user_id_problem(user_id: str) -> str | None:
    """Why ``user_id`` is refused, as the warmer checks it, or None."""
    if user_id == "":
        return "userId must not be empty"
    if len(user_id) > MAX_USER_ID_LENGTH:
        return f"userId must be at most {MAX_USER_ID_LENGTH} characters (got {len(user_id)})"
    if any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in user_id):
        return "userId must not contain whitespace or control characters"
    return None


async def report_login(
    client: Client,
    user_id: str,
    *,
    task_queue: str,
    shards: int = DEFAULT_SHARDS,
    force: bool | None = None,
    preload_forms: bool | None = None,
    timeout: timedelta = TIMEOUT,
) -> str:
    """Signal-with-start ``userLoggedIn`` on the user's login shard: the warmer's login call."""
    login: dict[str, object] = {"userId": user_id}
    if force is not None:
        login["force"] = force
    if preload_forms is not None:
        login["preloadForms"] = preload_forms
    shard = zlib.crc32(user_id.encode("utf-8")) % shards
    await client.start_workflow(
        "userLoginsWorkflow",
        {},
        id=f"user-logins:{task_queue}:{shard}",
        task_queue=task_queue,
        start_signal="userLoggedIn",
        start_signal_args=[login],
        rpc_timeout=timeout,
    )
    return f"user-logins:{task_queue}:{shard}"


async def wait_for_preload(client: Client, receiver: str, user_id: str, wait: timedelta) -> str:
    """Waits at most ``wait`` for the user's preload; returns its outcome, or ``timedOut``."""
    handle = client.get_workflow_handle(receiver)
    try:
        result = await asyncio.wait_for(
            handle.execute_update("waitForUserPreload", {"userId": user_id}, result_type=dict),
            wait.total_seconds(),
        )
    except asyncio.TimeoutError:
        return "timedOut"
    return str(result.get("outcome", "unknown"))


async def connect(timeout: timedelta = TIMEOUT) -> Client:
    """A client from the environment and config file, as the Temporal CLI would connect."""
    config = ClientConfig.load_client_connect_config()
    config.setdefault("target_host", "localhost:7233")
    return await Client.connect(**config, connect_timeout=timeout)


def one_line(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    return " ".join(text.split())


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Report a login to the cache warmer.")
    parser.add_argument("user_id")
    parser.add_argument("--force", action="store_true", help="preload even if preloaded recently")
    parser.add_argument("--no-forms", action="store_true", help="leave the user's forms out")
    parser.add_argument("--wait-ms", type=int, default=0, help="wait up to this long for the preload (default: do not wait)")
    args = parser.parse_args(argv)
    if not 0 <= args.wait_ms <= 60_000:
        print(f"report_login: --wait-ms must be from 0 to 60000 (got {args.wait_ms})", file=sys.stderr)
        return 2
    problem = user_id_problem(args.user_id)
    if problem:
        print(f"report_login: {problem}", file=sys.stderr)
        return 2
    task_queue = os.environ.get("TEMPORAL_TASK_QUEUE") or "cache-warming"
    shards_text = os.environ.get("WARMING_LOGIN_SHARDS") or str(DEFAULT_SHARDS)
    if not shards_text.isdigit() or not 1 <= int(shards_text) <= 100_000:
        print(f"report_login: WARMING_LOGIN_SHARDS must be an integer from 1 to 100000 (got {shards_text!r})", file=sys.stderr)
        return 2
    try:
        client = await asyncio.wait_for(connect(), TIMEOUT.total_seconds())
        receiver = await asyncio.wait_for(
            report_login(
                client,
                args.user_id,
                task_queue=task_queue,
                shards=int(shards_text),
                force=True if args.force else None,
                preload_forms=False if args.no_forms else None,
            ),
            TIMEOUT.total_seconds(),
        )
    except asyncio.TimeoutError:
        print(f"report_login: Temporal did not answer within {TIMEOUT.total_seconds():g} s", file=sys.stderr)
        return 1
    except Exception as err:  # one line for any failure: connection, TLS, permissions
        print(f"report_login: {one_line(err)}", file=sys.stderr)
        return 1
    print(f"reported the login of {args.user_id} to {receiver}")
    if args.wait_ms > 0:
        try:
            outcome = await wait_for_preload(client, receiver, args.user_id, timedelta(milliseconds=args.wait_ms))
        except Exception as err:  # the login is recorded: a failed wait is reported, not fatal
            outcome = f"waitFailed ({one_line(err)})"
        print(f"preload of {args.user_id}: {outcome}")
    return 0


if __name__ == "__main__":
    code = asyncio.run(main())
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: the SDK's Rust runtime threads can race Python's finalisation and
    # kill a finished process by a signal (temporalio/sdk-python#300); the login is reported by now.
    os._exit(code)
