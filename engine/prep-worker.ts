/** The body of a prep-pool thread: the bundled components, and prepareBatch over them. */
import { builtinRegistry } from './builtins.ts';
import { prepareBatch, type PrepareInput, type Prepared } from './pipeline.ts';

const registry = builtinRegistry();

/** `null` is the pool's warm-up call: the module is loaded by then, which is all it asks. */
export default function prepare(input: PrepareInput | null): Prepared | null {
  return input === null ? null : prepareBatch(registry, input);
}
