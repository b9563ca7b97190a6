// Environment variables from a Vmfile (`env:` maps), as the text a process receives.
import type { Located } from './machine-sources.js';
import type { Reporter } from './reporter.js';
import { scalarText } from './values.js';

/** Environment variables, as text; NUL cannot travel through any environment. */
export function envVars(entries: Map<string, Located>, report: Reporter): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, v] of entries) {
    const text = scalarText(v.value);
    if (text === undefined) continue;
    if (text.includes('\u0000')) {
      report.error(v.path, `environment variable ${name} contains a NUL character, which no environment can carry`);
      continue;
    }
    out[name] = text;
  }
  return out;
}
