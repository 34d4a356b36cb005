from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = (
        'Print an API token for USER, creating the user (without a password) if needed. '
        'Use it as the header "Authorization: Token <token>".'
    )

    def add_arguments(self, parser):
        parser.add_argument('username')
        parser.add_argument('--staff', action='store_true', help='Make the user staff (allowed to write).')
        parser.add_argument('--rotate', action='store_true', help='Replace an existing token with a new one.')

    @transaction.atomic
    def handle(self, username, staff, rotate, **options):
        if not username.strip() or len(username) > 150:
            raise CommandError('USER must be 1 to 150 characters')
        user, created = get_user_model().objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
        if staff and not user.is_staff:
            user.is_staff = True
        user.save()
        if rotate:
            Token.objects.filter(user=user).delete()
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
