/**
 * Polls until `check` answers true: for what the design promises to happen "soon" (a settings
 * change reaching every executor), checked by what a tenant can observe, without betting on how
 * soon. How soon is the benchmark's business; on a loaded machine a watch can take longer than on
 * an idle one.
 */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 20_000, pauseMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: still not so after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}
