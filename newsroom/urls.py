from django.conf import settings
from django.contrib import admin
from django.contrib.flatpages import views as flatpages
from django.contrib.flatpages.sitemaps import FlatPageSitemap
from django.contrib.sitemaps import views as sitemaps
from django.urls import include, path, re_path
from django.views.static import serve

from articles.sitemaps import ArticleSitemap, HomeSitemap, SectionSitemap
from newsroom import privacy_views, security, views

SITEMAPS = {
    "home": HomeSitemap,
    "articles": ArticleSitemap,
    "sections": SectionSitemap,
    "pages": FlatPageSitemap,
}

admin.site.site_header = settings.SITE_NAME
admin.site.site_title = settings.SITE_NAME
# The extra "Authentication code" field, required only of staff who set up an app.
admin.site.login_form = security.AdminSignInForm

urlpatterns = [
    # Inside the admin's path, before the admin's own catch-all 404.
    path(
        f"{settings.ADMIN_URL}two-factor/",
        admin.site.admin_view(views.two_factor),
        name="two_factor",
    ),
    path(
        f"{settings.ADMIN_URL}personal-data/",
        admin.site.admin_view(privacy_views.personal_data),
        name="personal_data",
    ),
    path(settings.ADMIN_URL, admin.site.urls),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path(".well-known/security.txt", views.security_txt, name="security_txt"),
    path("favicon.ico", views.favicon),
    path(
        "sitemap.xml",
        sitemaps.sitemap,
        {"sitemaps": SITEMAPS},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path("donate/", include("donations.urls")),
    path("", include("comments.urls")),
    path("", include("articles.urls")),
]

if settings.DEBUG:
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]

# Static pages answer any path nothing else claimed, so they go last.
urlpatterns += [re_path(r"^(?P<url>.*/)$", flatpages.flatpage, name="flatpage")]

# Error pages that render without the database, and a 503 while it cannot be reached.
handler500 = "newsroom.errors.server_error"
