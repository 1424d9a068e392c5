/** A loopback TCP proxy that can be cut and restored on the same port, to simulate an outage. */
export interface TcpProxy {
  port: number;
  /** Stops listening and drops every open connection: the target looks down. */
  cut(): void;
  /** Listens again on the same port: the target looks back up. */
  restore(): void;
  close(): void;
}

/** Starts a proxy on a free loopback port forwarding to `target`. */
export function startTcpProxy(target: { hostname: string; port: number }): TcpProxy {
  const connections = new Set<Deno.Conn>();
  let listener: Deno.Listener | undefined = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;

  const drop = (conn: Deno.Conn) => {
    connections.delete(conn);
    try {
      conn.close();
    } catch {
      // already closed by the other side
    }
  };

  const pipe = async (client: Deno.Conn) => {
    let upstream: Deno.Conn;
    try {
      upstream = await Deno.connect(target);
    } catch {
      drop(client);
      return;
    }
    connections.add(client);
    connections.add(upstream);
    await Promise.allSettled([
      client.readable.pipeTo(upstream.writable),
      upstream.readable.pipeTo(client.writable),
    ]);
    drop(client);
    drop(upstream);
  };

  const accept = async (current: Deno.Listener) => {
    try {
      for await (const client of current) void pipe(client);
    } catch {
      // the listener was closed by cut() or close()
    }
  };

  void accept(listener);
  return {
    port,
    cut() {
      listener?.close();
      listener = undefined;
      for (const conn of [...connections]) drop(conn);
    },
    restore() {
      if (listener) return;
      listener = Deno.listen({ hostname: "127.0.0.1", port });
      void accept(listener);
    },
    close() {
      this.cut();
    },
  };
}
