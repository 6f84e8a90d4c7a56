import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture(autouse=True)
def _test_provider(settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.DONATIONS_TEST_PROVIDER = True


def stripe_signature(payload, secret=WEBHOOK_SECRET, timestamp=None):
    """The Stripe-Signature header, computed as Stripe documents: HMAC-SHA256 of "t.payload"."""
    timestamp = int(timestamp or time.time())
    signed = f"{timestamp}.{payload}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@pytest.fixture
def send_signed_body(client, settings):
    """Post any body, signed with our webhook secret: what a holder of the secret can send."""
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET

    def send(payload, *, timestamp=None, signature=None):
        return client.post(
            "/donate/webhooks/stripe/",
            payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature or stripe_signature(payload, timestamp=timestamp),
        )

    return send


@pytest.fixture
def send_stripe_event(send_signed_body):
    """Post a genuinely signed Stripe event to our webhook, as Stripe would."""

    def send(event_type, obj, *, event_id=None, signature=None):
        event = {
            "id": event_id or f"evt_{event_type}_{obj.get('id')}",
            "object": "event",
            "type": event_type,
            "data": {"object": obj},
        }
        return send_signed_body(json.dumps(event), signature=signature)

    return send


class FakeStripeAPI(BaseHTTPRequestHandler):
    """Answers Checkout Session creation like Stripe's API, and remembers what it was sent."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.server.requests.append(
            {"path": self.path, "headers": dict(self.headers), "form": parse_qs(body)}
        )
        key = self.headers.get("Idempotency-Key", "")
        session_id = f"cs_test_{abs(hash(key)) % 10**12}"
        answer = json.dumps(
            {
                "id": session_id,
                "object": "checkout.session",
                "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_stripe(settings):
    """A local stand-in for api.stripe.com; the code under test sends it real requests."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeStripeAPI)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()
