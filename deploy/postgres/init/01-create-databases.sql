-- One database per Tandem service: each service owns its schema and runs its own
-- Alembic migrations against it at start-up; no service reads another's tables.
--
-- The postgres image runs every *.sql / *.sh in /docker-entrypoint-initdb.d once,
-- when the data volume is first initialised. To re-run it on a dev machine:
--   docker compose down -v && docker compose up --build
CREATE DATABASE tandem_intake;
CREATE DATABASE tandem_matching;
CREATE DATABASE tandem_sessions;
CREATE DATABASE tandem_bursaries;
CREATE DATABASE tandem_reporting;
