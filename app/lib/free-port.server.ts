/**
 * A free TCP port on 127.0.0.1, found by letting the OS pick one (listen on port 0) and closing it again.
 * Used by the embedded PostgreSQL, the demo, the benchmarks and the test harnesses. Another process can
 * take the port between this call and its use; callers bind right away. Rejects when nothing can listen.
 */
import net from "node:net";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
