from dataclasses import dataclass, field


@dataclass
class FileOutcome:
    """What importing one file did: either every record in it was saved, or none was."""

    source: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # already exactly so: nothing written
    errors: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, result) -> None:
        """Count a SaveResult under what it did."""
        if result.created:
            self.created.append(result.strategy.strategy_id)
        elif result.unchanged:
            self.unchanged.append(result.strategy.strategy_id)
        else:
            self.updated.append(result.strategy.strategy_id)

    def forget_saved(self) -> None:
        """Forget what was saved (a rollback undid it)."""
        self.created, self.updated, self.unchanged = [], [], []


class DryRunRollback(Exception):
    """Raised inside the import transaction to undo a dry run after full validation."""
