-- docker-compose only: the service reads the external source as a SELECT-only user, on top of the
-- read-only session its pool sets (contract section 7). Runs after rb_customer.sql.
CREATE USER IF NOT EXISTS 'reader'@'%' IDENTIFIED BY 'reader';
GRANT SELECT ON rb.* TO 'reader'@'%';
