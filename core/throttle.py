"""How often something may be done: attempts counted per key in the cache, over a fixed
window that starts with the first attempt. A brake on requests that cost someone else
(an email sent to an address), not a security boundary: with the cache unreachable every
attempt is let through, and logged, rather than failing the page."""

import hashlib
import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)

# Every count lives under this prefix (tests give each test its own).
KEY_PREFIX = "throttle"


def allow(scope: str, key: str, *, limit: int, window: int) -> bool:
    """Count one attempt at `scope` by `key`; False once there were more than `limit` in
    the last `window` seconds. The key is hashed: an address never lands in the cache."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"{KEY_PREFIX}:{scope}:{digest}"
    try:
        cache.add(cache_key, 0, timeout=window)
        try:
            count = cache.incr(cache_key)
        except ValueError:  # the window ended between add and incr
            cache.set(cache_key, 1, timeout=window)
            count = 1
    except Exception:
        logger.warning(
            "Could not count %s attempts: the cache is unreachable.", scope, exc_info=True
        )
        return True
    return count <= limit
