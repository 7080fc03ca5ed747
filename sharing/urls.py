"""HTML routes of the sharing app (the child index). Every route has rows in tests/cases/sharing.py."""

from django.urls import path, register_converter

from sharing.views import aggregate, change, children, entries, involvements, merge, new_child, retention, search

register_converter(change.PartConverter, "minimum_part")

urlpatterns = [
    path("children/", search.child_search_page, name="child-search"),
    path("children/counts/", aggregate.child_aggregate_page, name="child-aggregate"),
    path("children/retention/", retention.child_retention_page, name="child-retention"),
    path("children/new/", new_child.child_new, name="child-new"),
    path("children/new/check/", new_child.child_new_check, name="child-new-check"),
    path("children/<int:pk>/", children.child_detail, name="child-detail"),
    path("children/<int:pk>/purpose/", children.child_purpose, name="child-purpose"),
    path("children/<int:pk>/names/new/", children.child_name_add, name="child-name-add"),
    path("children/<int:pk>/address/", children.child_address_change, name="child-address-change"),
    path("children/<int:pk>/change/<minimum_part:part>/", change.child_change, name="child-change"),
    path("children/<int:pk>/shield/", change.child_shield, name="child-shield"),
    path("children/<int:pk>/unshield/", change.child_unshield, name="child-unshield"),
    path("children/<int:pk>/involvements/new/", involvements.involvement_new, name="involvement-new"),
    path(
        "children/<int:pk>/involvements/<int:involvement_pk>/end/",
        involvements.involvement_end,
        name="involvement-end",
    ),
    path("children/<int:pk>/entries/new/", entries.entry_new, name="entry-new"),
    path("children/<int:pk>/entries/<int:entry_pk>/", entries.entry_page, name="entry-detail"),
    path("children/<int:pk>/entries/<int:entry_pk>/revise/", entries.entry_revise, name="entry-revise"),
    path("children/<int:pk>/merge/", merge.child_merge, name="child-merge"),
    path("children/<int:pk>/close/", retention.child_close_page, name="child-close"),
    path("children/<int:pk>/reopen/", retention.child_reopen_page, name="child-reopen"),
    path("children/<int:pk>/merge/check/", merge.child_merge_check, name="child-merge-check"),
]
