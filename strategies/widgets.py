"""Checkbox widgets for tagging a strategy: articles grouped by instrument, issues as a tree.

Both render the options a CheckboxSelectMultiple builds (ids, names, `checked`), only arranged
differently, so the posted data is exactly what a plain CheckboxSelectMultiple would send.
"""

from django import forms
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe


def _ticked(options: list[dict]) -> int:
    return sum(1 for option in options if option["selected"])


class ProjectTemplateWidget(forms.Widget):
    """Rendered by the project's template engine, which sees templates/; the default form
    renderer looks only in the apps and in Django's own form templates."""

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)
        return mark_safe(render_to_string(self.template_name, context))


class GroupedCheckboxSelectMultiple(ProjectTemplateWidget, forms.CheckboxSelectMultiple):
    """One collapsible group of checkboxes per optgroup of the choices, with a ticked count."""

    template_name = "strategies/widgets/grouped_checkboxes.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["groups"] = [
            {"label": label, "options": options, "ticked": _ticked(options)}
            for label, options, _index in context["widget"]["optgroups"]
        ]
        return context


class IssueTreeWidget(ProjectTemplateWidget, forms.CheckboxSelectMultiple):
    """The cross-cutting issues as nested lists: ancestors are headings, only leaves are ticked.

    Expects the choices of a ModelMultipleChoiceField over every CrossCuttingIssue, parents
    before children (the tree's `position` order); each option's value carries its issue.
    """

    template_name = "strategies/widgets/issue_tree.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["tree"] = self.tree(context["widget"]["optgroups"])
        return context

    @staticmethod
    def tree(optgroups) -> list[dict]:
        nodes = {}
        for _label, options, _index in optgroups:
            for option in options:
                issue = option["value"].instance
                nodes[issue.pk] = {
                    "label": option["label"],
                    "option": option,
                    "is_leaf": issue.is_leaf,
                    "provisional": issue.provisional,
                    "parent_id": issue.parent_id,
                    "children": [],
                }
        roots = []
        for node in nodes.values():
            parent = nodes.get(node["parent_id"])
            (parent["children"] if parent else roots).append(node)

        def count(node: dict) -> int:
            own = 1 if node["is_leaf"] and node["option"]["selected"] else 0
            node["ticked"] = own + sum(count(child) for child in node["children"])
            return node["ticked"]

        for root in roots:
            count(root)
        return roots
