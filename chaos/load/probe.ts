/**
 * One HTTP probe for the drill, the lab and the balancer observers: a single GET on a fresh
 * connection, answered means a 2xx/3xx status within the timeout (the same rule as the load).
 */

import * as http from "http";
import * as https from "https";
import { answeredOk } from "./load";

export interface ProbeResult {
  readonly ok: boolean;
  readonly status?: number;
  readonly body: string;
  readonly error?: string;
  /** The X-Balancer response header: the nginx that answered (renderers/nginxConf.ts). */
  readonly balancer?: string;
}

/** GETs `url` once; never rejects. The body is kept up to 64 KiB. */
export function probe(
  url: string,
  timeoutMs = 1000,
  headers: Record<string, string> = {},
): Promise<ProbeResult> {
  const get = url.startsWith("https:") ? https.get : http.get;
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: ProbeResult) => {
      if (!done) {
        done = true;
        resolve(r);
      }
    };
    const req = get(url, { agent: false, timeout: timeoutMs, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        if (body.length < 65536) body += c;
      });
      const b = res.headers["x-balancer"];
      const balancer = typeof b === "string" && b !== "" ? { balancer: b } : {};
      res.on("end", () =>
        finish({
          ok: answeredOk(res.statusCode ?? 0),
          status: res.statusCode ?? 0,
          body,
          ...balancer,
        }),
      );
      res.on("error", (e) => finish({ ok: false, body, error: e.message }));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (e) => finish({ ok: false, body: "", error: e.message }));
  });
}

/** Whether `url` answers 2xx/3xx within the timeout. */
export async function answers(url: string, timeoutMs = 1000): Promise<boolean> {
  return (await probe(url, timeoutMs)).ok;
}
