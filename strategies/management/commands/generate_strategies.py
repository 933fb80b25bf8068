from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from strategies.synthetic import generate, remove_synthetic


class Command(BaseCommand):
    help = (
        "Create N synthetic strategies (flagged as synthetic, IDs counting down from 9999 per "
        "jurisdiction) for demonstrations and benchmarks; --remove deletes every synthetic one."
    )

    def add_arguments(self, parser):
        parser.add_argument("count", nargs="?", type=int, help="How many to create.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default: 1).")
        parser.add_argument(
            "--remove", action="store_true", help="Delete all synthetic strategies and stop."
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, count, seed, remove, no_progress, **options):
        if remove:
            removed = remove_synthetic()
            self.stdout.write(f"Removed {removed} synthetic strategies.")
            if count is None:
                return
        if count is None or count < 1:
            raise CommandError("Give how many strategies to create (a positive number).")
        with tqdm(
            total=count, unit="strategies", disable=no_progress, file=self.stderr._out
        ) as bar:
            try:
                created = generate(count, seed, progress=bar.update, stage=bar.set_postfix_str)
            except ValueError as error:
                raise CommandError(str(error)) from None
        self.stdout.write(f"Created {created} synthetic strategies (seed {seed}).")
