from django.shortcuts import render

from taxonomy.models import Article, CrimeType, CrossCuttingIssue, Jurisdiction

from ..models import Strategy


def home(request):
    """What the catalogue holds: the public catalogue pages build on this."""
    published = Strategy.objects.published()
    context = {
        "published_count": published.count(),
        "latest": published.select_related("jurisdiction").order_by("-adoption_date")[:10],
        "vocabularies": [
            (Jurisdiction._meta.verbose_name_plural, Jurisdiction.objects.count()),
            (CrimeType._meta.verbose_name_plural, CrimeType.objects.count()),
            (Article._meta.verbose_name_plural, Article.objects.count()),
            (CrossCuttingIssue._meta.verbose_name_plural, CrossCuttingIssue.objects.count()),
        ],
    }
    return render(request, "strategies/home.html", context)
