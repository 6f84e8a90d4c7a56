"""
A reader's data by email: exported whole and only theirs, erased without
breaking threads or moving money; and commenters' IP addresses forgotten on time.
"""

import json
import re
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from comments.models import Comment, CommenterRule, Report
from donations.models import Donation, Donor, Subscription
from donations.services import donation_confirm
from newsroom.logs import fingerprint
from newsroom.models import AuditEntry, OutgoingEmail
from tests.factories import (
    ArticleFactory,
    CampaignFactory,
    CommentFactory,
    DonationFactory,
    DonorFactory,
)

pytestmark = pytest.mark.django_db

URL = "/admin/personal-data/"
ANA = "Ana.Rivas@Example.org"  # how she typed it once; the rest of her data is lower case
BRUNO = "bruno@example.org"


def text(response):
    return response.content.decode()


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def people(admin_user):
    """Ana and Bruno, each with comments and gifts; Bruno replies to Ana."""
    article = ArticleFactory(title="Peru Takes the Lead")
    campaign = CampaignFactory(name="Keep the lights on", slug="lights", goal=100_000)
    ana_first = CommentFactory(
        article=article,
        author_name="Ana Rivas",
        author_email=ANA,
        author_url="https://ana.example.org/",
        body="The council counted the votes twice.",
        ip_address="198.51.100.23",
        user_agent="Firefox/128.0",
    )
    bruno_reply = CommentFactory(
        article=article,
        parent=ana_first,
        author_name="Bruno Díaz",
        author_email=BRUNO,
        body="Twice is not enough, Ana.",
        ip_address="203.0.113.50",
        user_agent="Safari/17.0",
    )
    ana_held = CommentFactory(
        article=article,
        author_name="Ana R.",
        author_email="ana.rivas@example.org",
        body="A second thought, still held.",
        status=Comment.Status.PENDING,
    )
    # The same Gmail mailbox as another address: a different address all the same.
    CommentFactory(article=article, author_email="a.n.a.rivas+news@gmail.com", body="Gmail words.")
    ana = DonorFactory(email="ana.rivas@example.org", name="Ana Rivas", wants_badge=True)
    ana_gift = DonationFactory(
        donor=ana,
        campaign=campaign,
        amount=2550,
        status=Donation.Status.PENDING,
        name="Ana Rivas",
        public_message="For the night shift.",
        manual_method=None,
    )
    donation_confirm(donation=ana_gift, by=admin_user)  # an audit entry naming her gift
    DonationFactory(donor=ana, amount=5000, currency="JPY", name="Ana")
    Subscription.objects.create(
        donor=ana,
        campaign=campaign,
        amount=1000,
        currency="USD",
        frequency="month",
        provider="test",
        provider_subscription_id="testsub_ana",
    )
    bruno = DonorFactory(email=BRUNO, name="Bruno Díaz")
    DonationFactory(donor=bruno, campaign=campaign, amount=10_000, name="Bruno Díaz")
    CommenterRule.objects.create(email="ana.rivas@example.org", action="hold", note="Heated.")
    return {
        "article": article,
        "campaign": campaign,
        "ana_comments": [ana_first, ana_held],
        "bruno_reply": bruno_reply,
    }


def test_the_export_holds_all_of_that_persons_data_and_nobody_elses(people):
    data = json.loads(run("personal_data", "export", "ANA.RIVAS@example.org"))

    assert [c["id"] for c in data["comments"]] == [c.pk for c in people["ana_comments"]]
    first = data["comments"][0]
    assert first["text"] == "The council counted the votes twice."
    assert first["name"] == "Ana Rivas" and first["website"] == "https://ana.example.org/"
    assert first["status"] == "approved" and first["posted_at"]
    assert first["article"] == {
        "title": "Peru Takes the Lead",
        "url": people["article"].get_absolute_url(),
    }
    assert first["ip_address"] == "198.51.100.23" and first["browser"] == "Firefox/128.0"
    assert data["comments"][1]["status"] == "pending"

    donor = data["donor"]
    assert donor["email"] == "ana.rivas@example.org" and donor["name"] == "Ana Rivas"
    usd, jpy = donor["donations"]
    assert (usd["amount_minor_units"], usd["amount"], usd["currency"]) == (2550, "25.50", "USD")
    assert usd["status"] == "completed" and usd["campaign"] == "Keep the lights on"
    assert usd["completed_at"] and usd["public_message"] == "For the night shift."
    assert (jpy["amount_minor_units"], jpy["amount"], jpy["currency"]) == (5000, "5000", "JPY")
    [monthly] = donor["recurring_gifts"]
    assert (monthly["amount_minor_units"], monthly["frequency"]) == (1000, "month")
    [rule] = data["commenter_rules"]
    assert (rule["action"], rule["note"]) == ("hold", "Heated.")

    whole = json.dumps(data)
    for someone_else in ("Bruno", "bruno@", "Twice is not enough", "203.0.113.50", "Gmail words"):
        assert someone_else not in whole


def test_reports_are_exported_when_made_from_an_account_with_that_email(people, admin_user):
    admin_user.email = "Ana.Rivas@example.org"
    admin_user.save()
    Report.objects.create(comment=people["bruno_reply"], reporter=f"user:{admin_user.pk}")
    Report.objects.create(comment=people["bruno_reply"], reporter="net:203.0.113.0/24")
    data = json.loads(run("personal_data", "export", ANA))
    assert [r["comment"] for r in data["reports"]] == [people["bruno_reply"].pk]


def test_admin_export_downloads_the_json_and_audits_it_without_the_email(people, admin_client):
    response = admin_client.post(URL, {"email": "ana.rivas@EXAMPLE.org", "action": "export"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="personal-data-')
    data = json.loads(response.content)
    assert len(data["comments"]) == 2 and len(data["donor"]["donations"]) == 2
    entry = AuditEntry.objects.get(action="personal_data.exported")
    assert entry.details["mailbox"] == fingerprint(ANA) and entry.details["comments"] == 2
    assert "ana" not in json.dumps(entry.details).lower()


def thread_as_a_reader_sees_it(article):
    return text(Client().get(article.get_absolute_url()))


def money_as_staff_see_it(campaign, revenue_client):
    changelist = text(revenue_client.get("/admin/donations/donation/"))
    totals = re.search(r'<p class="donation-totals">.*?</p>', changelist)
    progress = re.search(
        r'<p id="progress-\d+">.*?</p>', text(Client().get(campaign.get_absolute_url())), re.S
    )
    return totals.group(0), progress.group(0)


def test_erasing_from_the_admin_asks_first_then_anonymizes_and_keeps_thread_and_money(
    people, admin_client, revenue_client
):
    article, campaign = people["article"], people["campaign"]
    ana_first = people["ana_comments"][0]
    bruno = Comment.objects.get(pk=people["bruno_reply"].pk)
    assert "The council counted the votes twice." in thread_as_a_reader_sees_it(article)
    money_before = money_as_staff_see_it(campaign, revenue_client)
    assert "$125.50" in money_before[1] and "2 donors" in money_before[1]

    review = text(admin_client.post(URL, {"email": ANA, "action": "review"}))
    assert "Erase what we hold under Ana.Rivas@Example.org?" in review
    assert re.search(r"Comments anonymized.*?<td>2</td>", review)
    assert re.search(r"Gifts kept.*?<td>2</td>", review)
    assert re.search(r"Recurring gifts.*?<td>1</td>", review)
    assert Comment.objects.filter(author_name="Ana Rivas").exists()  # nothing changed yet

    done = admin_client.post(URL, {"email": ANA, "action": "erase"}, follow=True)
    assert "Erased: 2 comments anonymized, 1 donor record anonymized" in text(done)

    page = thread_as_a_reader_sees_it(article)
    for gone in ("Ana Rivas", "ana.example.org", "The council counted the votes twice."):
        assert gone not in page
    assert "Deleted reader" in page and "removed at the author" in page
    assert re.search(
        rf'id="li-comment-{ana_first.pk}".*?<ol class="children">\s*'
        rf'<li id="li-comment-{bruno.pk}">.*?Twice is not enough, Ana\.',
        page,
        re.S,
    )

    for comment in Comment.objects.filter(pk__in=[c.pk for c in people["ana_comments"]]):
        assert comment.author_email == "" and comment.author_url == ""
        assert comment.ip_address is None and comment.user_agent == ""
        assert comment.body == "[removed at the author's request]"
    assert Comment.objects.get(pk=ana_first.pk).status == Comment.Status.APPROVED
    untouched = Comment.objects.get(pk=bruno.pk)
    assert (untouched.author_name, untouched.author_email) == ("Bruno Díaz", BRUNO)
    assert (untouched.body, untouched.ip_address) == ("Twice is not enough, Ana.", "203.0.113.50")
    assert Comment.objects.filter(author_email="a.n.a.rivas+news@gmail.com").exists()

    donor = Donor.objects.get(donations__amount=2550)
    assert donor.name == "" and "ana" not in donor.email and not donor.wants_badge
    assert not Donation.objects.filter(donor=donor).exclude(name="", public_message="").exists()
    assert Donor.objects.get(email=BRUNO).name == "Bruno Díaz"
    assert Donation.objects.get(donor__email=BRUNO).name == "Bruno Díaz"
    assert money_as_staff_see_it(campaign, revenue_client) == money_before

    erased = AuditEntry.objects.get(action="personal_data.erased")
    assert erased.actor.username == "admin" and erased.details["mailbox"] == fingerprint(ANA)
    assert erased.details["comments"] == 2 and erased.details["donations"] == 2
    audit_log = json.dumps(list(AuditEntry.objects.values("target_repr", "details")))
    assert "ana" not in audit_log.lower()  # the gift confirmed earlier was described by email
    assert CommenterRule.objects.filter(email="ana.rivas@example.org").exists()  # kept, said so


def test_the_sites_email_to_the_person_is_exported_then_deleted_and_nobody_elses_kept(people):
    def outgoing(recipients, subject, status=OutgoingEmail.Status.SENT):
        return OutgoingEmail.objects.create(
            purpose="comments.receipt",
            recipients=recipients,
            subject=subject,
            body=f"Body of {subject}",
            status=status,
        )

    outgoing(["ANA.RIVAS@example.org"], "Your comment is published")
    outgoing(
        ["ana.rivas@example.org"], "Waiting for the mail server", OutgoingEmail.Status.RETRYING
    )
    outgoing([BRUNO], "Your comment is published")
    outgoing(["moderator@example.org", "bruno+ana.rivas@example.org"], "Comments waiting")
    outgoing(["xana.rivas@example.org"], "Someone whose address contains hers")

    exported = json.loads(run("personal_data", "export", ANA))["emails"]
    assert [email["subject"] for email in exported] == [
        "Thank you for supporting Newsroom",  # the receipt stored when her gift was confirmed
        "Your comment is published",
        "Waiting for the mail server",
    ]
    assert exported[-1]["body"] == "Body of Waiting for the mail server"

    assert "3 emails deleted" in run("personal_data", "erase", ANA, "--yes")
    assert sorted(OutgoingEmail.objects.values_list("subject", flat=True)) == [
        "Comments waiting",
        "Someone whose address contains hers",
        "Your comment is published",
    ]
    assert OutgoingEmail.objects.get(subject="Your comment is published").recipients == [BRUNO]


def test_erasing_twice_changes_nothing_more_and_needs_yes_from_the_command(people):
    with pytest.raises(CommandError, match="--yes"):
        run("personal_data", "erase", ANA)
    assert Comment.objects.filter(author_name="Ana Rivas").exists()

    first = run("personal_data", "erase", ANA, "--yes")
    assert "2 comments anonymized, 1 donor record anonymized, 2 gifts kept" in first
    rows = list(Comment.objects.order_by("pk").values()) + list(Donor.objects.values())
    second = run("personal_data", "erase", ANA, "--yes")
    assert "Nothing held under this address" in second
    assert list(Comment.objects.order_by("pk").values()) + list(Donor.objects.values()) == rows
    assert AuditEntry.objects.filter(action="personal_data.erased").count() == 1


def test_bad_addresses_are_refused_with_a_message_and_change_nothing(people, admin_client):
    response = admin_client.post(URL, {"email": "ana.rivas at example", "action": "erase"})
    assert response.status_code == 200 and "Enter a valid email address." in text(response)
    assert admin_client.post(URL, {"email": ANA, "action": "shred"}).status_code == 400
    with pytest.raises(CommandError, match="not an email address"):
        run("personal_data", "export", "ana.rivas")
    assert Comment.objects.filter(author_name="Ana Rivas").exists()
    assert not AuditEntry.objects.filter(action__startswith="personal_data").exists()


def test_only_superusers_and_staff_who_change_comments_and_donors_reach_the_page(
    people, client, moderator_client, revenue_client, staff_member
):
    assert client.get(URL)["Location"].startswith("/admin/login/")
    assert client.post(URL, {"email": ANA, "action": "erase"}).status_code == 302
    assert moderator_client.get(URL).status_code == 403
    assert revenue_client.post(URL, {"email": ANA, "action": "export"}).status_code == 403
    assert moderator_client.post(URL, {"email": ANA, "action": "erase"}).status_code == 403
    assert Comment.objects.filter(author_name="Ana Rivas").exists()
    link = f'<a href="{URL}">Personal data'
    assert link not in text(moderator_client.get("/admin/"))
    assert link not in text(revenue_client.get("/admin/"))

    desk = staff_member("privacy", "Moderators")
    desk.user_permissions.add(Permission.objects.get(codename="change_donor"))
    both = Client()
    both.force_login(desk)
    assert link in text(both.get("/admin/"))
    assert "Export (JSON)" in text(both.get(URL))


def posted_days_ago(days, **fields):
    return CommentFactory(
        created_at=timezone.now() - timedelta(days=days), user_agent="Firefox/128.0", **fields
    )


def test_old_addresses_are_erased_only_past_the_cutoff_and_a_second_run_finds_none(
    time_machine, settings
):
    time_machine.move_to(timezone.now(), tick=False)
    old = posted_days_ago(91)
    recent = posted_days_ago(89)
    changed_at = Comment.objects.get(pk=old.pk).updated_at
    time_machine.shift(timedelta(minutes=5))

    assert "of 1 comment posted more than 90 days ago" in run("erase_old_ip_addresses")
    old, recent = Comment.objects.get(pk=old.pk), Comment.objects.get(pk=recent.pk)
    assert old.ip_address is None and old.user_agent == ""
    assert old.updated_at == changed_at  # what readers see did not change
    assert recent.ip_address == "203.0.113.7" and recent.user_agent == "Firefox/128.0"
    assert "of 0 comments" in run("erase_old_ip_addresses")

    time_machine.shift(timedelta(days=2))
    assert "of 1 comment" in run("erase_old_ip_addresses")
    settings.PRIVACY_KEEP_IP_DAYS = -1
    with pytest.raises(CommandError, match="0 or more"):
        run("erase_old_ip_addresses")


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_erase_each_address_once_and_both_succeed():
    for _ in range(300):
        posted_days_ago(100)
    results, errors = [], []

    def erase():
        try:
            results.append(run("erase_old_ip_addresses"))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    runs = [threading.Thread(target=erase) for _ in range(2)]
    for each in runs:
        each.start()
    for each in runs:
        each.join()
    assert errors == []
    counts = sorted(int(re.search(r"of (\d+) comment", out).group(1)) for out in results)
    assert sum(counts) == 300
    assert not Comment.objects.filter(ip_address__isnull=False).exists()
