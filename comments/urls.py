from django.urls import path, re_path

from comments import feeds, views

app_name = "comments"

urlpatterns = [
    path("comments/post/<int:article_id>/", views.post_comment, name="post"),
    path("comments/<int:comment_id>/report/", views.report_comment, name="report"),
    path("comments/manage/<str:token>/", views.manage_comment, name="manage"),
    path("comments/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("comments/feed/", feeds.LatestCommentsFeed(), name="feed"),
    re_path(
        r"^(?P<year>[0-9]{4})/(?P<month>[0-9]{2})/(?P<day>[0-9]{2})/(?P<slug>[-\w]+)/feed/$",
        feeds.ArticleCommentsFeed(),
        name="article_feed",
    ),
]
