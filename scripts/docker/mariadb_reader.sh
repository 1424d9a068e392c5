#!/bin/bash
# docker-compose only: the service reads the external source as a SELECT-only user, on top of the
# read-only session its pool sets (contract section 7). Sourced by the MariaDB entrypoint after
# rb_customer.sql; the password comes from the environment, never from this repository (§10.3).
set -euo pipefail
docker_process_sql --database=mysql <<-EOSQL
	CREATE USER IF NOT EXISTS 'reader'@'%' IDENTIFIED BY '${MARIADB_READER_PASSWORD//\'/\'\'}';
	GRANT SELECT ON rb.* TO 'reader'@'%';
EOSQL
