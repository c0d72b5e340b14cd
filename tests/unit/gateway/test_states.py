"""The application state machine (pure)."""
import pytest

from gateway.applications.states import TRANSITIONS, Action, Status, next_status
from gateway.errors import IllegalTransition


def test_a_new_submission_enters_the_queue():
    assert next_status(None, Action.SUBMIT) == Status.QUEUED


def test_claiming_a_queued_application_puts_it_in_review():
    assert next_status(Status.QUEUED, Action.CLAIM) == Status.IN_REVIEW


def test_approval_of_an_application_in_review_waits_for_entry_in_the_register():
    approved = next_status(Status.IN_REVIEW, Action.APPROVE)
    assert approved == Status.APPROVED
    assert next_status(approved, Action.REGISTER) == Status.REGISTERED


def test_an_announcement_pauses_review_and_returns_the_application_to_the_queue():
    announcing = next_status(Status.IN_REVIEW, Action.START_ANNOUNCEMENT)
    assert next_status(announcing, Action.END_ANNOUNCEMENT) == Status.QUEUED


def test_a_refused_linked_application_takes_an_approved_sibling_down_with_it():
    assert next_status(Status.APPROVED, Action.LINKED_REJECTION) == Status.REJECTED


def test_an_approved_application_that_no_longer_fits_at_registration_goes_back_to_the_queue():
    assert next_status(Status.APPROVED, Action.RETURN_TO_REVIEW) == Status.QUEUED
    with pytest.raises(IllegalTransition):
        next_status(Status.REGISTERED, Action.RETURN_TO_REVIEW)


def test_a_supplement_request_pauses_the_application_until_supplemented():
    paused = next_status(Status.IN_REVIEW, Action.REQUEST_SUPPLEMENT)
    assert paused == Status.SUPPLEMENT_REQUESTED
    assert next_status(paused, Action.SUPPLEMENT) == Status.QUEUED


def test_an_unclaimed_application_cannot_be_approved():
    with pytest.raises(IllegalTransition) as refused:
        next_status(Status.QUEUED, Action.APPROVE)
    assert refused.value.code == "application.illegal_transition"


@pytest.mark.parametrize("final", [Status.REGISTERED, Status.REJECTED])
def test_no_action_leaves_a_final_state(final):
    for action in Action:
        with pytest.raises(IllegalTransition):
            next_status(final, action)


def test_every_status_is_reachable_from_submission():
    reached, frontier = set(), {next_status(None, Action.SUBMIT)}
    while frontier:
        status = frontier.pop()
        reached.add(status)
        frontier |= {target for (source, _), target in TRANSITIONS.items() if source == status} - reached
    assert reached == set(Status)
