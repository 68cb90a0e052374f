"""``manage.py api_token create --user NAME [--name TEXT]``, ``list [--user NAME]``,
``revoke PREFIX``: tokens for machine clients of the statistics API (docs/api.md)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from adoption.api_tokens import tokens
from adoption.models import ApiToken


class Command(BaseCommand):
    help = "Create, list or revoke API tokens (read access to the statistics API)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="issue a token and print it once")
        create.add_argument("--user", required=True, help="the user it reads as")
        create.add_argument("--name", default="", help="what it is for")
        listing = actions.add_parser("list", help="list tokens (never their secret)")
        listing.add_argument("--user", help="only this user's tokens")
        revoke = actions.add_parser("revoke", help="revoke a token")
        revoke.add_argument("prefix", help="the token's prefix, as `list` shows it")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self._create(options["user"], options["name"])
        elif action == "list":
            self._list(options["user"])
        else:
            self._revoke(options["prefix"])

    def _create(self, username: str, name: str) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        if not user.is_active:
            raise CommandError(f"user {username!r} is not active")
        issued = tokens.issue(user, name)
        # Only the token on stdout, so a script can capture it; the advice on stderr.
        self.stdout.write(issued.secret)
        self.stderr.write(
            f"token {issued.row.prefix}… for {username}: shown once, store it now "
            "(send it as `Authorization: Bearer <token>`)"
        )

    def _list(self, username: str | None) -> None:
        rows = ApiToken.objects.select_related("user")
        if username:
            rows = rows.filter(user__username=username)
        for row in rows:
            state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
            used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never"
            self.stdout.write(
                f"{row.prefix}\t{row.user.get_username()}\t{state}\t"
                f"created {row.created_at:%Y-%m-%d}\tlast used {used}\t{row.name}"
            )

    def _revoke(self, prefix: str) -> None:
        matching = ApiToken.objects.filter(prefix=prefix.rstrip("…"))
        count = matching.count()
        if count == 0:
            raise CommandError(f"no token with prefix {prefix!r}")
        if count > 1:
            raise CommandError(
                f"{count} tokens have prefix {prefix!r}: revoke them in the admin"
            )
        if tokens.revoke(matching):
            self.stdout.write(f"token {prefix} revoked")
        else:
            self.stdout.write(f"token {prefix} was already revoked")
