/** The `CompileError` a compile step rejects with; fails the test if it resolves or throws anything else. */
import { isCompileError, type CompileError } from "../../gateway/compile/errors.ts";

export async function compileErrorOf(pending: Promise<unknown>): Promise<CompileError> {
  const error = await pending.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!isCompileError(error)) throw new Error(`expected a CompileError, got ${String(error)}`);
  return error;
}
