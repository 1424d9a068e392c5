# Customer master-data service. Build: docker build -t customer-service .
FROM denoland/deno:2.9.6

WORKDIR /app

# Dependencies first, so a source change does not refetch every npm package.
COPY deno.json deno.lock ./
COPY src/ src/
COPY migrations/ migrations/
COPY scripts/ scripts/
RUN deno cache --frozen src/main.ts scripts/migrate.ts scripts/check_connections.ts \
      scripts/token.ts scripts/sync_external.ts scripts/seed.ts \
  && mkdir -p /app/.data \
  && chown -R deno:deno /app/.data /deno-dir

# The image's unprivileged user; it owns only the data directory and the Deno cache.
USER deno

ENV HOST=0.0.0.0 \
    PORT=8000 \
    APP_ENV=production \
    PGLITE_DIR=/app/.data/pglite

EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["deno", "eval", "const r = await fetch('http://127.0.0.1:' + (Deno.env.get('PORT') ?? '8000') + '/healthz'); Deno.exit(r.ok ? 0 : 1)"]

# SIGTERM from `docker stop` reaches Deno directly (exec form): in-flight requests finish within
# SHUTDOWN_GRACE_MS, then the pools close and the process exits 0.
# The bounded heap of ADR 0008, as in `deno task start`.
CMD ["deno", "run", "--cached-only", \
     "--v8-flags=--max-semi-space-size=2,--max-old-space-size=128", \
     "--allow-net", "--allow-env", "--allow-read", "--allow-write=/app/.data", "--allow-sys", \
     "src/main.ts"]
