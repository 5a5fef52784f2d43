/* hushpoint technician status page: vanilla JS, no build step, no dependencies.
 * Every value from the hub goes into the DOM as text (textContent, text nodes, attribute values
 * set with setAttribute on fixed attribute names): no innerHTML anywhere, so nothing a gateway or
 * a payload carries can become markup. The session is an HttpOnly cookie this script never sees. */
/* global document, fetch */
(function () {
  'use strict';

  var API = '/v1/technician';
  var state = {
    view: null,
    timer: null,
    refreshSeconds: 5,
    identify: {}, // gateway id → { status: 'wait' | 'ok' | 'bad', text }
    loading: false,
  };

  function $(id) {
    return document.getElementById(id);
  }

  /** el('td', { class: 'r', 'data-label': 'Zone' }, 'text', childNode, ...) */
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === null || value === undefined || value === false) return;
        node.setAttribute(name, String(value));
      });
    }
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) {
      child.forEach(function (c) {
        append(node, c);
      });
      return;
    }
    node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }

  function replace(container, children) {
    while (container.firstChild) container.removeChild(container.firstChild);
    append(container, children);
  }

  // ---------- formatting ----------
  function dash(value) {
    return value === null || value === undefined ? '—' : value;
  }

  function number(value, digits) {
    if (value === null || value === undefined) return '—';
    return Number(value).toLocaleString('en-GB', {
      maximumFractionDigits: digits === undefined ? 0 : digits,
      minimumFractionDigits: 0,
    });
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return '—';
    var s = Math.max(0, Math.round(seconds));
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min';
    if (s < 86400) return Math.floor(s / 3600) + ' h ' + (Math.floor(s / 60) % 60) + ' min';
    return Math.floor(s / 86400) + ' d ' + (Math.floor(s / 3600) % 24) + ' h';
  }

  function ago(ms) {
    if (ms === null || ms === undefined || !state.view) return '—';
    return duration((state.view.hub.timeMs - ms) / 1000) + ' ago';
  }

  function stamp(ms) {
    if (ms === null || ms === undefined) return '';
    var d = new Date(ms);
    return isNaN(d.getTime())
      ? ''
      : d
          .toISOString()
          .replace('T', ' ')
          .replace(/\.\d+Z$/, ' UTC');
  }

  function clockOffset(ms) {
    if (ms === null || ms === undefined) return '—';
    var sign = ms > 0 ? '+' : ms < 0 ? '−' : '';
    var abs = Math.abs(ms);
    return sign + (abs < 1000 ? abs + ' ms' : number(abs / 1000, abs < 10000 ? 2 : 1) + ' s');
  }

  function timeCell(ms, label) {
    return el('span', { title: stamp(ms) || null, 'aria-label': label || null }, ago(ms));
  }

  var CONNECTION = {
    online: ['ok', 'Online'],
    silent: ['warn', 'Silent'],
    offline: ['bad', 'Offline'],
    unknown: ['', 'Never seen'],
    revoked: ['', 'Revoked'],
  };

  // ---------- networking ----------
  function request(method, path, body) {
    var init = { method: method, credentials: 'same-origin', headers: { accept: 'application/json' } };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (res) {
      return res.text().then(function (text) {
        var data;
        try {
          data = text ? JSON.parse(text) : null;
        } catch {
          data = null;
        }
        return { status: res.status, data: data };
      });
    });
  }

  function errorMessage(res, fallback) {
    return res.data && res.data.error && typeof res.data.error.message === 'string'
      ? res.data.error.message
      : fallback + ' (HTTP ' + res.status + ')';
  }

  // ---------- screens ----------
  function showLogin(message) {
    clearTimeout(state.timer);
    state.view = null;
    $('dashboard').hidden = true;
    $('meta').hidden = true;
    $('sign-out').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message || '';
    $('token').focus();
  }

  function showDashboard() {
    $('login').hidden = true;
    $('dashboard').hidden = false;
    $('meta').hidden = false;
    $('sign-out').hidden = false;
  }

  function banner(text) {
    var b = $('banner');
    b.textContent = text || '';
    b.hidden = !text;
  }

  function schedule() {
    clearTimeout(state.timer);
    state.timer = setTimeout(load, state.refreshSeconds * 1000);
  }

  function load() {
    if (state.loading) return;
    state.loading = true;
    request('GET', API + '/status').then(
      function (res) {
        state.loading = false;
        if (res.status === 401) {
          showLogin(state.view ? 'Your session has ended; sign in again.' : '');
          return;
        }
        if (res.status !== 200 || !res.data) {
          banner(errorMessage(res, 'The hub answered with an error') + ' — retrying.');
          $('pulse').className = 'pulse stale';
          schedule();
          return;
        }
        banner('');
        state.view = res.data;
        state.refreshSeconds = Math.min(60, Math.max(1, Number(res.data.refreshSeconds) || 5));
        showDashboard();
        render(res.data);
        schedule();
      },
      function () {
        state.loading = false;
        banner('The hub cannot be reached — showing the last data, retrying every ' + state.refreshSeconds + ' s.');
        $('pulse').className = 'pulse stale';
        schedule();
      },
    );
  }

  // ---------- rendering ----------
  function render(view) {
    $('store').textContent = view.store;
    $('hub-version').textContent = view.hub.version;
    $('updated').textContent =
      'updated ' + stamp(view.hub.timeMs).slice(11, 19) + ' · every ' + view.refreshSeconds + ' s';
    var pulse = $('pulse');
    pulse.className = 'pulse';
    void pulse.offsetWidth; // restart the animation
    pulse.className = 'pulse beat';
    renderTiles(view);
    renderGateways(view);
    renderReleases(view.releases);
    renderPlan(view.plan);
    renderQuarantine(view.quarantine);
    renderCounters(view.counters);
  }

  function tile(label, value, hint, level, key) {
    return el(
      'div',
      { class: 'tile' + (level ? ' ' + level : ''), 'data-tile': key },
      el('div', { class: 'label' }, label),
      el('div', { class: 'value' }, value),
      hint ? el('div', { class: 'hint' }, hint) : null,
    );
  }

  function renderTiles(view) {
    var g = view.gateways;
    var tiles = [
      tile(
        'Gateways online',
        g.online + ' / ' + g.total,
        g.total === 0 ? 'none registered' : g.online === g.total ? 'all reporting' : g.total - g.online + ' not online',
        g.total > 0 && g.online === g.total ? 'ok' : g.online === 0 ? 'bad' : 'warn',
        'gateways',
      ),
    ];
    var r = view.releases;
    if (r.configured && !r.error) {
      tiles.push(
        tile(
          'Upstream unsent',
          number(r.upstream.unsent),
          r.upstream.enabled
            ? r.upstream.down
              ? 'upstream down'
              : 'last sent ' + ago(r.upstream.lastSentMs)
            : 'upstream sync off',
          r.upstream.down ? 'bad' : r.upstream.unsent > 0 ? 'warn' : 'ok',
          'unsent',
        ),
      );
    } else {
      tiles.push(tile('Upstream unsent', '—', r.configured ? 'provider failed' : 'not configured', '', 'unsent'));
    }
    var st = view.storage;
    if (st) {
      tiles.push(
        tile(
          'Database',
          st.state === 'ok' ? 'OK' : st.state === 'full' ? 'FULL' : 'FAILING',
          st.state === 'ok'
            ? 'accepting data'
            : 'for ' +
                duration((view.hub.timeMs - st.sinceMs) / 1000) +
                ': gateway data refused (kept in their outboxes) — ' +
                (st.state === 'full' ? 'free disk space on the hub' : st.lastError),
          st.state === 'ok' ? 'ok' : 'bad',
          'storage',
        ),
      );
    }
    tiles.push(
      tile(
        'Quarantined',
        number(view.quarantine.total),
        'bad payloads kept',
        view.quarantine.total > 0 ? 'warn' : 'ok',
        'quarantine',
      ),
    );
    replace($('tiles'), tiles);
  }

  function identifyCell(gw) {
    var current = state.identify[gw.id];
    var button = el(
      'button',
      {
        type: 'button',
        class: 'btn small',
        'data-identify': gw.id,
        disabled: gw.connection === 'revoked' || (current && current.status === 'wait'),
      },
      'Identify',
    );
    button.addEventListener('click', function () {
      identify(gw.id);
    });
    var reply = current
      ? el(
          'span',
          { class: 'reply ' + current.status, role: 'status', 'data-reply': gw.id },
          el('span', { class: 'reply-text' }, current.text),
          current.detail ? el('span', { class: 'reply-detail' }, current.detail) : null,
        )
      : null;
    return el('td', { class: 'r', 'data-label': 'Identify' }, el('div', { class: 'identify' }, button, reply));
  }

  function renderGateways(view) {
    var items = view.gateways.items;
    $('gateways-note').textContent =
      items.length === 0 ? '' : 'silent = online but nothing heard for a while; offset = hub − gateway clock';
    if (items.length === 0) {
      replace(
        $('gateways'),
        el('p', { class: 'empty' }, 'No gateways are registered. Add one with: hushpoint provision add-gateway'),
      );
      return;
    }
    var head = el(
      'thead',
      null,
      el(
        'tr',
        null,
        el('th', null, 'Gateway'),
        el('th', null, 'Zone'),
        el('th', null, 'State'),
        el('th', null, 'Last seen'),
        el('th', { class: 'r' }, 'Adverts/s'),
        el('th', { class: 'r' }, 'Outbox'),
        el('th', { class: 'r' }, 'Clock offset'),
        el('th', null, 'Version'),
        el('th', { class: 'r' }, ''),
      ),
    );
    var body = el(
      'tbody',
      null,
      items.map(function (gw) {
        var conn = CONNECTION[gw.connection] || ['', gw.connection];
        var clockClass = gw.clockLevel === 'fail' ? 'text-bad' : gw.clockLevel === 'warn' ? 'text-warn' : '';
        var outboxClass = gw.outboxDepth > 0 ? 'text-warn' : '';
        return el(
          'tr',
          { 'data-gateway': gw.id },
          el(
            'td',
            { class: 'id', 'data-label': 'Gateway' },
            gw.id,
            gw.uptimeSeconds !== null
              ? el(
                  'span',
                  { class: 'sub-line' },
                  'up ' +
                    duration(gw.uptimeSeconds) +
                    (gw.adapterState && gw.adapterState !== 'poweredOn' ? ' · BLE ' + gw.adapterState : ''),
                )
              : null,
          ),
          el('td', { 'data-label': 'Zone' }, gw.zone),
          el(
            'td',
            { 'data-label': 'State' },
            el('span', { class: 'badge ' + conn[0], 'data-state': gw.connection }, conn[1]),
          ),
          el('td', { 'data-label': 'Last seen' }, gw.lastSeenMs === null ? 'never' : timeCell(gw.lastSeenMs)),
          el('td', { class: 'r', 'data-label': 'Adverts/s', 'data-field': 'adverts' }, number(gw.advertsPerSecond, 1)),
          el(
            'td',
            { class: 'r ' + outboxClass, 'data-label': 'Outbox', 'data-field': 'outbox' },
            gw.outboxDepth === null ? '—' : number(gw.outboxDepth) + (gw.outboxDepth === 1 ? ' window' : ' windows'),
          ),
          el(
            'td',
            { class: 'r ' + clockClass, 'data-label': 'Clock offset', 'data-field': 'clock' },
            clockOffset(gw.clockOffsetMs),
          ),
          el(
            'td',
            { 'data-label': 'Version', 'data-field': 'version', class: gw.versionMismatch ? 'text-warn' : '' },
            dash(gw.version),
            gw.versionMismatch ? el('span', { class: 'sub-line' }, 'hub runs ' + view.hub.version) : null,
          ),
          identifyCell(gw),
        );
      }),
    );
    replace($('gateways'), el('table', { class: 'table stack' }, head, body));
  }

  function identify(id) {
    state.identify[id] = { status: 'wait', text: 'Waiting for the gateway…' };
    if (state.view) renderGateways(state.view);
    request('POST', API + '/gateways/' + encodeURIComponent(id) + '/identify', { seconds: 10 }).then(
      function (res) {
        if (res.status === 401) {
          showLogin('Your session has ended; sign in again.');
          return;
        }
        var d = res.data;
        if (res.status === 200 && d && d.ok) {
          var seconds = d.data && typeof d.data.seconds === 'number' ? d.data.seconds : null;
          state.identify[id] = {
            status: 'ok',
            text: 'LEDs blinking' + (seconds !== null ? ' for ' + seconds + ' s' : ''),
            detail: 'replied in ' + d.roundTripMs + ' ms · tx ' + d.transaction,
          };
        } else if (res.status === 200 && d) {
          state.identify[id] = {
            status: 'bad',
            text: 'Gateway refused: ' + (d.error ? d.error.code + ' ' + d.error.message : 'no reason given'),
          };
        } else {
          state.identify[id] = { status: 'bad', text: errorMessage(res, 'Identify failed') };
        }
        if (state.view) renderGateways(state.view);
      },
      function () {
        state.identify[id] = { status: 'bad', text: 'The hub cannot be reached.' };
        if (state.view) renderGateways(state.view);
      },
    );
  }

  function kv(rows) {
    return el(
      'dl',
      { class: 'kv' },
      rows.map(function (row) {
        return [el('dt', null, row[0]), el('dd', row[2] ? { class: row[2] } : null, row[1])];
      }),
    );
  }

  function sectionState(section) {
    if (!section.configured) return el('p', { class: 'not-configured' }, 'Not configured — ' + section.reason + '.');
    if (section.error) return el('p', { class: 'section-error' }, 'Cannot read this section: ' + section.error);
    return null;
  }

  function renderReleases(r) {
    var blocked = sectionState(r);
    if (blocked) {
      replace($('releases'), blocked);
      return;
    }
    var u = r.upstream;
    var sync = !u.enabled ? ['Off', ''] : u.down ? ['Down — retrying', 'text-bad'] : ['OK', 'text-ok'];
    var rows = [
      ['DP releases', r.enabled ? 'On (' + r.timeZone + ', period ' + r.period + ')' : 'Off in hub.yaml'],
      ['Upstream', u.enabled ? u.transport || 'on' : 'Off'],
      ['Sync state', sync[0], sync[1]],
      ['Unsent', number(u.unsent), u.unsent > 0 ? 'text-warn' : ''],
      ['Oldest unsent', u.oldestUnsentMs === null ? '—' : timeCell(u.oldestUnsentMs)],
      ['Last sent', u.lastSentMs === null ? 'never' : timeCell(u.lastSentMs)],
      ['Sent / rejected', number(u.sent) + ' / ' + number(u.rejected), u.rejected > 0 ? 'text-bad' : ''],
      ['Last error', u.lastError || 'none', u.lastError ? 'text-bad' : ''],
    ];
    var kinds =
      r.kinds.length === 0
        ? el('p', { class: 'empty' }, 'No releases yet.')
        : el(
            'table',
            { class: 'table stack' },
            el(
              'thead',
              null,
              el(
                'tr',
                null,
                el('th', null, 'Release'),
                el('th', { class: 'r' }, 'Count'),
                el('th', null, 'Last window ended'),
                el('th', null, 'Computed'),
              ),
            ),
            el(
              'tbody',
              null,
              r.kinds.map(function (k) {
                return el(
                  'tr',
                  null,
                  el('td', { class: 'id', 'data-label': 'Release' }, k.kind),
                  el('td', { class: 'r', 'data-label': 'Count' }, number(k.releases)),
                  el(
                    'td',
                    { 'data-label': 'Last window ended' },
                    k.lastPeriodEndMs === null ? '—' : timeCell(k.lastPeriodEndMs),
                  ),
                  el('td', { 'data-label': 'Computed' }, k.lastComputedMs === null ? '—' : timeCell(k.lastComputedMs)),
                );
              }),
            ),
          );
    var latest = r.kinds
      .filter(function (k) {
        return k.latest;
      })
      .map(function (k) {
        return el(
          'li',
          { 'data-latest': k.kind },
          el('span', { class: 'id' }, k.kind + ' '),
          el('span', { class: 'small' }, latestCell(k.latest)),
        );
      });
    var parts = [kv(rows), el('div', { class: 'subhead' }, 'Releases by kind'), kinds];
    if (latest.length > 0)
      parts.push(
        el('div', { class: 'subhead' }, 'Latest released figures (noisy, ± the 95% interval)'),
        el('ul', { class: 'latest' }, latest),
      );
    replace($('releases'), parts);
  }

  function plusMinus(value, half) {
    return number(value) + ' ± ' + number(half);
  }

  function latestCell(latest) {
    if (!latest) return '—';
    var cells = latest.cells.slice(0, 12).map(function (c) {
      return c.cell + ' ' + plusMinus(c.value, latest.halfWidth95);
    });
    return latest.window + ': ' + cells.join(', ') + (latest.cells.length > 12 ? ', …' : '');
  }

  function renderPlan(p) {
    var a = p.configured && !p.error ? p.analytics : null;
    $('budget-note').textContent = a ? 'period ' + a.period : '';
    var blocked = sectionState(p);
    if (blocked) {
      replace($('budget'), blocked);
      return;
    }
    var parts = [];
    if (p.problems && p.problems.length > 0)
      parts.push(el('p', { class: 'section-error' }, 'Partly unavailable: ' + p.problems.join('; ')));
    parts.push(
      el(
        'p',
        { class: 'muted small' },
        'What the configuration costs one shopper (no shopper data): the privacy unit is one shopper over one ' +
          (a ? a.periodUnit : 'budget period') +
          '.',
      ),
    );
    if (a) {
      parts.push(
        kv([
          [
            'Analytics cap per ' + a.periodUnit,
            'ρ ' + number(a.periodCap, 6) + ' (ε ' + number(a.periodEpsilon, 2) + ')',
          ],
          ['Per year at most', 'ρ ' + number(a.yearRho, 6) + ' (ε ' + number(a.yearEpsilon, 2) + ')'],
          [
            'A daily shopper spends',
            'ρ ' +
              number(a.dailyShopperRho, 6) +
              (a.dailyShopperStaysIn ? ' — stays in every release' : ' — passes the cap'),
            a.dailyShopperStaysIn ? 'text-ok' : 'text-warn',
          ],
        ]),
      );
      parts.push(
        el(
          'table',
          { class: 'table stack', 'data-plan': 'analytics' },
          el(
            'thead',
            null,
            el(
              'tr',
              null,
              el('th', null, 'Release'),
              el('th', null, 'Window'),
              el('th', { class: 'r' }, 'ρ each'),
              el('th', { class: 'r' }, 'ρ per period'),
              el('th', { class: 'r' }, '95% ±'),
            ),
          ),
          el(
            'tbody',
            null,
            a.releases.map(function (r) {
              return el(
                'tr',
                null,
                el('td', { class: 'id', 'data-label': 'Release' }, r.kind),
                el('td', { 'data-label': 'Window' }, r.window),
                el('td', { class: 'r', 'data-label': 'ρ each' }, number(r.rho, 6)),
                el('td', { class: 'r', 'data-label': 'ρ per period' }, number(r.rhoPerPeriod, 6)),
                el('td', { class: 'r', 'data-label': '95% ±' }, number(r.halfWidth95)),
              );
            }),
          ),
        ),
      );
    }
    if (p.offers) {
      var classes = Object.keys(p.offers.epsilonPerOffer).map(function (k) {
        return k + ' ε ' + number(p.offers.epsilonPerOffer[k], 3);
      });
      parts.push(
        kv([
          ['Offers cap per period', 'ε ' + number(p.offers.periodEpsilon, 3)],
          ['ε per offer', classes.join(', ') || '—'],
        ]),
      );
    }
    replace($('budget'), parts);
  }

  function renderQuarantine(q) {
    $('quarantine-note').textContent =
      q.total === 0
        ? ''
        : number(q.total) + ' in total' + (q.latest.length < q.total ? ', latest ' + q.latest.length + ' shown' : '');
    if (q.total === 0) {
      replace(
        $('quarantine'),
        el('p', { class: 'empty' }, 'Nothing quarantined: every payload from the gateways was valid.'),
      );
      return;
    }
    replace(
      $('quarantine'),
      el(
        'table',
        { class: 'table stack' },
        el(
          'thead',
          null,
          el(
            'tr',
            null,
            el('th', null, 'Gateway'),
            el('th', null, 'Received'),
            el('th', null, 'Topic'),
            el('th', null, 'Reason'),
            el('th', { class: 'r' }, 'Bytes'),
            el('th', null, 'Excerpt'),
          ),
        ),
        el(
          'tbody',
          null,
          q.latest.map(function (row) {
            var topic = String(row.topic).split('/').slice(-1)[0];
            return el(
              'tr',
              { 'data-quarantine': '' },
              el('td', { class: 'id nowrap', 'data-label': 'Gateway' }, row.gateway),
              el('td', { class: 'nowrap', 'data-label': 'Received' }, timeCell(row.receivedMs)),
              el('td', { class: 'nowrap', 'data-label': 'Topic', title: row.topic }, topic),
              el('td', { 'data-label': 'Reason' }, row.reason),
              el('td', { class: 'r', 'data-label': 'Bytes' }, number(row.bytes)),
              el('td', { 'data-label': 'Excerpt' }, el('code', { class: 'excerpt' }, row.excerpt)),
            );
          }),
        ),
      ),
    );
  }

  function renderCounters(groups) {
    replace(
      $('counters'),
      groups.map(function (g) {
        return el(
          'div',
          null,
          el('h3', null, g.group),
          el(
            'dl',
            null,
            g.items.map(function (item) {
              return el(
                'div',
                { class: 'row', 'data-counter': item.name },
                el('dt', null, item.label),
                el('dd', null, number(item.value)),
              );
            }),
          ),
        );
      }),
    );
  }

  // ---------- sign in / out ----------
  function signIn(event) {
    event.preventDefault();
    var input = $('token');
    var token = input.value.trim();
    if (!token) {
      $('login-error').textContent = 'Paste the technician token first.';
      return;
    }
    var button = $('sign-in');
    button.disabled = true;
    $('login-error').textContent = '';
    request('POST', API + '/session', { token: token }).then(
      function (res) {
        button.disabled = false;
        if (res.status === 204) {
          input.value = '';
          load();
        } else {
          $('login-error').textContent = errorMessage(res, 'Sign-in failed');
        }
      },
      function () {
        button.disabled = false;
        $('login-error').textContent = 'The hub cannot be reached.';
      },
    );
  }

  function signOut() {
    request('DELETE', API + '/session').then(
      function () {
        showLogin('Signed out.');
      },
      function () {
        showLogin('');
      },
    );
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('login-form').addEventListener('submit', signIn);
    $('sign-out').addEventListener('click', signOut);
    document.addEventListener('visibilitychange', function () {
      if (!document.hidden && state.view) load();
    });
    load();
  });
})();
