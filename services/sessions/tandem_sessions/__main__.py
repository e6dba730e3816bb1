"""`python -m tandem_sessions`: migrate, then serve on port 8003 with the consumers running."""

from tandem_shared.service.runner import run_service

from .bootstrap import create_app
from .settings import SessionsSettings


def main() -> None:
    settings = SessionsSettings()
    run_service(create_app(settings), settings)


if __name__ == "__main__":
    main()
