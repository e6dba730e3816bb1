"""`python -m tandem_intake`: migrations, consumers and the HTTP API on port 8001."""

from tandem_shared.service.runner import run_service

from .bootstrap import create_app
from .settings import IntakeSettings


def main() -> None:
    settings = IntakeSettings()
    run_service(create_app(settings), settings)


if __name__ == "__main__":
    main()
