"""A Redis for the tests that share rate limits: the local one, started if it is down."""

import os
import shutil
import subprocess
import time

import pytest
import redis

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_url() -> str:
    return os.environ.get("ATTRIUM_TEST_REDIS_URL", DEFAULT_REDIS_URL)


def ensure_redis() -> str:
    """Reach Redis, starting a local server if it is down; fail loudly otherwise."""
    if _redis_answers():
        return redis_url()
    if shutil.which("redis-server"):
        options = ["--bind", "127.0.0.1", "--port", "6379", "--save", "", "--appendonly", "no"]
        subprocess.run(
            ["redis-server", "--daemonize", "yes", *options],
            check=False,
            capture_output=True,
        )
        for _ in range(50):
            if _redis_answers():
                return redis_url()
            time.sleep(0.1)
    pytest.fail(f"Redis at {redis_url()} cannot be reached; install redis-server or start it")


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(redis_url(), socket_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False
