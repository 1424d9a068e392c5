/** A bounded mixed load through HAProxy that records every failed request. */

export interface LoadResult {
  ok: number;
  failures: string[];
  /** PATCHes whose first answer was lost (or 412 after a proxy retry) but whose write landed. */
  patchRetried: number;
  byKind: Record<string, number>;
  seconds: number;
}

export interface LoadOptions {
  baseUrl: string;
  token: string;
  /** Customers to read; patchers each own one of `owned` (no two writers on one row). */
  customers: number[];
  owned: number[];
  readers: number;
  listers: number;
  /** Pause of each worker between two requests (keeps the load bounded on two cores). */
  pauseMs: number;
}

const TRANSIENT = new Set([502, 503, 504]);

export function startLoad(options: LoadOptions): { stop(): Promise<LoadResult> } {
  let running = true;
  const started = performance.now();
  const result: LoadResult = { ok: 0, failures: [], patchRetried: 0, byKind: {}, seconds: 0 };
  const headers = { authorization: `Bearer ${options.token}` };
  const pause = () => new Promise((resolve) => setTimeout(resolve, options.pauseMs));
  const succeed = (kind: string) => {
    result.ok++;
    result.byKind[kind] = (result.byKind[kind] ?? 0) + 1;
  };

  const send = async (path: string, init: RequestInit = {}) =>
    await fetch(`${options.baseUrl}${path}`, {
      ...init,
      headers: { ...headers, ...init.headers },
      signal: AbortSignal.timeout(20_000),
    });

  const getter = (kind: string, path: () => string) => async () => {
    while (running) {
      const target = path();
      try {
        const response = await send(target);
        await response.body?.cancel();
        if (response.status === 200) succeed(kind);
        else result.failures.push(`${kind} ${target}: ${response.status}`);
      } catch (error) {
        result.failures.push(`${kind} ${target}: ${(error as Error).message}`);
      }
      await pause();
    }
  };

  const readDetail = async (id: number) => {
    const response = await send(`/customers/${id}`);
    const body = await response.json();
    return { status: response.status, etag: response.headers.get("etag") ?? "", body };
  };

  const patcher = (id: number) => async () => {
    let etag = (await readDetail(id)).etag;
    let n = 0;
    while (running) {
      const remark = `load ${id} ${++n}`;
      let retried = false;
      let done = false;
      for (let attempt = 0; attempt < 6 && !done; attempt++) {
        try {
          const response = await send(`/customers/${id}`, {
            method: "PATCH",
            headers: { "content-type": "application/json", "if-match": etag },
            body: JSON.stringify({ remark }),
          });
          if (response.status === 200) {
            await response.body?.cancel();
            etag = response.headers.get("etag") ?? etag;
            if (retried) result.patchRetried++;
            succeed("patch");
            done = true;
          } else if (response.status === 412) {
            await response.body?.cancel();
            // A write that landed before its answer was lost (the proxy or we sent it again).
            const current = await readDetail(id);
            if (current.body.remark === remark) {
              etag = current.etag;
              result.patchRetried++;
              succeed("patch");
            } else {
              result.failures.push(`patch ${id}: 412 and the write is not there`);
              etag = current.etag;
            }
            done = true;
          } else if (TRANSIENT.has(response.status)) {
            await response.body?.cancel();
            retried = true;
          } else {
            result.failures.push(`patch ${id}: ${response.status} ${await response.text()}`);
            done = true;
          }
        } catch {
          retried = true;
        }
        if (!done) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      if (!done) result.failures.push(`patch ${id}: no answer after retries`);
      await pause();
    }
  };

  const pick = () => options.customers[Math.floor(Math.random() * options.customers.length)];
  const workers = [
    ...Array.from(
      { length: options.readers },
      () => getter("detail", () => `/customers/${pick()}`),
    ),
    ...Array.from(
      { length: options.listers },
      (_, i) => getter("list", () => `/customers?pageSize=10&page=${1 + (i % 2)}`),
    ),
    ...options.owned.map((id) => patcher(id)),
  ].map((worker) => worker());

  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      result.seconds = (performance.now() - started) / 1000;
      return result;
    },
  };
}
