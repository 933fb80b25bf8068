"""The admin index's count of strategies waiting for review (templates/admin/index.html)."""

from django import template

from ..models import Strategy

register = template.Library()


@register.simple_tag
def waiting_for_review_count() -> int:
    return Strategy.objects.waiting_for_review().count()
