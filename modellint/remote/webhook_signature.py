"""Verifying MLflow's webhook deliveries: who sent it, when, and whether it was seen before.

MLflow (``mlflow/webhooks/delivery.py``, after the Standard Webhooks convention) signs each
delivery with the webhook's secret: ``X-MLflow-Signature: v1,<base64 HMAC-SHA256>`` over
``<delivery id>.<unix timestamp>.<body>``, with ``X-MLflow-Delivery-Id`` (a fresh UUID per
delivery, kept across its retries) and ``X-MLflow-Timestamp``. A delivery is accepted when one
of its ``v1`` signatures matches (compared in constant time), its timestamp is within
``tolerance`` seconds of now either way, and its id was not accepted before: a delivery recorded
on the way and sent again is refused, and an id need only be remembered while its timestamp is
inside the window. Nothing here does I/O or imports more than the standard library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping

from modellint.record import Record

SIGNATURE_HEADER = "x-mlflow-signature"
TIMESTAMP_HEADER = "x-mlflow-timestamp"
DELIVERY_ID_HEADER = "x-mlflow-delivery-id"
SIGNATURE_VERSION = "v1"
TOLERANCE = 300  # seconds either way, as MLflow's documentation verifies its timestamps
MAX_SEEN = 10_000  # delivery ids remembered inside the window; more in five minutes is not a registry
_MAX_SIGNATURES = 8  # a header may list several (a rotated secret); a longer list is not MLflow's
_MAX_ID_LENGTH = 128  # a UUID is 36 characters
_ID_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")


class Rejected(Exception):
    """A delivery that is not accepted: the reason, one line, for the server's log."""


class Delivery(Record):
    """A delivery whose signature and timestamp were verified."""

    __slots__ = ("delivery_id", "timestamp")

    def __init__(self, delivery_id: str, timestamp: int) -> None:
        self.delivery_id = delivery_id
        self.timestamp = timestamp


def signature(secret: bytes, delivery_id: str, timestamp: str, body: bytes) -> str:
    """The ``X-MLflow-Signature`` value MLflow sends for this delivery."""
    digest = hmac.new(secret, b".".join((delivery_id.encode(), timestamp.encode(), body)), hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"


class Verifier:
    """Checks deliveries against one secret; remembers the ids it admitted (see :meth:`admit`)."""

    def __init__(self, secret: str, *, tolerance: int = TOLERANCE, max_seen: int = MAX_SEEN,
                 clock: Callable[[], float] = time.time) -> None:
        if not secret:
            raise ValueError("the webhook secret is empty")
        self._secret = secret.encode()
        self.tolerance = tolerance
        self.max_seen = max_seen
        self._clock = clock
        self._seen: dict[str, int] = {}  # delivery id -> its timestamp, oldest admitted first

    def verify(self, headers: Mapping[str, str], body: bytes) -> Delivery:
        """The delivery, if it is signed with the secret, timely and not seen; else :class:`Rejected`."""
        delivery_id = headers.get(DELIVERY_ID_HEADER, "")
        stamp = headers.get(TIMESTAMP_HEADER, "")
        given = headers.get(SIGNATURE_HEADER, "")
        if not given:
            raise Rejected("unsigned: no X-MLflow-Signature header")
        if not delivery_id or len(delivery_id) > _MAX_ID_LENGTH or not set(delivery_id) <= _ID_CHARACTERS:
            raise Rejected("no valid X-MLflow-Delivery-Id header")
        if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
            raise Rejected("no valid X-MLflow-Timestamp header")
        # Compared before the timestamp is judged: an unsigned sender learns nothing of the window.
        expected = signature(self._secret, delivery_id, stamp, body).encode()
        candidates = given.split(" ")
        if len(candidates) > _MAX_SIGNATURES:
            raise Rejected("the X-MLflow-Signature header lists too many signatures")
        matched = False
        for candidate in candidates:
            # Every candidate is compared, matched or not: the time taken says nothing about which one.
            matched |= hmac.compare_digest(candidate.encode("latin-1", "replace"), expected)
        if not matched:
            raise Rejected("the signature does not match the secret")
        timestamp = int(stamp)
        now = self._clock()
        if abs(now - timestamp) > self.tolerance:
            raise Rejected(f"the timestamp is {int(now - timestamp)} s off this server's clock "
                           f"(at most {self.tolerance} s is accepted)")
        if delivery_id in self._seen:
            raise Rejected("replayed: this delivery id was accepted before")
        return Delivery(delivery_id, timestamp)

    def has_room(self) -> bool:
        """Whether one more delivery id can be remembered (the expired ones are forgotten first)."""
        self._forget_expired()
        return len(self._seen) < self.max_seen

    def admit(self, delivery: Delivery) -> None:
        """Remember ``delivery`` as accepted: the same id is refused from now on. A delivery the
        server answers 5xx is not admitted, so that MLflow's retry (same id) is accepted."""
        if not self.has_room():
            raise Rejected("too many deliveries inside the replay window")
        self._seen[delivery.delivery_id] = delivery.timestamp

    def _forget_expired(self) -> None:
        # A forgotten id is one whose timestamp verify() refuses anyway.
        oldest = self._clock() - self.tolerance
        for delivery_id, timestamp in list(self._seen.items()):
            if timestamp < oldest:
                del self._seen[delivery_id]
