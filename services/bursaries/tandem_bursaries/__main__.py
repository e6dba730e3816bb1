"""`python -m tandem_bursaries`: migrate, then serve on port 8004 with the consumers running."""

from tandem_shared.service.runner import run_service

from .bootstrap import create_app
from .settings import BursariesSettings


def main() -> None:
    settings = BursariesSettings()
    run_service(create_app(settings), settings)


if __name__ == "__main__":
    main()
