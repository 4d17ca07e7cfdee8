// A tenant's workflow, deployed as-is with:
//   curl -X PUT "$KILN/v1/tenants/acme/workflows/onboarding" -H "authorization: Bearer $TOKEN" \
//        -H 'content-type: application/typescript' --data-binary @examples/onboarding.ts
// Each step's result is recorded once; if the instance is interrupted, completed steps are replayed
// from the journal instead of running again.
import { NonRetryableError, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "kiln:workflow";

interface Params {
  email: string;
  plan?: string;
}

export default class Onboarding extends WorkflowEntrypoint<Record<string, never>, Params> {
  async run(event: WorkflowEvent<Params>, step: WorkflowStep) {
    const { email, plan = "free" } = event.payload;
    console.log(`onboarding ${email} on the ${plan} plan`);

    const account = await step.do("create account", async () => {
      if (!email.includes("@")) throw new NonRetryableError(`not an email address: '${email}'`);
      return { id: `acct_${event.instanceId}`, email, plan };
    });

    const workspace = await step.do(
      "provision workspace",
      { retries: { limit: 3, delay: "2 seconds", backoff: "exponential" }, timeout: "30 seconds" },
      async () => ({ name: `${email.split("@")[0]}'s workspace`, seats: plan === "team" ? 10 : 1 }),
    );

    const welcome = await step.do("compose welcome message", async () => {
      const text = `Welcome, ${email}! ${workspace.name} has ${workspace.seats} seat(s).`;
      console.log(text);
      return { text };
    });

    return { account, workspace, welcome };
  }
}
