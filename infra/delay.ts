/** Resolves after `ms` milliseconds: the services' one way to wait a while. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
