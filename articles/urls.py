from django.urls import path, re_path

from articles import feeds, views

app_name = "articles"

SECTION_PATH = r"(?P<path>[-\w]+(?:/[-\w]+)*)"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("corrections/", views.CorrectionsView.as_view(), name="corrections"),
    path("feed/", feeds.LatestArticlesFeed(), name="feed"),
    re_path(rf"^category/{SECTION_PATH}/feed/$", feeds.SectionFeed(), name="section_feed"),
    re_path(rf"^category/{SECTION_PATH}/$", views.SectionView.as_view(), name="section"),
    path("tag/<slug:slug>/", views.TagView.as_view(), name="tag"),
    path("author/<slug:slug>/", views.AuthorView.as_view(), name="author"),
    re_path(r"^(?P<year>[0-9]{4})/$", views.YearArchive.as_view(), name="archive_year"),
    re_path(
        r"^(?P<year>[0-9]{4})/(?P<month>[0-9]{2})/$",
        views.MonthArchive.as_view(),
        name="archive_month",
    ),
    re_path(
        r"^(?P<year>[0-9]{4})/(?P<month>[0-9]{2})/(?P<day>[0-9]{2})/$",
        views.DayArchive.as_view(),
        name="archive_day",
    ),
    re_path(
        r"^(?P<year>[0-9]{4})/(?P<month>[0-9]{2})/(?P<day>[0-9]{2})/(?P<slug>[-\w]+)/$",
        views.ArticleDetailView.as_view(),
        name="article",
    ),
]
