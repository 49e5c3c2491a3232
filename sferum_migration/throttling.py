"""The API's rate limits, counted in the shared cache (Redis in production, CACHE_URL).

They fail open: with the cache unreachable a request is served and a warning logged, rather
than every API call answering 500 while Redis is down (login brute force stays limited by
django-axes, which counts in the database)."""

import logging

from redis.exceptions import RedisError
from rest_framework import throttling

logger = logging.getLogger(__name__)


class _FailOpen:
    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except RedisError:
            logger.warning("Rate limit not applied: the cache is unreachable", exc_info=True)
            return True


class UserRateThrottle(_FailOpen, throttling.UserRateThrottle):
    pass


class AnonRateThrottle(_FailOpen, throttling.AnonRateThrottle):
    pass
