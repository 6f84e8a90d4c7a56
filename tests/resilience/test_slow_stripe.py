"""
A slow Stripe under gunicorn, as the outside review met it: Stripe accepts
connections and never answers while a crowd of donors gives at once. Readers
still get the article at once: each process lets only two checkouts wait for
Stripe, tells the other donors at once, and asks Stripe nothing for a while
once it failed.
"""

import contextlib
import json
import socket
import threading
import time

from tests.resilience.test_redis_down import Browser, read, run_on_site_database

DONORS = 16
WORKERS = 2  # SiteServer's, each with 4 threads
TIMEOUT = 3  # seconds a checkout waits for Stripe's answer
UNAVAILABLE = "Our card processor is not answering. Nothing was charged."

SEED = """
import json
from tests.factories import ArticleFactory, CampaignFactory
article = ArticleFactory(title="Peru Takes the Lead", body="<p>The lead story.</p>")
CampaignFactory(slug="lights", name="Keep the lights on")
print(json.dumps({"article": article.get_absolute_url()}))
"""


class SilentStripe:
    """A port that accepts connections and never answers on them, counting them."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=DONORS * 2)
        self.port = self.listener.getsockname()[1]
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        with contextlib.suppress(OSError):
            while True:
                self.connections.append(self.listener.accept()[0])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for connection in self.connections:
            connection.close()


def test_readers_are_served_at_once_while_a_crowd_of_donors_meets_a_silent_stripe(
    serve, database_url
):
    seed = run_on_site_database(database_url, SEED)
    with SilentStripe() as stripe_api:
        site = serve(
            database_url=database_url,
            LOG_FORMAT="json",
            STRIPE_SECRET_KEY="sk_test_fake",
            STRIPE_WEBHOOK_SECRET="whsec_test_secret",
            STRIPE_API_BASE=f"http://127.0.0.1:{stripe_api.port}",
            STRIPE_CONNECT_TIMEOUT=1,
            STRIPE_TIMEOUT=TIMEOUT,
            STRIPE_MAX_NETWORK_RETRIES=0,
            DONATIONS_TEST_PROVIDER="off",
            DONATIONS_ATTEMPTS_PER_HOUR_PER_IP=100,
        )
        donors = [Browser(site) for _ in range(DONORS)]
        forms = [read(donor, "/donate/lights/", "Keep the lights on") for donor in donors]
        answers = {}
        everyone = threading.Barrier(DONORS + 1)

        def give(number):
            everyone.wait()
            began = time.monotonic()
            status, _, page = donors[number].submit(
                forms[number],
                "/donate/lights/",
                {
                    "amount": "10",
                    "frequency": "once",
                    "method": "card",
                    "name": "Luisa",
                    "email": f"luisa-{number}@example.org",
                },
            )
            answers[number] = (status, UNAVAILABLE in page, time.monotonic() - began)

        giving = [threading.Thread(target=give, args=(number,)) for number in range(DONORS)]
        for thread in giving:
            thread.start()
        everyone.wait()
        time.sleep(0.3)  # the donors' requests are in gunicorn's hands

        reader, waits = Browser(site), []
        for _visit in range(10):
            began = time.monotonic()
            read(reader, seed["article"], "Peru Takes the Lead")
            waits.append(time.monotonic() - began)
        still_waiting = sum(thread.is_alive() for thread in giving)
        for thread in giving:
            thread.join()

    assert max(waits) < 1, waits
    assert still_waiting, "the reader came after the donors were answered"
    assert all(status == 503 and told for status, told, _ in answers.values()), answers
    # At most two checkouts per process waited for Stripe; the other donors did not.
    waited = sorted(seconds for _, _, seconds in answers.values())
    assert len(stripe_api.connections) <= 2 * WORKERS
    assert all(seconds < TIMEOUT for seconds in waited[: DONORS - 2 * WORKERS]), waited
    events = [json.loads(line).get("event") for line in site.log if line.startswith("{")]
    assert 1 <= events.count("donations.provider_paused") <= WORKERS
    assert events.count("donations.provider_unavailable") == DONORS
