from django.conf import settings


def news_article(article, request):
    """schema.org NewsArticle for the article page, with absolute URLs as crawlers need."""
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "description": article.meta_description,
        "mainEntityOfPage": request.build_absolute_uri(article.get_absolute_url()),
        "datePublished": article.publish_at,
        "dateModified": article.updated_at,
        "author": [
            {
                "@type": "Person",
                "name": author.name,
                "url": request.build_absolute_uri(author.get_absolute_url()),
            }
            for author in article.byline_authors
        ],
        "publisher": {"@type": "Organization", "name": settings.SITE_NAME},
    }
    if article.section:
        data["articleSection"] = article.section.name
    if article.featured_image:
        data["image"] = [request.build_absolute_uri(article.featured_image.src)]
    return data
