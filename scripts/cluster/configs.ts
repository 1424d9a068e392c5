/** PgBouncer in transaction pooling in front of the primary (trust auth, loopback only). */
export function pgbouncerConfig(options: {
  dir: string;
  runDir: string;
  port: number;
  primaryPort: number;
  database: string;
}): string {
  return `[databases]
${options.database} = host=127.0.0.1 port=${options.primaryPort} dbname=${options.database}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${options.port}
unix_socket_dir = ${options.runDir}
pidfile = ${options.runDir}/pgbouncer.pid
logfile = ${options.dir}/pgbouncer.log
auth_type = trust
auth_file = ${options.dir}/userlist.txt
admin_users = postgres
pool_mode = transaction
max_client_conn = 400
default_pool_size = 20
reserve_pool_size = 5
server_lifetime = 600
; postgres.js sends these as startup parameters; 1.18 refuses unknown ones otherwise.
ignore_startup_parameters = extra_float_digits,statement_timeout,options
`;
}

/**
 * HAProxy: round robin over the instances, health checks on /readyz (an instance draining on
 * SIGTERM answers 503 and leaves the rotation within inter × fall), retries with redispatch to
 * another server when a connection fails or a server dies before answering.
 */
export function haproxyConfig(options: {
  port: number;
  statsPort: number;
  servers: { name: string; port: number }[];
}): string {
  const servers = options.servers
    .map((server) => `  server ${server.name} 127.0.0.1:${server.port} check`)
    .join("\n");
  return `global
  maxconn 2000
  log stdout format raw local0 warning

defaults
  mode http
  log global
  option httplog
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  timeout queue 10s
  timeout check 3s
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response response-timeout
  option forwardfor

frontend api
  bind 127.0.0.1:${options.port}
  default_backend app

backend app
  balance roundrobin
  # A PATCH or POST whose server died after receiving it may have been applied: only requests
  # never sent (connection failures) are retried for them; the client retries with its If-Match.
  http-request disable-l7-retry if !{ method GET HEAD OPTIONS }
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 500ms fastinter 250ms downinter 1s rise 2 fall 2
${servers}

listen stats
  bind 127.0.0.1:${options.statsPort}
  stats enable
  stats uri /stats
  stats refresh 5s
`;
}
