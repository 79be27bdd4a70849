"""`backprop-lab` flags: every limit is settable and nonsense is refused."""

import pytest

from server.cli import parse_args
from server.settings import Settings


def test_defaults_match_settings() -> None:
    args = parse_args([])
    defaults = Settings()
    assert args.max_sessions == defaults.max_sessions
    assert args.max_steps_per_call == defaults.max_steps_per_call
    assert args.max_fps == defaults.max_fps
    assert args.stream_resolution == defaults.stream_resolution


def test_every_limit_has_a_flag() -> None:
    args = parse_args(
        [
            "--max-sessions", "7", "--session-ttl", "30", "--max-steps", "99",
            "--max-steps-per-frame", "9", "--max-fps", "20", "--max-resolution", "80",
            "--stream-resolution", "40", "--max-request-bytes", "5000",
        ]
    )  # fmt: skip
    assert (args.max_sessions, args.session_ttl) == (7, 30.0)
    assert (args.max_steps_per_call, args.max_steps_per_frame, args.max_fps) == (99, 9, 20)
    assert (args.max_resolution, args.stream_resolution, args.max_request_bytes) == (80, 40, 5000)


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--max-sessions", "0"], "--max-sessions"),
        (["--session-ttl", "0"], "--session-ttl"),
        (["--max-fps", "0"], "--max-fps"),
        (["--max-resolution", "500"], "--max-resolution"),
        (["--stream-resolution", "150", "--max-resolution", "100"], "--stream-resolution"),
        (["--port", "70000"], "--port"),
    ],
)
def test_nonsense_is_refused_naming_the_flag(argv, flag, capsys) -> None:
    with pytest.raises(SystemExit):
        parse_args(argv)
    assert flag in capsys.readouterr().err
