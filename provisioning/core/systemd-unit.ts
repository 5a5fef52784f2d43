import { PI_PATHS } from './gateway-config.ts';

/**
 * The gateway's systemd unit. Restart on failure, but not on a bad config (exit 78, EX_CONFIG:
 * restarting cannot fix it); BLE needs CAP_NET_RAW and CAP_NET_ADMIN, given to a dedicated
 * unprivileged user as ambient capabilities; journald collects the JSON logs from stdout.
 */
/** The Node options the gateway service runs with; the gateway benchmark measures with the same. */
export const GATEWAY_NODE_OPTIONS = ['--max-semi-space-size=1', '--max-old-space-size=40', '--v8-pool-size=1'] as const;

export function renderGatewayUnit(input: { store: string; gateway: string; zone: string }): string {
  return `# hushpoint gateway ${input.gateway} (store ${input.store}, zone ${input.zone}).
# Installed by install.sh as /etc/systemd/system/${PI_PATHS.service}.service.
# Logs: journalctl -u ${PI_PATHS.service} -f      Health: hushpoint doctor --config ${PI_PATHS.configFile}
[Unit]
Description=hushpoint gateway ${input.gateway} (store ${input.store}, zone ${input.zone})
Documentation=file://${PI_PATHS.currentDir}/docs/field-guide.md
Wants=network-online.target bluetooth.target
After=network-online.target bluetooth.target time-sync.target
StartLimitIntervalSec=600
StartLimitBurst=20

[Service]
Type=simple
User=${PI_PATHS.user}
Group=${PI_PATHS.user}
WorkingDirectory=${PI_PATHS.dataDir}
StateDirectory=hushpoint
StateDirectoryMode=0750
Environment=NODE_ENV=production
# Written once the gateway has started; "hushpoint update apply" waits for it (docs/updates.md).
Environment=HUSHPOINT_HEALTH_FILE=${PI_PATHS.healthFile}
# Memory (docs/gateway.md): a small young generation, an old generation capped at 40 MB (the live
# heap is ~16 MB) and one V8 worker thread keep the peak RSS under 80 MB over a minute at the Pi's
# 6,500 reports/s UART ceiling (~109 MB otherwise), for ~5% fewer adverts/s (npm run bench -- gateway).
Environment=NODE_OPTIONS=${GATEWAY_NODE_OPTIONS.join(' ')}
ExecStart=/usr/bin/node ${PI_PATHS.currentDir}/cli/hushpoint.mjs gateway --config ${PI_PATHS.configFile}
Restart=on-failure
RestartSec=5
# 78 = EX_CONFIG: the config is invalid; fix it (hushpoint check-config) instead of restarting.
RestartPreventExitStatus=78
TimeoutStopSec=20
# Raw HCI sockets for Bluetooth LE scanning, without running as root.
AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN
CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN
NoNewPrivileges=true
ProtectSystem=full
ProtectHome=true
PrivateTmp=true
StandardOutput=journal
StandardError=journal
SyslogIdentifier=${PI_PATHS.service}

[Install]
WantedBy=multi-user.target
`;
}
