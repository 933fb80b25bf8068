from dataclasses import dataclass, field


@dataclass
class FileOutcome:
    """What importing one file did: either every record in it was saved, or none was."""

    source: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


class DryRunRollback(Exception):
    """Raised inside the import transaction to undo a dry run after full validation."""
