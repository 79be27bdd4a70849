"""Predict, then reveal: a question the lecturer puts to a class before the next phase.

"What sign will δ⁽ʰ⁾₁ have?" — asked while the network is still at the loss, answered on
the followers' own screens, and revealed by running the backward pass. A poll holds the
question, its options, each follower's latest answer and, once revealed, the right option
(if there is one: a poll may also just ask for an opinion).

The tally is the lecturer's while the poll is open: followers see it, with the answer,
only after the reveal, so that nobody follows the crowd (an answer therefore wakes no
other follower: the lecturer reads the tally, GET …/class/poll). Answers are keyed by the
follower's connection: a follower may change its mind until the reveal, a follower who
leaves before it takes its answer along (a reload answers again, counted once), and
memory is one small entry per connected follower, bounded by MAX_ANSWERS.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

MAX_OPTIONS = 6
MAX_ANSWERS = 10_000  # more followers than any lecture hall holds

_ids = itertools.count(1)


class PollError(ValueError):
    """An answer the poll cannot take; `field` names the part that is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(eq=False)
class Poll:
    """One question to the class, its options, the answers so far."""

    text: str
    options: tuple[str, ...]
    answer: int | None = None  # the right option, if the question has one
    phase: str = "backward"  # the phase whose numbers answer it (veiled until then)
    id: int = field(default_factory=lambda: next(_ids))
    revealed: bool = False
    answers: dict[int, int] = field(default_factory=dict)  # follower → option

    def __post_init__(self) -> None:
        if not 2 <= len(self.options) <= MAX_OPTIONS:
            raise PollError("options", f"a poll has 2 to {MAX_OPTIONS} options")
        self._check_option("answer", self.answer)

    def _check_option(self, name: str, option: int | None) -> None:
        if option is not None and not 0 <= option < len(self.options):
            raise PollError(name, f"{name} must be an option's index, 0 to {len(self.options) - 1}")

    def vote(self, follower: int, poll_id: int, option: int) -> None:
        """Record (or change) a follower's answer to this poll."""
        if poll_id != self.id:
            raise PollError("poll", "that question is no longer asked: answer the current one")
        if self.revealed:
            raise PollError("poll", "the answer has been revealed: the poll is closed")
        self._check_option("option", option)
        if follower not in self.answers and len(self.answers) >= MAX_ANSWERS:
            raise PollError("poll", f"this poll has {MAX_ANSWERS} answers already")
        self.answers[follower] = option

    def leave(self, follower: int) -> None:
        """A follower left before the reveal: its answer goes (a reload answers again, and
        is counted once); after the reveal the tally stays as it was shown."""
        if not self.revealed:
            self.answers.pop(follower, None)

    def reveal(self, answer: int | None = None) -> None:
        """Close the poll; `answer` (if given) says which option was right."""
        if answer is not None:
            self._check_option("answer", answer)
            self.answer = answer
        self.revealed = True

    def tally(self) -> list[int]:
        """How many followers chose each option."""
        counts = [0] * len(self.options)
        for option in self.answers.values():
            counts[option] += 1
        return counts

    def for_lecturer(self) -> dict[str, Any]:
        """Everything, the tally while it is being given included."""
        return {
            "id": self.id,
            "text": self.text,
            "options": list(self.options),
            "answer": self.answer,
            "reveal": self.phase,
            "revealed": self.revealed,
            "tally": self.tally(),
            "answered": len(self.answers),
        }

    def for_follower(self) -> dict[str, Any]:
        """The question; the answer and the tally only once revealed."""
        shown = {
            "type": "poll",
            "id": self.id,
            "text": self.text,
            "options": list(self.options),
            "reveal": self.phase,
            "revealed": self.revealed,
        }
        if self.revealed:
            shown |= {"answer": self.answer, "tally": self.tally(), "answered": len(self.answers)}
        return shown
