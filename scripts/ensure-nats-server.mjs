// `npm test` preflight: make sure a nats-server binary exists (tests start their own servers).
// Installs Debian's package when running as root; otherwise explains how, in one line, and fails.
import { ensureNatsServer } from "./nats-server-install.mjs";

if (!process.env.KILN_NATS_URL) {
  const result = ensureNatsServer();
  if (!result.ok) {
    console.error(result.message);
    process.exit(1);
  }
  if (result.installed) console.error(`nats-server installed at ${result.path}`);
}
