"""Saved experiments and lessons: what the routes take and return (server/library.py).

Every input model refuses unknown keys, and every bound is a `Field` limit, so a wrong
value is a 422 whose message names the field and its range (server/errors.py).
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from server.routes.history import ImportIn
from server.schemas.session import SessionState
from server.schemas.stream import ViewFields

NAME_MAX = 80
CAPTION_MAX = 400
ID_MAX = 64

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX),
    Field(description=f"1 … {NAME_MAX} characters (spaces at either end are dropped)."),
]
Caption = Annotated[
    str, Field(max_length=CAPTION_MAX, description=f"0 … {CAPTION_MAX} characters.")
]
Hidden = Literal["data", "model", "training", "display", "export"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SceneView(_In, ViewFields):
    """What a saved state is shown in: the stream's `view` fields, plus presentation mode
    and the control groups hidden from the audience. Every key optional."""

    presentation: bool | None = None
    hide: list[Hidden] | None = Field(default=None, max_length=5)

    def stored(self) -> dict[str, Any]:
        """The keys given (nulls dropped), as kept with the state."""
        return self.model_dump(exclude_none=True)


# ---------------------------------------------------------------------- experiments


class ExperimentIn(_In):
    """Save a session's current state under a name."""

    name: Name
    view: SceneView | None = Field(default=None, description="What it is shown in.")


class ExperimentPatch(_In):
    """Rename an experiment."""

    name: Name


class DuplicateIn(_In):
    """The copy's name (default: "<name> (copy)")."""

    name: Name | None = None


class Summary(BaseModel):
    dataset: str
    classes: int
    hidden: list[int]
    activation: str
    model: str


class ExperimentOut(BaseModel):
    """A saved experiment, without its state."""

    id: str
    name: str
    step: int
    epoch: float
    loss: float | None = Field(description="Training loss when saved (null: not finite).")
    accuracy: float | None = Field(description="Test accuracy when saved (null: no test set).")
    created_at: str = Field(description="ISO 8601, UTC.")
    updated_at: str = Field(description="ISO 8601, UTC.")
    summary: Summary
    view: SceneView
    thumbnail_url: str
    share_url: str = Field(description="The page that opens it: /e/{id}.")
    export_url: str


class ExperimentList(BaseModel):
    experiments: list[ExperimentOut] = Field(description="Newest first.")


class ExperimentMeta(_In):
    """What an export adds to a session's export: the experiment's name and view."""

    name: Name
    view: SceneView | None = None


class ExperimentFile(ImportIn):
    """GET …/export's file, or a session's export (then named "Imported model")."""

    experiment: ExperimentMeta | None = None


class OpenedExperiment(SessionState):
    """The new session's state, the view to show it in, and the experiment."""

    view: SceneView
    experiment: ExperimentOut


# ---------------------------------------------------------------------- lessons


class LessonIn(_In):
    title: Name


class LessonPatch(_In):
    """A new title, and/or the scenes in a new order (a permutation of their ids)."""

    title: Name | None = None
    order: list[Annotated[str, Field(max_length=ID_MAX)]] | None = Field(
        default=None, max_length=1000
    )


class QuestionModel(_In):
    """Predict, then reveal: a question about the scene's next phase, answered by it."""

    text: str = Field(min_length=1, max_length=200, description="The question.")
    options: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        min_length=2, max_length=6, description="What the class chooses from."
    )
    answer: int | None = Field(
        default=None, ge=0, le=5, description="The right option's index, or none (a poll)."
    )
    reveal: Literal["forward", "backward", "update"] = Field(
        default="backward", description="The phase whose numbers answer it."
    )

    @model_validator(mode="after")
    def _answer_is_an_option(self) -> "QuestionModel":
        if self.answer is not None and self.answer >= len(self.options):
            raise ValueError(
                f"answer must be an option's index, 0 to {len(self.options) - 1} "
                f"(got {self.answer})"
            )
        return self


class SceneIn(_In):
    """Copy a session's current state into a lesson as a scene."""

    session_id: str = Field(max_length=ID_MAX, description="The session to copy.")
    caption: Caption = ""
    view: SceneView = Field(default_factory=SceneView)
    position: int | None = Field(
        default=None, ge=0, description="Insert before this scene (from 0); default: last."
    )
    question: QuestionModel | None = Field(default=None, description="Predict, then reveal.")


class ScenePatch(_In):
    """A new caption, view or question (null removes the question); what is left out stays."""

    caption: Caption | None = None
    view: SceneView | None = None
    question: QuestionModel | None = None


class SceneOut(BaseModel):
    id: str
    caption: str
    view: SceneView
    step: int
    summary: Summary
    thumbnail_url: str
    slide: str | None = Field(default=None, description="Built-in lecture: the slide's title.")
    shows: list[str] = Field(
        default_factory=list, description="Built-in lecture: trace symbols the caption names."
    )
    question: QuestionModel | None = Field(
        default=None, description="Asked before the scene's next phase, if any."
    )


class LessonOut(BaseModel):
    id: str
    title: str
    builtin: bool
    created_at: str
    updated_at: str
    scenes: list[SceneOut]


class LessonSummary(BaseModel):
    id: str
    title: str
    builtin: bool
    scenes: int = Field(description="How many scenes.")
    updated_at: str


class LessonList(BaseModel):
    lessons: list[LessonSummary] = Field(description="The built-in lecture first.")


class OpenedScene(SessionState):
    """The new session's state, and the scene: view, caption, its place (index from 0)."""

    view: SceneView
    caption: str
    question: QuestionModel | None = None
    index: int = Field(description="The scene's place in its lesson, from 0.")
    count: int = Field(description="Scenes in the lesson.")
