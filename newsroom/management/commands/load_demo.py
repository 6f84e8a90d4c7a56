"""
Demo content for `make run`: the seed article, a few weeks of a small newsroom's
output, and its static pages. Safe to run again: it updates what it made.
"""

import secrets
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.flatpages.models import FlatPage
from django.contrib.sites.models import Site
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image as PILImage
from PIL import ImageDraw

from articles.models import Article, Author, Byline, Image, Section, Tag
from comments.models import Comment
from comments.services import comment_recount
from donations.models import Appeal, Campaign, Donation, Donor, ManualMethod

SEED_BODY = Path(__file__).resolve().parents[2] / "demo" / "peru-takes-the-lead.html"

SECTIONS = [
    ("politics", "Politics", None, "Power, protest and the institutions in between."),
    ("economy", "Economy", None, "Prices, oil, money and how people get by."),
    ("oil", "Oil", "economy", "The industry the country runs on."),
    ("culture", "Culture", None, "Books, music, film and the people who make them."),
    ("analysis", "Analysis", None, "Our writers take a longer look."),
]

AUTHORS = [
    ("editorial-staff", "Editorial Staff", "The newsroom's editors, writing together."),
    ("ana-rivas", "Ana Rivas", "Ana covers politics and the courts from Caracas."),
    ("luis-mendez", "Luis Méndez", "Luis writes about the economy and the oil industry."),
    ("carla-suarez", "Carla Suárez", "Carla is our culture editor."),
]

TAGS = ["Diplomacy", "OAS", "Peru", "Protests", "Inflation", "PDVSA", "Books", "Elections"]

SEED = {
    "slug": "peru-takes-the-lead",
    "title": "Peru Takes the Lead",
    "dek": "Lima's president and Congress ask the OAS to invoke the Democratic Charter.",
    "section": "politics",
    "authors": ["editorial-staff"],
    "tags": ["Diplomacy", "OAS", "Peru"],
    "when": datetime(2016, 10, 28, 14, 30),
    "featured": True,
}

STORIES = [
    (
        "politics",
        "ana-rivas",
        "Recall referendum suspended, opposition calls for march",
        ["Elections", "Protests"],
    ),
    ("economy", "luis-mendez", "What a kilo of rice costs this week", ["Inflation"]),
    ("oil", "luis-mendez", "PDVSA bond swap: who blinked first", ["PDVSA"]),
    ("culture", "carla-suarez", "The novel everyone in Caracas is passing around", ["Books"]),
    ("analysis", "editorial-staff", "Why the regional consensus is shifting", ["Diplomacy", "OAS"]),
    ("politics", "ana-rivas", "Inside the National Assembly's longest session", ["Elections"]),
    ("economy", "luis-mendez", "The black-market rate, explained for newcomers", ["Inflation"]),
    ("politics", "ana-rivas", "Takeover of Venezuela: a day on the streets", ["Protests"]),
    ("oil", "luis-mendez", "Refinery outages and the lines at the pump", ["PDVSA"]),
    ("culture", "carla-suarez", "A salsa orchestra rehearses through the blackout", []),
    ("analysis", "ana-rivas", "Dialogue talks: what each side actually wants", ["Diplomacy"]),
    ("economy", "luis-mendez", "Bakeries, flour quotas and the morning queue", ["Inflation"]),
    ("politics", "editorial-staff", "The week in five stories", []),
    ("culture", "carla-suarez", "Exiled painters show in Lima", ["Peru"]),
    ("analysis", "luis-mendez", "Can the oil sector recover without investment?", ["PDVSA"]),
    (
        "politics",
        "ana-rivas",
        "Students lead the march to the electoral council",
        ["Protests", "Elections"],
    ),
    ("economy", "luis-mendez", "Remittances now keep many families afloat", []),
    ("culture", "carla-suarez", "Reading lists from our readers", ["Books"]),
    ("politics", "ana-rivas", "Governors' elections postponed again", ["Elections"]),
    ("analysis", "editorial-staff", "Ten questions about the Democratic Charter", ["OAS"]),
]

SEED_COMMENTS = [
    (
        "Marcos",
        "I remember some CC’s writers supporting the Bolivarian candidate back in the last "
        "Peruvian elections. So I ask, would that have happened with Veronika there? "
        "Obviously not.\n\nSome pragmatism is needed sometimes…",
        None,
    ),
    (
        "Rosa Elena",
        "Many Peruvians remember when Carlos Andres Perez when to Peru and spoke on behalf of "
        "Democracy while Fujimori was consolidating his power Dictatoral syle just as Maduro "
        "has done.. Bravo Congreso de Peru !!",
        None,
    ),
    (
        "Julio",
        "OT- Is anyone having trouble making calls to Venezuela? Whatsapp or otherwise?\n"
        "Calls seem to have been blocked since last night.",
        None,
    ),
    (
        "Gustavo",
        "From where I sit, internet service seems to be slowed down considerably over the last "
        "four days. A friend of mine reported receiving a Whatsapp message last night a full two "
        "hours after I sent it. It could be simply due to congestion in the system due to "
        "increased traffic related to people using social media more than normal…, or it could "
        "be a deliberate measure to degrade the Opposition’s command and control.",
        2,
    ),
]

PAGES = [
    (
        "/about/",
        "About",
        "<p>We are an independent, reader-supported newsroom. We explain the "
        "country to the world and to itself, with no owner but our readers.</p>",
    ),
    (
        "/masthead/",
        "Masthead",
        "<h2>Editors</h2><ul><li>Ana Rivas, politics</li>"
        "<li>Luis Méndez, economy</li><li>Carla Suárez, culture</li></ul>",
    ),
    (
        "/ethics/",
        "Ethics policy",
        "<p>We correct our mistakes in the open, we name our sources "
        "whenever their safety allows, and no donor buys coverage.</p>",
    ),
]

IMAGE_COLOURS = [("#1f3b57", "#b3261e"), ("#2e5e4e", "#e0b100"), ("#5b2a86", "#f08a5d")]


def demo_picture(colours, label):
    """A banded placeholder picture, made here so the demo needs nothing from the network."""
    picture = PILImage.new("RGB", (1600, 900), colours[0])
    draw = ImageDraw.Draw(picture)
    for band in range(0, 900, 60):
        draw.rectangle([0, band, 1600, band + 24], fill=colours[1])
    draw.text((60, 800), label, fill="white")
    buffer = BytesIO()
    picture.save(buffer, format="JPEG", quality=80)
    return ContentFile(buffer.getvalue(), name=f"demo-{label.lower().replace(' ', '-')}.jpg")


def story_body(title, section):
    return (
        f"<p>{title}: this is demo text for the {section} desk, standing in for a reported "
        "story so that lists, archives and pagination have something to show.</p>"
        "<h2>What we know</h2><p>Reporters on the ground describe a fast-moving situation. "
        "Officials declined to comment on the record.</p>"
        "<ul><li>Prices rose again this week.</li><li>Queues formed before dawn.</li></ul>"
        "<p>We will update this story as we learn more.</p>"
    )


class Command(BaseCommand):
    help = "Load the demo newsroom (idempotent): articles, authors, sections, pages, an admin."

    @transaction.atomic
    def handle(self, *args, **options):
        Site.objects.filter(pk=1, domain="example.com").update(
            domain="127.0.0.1:8000", name="Newsroom demo"
        )
        sections = self.load_sections()
        authors = {
            slug: Author.objects.update_or_create(slug=slug, defaults={"name": name, "bio": bio})[0]
            for slug, name, bio in AUTHORS
        }
        tags = {
            name: Tag.objects.get_or_create(slug=name.lower(), defaults={"name": name})[0]
            for name in TAGS
        }
        images = [self.load_image(colours, index) for index, colours in enumerate(IMAGE_COLOURS)]
        self.load_article(
            SEED,
            body=SEED_BODY.read_text(),
            sections=sections,
            authors=authors,
            tags=tags,
            image=images[0],
        )
        start = datetime(2016, 11, 20, 9, 0)
        for index, (section, author, title, tag_names) in enumerate(STORIES):
            story = {
                "slug": None,
                "title": title,
                "dek": "",
                "section": section,
                "authors": [author],
                "tags": tag_names,
                "when": start - timedelta(days=index * 3, hours=index),
                "featured": index in (4, 7),
            }
            image = images[index % len(images)] if index % 3 == 0 else None
            self.load_article(
                story,
                body=story_body(title, section),
                sections=sections,
                authors=authors,
                tags=tags,
                image=image,
            )
        for url, title, content in PAGES:
            page, _ = FlatPage.objects.update_or_create(
                url=url, defaults={"title": title, "content": content}
            )
            page.sites.add(1)
        Appeal.objects.filter(is_active=True).update(
            message="Caracas Chronicles is 100% reader-supported. Support independent "
            "Venezuelan journalism by making a donation."
        )
        self.load_donations()
        self.load_comments(Article.objects.get(slug=SEED["slug"]))
        self.report_admin()
        self.stdout.write(
            self.style.SUCCESS(f"Demo content loaded: {Article.objects.count()} articles.")
        )

    def load_sections(self):
        sections = {}
        for slug, name, parent, description in SECTIONS:
            sections[slug] = Section.objects.update_or_create(
                slug=slug,
                defaults={"name": name, "parent": sections.get(parent), "description": description},
            )[0]
        return sections

    def load_image(self, colours, index):
        title = f"Demo picture {index + 1}"
        image = Image.objects.filter(title=title).first()
        if image is None:
            image = Image(
                title=title,
                alt_text="Coloured bands, a placeholder picture",
                caption="A placeholder picture for the demo.",
                credit="Newsroom demo",
                file=demo_picture(colours, title),
            )
            image.save()
        return image

    def load_article(self, story, *, body, sections, authors, tags, image):
        slug = story["slug"] or slugify(story["title"])
        article, _ = Article.objects.update_or_create(
            slug=slug,
            defaults={
                "title": story["title"],
                "dek": story["dek"],
                "body": body,
                "section": sections[story["section"]],
                "status": Article.Status.PUBLISHED,
                "publish_at": timezone.make_aware(story["when"], timezone.get_current_timezone()),
                "is_featured": story["featured"],
                "featured_image": image,
            },
        )
        article.bylines.all().delete()
        Byline.objects.bulk_create(
            Byline(article=article, author=authors[slug], position=position)
            for position, slug in enumerate(story["authors"])
        )
        article.tags.set([tags[name] for name in story["tags"]])

    def load_donations(self):
        """An active campaign part-way to its goal, and a bank-transfer option."""
        campaign, created = Campaign.objects.get_or_create(
            slug="keep-the-lights-on",
            defaults={
                "name": "Keep the lights on",
                "pitch": "Independent reporting from Venezuela costs money. Help us reach our "
                "goal for the year.",
                "goal": 2_500_000,
                "suggested_amounts": [5, 10, 25, 50, 100],
                "show_donors": True,
            },
        )
        ManualMethod.objects.get_or_create(
            name="Bank transfer (Zelle or Pago Móvil)",
            defaults={
                "instructions": "Zelle: donate@example.org\nPago Móvil: 0102 04141234567 "
                "V-12345678\nWrite your reference number in the transfer note."
            },
        )
        if not created:
            return
        gifts = [("Luisa", 5000, "Keep it up!"), ("Pedro", 2500, ""), ("Ana", 10000, "")]
        for name, amount, message in gifts:
            donor, _ = Donor.objects.get_or_create(
                email=f"{slugify(name)}@example.org", defaults={"name": name}
            )
            Donation.objects.create(
                donor=donor,
                campaign=campaign,
                amount=amount,
                currency="USD",
                provider="demo",
                status=Donation.Status.COMPLETED,
                completed_at=timezone.now(),
                name=name,
                public_message=message,
            )

    def load_comments(self, article):
        """The seed page's discussion, approved, plus one held and one spam for the queue."""
        if article.comments.exists():
            return
        posted_at = article.publish_at + timedelta(hours=2)
        created = []
        for index, (name, body, parent_index) in enumerate(SEED_COMMENTS):
            parent = created[parent_index] if parent_index is not None else None
            created.append(
                self.demo_comment(
                    article,
                    name,
                    body,
                    Comment.Status.APPROVED,
                    parent,
                    posted_at + timedelta(minutes=40 * index),
                )
            )
        self.demo_comment(
            article,
            "Ana María",
            "Does anyone know whether other governments will follow Peru?",
            Comment.Status.PENDING,
            None,
            posted_at + timedelta(days=1),
            reason="First comment from this email address",
        )
        self.demo_comment(
            article,
            "Cheap Pills",
            "Buy cheap pills at http://spam.example/ now!",
            Comment.Status.SPAM,
            None,
            posted_at + timedelta(days=1, hours=1),
            reason="Contains the blocklisted “cheap pills”",
        )
        comment_recount(article_ids=[article.pk])

    def demo_comment(self, article, name, body, status, parent, when, reason=""):
        comment = Comment(
            article=article,
            author_name=name,
            author_email=f"{slugify(name)}@example.org",
            body=body,
            status=status,
            status_reason=reason,
            created_at=when,
        )
        comment.place_under(parent)
        comment.save()
        comment.set_path()
        comment.save(update_fields=["path"])
        return comment

    def report_admin(self):
        User = get_user_model()
        if User.objects.filter(username="admin").exists():
            self.stdout.write(
                "Admin login: user 'admin' (password as set before; change it with "
                "`.venv/bin/python manage.py changepassword admin`)."
            )
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser("admin", "admin@localhost", password)
        self.stdout.write(
            self.style.WARNING(f"Admin login created: user 'admin', password '{password}'")
        )
