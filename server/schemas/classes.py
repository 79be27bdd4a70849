"""What a follower reads with a join code: the session's state without its id."""

from pydantic import BaseModel, ConfigDict, Field, create_model

from server.schemas.session import SessionState


class ClassInfo(BaseModel):
    """The class the state was read through."""

    code: str = Field(description="The join code, 8 digits.")
    followers: int = Field(description="Follower streams open now.")


# SessionState without `id` (the lecturer's key), plus the class and its config version.
_PUBLIC = {
    name: (info.annotation, info)
    for name, info in SessionState.model_fields.items()
    if name != "id"
}

ClassState = create_model(
    "ClassState",
    __doc__="The followed session's state, read-only: everything GET /api/sessions/{id} "
    "gives except the id, with the class and the version of its configuration.",
    __config__=ConfigDict(populate_by_name=True),
    **_PUBLIC,
    class_=(ClassInfo, Field(alias="class", description="The class it was read through.")),
    config_version=(
        int,
        Field(
            description="Changes of the configuration so far (train.*, model.*, data.*, a "
            'reset, the class moving to another session): the stream\'s {"type": "config", '
            '"version": n} messages carry the same number, so a page whose state is older '
            "reads this again."
        ),
    ),
)
