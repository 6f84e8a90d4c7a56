from datetime import timedelta
from io import BytesIO

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image as PILImage

from articles.models import Article, Author, Byline, Image, Section, Tag
from comments.models import Comment
from donations.models import Campaign, Donation, Donor


def image_upload(name="photo.jpg", size=(1600, 900), image_format="JPEG", colour="navy"):
    buffer = BytesIO()
    PILImage.new("RGB", size, colour).save(buffer, format=image_format)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


class ImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Image

    title = factory.Sequence(lambda n: f"Photo {n}")
    file = factory.LazyFunction(image_upload)
    alt_text = "Protesters fill the avenue"
    caption = "The march reached the electoral council."
    credit = "Ana Rivas"


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    name = factory.Sequence(lambda n: f"Author {n}")
    slug = factory.Sequence(lambda n: f"author-{n}")


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    name = factory.Sequence(lambda n: f"Section {n}")
    slug = factory.Sequence(lambda n: f"section-{n}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"Tag {n}")
    slug = factory.Sequence(lambda n: f"tag-{n}")


class ArticleFactory(factory.django.DjangoModelFactory):
    """A live article with one author; pass status/publish_at for drafts or scheduled ones."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Headline number {n}")
    slug = factory.Sequence(lambda n: f"headline-{n}")
    body = "<p>The body of the story, reported and checked.</p>"
    section = factory.SubFactory(SectionFactory)
    status = Article.Status.PUBLISHED
    publish_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))

    @factory.post_generation
    def authors(self, create, extracted, **kwargs):
        if not create:
            return
        for position, author in enumerate(extracted or [AuthorFactory()]):
            Byline.objects.create(article=self, author=author, position=position)

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.set(extracted)


class CommentFactory(factory.django.DjangoModelFactory):
    """An approved top-level comment; pass parent= for a reply, status= for others."""

    class Meta:
        model = Comment
        skip_postgeneration_save = True

    article = factory.SubFactory(ArticleFactory)
    author_name = factory.Sequence(lambda n: f"Reader {n}")
    author_email = factory.Sequence(lambda n: f"reader{n}@example.org")
    body = factory.Sequence(lambda n: f"Comment number {n}.")
    status = Comment.Status.APPROVED
    ip_address = "203.0.113.7"
    created_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, parent=None, **kwargs):
        comment = model_class(*args, **kwargs)
        comment.place_under(parent)
        comment.save()
        comment.set_path()
        comment.save(update_fields=["path"])
        return comment


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    slug = factory.Sequence(lambda n: f"campaign-{n}")
    pitch = "Help us report."
    goal = 100_000
    suggested_amounts = [5, 10, 25]


class DonorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Donor

    email = factory.Sequence(lambda n: f"donor{n}@example.org")
    name = factory.Sequence(lambda n: f"Donor {n}")


class DonationFactory(factory.django.DjangoModelFactory):
    """A completed one-time gift of $25."""

    class Meta:
        model = Donation

    donor = factory.SubFactory(DonorFactory)
    amount = 2500
    currency = "USD"
    provider = "test"
    status = Donation.Status.COMPLETED
    completed_at = factory.LazyFunction(timezone.now)


class VerifiedCommentFactory(CommentFactory):
    """An approved comment whose author proved their address (signed in, or by the emailed link)."""

    email_verified = True
