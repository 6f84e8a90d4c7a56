import time
import unicodedata

from django import forms
from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _

from comments.models import Comment, is_plain_web_address
from comments.sanitize import fold, visible_text

TIMESTAMP_SALT = "comments.form-issued"
# Also what keeps sanitizing and moderating a comment quick, whatever it holds.
BODY_MAX_LENGTH = 5000
BODY_ERRORS = {
    "required": _("Please enter your comment!"),
    "max_length": _(
        "Please keep your comment to %(limit_value)d characters (it has %(show_value)d)."
    ),
}


def require_visible_text(text):
    """
    Zero-width characters or an empty paragraph pass a required field yet show
    nothing: a comment or a name must have something a reader can see.
    """
    if not fold(visible_text(text)):
        raise forms.ValidationError(BODY_ERRORS["required"], code="required")


def issue_timestamp(article_id):
    """Signed when the form is shown, so its age can be checked when it comes back."""
    return signing.dumps([article_id, int(time.time())], salt=TIMESTAMP_SALT)


class CommentForm(forms.Form):
    """
    The reader's comment form, with WordPress's messages. The honeypot and the
    signed timestamp turn away robots; people never see either.
    """

    body = forms.CharField(
        label=_("Comment"),
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages=BODY_ERRORS,
        validators=[require_visible_text],
    )
    author_name = forms.CharField(
        label=_("Name"),
        max_length=Comment._meta.get_field("author_name").max_length,
        error_messages={
            "required": _("Please enter your name here"),
            "max_length": _("Please enter a name of at most %(limit_value)d characters"),
        },
    )
    author_email = forms.EmailField(
        label=_("Email"),
        help_text=_("Never shown publicly."),
        max_length=Comment._meta.get_field("author_email").max_length,
        error_messages={
            "required": _("Please enter a valid email address"),
            "invalid": _("Please enter a valid email address"),
            "max_length": _("Please enter an email address of at most %(limit_value)d characters"),
        },
    )
    author_url = forms.URLField(
        label=_("Website"),
        required=False,
        assume_scheme="https",
        max_length=Comment._meta.get_field("author_url").max_length,
        error_messages={
            "invalid": _("Please enter a valid web address"),
            "max_length": _("Please enter a web address of at most %(limit_value)d characters"),
        },
    )
    remember = forms.BooleanField(
        label=_("Save my name and email in this browser for the next time I comment."),
        required=False,
    )
    notify_replies = forms.BooleanField(
        label=_("Email me when someone replies to my comment."), required=False
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    issued = forms.CharField(widget=forms.HiddenInput, required=False)
    # Named like a real field so form-filling robots fill it; hidden from people by CSS.
    phone = forms.CharField(label=_("Leave this empty"), required=False)

    def __init__(self, *args, article, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.article = article
        self.user = user
        self.fields["issued"].initial = issue_timestamp(article.pk)
        self.fields["body"].strip = True
        if user is not None and user.is_authenticated:
            for name in ("author_name", "author_email", "author_url", "remember"):
                del self.fields[name]

    def clean(self):
        """The robot checks, reported above the form: no field of the reader's is at fault."""
        cleaned = super().clean()
        if cleaned.get("phone"):
            raise forms.ValidationError(_("Your comment looks automated and was not posted."))
        self._check_issued(self.data.get("issued", ""))
        return cleaned

    def _check_issued(self, token):
        try:
            article_id, issued_at = signing.loads(
                token, salt=TIMESTAMP_SALT, max_age=settings.COMMENTS_FORM_MAX_SECONDS
            )
        except signing.SignatureExpired:
            raise forms.ValidationError(
                _(
                    "This form is more than two days old. Copy your comment, reload the page "
                    "and post it again."
                )
            ) from None
        except (signing.BadSignature, ValueError, TypeError):
            raise forms.ValidationError(
                _("This form was not recognized. Reload the page and try again.")
            ) from None
        if article_id != self.article.pk:
            raise forms.ValidationError(_("This form belongs to another article."))
        if time.time() - issued_at < settings.COMMENTS_FORM_MIN_SECONDS:
            raise forms.ValidationError(
                _("That was quick! Please take a few seconds to read your comment, then post it.")
            )

    def clean_author_name(self):
        """
        The name heads reply emails: a line break in it would write their
        subject and open their body with the commenter's text, so no control
        or line-separator characters.
        """
        name = self.cleaned_data["author_name"]
        if not fold(name):
            raise forms.ValidationError(self.fields["author_name"].error_messages["required"])
        if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in name):
            raise forms.ValidationError(
                _("Please enter your name on one line, without tabs or other control characters")
            )
        return name

    def clean_author_email(self):
        """
        Quotes and backslashes (`"vic\\tim"@example.org`) and a domain literal
        (`someone@[127.0.0.1]`) only respell a mailbox or name a server: refused,
        so one mailbox cannot be reached under many spellings.
        """
        email = self.cleaned_data["author_email"]
        if '"' in email or "\\" in email:
            raise forms.ValidationError(_("Please enter an email address without quotes"))
        if email.rpartition("@")[2].startswith("["):
            raise forms.ValidationError(
                _("Please enter an email address with a domain name, such as name@example.org")
            )
        return email

    def clean_author_url(self):
        url = self.cleaned_data["author_url"]
        if url and not is_plain_web_address(url):
            raise forms.ValidationError(self.fields["author_url"].error_messages["invalid"])
        return url

    def clean_parent(self):
        parent_id = self.cleaned_data.get("parent")
        if not parent_id:
            return None
        parent = (
            Comment.objects.approved()
            .filter(pk=parent_id, article=self.article)
            .select_related("parent")
            .first()
        )
        if parent is None:
            # Shown above the form: the field itself is hidden.
            self.add_error(None, _("The comment you are replying to is no longer here."))
        return parent

    def author(self):
        """Name, email and website: the account's for signed-in readers, else as typed."""
        if self.user is not None and self.user.is_authenticated:
            return {
                "author_name": self.user.get_full_name() or self.user.get_username(),
                "author_email": self.user.email,
                "author_url": "",
            }
        return {
            key: self.cleaned_data[key] for key in ("author_name", "author_email", "author_url")
        }


class CommentEditForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages=BODY_ERRORS,
        validators=[require_visible_text],
    )
