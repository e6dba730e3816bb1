from tandem_matching.models import Base
from tandem_shared.db.migrations import run_env

run_env(Base.metadata)
