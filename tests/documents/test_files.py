"""A file saved inside a transaction stays only if that transaction commits."""

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import transaction

from documents.files import field_file_save
from documents.models import Document


class RolledBackError(Exception):
    pass


def save(code: str) -> Path:
    field_file = Document(kind="donation_receipt", verification_code=code).file
    field_file_save(field_file, f"{code}.pdf", ContentFile(b"%PDF-1.7 " + code.encode()))
    return Path(field_file.path)


@transaction.atomic
def save_then_fail(code: str, saved: list[Path]) -> None:
    saved.append(save(code))
    assert saved[-1].exists()
    raise RolledBackError


@transaction.atomic
def save_in_a_savepoint_then_fail(code: str, saved: list[Path]) -> None:
    with transaction.atomic():
        saved.append(save(code))
    raise RolledBackError


def failing_hook() -> None:
    raise RolledBackError


@transaction.atomic
def save_after_a_failing_hook(code: str, saved: list[Path]) -> None:
    transaction.on_commit(failing_hook)
    saved.append(save(code))


@pytest.mark.django_db(transaction=True)
def test_a_file_saved_in_a_transaction_that_commits_stays():
    with transaction.atomic():
        path = save("COMMITTED001")

    assert path.read_bytes() == b"%PDF-1.7 COMMITTED001"


@pytest.mark.parametrize(
    "save_and_fail",
    [save_then_fail, save_in_a_savepoint_then_fail],
    ids=["saved-in-the-transaction", "saved-in-a-released-savepoint"],
)
@pytest.mark.django_db(transaction=True)
def test_a_file_saved_in_a_transaction_that_rolls_back_is_removed(save_and_fail):
    saved = []
    with pytest.raises(RolledBackError):
        save_and_fail("ROLLEDBACK01", saved)

    assert not saved[0].exists()


@pytest.mark.django_db(transaction=True)
def test_only_the_files_of_a_rolled_back_savepoint_are_removed():
    saved = []
    with transaction.atomic():
        kept = save("OUTERKEPT001")
        with pytest.raises(RolledBackError):
            save_then_fail("INNERGONE001", saved)
        assert not saved[0].exists()

    assert kept.exists()


@pytest.mark.django_db(transaction=True)
def test_a_committed_file_stays_when_an_earlier_on_commit_hook_fails():
    saved = []
    # Django runs no hook after the failing one, this file's included; the data committed.
    with pytest.raises(RolledBackError):
        save_after_a_failing_hook("HOOKFAILED01", saved)

    assert saved[0].exists()


@pytest.mark.django_db(transaction=True)
def test_a_file_saved_outside_a_transaction_stays():
    assert save("AUTOCOMMIT01").exists()
