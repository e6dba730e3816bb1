"""`python -m tandem_matching`: migrations, consumers and the HTTP API on port 8002."""

from tandem_shared.service.runner import run_service

from .bootstrap import create_app
from .settings import MatchingSettings


def main() -> None:
    settings = MatchingSettings()
    run_service(create_app(settings), settings)


if __name__ == "__main__":
    main()
