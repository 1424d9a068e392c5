import net from "node:net";

/** What postgres.js hands its `socket` option: the parsed host and port lists. */
interface SocketTarget {
  host: string[];
  port: number[];
}

/** Counts the open sockets of one postgres.js pool. */
export interface ConnectionCounter {
  /** Sockets opened and not yet closed (connections open, including ones still connecting). */
  open(): number;
  /** The postgres.js `socket` option that opens (and counts) each connection. */
  socket(target: SocketTarget): net.Socket;
}

/**
 * postgres.js 3.4 keeps its pool queues (idle, busy, waiting queries) in closure variables and has
 * no hook around a query, so the open-connection count is taken at the one public seam it has:
 * the `socket` factory. The socket is returned while still connecting; Node buffers the startup
 * message written to it until the TCP connection is up, and a refused connection surfaces through
 * the same `error`/`close` events postgres.js handles for its own sockets.
 */
export function createConnectionCounter(): ConnectionCounter {
  let open = 0;
  return {
    open: () => open,
    socket(target) {
      const socket = net.connect({ host: target.host[0], port: target.port[0] });
      open++;
      socket.once("close", () => open--);
      return socket;
    },
  };
}

/** True when postgres.js would connect to exactly one TCP host for this URL (no failover list). */
export function isSingleTcpHost(url: string): boolean {
  try {
    const parsed = new URL(url.replace(/^postgres(ql)?:/, "http:"));
    return parsed.hostname !== "" && !parsed.host.includes(",") && !parsed.searchParams.has("host");
  } catch {
    return false;
  }
}
