# Mirrors the deno tasks (deno.json). Extra arguments: make seed ARGS="--customers 1000000".
ARGS ?=

.PHONY: init install start dev test check fmt migrate check-connections token sync-external \
	load-fixture seed bench up down logs

init: install migrate check-connections ## fetch dependencies, migrate, check connections

install: ## fetch and cache every dependency of the service and the scripts
	deno cache src/main.ts scripts/*.ts

start: ## run the service (embedded Postgres when DATABASE_URL is unset)
	deno task start $(ARGS)

dev: ## run with file watching
	deno task dev $(ARGS)

test: ## run the test suite (needs Postgres, Redis, MariaDB; see README)
	deno task test $(ARGS)

check: ## fmt --check, lint, type check
	deno task check

fmt: ## format the tree
	deno fmt

migrate: ## apply pending migrations
	deno task migrate

check-connections: ## Postgres, Redis, MySQL reachable, with latency
	deno task check-connections

token: ## print a token, e.g. make token ARGS="--sub U1 --name Ann --roles ROLE_STD_AGENT"
	deno task token $(ARGS)

sync-external: ## import RB customers from the external MySQL source
	deno task sync-external $(ARGS)

load-fixture: ## load the rb_customer fixture into EXTERNAL_MYSQL_URL (dev/test only)
	deno task load-fixture $(ARGS)

seed: ## demo data, e.g. make seed ARGS="--customers 1000000 --reset"
	deno task seed $(ARGS)

bench: ## benchmarks; make bench ARGS=--quick for a short run
	deno task bench $(ARGS)

up: ## start Postgres, Redis, MariaDB and the service in containers
	docker compose up --build -d

down: ## stop the containers (data volume kept)
	docker compose down

logs: ## follow the service logs
	docker compose logs -f app
