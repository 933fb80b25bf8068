import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "For local development: create an 'admin' superuser with a random password (kept in "
        ".local-admin-password, which git ignores) and print how to sign in."
    )

    def handle(self, *args, **options):
        password_file = Path(settings.BASE_DIR) / ".local-admin-password"
        users = get_user_model().objects
        if not users.filter(username="admin").exists():
            password = secrets.token_urlsafe(12)
            users.create_superuser("admin", "admin@localhost", password)
            password_file.write_text(password + "\n", encoding="utf-8")
            password_file.chmod(0o600)
        if password_file.exists():
            password = password_file.read_text(encoding="utf-8").strip()
            self.stdout.write(f"Admin login: admin / {password}  (http://127.0.0.1:8000/admin/)")
        else:
            self.stdout.write(
                "An 'admin' user already exists; set its password with "
                "`python manage.py changepassword admin`."
            )
