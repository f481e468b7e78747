"""Read the warmer's Redis cache from Python and feed its optimiser, as docs/read-protocol.md says.

A Python application reading the cache through ``CacheReader`` counts its reads exactly as the
TypeScript cache client does (per-minute usage buckets and the value's metadata ``reads``, buffered
in memory and flushed once a second), so the optimiser's hot keys and schedules see them; and on a
miss with a compute function it takes part in the cross-process single-flight (the lock
``<prefix>lock:{<slot tag>}:<key>``), waiting for a value another process, a warm or a preload is
loading rather than calling the origin too.

Usage::

    pip install redis==8.1.0
    python cache_reader.py KEY [KEY ...]   # prints each value (or "(miss)") and counts the reads

Redis comes from REDIS_URL (default ``redis://127.0.0.1:6379``), the prefix from WARMING_PREFIX
(default ``cw:``). The Lua scripts are read from the warmer's ``store/lua`` (this checkout's, or
``node_modules/temporal-cache-warmer/dist/store/lua``, or ``lua_dir=``): the same text as the
TypeScript client's, so Redis caches them once under the same SHA1.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterable

import redis
from redis.exceptions import RedisError, ResponseError

DEFAULT_PREFIX = "cw:"
# Metadata and tag indexes outlive their value by a day (store/redis-cache-store.ts).
META_GRACE_SECONDS = 24 * 3600
# Written as the metadata `source` of a value a reader computes, as the TypeScript client does.
SOURCE = "cache-client"
SLOT_COUNT = 16384
_TAG_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_SCRIPTS = ("record-reads", "acquire-lock", "release-lock", "server-time", "write-if-newer")

log = logging.getLogger("cache_reader")


# --- Key names: store/key-slot.ts and store/redis-keys.ts -------------------------------------


def hash_tag_of(key: str) -> str:
    """The part of ``key`` Redis Cluster hashes: the text of its first ``{...}`` if non-empty, else all of it."""
    start = key.find("{")
    if start >= 0:
        end = key.find("}", start + 1)
        if end > start + 1:
            return key[start + 1 : end]
    return key


def _crc16_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
        table.append(crc)
    return table


_CRC16 = _crc16_table()


def crc16(data: bytes) -> int:
    """CRC16-CCITT (XMODEM), the checksum Redis Cluster slots are taken from."""
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC16[((crc >> 8) ^ byte) & 0xFF]
    return crc


def key_slot(key: str) -> int:
    """The hash slot of ``key`` (its UTF-8 bytes), as ``CLUSTER KEYSLOT`` reports it."""
    return crc16(hash_tag_of(key).encode("utf-8")) % SLOT_COUNT


_slot_tags: list[str] | None = None


def slot_tag(slot: int) -> str:
    """The fixed tag of ``slot``: the first of ``0``..``z``, ``00``, ``01``, ... (by length, then
    alphabet) that hashes there. Every process and language picks the same one."""
    global _slot_tags
    if not isinstance(slot, int) or not 0 <= slot < SLOT_COUNT:
        raise ValueError(f"slot must be an integer from 0 to {SLOT_COUNT - 1} (got {slot!r})")
    if _slot_tags is None:
        tags: list[str | None] = [None] * SLOT_COUNT
        missing = SLOT_COUNT
        for length in itertools.count(1):
            for letters in itertools.product(_TAG_ALPHABET, repeat=length):
                tag = "".join(letters)
                at = key_slot(tag)
                if tags[at] is None:
                    tags[at] = tag
                    missing -= 1
                    if missing == 0:
                        break
            if missing == 0:
                break
        _slot_tags = [tag for tag in tags if tag is not None]
    return _slot_tags[slot]


def slot_tag_for(key: str) -> str:
    """What goes in ``{...}`` so a helper key shares ``key``'s slot: the hashed part when braces can
    hold it (it has no ``}``), else the fixed tag of the key's slot."""
    hashed = hash_tag_of(key)
    return slot_tag(key_slot(key)) if hashed == "" or "}" in hashed else hashed


class Keys:
    """The warmer's key names under ``prefix`` that a reader touches."""

    def __init__(self, prefix: str = DEFAULT_PREFIX) -> None:
        if not (
            isinstance(prefix, str)
            and 1 <= len(prefix) <= 64
            and all(ch.isascii() and (ch.isalnum() or ch in ":_.-") for ch in prefix)
        ):
            raise ValueError(f'prefix must be 1-64 characters of letters, digits and : _ . - (got "{prefix}")')
        self.prefix = prefix

    def meta(self, key: str) -> str:
        return f"{self.prefix}meta:{{{slot_tag_for(key)}}}:{key}"

    def lock(self, key: str) -> str:
        return f"{self.prefix}lock:{{{slot_tag_for(key)}}}:{key}"

    def tag(self, tag: str) -> str:
        return f"{self.prefix}tag:{tag}"

    def usage_bucket(self, epoch_minute: int) -> str:
        return f"{self.prefix}{{usage}}:m:{epoch_minute}"


# --- The reader ------------------------------------------------------------------------------


def _default_lua_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (
        here.parent.parent / "store" / "lua",
        Path.cwd() / "node_modules" / "temporal-cache-warmer" / "dist" / "store" / "lua",
    ):
        if (candidate / "record-reads.lua").is_file():
            return candidate
    raise FileNotFoundError("lua_dir not found: pass lua_dir= (the warmer's store/lua or dist/store/lua)")


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer (got {value!r})")
    return value


def _check_key(key: Any) -> str:
    if not isinstance(key, str) or key == "":
        got = "an empty string" if key == "" else type(key).__name__
        raise TypeError(f"key must be a non-empty string (got {got})")
    return key


def _encode(value: Any, key: str) -> bytes:
    """The TypeScript client's rule: strings and bytes as-is, other JSON values JSON-encoded."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as err:
        raise TypeError(f'compute for "{key}" returned {type(value).__name__}, not a storable value') from err


def _is_wrong_type(err: Exception) -> bool:
    return isinstance(err, ResponseError) and "WRONGTYPE" in str(err)


class CacheReader:
    """Reads through Redis, counting reads for the optimiser; computes misses once across processes.

    Options (defaults are the TypeScript cache client's):
      redis_url: Redis to connect to (default REDIS_URL, else ``redis://127.0.0.1:6379``);
        or ``client``: a ``redis.Redis`` of your own (not closed by ``close()``).
      prefix: the warmer's prefix (default WARMING_PREFIX, else ``cw:``).
      flush_interval_ms: how often buffered counts are written (1000).
      max_buffered_keys: distinct keys buffered before a flush starts early (10000).
      lock_ms: lease of the compute lock, and how long a miss waits on another's lock (5000).
      lock_poll_ms: how often a waiting miss looks for the value (20).
      usage_retention_minutes: how long usage buckets are kept after their minute (75).
    """

    def __init__(
        self,
        *,
        client: redis.Redis | None = None,
        redis_url: str | None = None,
        prefix: str | None = None,
        flush_interval_ms: int = 1000,
        max_buffered_keys: int = 10000,
        lock_ms: int = 5000,
        lock_poll_ms: int = 20,
        usage_retention_minutes: int = 75,
        lua_dir: str | Path | None = None,
    ) -> None:
        if client is not None and redis_url is not None:
            raise ValueError("pass client or redis_url, not both")
        self.keys = Keys(prefix if prefix is not None else os.environ.get("WARMING_PREFIX", DEFAULT_PREFIX))
        self.flush_interval_ms = _positive_int("flush_interval_ms", flush_interval_ms)
        self.max_buffered_keys = _positive_int("max_buffered_keys", max_buffered_keys)
        self.lock_ms = _positive_int("lock_ms", lock_ms)
        self.lock_poll_ms = _positive_int("lock_poll_ms", lock_poll_ms)
        self.usage_retention_minutes = _positive_int("usage_retention_minutes", usage_retention_minutes)
        lua = Path(lua_dir) if lua_dir is not None else _default_lua_dir()
        texts = {}
        for name in _SCRIPTS:
            path = lua / f"{name}.lua"
            if not path.is_file():
                raise FileNotFoundError(f"lua_dir has no {name}.lua (got {lua})")
            texts[name] = path.read_text(encoding="utf-8")
        self._owns_client = client is None
        self.redis = client or redis.Redis.from_url(
            redis_url or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379"
        )
        # EVALSHA of the scripts' own text, loaded on a NOSCRIPT: the same SHA1 as the TypeScript client's.
        self._scripts = {name: self.redis.register_script(text) for name, text in texts.items()}
        self._buffer_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._accesses: dict[str, int] = {}
        self._hits: dict[str, int] = {}
        self._flush_failing = False
        self._closed = False
        self._wake = threading.Event()
        self._flusher = threading.Thread(target=self._flush_loop, name="cache_reader flush", daemon=True)
        self._flusher.start()

    def __enter__(self) -> CacheReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def get(self, key: str) -> bytes | None:
        """The value at ``key`` (bytes), or None on a miss. Counts one read."""
        self._check_open()
        value = self.redis.get(_check_key(key))
        self._count(key, value is not None)
        return value

    def record_access(self, key: str) -> None:
        """Counts one read of ``key`` made without this reader (a usage count only, as for a miss)."""
        self._check_open()
        self._count(_check_key(key), False)

    def get_or_compute(
        self, key: str, compute: Callable[[], Any], ttl_seconds: int, tags: Iterable[str] = ()
    ) -> bytes:
        """The value at ``key``, computing and storing it on a miss. Counts one read.

        A miss takes the lock ``<prefix>lock:{<slot tag>}:<key>`` and computes; when another holds
        it (a reader, a warm or a preload loading the key), waits for its value up to ``lock_ms``,
        then computes itself. The value is written like a warm (version-checked, with metadata).
        """
        self._check_open()
        _check_key(key)
        if key.startswith(self.keys.prefix):
            raise ValueError(f'key "{key}" is under the reserved prefix "{self.keys.prefix}"')
        _positive_int("ttl_seconds", ttl_seconds)
        tags = list(tags)
        if any(not isinstance(tag, str) or tag == "" for tag in tags):
            raise ValueError("tags must be non-empty strings")
        value = self.redis.get(key)
        if value is not None:
            self._count(key, True)
            return value
        value, from_cache = self._fill(key, compute, ttl_seconds, tags)
        self._count(key, from_cache)
        return value

    def flush(self) -> None:
        """Writes the buffered counts now. Never raises: a failure is logged once per outage and the
        counts are kept for the next flush, up to ``max_buffered_keys``."""
        with self._flush_lock:
            with self._buffer_lock:
                accesses, hits = self._accesses, self._hits
                self._accesses, self._hits = {}, {}
            if not accesses and not hits:
                return
            failure: Exception | None = None
            if accesses:
                try:
                    self._record_usage(accesses)
                except RedisError as err:
                    failure = err
                    self._requeue(self._accesses, accesses)
            if hits:
                failed_hits, error = self._record_reads(hits)
                failure = failure or error
                self._requeue(self._hits, failed_hits)
            if failure is None:
                self._flush_failing = False
            elif not self._flush_failing:
                self._flush_failing = True
                log.warning("cache reader: could not record access counts (will retry): %s", failure)

    def close(self) -> None:
        """Flushes the counts and closes the connection this reader opened."""
        if self._closed:
            return
        self._closed = True
        self._wake.set()
        self._flusher.join()
        self.flush()
        if self._owns_client:
            self.redis.close()

    # --- counting ---

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("cache reader is closed")

    def _count(self, key: str, hit: bool) -> None:
        with self._buffer_lock:
            self._accesses[key] = self._accesses.get(key, 0) + 1
            if hit:
                self._hits[key] = self._hits.get(key, 0) + 1
            full = len(self._accesses) >= self.max_buffered_keys
        if full:
            self._wake.set()

    def _flush_loop(self) -> None:
        while not self._closed:
            self._wake.wait(self.flush_interval_ms / 1000)
            self._wake.clear()
            if not self._closed:
                self.flush()

    def _record_usage(self, accesses: dict[str, int]) -> None:
        # The minute of the flush, by this process's clock; the expiry is absolute, the same for every writer.
        minute = int(time.time() * 1000) // 60000
        bucket = self.keys.usage_bucket(minute)

        def write() -> None:
            pipe = self.redis.pipeline(transaction=False)
            for key, count in accesses.items():
                if count > 0:
                    pipe.zincrby(bucket, count, key)
            pipe.expireat(bucket, (minute + 1 + self.usage_retention_minutes) * 60)
            pipe.execute()

        # Stray data where this minute's bucket belongs: the bucket is ours.
        self._write_over_wrong_type(bucket, write)

    def _record_reads(self, hits: dict[str, int]) -> tuple[dict[str, int], Exception | None]:
        """Adds each key's hits to its metadata ``reads``; returns what failed, to keep."""
        pipe = self.redis.pipeline(transaction=False)
        script = self._scripts["record-reads"]
        for key, count in hits.items():
            script(keys=[self.keys.meta(key)], args=[count], client=pipe)
        try:
            results = pipe.execute(raise_on_error=False)
        except RedisError as err:
            return hits, err
        failed = {key: n for (key, n), result in zip(hits.items(), results) if isinstance(result, Exception)}
        error = next((result for result in results if isinstance(result, Exception)), None)
        return failed, error

    def _requeue(self, into: dict[str, int], counts: dict[str, int]) -> None:
        with self._buffer_lock:
            for key, n in counts.items():
                if key not in into and len(into) >= self.max_buffered_keys:
                    continue  # dropped: counts are best effort
                into[key] = into.get(key, 0) + n

    # --- the single-flight ---

    def _fill(self, key: str, compute: Callable[[], Any], ttl_seconds: int, tags: list[str]) -> tuple[bytes, bool]:
        lock_key = self.keys.lock(key)
        deadline = time.monotonic() + self.lock_ms / 1000
        while True:
            token = uuid.uuid4().hex
            if self._scripts["acquire-lock"](keys=[lock_key], args=[token, self.lock_ms]) == 1:
                try:
                    # Whoever held the lock before may have stored the value just before releasing it.
                    stored = self.redis.get(key)
                    if stored is not None:
                        return stored, True
                    return self._compute_and_write(key, compute, ttl_seconds, tags)
                finally:
                    self._scripts["release-lock"](keys=[lock_key], args=[token])
            # Someone is loading the key: wait for its value, or for its lock to go away.
            while time.monotonic() < deadline:
                time.sleep(self.lock_poll_ms / 1000)
                pipe = self.redis.pipeline(transaction=False)
                stored, locked = pipe.get(key).exists(lock_key).execute()
                if stored is not None:
                    return stored, True
                if locked == 0:
                    break
            if time.monotonic() >= deadline:
                return self._compute_and_write(key, compute, ttl_seconds, tags)

    def _compute_and_write(
        self, key: str, compute: Callable[[], Any], ttl_seconds: int, tags: list[str]
    ) -> tuple[bytes, bool]:
        meta = self.keys.meta(key)
        # The version is Redis's time as the compute starts: no client's clock decides which is newer.
        version = int(self._scripts["server-time"](keys=[meta], args=[]))
        started = time.monotonic()
        value = _encode(compute(), key)
        duration_ms = round((time.monotonic() - started) * 1000)
        reply = self._scripts["write-if-newer"](
            keys=[key, meta],
            args=[value, ttl_seconds, version, duration_ms, len(value), SOURCE, ttl_seconds + META_GRACE_SECONDS],
        )
        if int(reply[0]) == 1:
            for tag in tags:
                self._index_tag(self.keys.tag(tag), key, ttl_seconds + META_GRACE_SECONDS)
            return value, False
        # A newer value (or an invalidation) won: serve the newer value when there is one.
        stored = self.redis.get(key)
        return (stored, True) if stored is not None else (value, False)

    def _index_tag(self, tag_key: str, key: str, ttl_seconds: int) -> None:
        def write() -> None:
            # The index expires no earlier than its longest-lived member.
            pipe = self.redis.pipeline(transaction=False)
            pipe.sadd(tag_key, key).expire(tag_key, ttl_seconds, nx=True).expire(tag_key, ttl_seconds, gt=True)
            pipe.execute()

        self._write_over_wrong_type(tag_key, write)

    def _write_over_wrong_type(self, key: str, write: Callable[[], None]) -> None:
        """Runs ``write``; when ``key`` holds another type (stray data under the prefix), clears it and writes again."""
        try:
            write()
        except ResponseError as err:
            if not _is_wrong_type(err):
                raise
            self.redis.delete(key)
            write()


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: cache_reader.py KEY [KEY ...]", file=sys.stderr)
        return 2
    try:
        with CacheReader() as reader:
            for key in argv:
                value = reader.get(key)
                print("(miss)" if value is None else value.decode("utf-8", "replace"))
    except (RedisError, OSError, ValueError, TypeError) as err:
        print(f"cache_reader: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
