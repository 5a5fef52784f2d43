import { requireString, type Command } from '../../shared/cli/command.ts';
import { formatReport } from '../../provisioning/doctor/core/check.ts';
import { runDoctor, SKIPPABLE } from '../../provisioning/doctor/run-doctor.ts';

/**
 * `hushpoint doctor --config FILE`: checks a gateway or a hub (the role comes from the file),
 * one line per check — `PASS|WARN|FAIL|INFO  check  detail — fix` — and exit code 1 if any FAILs.
 */
export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check a gateway or hub: config, Node, Bluetooth, hub over TLS, clock, disk, service',
  description: `Gateway checks: config, node, files, ble-adapter, hub-tls, hub-credential, clock (offset
from the hub's hub/clock message: WARN beyond 2 s, FAIL beyond 30 s), disk (WARN < 1 GiB, FAIL
< 100 MiB), service. Hub checks: config, node, tls-certificate, tokens, database, broker, clock
(NTP state from timedatectl), disk, service. Each line is
  PASS|WARN|FAIL|INFO  check  detail — fix
Exit code 1 when any check FAILs, 0 otherwise. Run it with sudo on a Pi (it reads the credential).`,
  options: {
    config: { type: 'string', value: 'FILE', description: 'the device config (gateway.yaml or hub.yaml)' },
    skip: {
      type: 'string',
      multiple: true,
      value: 'CHECK',
      description: `leave a check out (repeatable): ${SKIPPABLE.join(', ')}`,
    },
    json: {
      type: 'boolean',
      description: 'print one JSON object: {file, role, ok, exitCode, checks: [{name, status, detail, fix}]}',
    },
  },
  async run({ values }, { io }) {
    const file = requireString(values, 'config', 'the device config file, e.g. --config /etc/hushpoint/gateway.yaml');
    const skip =
      values.skip === undefined ? [] : (Array.isArray(values.skip) ? values.skip : [values.skip]).map(String);
    const report = await runDoctor(file, { skip });
    if (values.json) io.out(JSON.stringify(report));
    else for (const line of formatReport(report.checks)) io.out(line);
    return report.exitCode;
  },
};
