// What `vm status` prints, as a table for people or JSON for scripts. Shared by the oclif command
// and the fast path in fast-status.ts, so both print the same thing.
import type { ProjectStatus } from '../../core/machines/project-status.js';
import { paint } from './color.js';

export function printStatus(st: ProjectStatus, json: boolean): void {
  if (st.warnings) process.stderr.write(`${st.warnings}\n`);
  if (json) {
    const machines = st.machines.map((m) => ({
      name: m.name,
      status: m.status,
      engine: m.engine,
      ...(m.pid !== undefined ? { pid: m.pid } : {}),
      ...(m.detail ? { detail: m.detail } : {}),
      ...(m.state?.accel ? { accel: m.state.accel } : {}),
      ...(m.state ? { vmfileChanged: m.vmfileChanged } : {}),
      ...(m.needs ? { needs: m.needs } : {}),
      ...(m.state ? { box: m.state.box, createdAt: m.state.createdAt, updatedAt: m.state.updatedAt } : {}),
    }));
    process.stdout.write(`${JSON.stringify({ vmfile: st.vmfile, machines }, null, 2)}\n`);
  } else {
    const width = Math.max(...st.machines.map((m) => m.name.length));
    for (const m of st.machines) {
      const colour =
        m.status === 'running' ? paint.green : m.status === 'aborted' || m.status === 'broken' ? paint.red : m.status === 'not created' ? paint.dim : (s: string) => s;
      const engine = m.state?.accel && m.state.accel !== m.engine ? `${m.engine}/${m.state.accel}` : m.engine;
      const extra = m.pid !== undefined ? `${engine}, pid ${m.pid}` : engine;
      const detail = m.detail ? `: ${m.detail}` : '';
      process.stdout.write(`${m.name.padEnd(width)}  ${colour(m.status)} (${extra})${detail}\n`);
      if (m.changeNote) process.stderr.write(`${paint.yellow('Warning:')} ${m.changeNote}\n`);
    }
  }
  if (st.machines.some((m) => m.status === 'broken')) process.exitCode = 1;
}
