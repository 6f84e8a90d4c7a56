from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from articles.models import Article
from comments import services
from comments.forms import CommentEditForm, CommentForm
from comments.models import Comment, Report
from comments.tokens import comment_for_manage_token, comment_for_unsubscribe_token
from newsroom.network import client_address

OWN_COMMENTS_COOKIE = "comments_own"
OWN_COMMENTS_SECONDS = 30 * 24 * 3600
REMEMBER_COOKIE = "comment_author"
REMEMBER_SECONDS = 365 * 24 * 3600
PROOF_COOKIE = "comment_email_proof"
PROOF_SECONDS = 365 * 24 * 3600


def own_comment_ids(request):
    """The comments this browser posted, from its signed cookie; readers have no session."""
    value = request.get_signed_cookie(
        OWN_COMMENTS_COOKIE, default="", salt=OWN_COMMENTS_COOKIE, max_age=OWN_COMMENTS_SECONDS
    )
    return [int(pk) for pk in value.split(",") if pk.isdigit()]


def remember_own_comment(request, response, comment):
    """Held comments are shown to their author: a signed cookie remembers which ones are theirs."""
    own = (own_comment_ids(request) + [comment.pk])[-50:]
    response.set_signed_cookie(
        OWN_COMMENTS_COOKIE,
        ",".join(map(str, own)),
        salt=OWN_COMMENTS_COOKIE,
        max_age=OWN_COMMENTS_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )


@require_POST
def post_comment(request, article_id):
    article = get_object_or_404(Article.objects.published(), pk=article_id)
    form = CommentForm(request.POST, article=article, user=request.user)
    if form.is_valid():
        try:
            comment = services.comment_post(
                article=article,
                body=form.cleaned_data["body"],
                parent=form.cleaned_data["parent"],
                user=request.user,
                ip_address=client_address(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
                notify_replies=form.cleaned_data["notify_replies"],
                email_verified=proves_email(request, form.author()["author_email"]),
                **form.author(),
            )
        except services.CommentRejected as rejection:
            form.add_error(None, rejection.message)
        else:
            response = redirect(comment.get_absolute_url())
            remember_own_comment(request, response, comment)
            remember_author(request, response, form)
            return response
    return render(
        request, "comments/comment_form.html", {"form": form, "article": article}, status=400
    )


def prove_email(request, response, email):
    """
    This browser followed a link sent to `email` and pressed the button: a signed
    cookie says so for a year, so its comments with that address are confirmed.
    """
    response.set_signed_cookie(
        PROOF_COOKIE,
        email.lower(),
        salt=PROOF_COOKIE,
        max_age=PROOF_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )


def proves_email(request, email):
    """True when this browser has proven `email` (see prove_email); typing it proves nothing."""
    proven = request.get_signed_cookie(
        PROOF_COOKIE, default="", salt=PROOF_COOKIE, max_age=PROOF_SECONDS
    )
    return bool(proven) and proven == email.strip().lower()


def remember_author(request, response, form):
    """WordPress's "Save my name and email": a cookie, so it works without JavaScript."""
    if "remember" not in form.cleaned_data:
        return
    if form.cleaned_data["remember"]:
        author = form.author()
        value = "\t".join(author[key] for key in ("author_name", "author_email", "author_url"))
        response.set_signed_cookie(
            REMEMBER_COOKIE,
            value,
            salt=REMEMBER_COOKIE,
            max_age=REMEMBER_SECONDS,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    else:
        response.delete_cookie(REMEMBER_COOKIE)


def remembered_author(request):
    value = request.get_signed_cookie(REMEMBER_COOKIE, default="", salt=REMEMBER_COOKIE)
    parts = value.split("\t")
    if len(parts) != 3:
        return {}
    name, email, url = parts
    return {"author_name": name, "author_email": email, "author_url": url, "remember": True}


@require_http_methods(["GET", "POST"])
def report_comment(request, comment_id):
    """A confirmation page, then the report: a stray tap reports nothing."""
    comment = get_object_or_404(Comment.objects.approved().select_related("article"), pk=comment_id)
    if request.method == "GET":
        return render(request, "comments/comment_report.html", {"comment": comment})
    reporter = Report.reporter_for(user=request.user, ip_address=client_address(request))
    services.comment_report(comment=comment, reporter=reporter)
    messages.success(request, _("Thank you. A moderator will look at this comment."))
    return redirect(comment.get_absolute_url())


@require_http_methods(["GET", "POST"])
def manage_comment(request, token):
    """
    The commenter's private page, reached from the link in their email. The
    link reaches whoever owns the address, who may not have written the
    comment: anyone can type any address into the form. So only the explicit
    claim, "Yes, this is my comment", confirms it and proves the address for
    this browser. Choosing emails confirms nothing, and reply emails wait for
    the claim. Editing and withdrawing confirm nothing either: an edit is held
    as unconfirmed, and withdrawing a comment someone posted with your address
    is yours to do. A GET changes nothing: mail scanners open links.
    """
    comment = comment_for_manage_token(token)
    if comment is None:
        return render(request, "comments/comment_link_expired.html", status=404)
    form = CommentEditForm(initial={"body": comment.body})
    if request.method == "POST":
        response = _manage_action(request, comment)
        if response is not None:
            return response
        form = CommentEditForm(request.POST)
    return render(request, "comments/comment_manage.html", {"comment": comment, "form": form})


def _manage_action(request, comment):
    """The response to the button pressed, or None to show the edit form again with its errors."""
    action = request.POST.get("action")
    try:
        if action == "confirm":
            return _claim(request, comment)
        if action == "not-mine":
            # Removes nothing: the comment stays for the moderators to decide.
            services.comment_set_reply_notifications(comment=comment, enabled=False)
            messages.success(
                request,
                _(
                    "Thank you. Nothing was confirmed and no reply emails will be sent to "
                    "you about this comment. You can ignore the email; moderators decide on it."
                ),
            )
        elif action == "edit":
            form = CommentEditForm(request.POST)
            if not form.is_valid():
                return None
            services.comment_edit_by_author(comment=comment, body=form.cleaned_data["body"])
            messages.success(request, _("Your comment was updated."))
        elif action == "withdraw":
            services.comment_withdraw(comment=comment)
            messages.success(request, _("Your comment was withdrawn."))
            return redirect(comment.article.get_absolute_url())
        elif action in ("notify-on", "notify-off"):
            services.comment_set_reply_notifications(comment=comment, enabled=action == "notify-on")
            messages.success(request, _("Your email preferences were saved."))
        else:
            return HttpResponseBadRequest(_("This button is not recognised."))
    except services.CommentRejected as rejection:
        messages.error(request, rejection.message)
    return redirect(request.path)


def _claim(request, comment):
    """The reader says they wrote the comment: it is confirmed, and so is this browser."""
    response = redirect(request.path)
    if services.comment_confirm_email(comment=comment) is None:
        messages.error(request, _("This comment is no longer here."))
        return response
    prove_email(request, response, comment.author_email)
    messages.success(request, _("Thank you: your email address is confirmed."))
    return response


@csrf_exempt  # mail clients send RFC 8058 one-click POSTs with no session and no token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    comment = comment_for_unsubscribe_token(token)
    if comment is None:
        return render(request, "comments/comment_link_expired.html", status=404)
    if request.method == "POST":
        services.comment_set_reply_notifications(comment=comment, enabled=False)
        if "List-Unsubscribe" in request.POST:
            return HttpResponse(status=204)
        return render(request, "comments/unsubscribe.html", {"comment": comment, "done": True})
    return render(request, "comments/unsubscribe.html", {"comment": comment, "done": False})
