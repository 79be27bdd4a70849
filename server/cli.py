"""`backprop-lab`: start the server on localhost and say where to point the browser."""

import argparse
import sys
import threading
import webbrowser

import uvicorn

from server.main import create_app
from server.persist import DATA_DIR_ENV, PersistError, default_data_dir
from server.settings import Settings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line flags; every default works on a laptop with no configuration."""
    defaults = Settings()
    parser = argparse.ArgumentParser(prog="backprop-lab", description=__doc__)
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default: %(default)s)"
    )
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default: %(default)s)")
    parser.add_argument("--open", action="store_true", help="open the page in the default browser")
    parser.add_argument(
        "--max-sessions",
        type=int,
        default=defaults.max_sessions,
        help="sessions held in memory before the longest-idle is evicted (default: %(default)s)",
    )
    parser.add_argument(
        "--session-ttl",
        type=float,
        default=defaults.session_ttl_seconds,
        help="seconds an idle session stays in memory; a saved one then waits on disk "
        "(see --keep-days) (default: %(default)s)",
    )
    parser.add_argument(
        "--data-dir",
        default=str(default_data_dir()),
        help="directory of the sessions database, kept across restarts (default: %(default)s; "
        f"${DATA_DIR_ENV} changes the default)",
    )
    parser.add_argument(
        "--no-persist",
        action="store_true",
        help="keep sessions in memory only: nothing is written, a restart forgets them",
    )
    parser.add_argument(
        "--shared-library",
        action="store_true",
        help="let every device that reaches the server list and change saved experiments and "
        "lessons (default: only browsers on this computer; other devices open them by link)",
    )
    parser.add_argument(
        "--keep-days",
        type=float,
        default=defaults.keep_seconds / 86400,
        help="days a session unused is kept on disk before it is deleted (default: %(default)s)",
    )
    limits = (
        ("--max-steps", "max_steps_per_call", "SGD steps in one request or step command"),
        ("--max-steps-per-frame", "max_steps_per_frame", "SGD steps between streamed frames"),
        ("--max-fps", "max_fps", "frames per second a stream may ask for"),
        ("--max-resolution", "max_resolution", "side R of the boundary grid (engine max 200)"),
        ("--stream-resolution", "stream_resolution", "grid side of a new stream's maps"),
        ("--max-request-bytes", "max_request_bytes", "size of a request body"),
    )
    for flag, name, text in limits:
        parser.add_argument(
            flag,
            dest=name,
            type=int,
            default=getattr(defaults, name),
            help=f"largest {text} (default: %(default)s)"
            if name != "stream_resolution"
            else f"{text} (default: %(default)s)",
        )
    args = parser.parse_args(argv)
    if not 1 <= args.port <= 65535:
        parser.error(f"--port must be between 1 and 65535 (got {args.port})")
    if args.max_sessions < 1:
        parser.error(f"--max-sessions must be at least 1 (got {args.max_sessions})")
    if args.session_ttl <= 0:
        parser.error(f"--session-ttl must be positive (got {args.session_ttl})")
    if not args.keep_days > 0:
        parser.error(f"--keep-days must be positive (got {args.keep_days})")
    for flag, name, _ in limits:
        if getattr(args, name) < 1:
            parser.error(f"{flag} must be at least 1 (got {getattr(args, name)})")
    if not 2 <= args.max_resolution <= 200:
        parser.error(f"--max-resolution must be between 2 and 200 (got {args.max_resolution})")
    if not 2 <= args.stream_resolution <= args.max_resolution:
        parser.error(
            f"--stream-resolution must be between 2 and --max-resolution "
            f"({args.max_resolution}) (got {args.stream_resolution})"
        )
    return args


def settings_from(args: argparse.Namespace) -> Settings:
    """The server's Settings from parsed flags."""
    return Settings(
        max_sessions=args.max_sessions,
        session_ttl_seconds=args.session_ttl,
        max_steps_per_call=args.max_steps_per_call,
        max_steps_per_frame=args.max_steps_per_frame,
        max_fps=args.max_fps,
        max_resolution=args.max_resolution,
        stream_resolution=args.stream_resolution,
        max_request_bytes=args.max_request_bytes,
        bind_host=args.host,
        shared_library=args.shared_library,
        data_dir=None if args.no_persist else args.data_dir,
        keep_seconds=args.keep_days * 86400,
    )


def main(argv: list[str] | None = None) -> None:
    """Run uvicorn in the foreground until interrupted."""
    args = parse_args(argv)
    settings = settings_from(args)
    try:
        app = create_app(settings)
    except PersistError as exc:
        sys.exit(f"backprop-lab: {exc} (--no-persist starts without saving sessions)")
    shown_host = "localhost" if args.host in ("127.0.0.1", "0.0.0.0") else args.host
    url = f"http://{shown_host}:{args.port}"
    sys.stdout.write(f"Backprop Lab is running at {url}  (Ctrl+C to stop)\n")
    saved = settings.data_dir
    sys.stdout.write(f"Sessions are {f'saved in {saved}' if saved else 'not saved'}\n")
    sys.stdout.flush()
    if args.open:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        ws_per_message_deflate=False,  # deflate costs milliseconds per large frame
        ws_max_size=settings.max_request_bytes,  # a command is small; refuse huge messages
        log_level="warning",
    )


if __name__ == "__main__":
    main()
