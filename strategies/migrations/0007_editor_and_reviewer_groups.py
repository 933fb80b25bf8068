"""The two groups of the publishing workflow: Editors write drafts, Reviewers also publish them and
correct the vocabularies' labels.

Permissions are normally created after `migrate`; on a fresh database they do not exist yet at
this point, so they are created here first (create_permissions skips those that exist).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VOCABULARIES = ["region", "jurisdiction", "crimetype", "instrument", "article", "crosscuttingissue"]
EDITORS = [
    ("strategies", "add_strategy"),
    ("strategies", "change_strategy"),
    ("strategies", "view_strategy"),
    ("strategies", "add_attachment"),
    ("strategies", "change_attachment"),
    ("strategies", "view_attachment"),
    *(("taxonomy", f"view_{model}") for model in VOCABULARIES),
]
REVIEWERS = [
    *EDITORS,
    ("strategies", "publish_strategy"),
    *(("taxonomy", f"change_{model}") for model in VOCABULARIES),
]
GROUPS = {"Editors": EDITORS, "Reviewers": REVIEWERS}


def create_groups(apps, schema_editor):
    for label in ("strategies", "taxonomy"):
        app_config = apps.get_app_config(label)
        # create_permissions() passes over an app without a models module, as the migration
        # state's apps are.
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in GROUPS.items():
        group, _created = Group.objects.get_or_create(name=name)
        permissions = [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in wanted
        ]
        group.permissions.add(*permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("strategies", "0006_history_soft_delete_publishing"),
        ("taxonomy", "0003_vocabulary_history"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
