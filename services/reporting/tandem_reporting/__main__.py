"""`python -m tandem_reporting`: migrations, projections and the HTTP API on port 8005."""

from tandem_shared.service.runner import run_service

from .bootstrap import create_app
from .settings import ReportingSettings


def main() -> None:
    settings = ReportingSettings()
    run_service(create_app(settings), settings)


if __name__ == "__main__":
    main()
