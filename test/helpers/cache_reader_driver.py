"""Drives examples/python/cache_reader.py for test/integration/read-protocol.test.ts.

argv[1] is JSON: {"redisUrl", "prefix", "clientName", "options": {CacheReader keyword options},
"ops": [...]}; prints one JSON object {"results": [...]}, one result per op, after closing the
reader (which flushes its counts). Ops:
  {"op": "get", "key"}                              -> {"value": str | null}
  {"op": "getOrCompute", "key", "value", "ttlSeconds", "computeMs"?}
                                                    -> {"value", "computed": bool, "elapsedMs"}
  {"op": "names", "key"}                            -> {"meta", "lock"}
  {"op": "hold"}: prints {"holding": true} and waits for stdin to close, the reader left open (so
  only its own timer flushes the counts meanwhile)  -> {}
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples" / "python"))
from cache_reader import CacheReader  # noqa: E402


def text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("utf-8")


def run(spec: dict) -> list[dict]:
    client = redis.Redis.from_url(spec["redisUrl"], client_name=spec.get("clientName"))
    results: list[dict] = []
    with CacheReader(client=client, prefix=spec["prefix"], **spec.get("options", {})) as reader:
        for op in spec["ops"]:
            kind = op["op"]
            if kind == "get":
                results.append({"value": text(reader.get(op["key"]))})
            elif kind == "getOrCompute":
                calls = []

                def compute(op: dict = op) -> str:
                    calls.append(1)
                    time.sleep(op.get("computeMs", 0) / 1000)
                    return op["value"]

                started = time.monotonic()
                value = reader.get_or_compute(op["key"], compute, op["ttlSeconds"])
                elapsed_ms = round((time.monotonic() - started) * 1000)
                results.append({"value": text(value), "computed": len(calls) > 0, "elapsedMs": elapsed_ms})
            elif kind == "names":
                results.append({"meta": reader.keys.meta(op["key"]), "lock": reader.keys.lock(op["key"])})
            elif kind == "hold":
                print(json.dumps({"holding": True}), flush=True)
                sys.stdin.read()
                results.append({})
            else:
                raise ValueError(f"op must be get, getOrCompute, names or hold (got {kind!r})")
    client.close()
    return results


if __name__ == "__main__":
    print(json.dumps({"results": run(json.loads(sys.argv[1]))}))
