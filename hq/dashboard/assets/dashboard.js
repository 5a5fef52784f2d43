/* hushpoint HQ dashboard: vanilla JS, no build step; uPlot (bundled by HQ) draws the charts.
 * Every figure comes from the view API (/v1/views/{view}) and is drawn with its 95% band or
 * whiskers; the table under each chart holds the same numbers. Values go into the DOM as text
 * (textContent, setAttribute): no innerHTML, so nothing a store's release carries becomes markup.
 * When every view is drawn, body[data-rendered] is set and window.hqRenderedMs holds the time. */
/* global document, window, fetch, sessionStorage, URLSearchParams, performance, uPlot */
(function () {
  'use strict';

  var VIEWS = ['footfall', 'visits-by-hour', 'dwell', 'repeat-share', 'transitions', 'offer-lift', 'conversion'];
  var COLORS = ['#2f6db5', '#c2532d', '#2e8b57', '#8e44ad', '#b8860b', '#008b8b', '#c71585', '#556b2f', '#4682b4'];
  var TOP_CATEGORIES = 12;
  var state = { stores: [], groups: [], charts: [] };
  var tokenRequired = document.documentElement.getAttribute('data-token-required') === 'true';

  function $(id) {
    return document.getElementById(id);
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      node.setAttribute(k, attrs[k]);
    });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function headers() {
    var token = sessionStorage.getItem('hq-token');
    return token ? { authorization: 'Bearer ' + token } : {};
  }

  function api(path) {
    return fetch(path, { headers: headers() }).then(function (res) {
      if (res.status === 401) {
        $('signin').hidden = false;
        throw new Error('sign in with the analyst token');
      }
      if (!res.ok)
        return res.json().then(function (body) {
          throw new Error(body && body.error ? body.error.message : 'HTTP ' + res.status);
        });
      return res;
    });
  }

  function query() {
    var q = new URLSearchParams();
    q.set('from', $('from').value);
    q.set('to', $('to').value);
    var mode = $('mode').value;
    if (mode === 'group' && $('group').value) q.set('group', $('group').value);
    if (mode === 'store' && $('store').value) q.set('store', $('store').value);
    return q;
  }

  function fmt(value, unit) {
    if (value === null || value === undefined) return '–';
    if (unit === 'share' || unit === 'redemption rate') return (100 * value).toFixed(1) + '%';
    if (unit === 'rate difference') return (100 * value).toFixed(2) + ' pp';
    var abs = Math.abs(value);
    return abs >= 100 ? value.toFixed(0) : value.toFixed(1);
  }

  function withInterval(p, unit) {
    return (
      fmt(p.value, unit) +
      ' ± ' +
      fmt(p.halfWidth95, unit === 'rate difference' || unit === 'share' || unit === 'redemption rate' ? unit : '')
    );
  }

  function download(view, format, path) {
    var q = query();
    q.set('format', format);
    api((path || '/v1/views/' + view) + '?' + q.toString())
      .then(function (res) {
        return res.blob();
      })
      .then(function (blob) {
        var a = el('a', {
          href: URL.createObjectURL(blob),
          download: view + '_' + $('from').value + '_' + $('to').value + '.' + format,
        });
        document.body.appendChild(a);
        a.click();
        a.remove();
      })
      .catch(function (error) {
        $('scope-status').textContent = error.message;
      });
  }

  /** Series drawn in the chart: all of a view's series, except the few that only feed a ratio. */
  function drawnSeries(view) {
    if (view.view === 'repeat-share')
      return view.series.filter(function (s) {
        return s.name === 'repeat share';
      });
    if (view.view === 'conversion')
      return view.series.filter(function (s) {
        return s.name === 'conversion';
      });
    if (view.view === 'offer-lift') return view.series;
    if (view.view === 'dwell')
      return view.series.filter(function (s) {
        return s.name === 'all zones';
      });
    return view.series;
  }

  function categories(view, series) {
    var xs = [];
    series.forEach(function (s) {
      s.points.forEach(function (p) {
        if (xs.indexOf(p.x) < 0) xs.push(p.x);
      });
    });
    if (view.xAxis === 'category' && view.view === 'transitions') return xs.slice(0, TOP_CATEGORIES);
    if (view.xAxis !== 'category') xs.sort();
    return xs;
  }

  function whiskers(series, xs) {
    return function (u) {
      var ctx = u.ctx;
      ctx.save();
      ctx.lineWidth = 1.5 * window.devicePixelRatio;
      series.forEach(function (s, k) {
        ctx.strokeStyle = COLORS[k % COLORS.length];
        xs.forEach(function (x, i) {
          var p = s.points.find(function (q) {
            return q.x === x;
          });
          if (!p || p.low === null || p.high === null) return;
          var cx = u.valToPos(i + (k - (series.length - 1) / 2) * 0.12, 'x', true);
          var y0 = u.valToPos(p.low, 'y', true);
          var y1 = u.valToPos(p.high, 'y', true);
          ctx.beginPath();
          ctx.moveTo(cx, y0);
          ctx.lineTo(cx, y1);
          ctx.moveTo(cx - 4, y0);
          ctx.lineTo(cx + 4, y0);
          ctx.moveTo(cx - 4, y1);
          ctx.lineTo(cx + 4, y1);
          ctx.stroke();
        });
      });
      ctx.restore();
    };
  }

  function chart(view, target) {
    var series = drawnSeries(view);
    var xs = categories(view, series);
    if (xs.length === 0) {
      target.appendChild(el('p', { class: 'empty' }, 'No releases of kind "' + view.kind + '" in this selection.'));
      return null;
    }
    var data = [
      xs.map(function (_, i) {
        return i;
      }),
    ];
    var uSeries = [{}];
    var bands = [];
    var categorical = view.xAxis === 'category';
    series.forEach(function (s, k) {
      var byX = {};
      s.points.forEach(function (p) {
        byX[p.x] = p;
      });
      var pick = function (field) {
        return xs.map(function (x) {
          return byX[x] && byX[x][field] !== null ? byX[x][field] : null;
        });
      };
      var color = COLORS[k % COLORS.length];
      if (categorical) {
        data.push(
          pick('value').map(function (v) {
            return v;
          }),
        );
        uSeries.push({
          label: s.name,
          stroke: color,
          width: 0,
          points: { show: true, size: 8, fill: color },
          paths: function () {
            return null;
          },
        });
      } else {
        var base = data.length;
        data.push(pick('value'), pick('low'), pick('high'));
        uSeries.push(
          { label: s.name, stroke: color, width: 2, points: { show: xs.length < 40 } },
          { label: s.name + ' low', stroke: 'transparent', points: { show: false } },
          { label: s.name + ' high', stroke: 'transparent', points: { show: false } },
        );
        bands.push({ series: [base + 2, base + 1], fill: color + '33' });
      }
    });
    var width = Math.max(320, (target.clientWidth || 544) - 24);
    var opts = {
      width: width,
      height: 240,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false, range: [-0.6, xs.length - 0.4] } },
      axes: [
        {
          splits: function () {
            var every = Math.max(1, Math.ceil((xs.length * 56) / width));
            return xs
              .map(function (_, i) {
                return i;
              })
              .filter(function (i) {
                return i % every === 0;
              });
          },
          values: function (u, splits) {
            return splits.map(function (i) {
              var x = xs[i] || '';
              return view.xAxis === 'date' ? x.slice(5) : x;
            });
          },
          rotate: categorical && xs.length > 6 ? -35 : 0,
          size: categorical && xs.length > 6 ? 70 : 40,
        },
        { size: 56 },
      ],
      series: uSeries,
      bands: bands,
      hooks: categorical ? { draw: [whiskers(series, xs)] } : {},
    };
    if (categorical) {
      // Make room for the whiskers: the y range covers every interval.
      var lo = Infinity;
      var hi = -Infinity;
      series.forEach(function (s) {
        s.points.forEach(function (p) {
          if (xs.indexOf(p.x) >= 0 && p.low !== null) lo = Math.min(lo, p.low);
          if (xs.indexOf(p.x) >= 0 && p.high !== null) hi = Math.max(hi, p.high);
        });
      });
      opts.scales.y = { range: [Math.min(0, lo), hi * 1.05] };
    }
    var legend = el('div', { class: 'legend' });
    series.forEach(function (s, k) {
      var item = el('span', {});
      var swatch = el('i', {});
      swatch.style.background = COLORS[k % COLORS.length];
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(s.name + (categorical ? ' (95% whiskers)' : ' (95% band)')));
      legend.appendChild(item);
    });
    target.appendChild(legend);
    var holder = el('div', { class: 'chart', 'data-view': view.view });
    target.appendChild(holder);
    return new uPlot(opts, data, holder);
  }

  function table(view) {
    var details = el('details', {});
    details.appendChild(
      el(
        'summary',
        {},
        'Numbers (' +
          view.series.reduce(function (n, s) {
            return n + s.points.length;
          }, 0) +
          ' points)',
      ),
    );
    var t = el('table', { 'data-view': view.view });
    var head = el('tr', {});
    ['series', 'x', 'value', '95% low', '95% high'].forEach(function (h) {
      head.appendChild(el('th', {}, h));
    });
    t.appendChild(head);
    view.series.forEach(function (s) {
      s.points.forEach(function (p) {
        var row = el('tr', {
          'data-series': s.name,
          'data-x': p.x,
          'data-value': String(p.value),
          'data-half-width': String(p.halfWidth95),
        });
        row.appendChild(el('td', {}, s.name));
        row.appendChild(el('td', {}, p.x));
        row.appendChild(
          el(
            'td',
            p.reliable ? {} : { class: 'unreliable', title: 'the denominator is within its noise' },
            fmt(p.value, s.unit),
          ),
        );
        row.appendChild(el('td', {}, fmt(p.low, s.unit)));
        row.appendChild(el('td', {}, fmt(p.high, s.unit)));
        t.appendChild(row);
      });
    });
    details.appendChild(t);
    return details;
  }

  function section(view, main) {
    var s = el('section', { class: 'view', id: 'view-' + view.view, 'data-view': view.view });
    main.appendChild(s); // in the page first, so that the chart can take the section's width
    s.appendChild(el('h2', {}, view.title));
    view.summary.forEach(function (item) {
      var line = el('p', {
        class: 'summary',
        'data-summary': item.name,
        'data-value': String(item.value),
        'data-half-width': String(item.halfWidth95),
      });
      line.appendChild(document.createTextNode(item.name + ': '));
      line.appendChild(el('strong', item.reliable ? {} : { class: 'unreliable' }, withInterval(item, item.unit)));
      s.appendChild(line);
    });
    var plot = chart(view, s);
    if (plot) state.charts.push(plot);
    view.notes.forEach(function (n) {
      s.appendChild(el('p', { class: 'notes' }, n));
    });
    var exports = el('div', { class: 'exports' });
    ['csv', 'json'].forEach(function (format) {
      var b = el('button', { type: 'button', 'data-export': format }, 'Export ' + format.toUpperCase());
      b.addEventListener('click', function () {
        download(view.view, format);
      });
      exports.appendChild(b);
    });
    s.appendChild(exports);
    s.appendChild(table(view));
    return s;
  }

  var WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  var SYNTHETIC_ROWS = 25;

  /** The stores' synthetic visit records (GET /v1/synthetic-visits): their noisy total with its 95%
   * interval, per release, and the heaviest records; the whole set downloads as CSV or JSON. */
  function syntheticSection(data, main) {
    var s = el('section', { class: 'view', id: 'view-synthetic-visits', 'data-view': 'synthetic-visits' });
    main.appendChild(s);
    s.appendChild(el('h2', {}, 'Synthetic visits (for training models)'));
    var line = el('p', {
      class: 'summary',
      'data-summary': 'synthetic visits',
      'data-value': String(data.total.value),
      'data-half-width': String(data.total.halfWidth95),
    });
    line.appendChild(document.createTextNode('synthetic visits released: '));
    line.appendChild(el('strong', {}, withInterval(data.total, '')));
    s.appendChild(line);
    s.appendChild(
      el(
        'p',
        { class: 'notes' },
        data.releases.length +
          ' weekly release(s), ' +
          data.records.length +
          ' synthetic records. Each record is a noisy group mean of real visits (3A / ClustMix, docs/synthetic-data.md), ' +
          'weighted by its noisy count; no record is a real visit.',
      ),
    );
    var exports = el('div', { class: 'exports' });
    ['csv', 'json'].forEach(function (format) {
      var b = el('button', { type: 'button', 'data-export': format }, 'Export ' + format.toUpperCase());
      b.addEventListener('click', function () {
        download('synthetic-visits', format, '/v1/synthetic-visits');
      });
      exports.appendChild(b);
    });
    s.appendChild(exports);
    var t = el('table', { 'data-view': 'synthetic-visits' });
    var head = el('tr');
    ['store', 'week', 'weight', 'hour', 'weekday', 'repeat', 'zones (dwell, min)'].forEach(function (h) {
      head.appendChild(el('th', {}, h));
    });
    t.appendChild(head);
    data.records.slice(0, SYNTHETIC_ROWS).forEach(function (r) {
      var row = el('tr', { 'data-record': '' });
      [
        r.store,
        r.window,
        r.weight.toFixed(1),
        String(r.hour),
        WEEKDAYS[r.weekday] || String(r.weekday),
        r.repeat ? 'yes' : 'no',
        r.zones
          .map(function (z) {
            return z.zone + ' (' + z.dwell + ')';
          })
          .join(', ') || '–',
      ].forEach(function (v) {
        row.appendChild(el('td', {}, v));
      });
      t.appendChild(row);
    });
    s.appendChild(t);
    return s;
  }

  function render() {
    var started = performance.now();
    document.body.removeAttribute('data-rendered');
    state.charts.forEach(function (c) {
      c.destroy();
    });
    state.charts = [];
    var main = $('views');
    while (main.firstChild) main.removeChild(main.firstChild);
    var q = query().toString();
    $('scope-status').textContent = 'loading…';
    var synthetic = api('/v1/synthetic-visits?' + q).then(function (res) {
      return res.json();
    });
    return Promise.all(
      VIEWS.map(function (v) {
        return api('/v1/views/' + v + '?' + q).then(function (res) {
          return res.json();
        });
      }).concat([synthetic]),
    )
      .then(function (results) {
        var views = results.slice(0, VIEWS.length);
        views.forEach(function (view) {
          section(view, main);
        });
        var visits = results[VIEWS.length];
        if (visits.releases.length > 0) syntheticSection(visits, main);
        var scope = views[0].scope;
        $('scope-status').textContent =
          scope.stores + ' store' + (scope.stores === 1 ? '' : 's') + ', ' + scope.from + ' to ' + scope.to;
        window.hqRenderedMs = performance.now();
        window.hqRenderMs = performance.now() - started;
        document.body.setAttribute('data-rendered', 'true');
      })
      .catch(function (error) {
        $('scope-status').textContent = error.message;
      });
  }

  function fillSelect(select, items) {
    while (select.firstChild) select.removeChild(select.firstChild);
    items.forEach(function (item) {
      select.appendChild(el('option', { value: item.value }, item.label));
    });
  }

  function start() {
    return api('/v1/stores')
      .then(function (res) {
        return res.json();
      })
      .then(function (info) {
        state.stores = info.stores;
        state.groups = info.groups;
        fillSelect(
          $('store'),
          info.stores.map(function (s) {
            return { value: s.id, label: s.id + (s.group ? ' (' + s.group + ')' : '') };
          }),
        );
        fillSelect(
          $('group'),
          info.groups.map(function (g) {
            return { value: g.id, label: g.id + ' (' + g.stores + ' stores)' };
          }),
        );
        var params = new URLSearchParams(window.location.search);
        var last = info.dates.last || new Date().toISOString().slice(0, 10);
        var first = new Date(Date.parse(last + 'T00:00:00Z') - 27 * 86400000).toISOString().slice(0, 10);
        $('to').value = params.get('to') || last;
        $('from').value = params.get('from') || first;
        if (params.get('store')) {
          $('mode').value = 'store';
          $('store').value = params.get('store');
        } else if (params.get('group')) {
          $('mode').value = 'group';
          $('group').value = params.get('group');
        }
        modeChanged();
        return render();
      })
      .catch(function (error) {
        $('scope-status').textContent = error.message;
      });
  }

  function modeChanged() {
    $('group-field').hidden = $('mode').value !== 'group';
    $('store-field').hidden = $('mode').value !== 'store';
  }

  $('mode').addEventListener('change', modeChanged);
  $('scope').addEventListener('submit', function (event) {
    event.preventDefault();
    render();
  });
  $('signin').addEventListener('submit', function (event) {
    event.preventDefault();
    sessionStorage.setItem('hq-token', $('token').value);
    $('signin').hidden = true;
    start();
  });
  if (tokenRequired && !sessionStorage.getItem('hq-token')) $('signin').hidden = false;
  else start();
})();
