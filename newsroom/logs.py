"""
Logs that an operator can search and a privacy officer can accept.

Events at a trust boundary (a refused webhook, a rate limit, a failed send) are
logged with fields passed as `extra={"event": ..., ...}`; `JsonFormatter` writes
one JSON object per line with those fields, for a log shipper to index. Readers
are named in logs only by `fingerprint(...)`: the same address or email gives
the same fingerprint, so one sender's refusals can be followed, but the value
cannot be read back, nor guessed by hashing every IPv4 address, without the key.
"""

import hashlib
import hmac
import json
import logging

from django.conf import settings

# Attributes every LogRecord has; anything else on a record came from `extra`.
_STANDARD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys() | {"message", "asctime"}
)


def fingerprint(value):
    """A short keyed hash of an identifier (address, email), stable for one SECRET_KEY."""
    if not value:
        return ""
    key = f"newsroom.logs:{settings.SECRET_KEY}".encode()
    normalized = str(value).strip().lower().encode()
    return hmac.new(key, normalized, hashlib.sha256).hexdigest()[:16]


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the `extra` fields, traceback."""

    def format(self, record):
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in record.__dict__.items():
            if name not in _STANDARD_ATTRIBUTES and not name.startswith("_"):
                entry[name] = value
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)
