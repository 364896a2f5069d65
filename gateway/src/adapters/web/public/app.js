// prepaid-gateway web console: plain DOM, no build step. Text goes in with textContent only.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs = {}, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'class') e.className = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
    }
    for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
    return e;
  };
  const state = { meters: [], chartMeter: null, charts: {}, timers: [], scanTimer: null, lastEventsKey: '', csrf: null };

  class HttpError extends Error {
    constructor(status, body) {
      super(body?.error?.message ?? `HTTP ${status}`);
      this.status = status;
      this.code = body?.error?.code;
      this.body = body;
    }
  }

  async function api(path, opts = {}) {
    const init = { method: opts.method ?? 'GET', headers: {}, credentials: 'same-origin' };
    // The server refuses a session's state changes without the session's CSRF token.
    if (init.method !== 'GET' && state.csrf) init.headers['x-csrf-token'] = state.csrf;
    if (opts.body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(opts.body);
    }
    const res = await fetch(path, init);
    const body = res.headers.get('content-type')?.includes('json') ? await res.json() : null;
    if (res.status === 401 && !opts.login) {
      showLogin();
      throw new HttpError(401, body);
    }
    if (!res.ok && !opts.allowError) throw new HttpError(res.status, body);
    return opts.allowError ? { status: res.status, body } : body;
  }

  function toast(text, bad = false) {
    const t = $('toast');
    t.textContent = text;
    t.className = bad ? 'bad' : '';
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => (t.hidden = true), 5000);
  }

  const fmtTime = (ms) => (ms ? new Date(ms).toLocaleTimeString([], { hour12: false }) : '—');
  const fmtAgo = (ms) => {
    if (!ms) return 'never';
    const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
  };
  const fmtNum = (v, digits = 0) => (typeof v === 'number' ? v.toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '—');
  const fmtBytes = (b) => (b < 1024 ? `${b} B` : b < 1048576 ? `${(b / 1024).toFixed(1)} KiB` : `${(b / 1048576).toFixed(1)} MiB`);
  // The credit rating (rating: in the config): class and score, the factors in the tooltip.
  const ratingLine = (r) =>
    r ? [el('br'), el('small', { class: 'rating', title: r.factors.filter((f) => f.points !== 0).map((f) => `${f.factor} ${f.points > 0 ? '+' : ''}${f.points}`).join('\n') || 'no history yet' }, `class ${r.grade} · ${r.score}`)] : [];
  const fmtCredit = (c) => {
    if (!c) return '—';
    if (c.creditUnit === 'energy') return `${fmtNum(c.balance / 1000, 1)} kWh`;
    const digits = Math.round(Math.log10(c.subunitsPerUnit || 1));
    return `${fmtNum(c.balance / (c.subunitsPerUnit || 1), Math.min(digits, 2))} ${c.currency ?? ''}`.trim();
  };

  // ───── login ─────
  function showLogin() {
    stopPolling();
    $('app-view').hidden = true;
    $('whoami').hidden = true;
    $('login-view').hidden = false;
    $('login-user').focus();
  }

  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('login-error').textContent = '';
    const r = await api('/api/login', { method: 'POST', body: { user: $('login-user').value, password: $('login-password').value }, login: true, allowError: true });
    $('login-password').value = '';
    if (r.status !== 200) {
      $('login-error').textContent = r.body?.error?.message ?? `login failed (${r.status})`;
      return;
    }
    await enter();
  });

  $('logout').addEventListener('click', async () => {
    await api('/api/logout', { method: 'POST', body: {}, allowError: true });
    state.csrf = null;
    showLogin();
  });

  async function enter() {
    const s = await api('/api/session');
    state.csrf = s.csrfToken ?? null;
    $('user-name').textContent = s.user;
    $('gw-name').textContent = s.gateway;
    document.title = `${s.gateway} · prepaid-gateway`;
    $('login-view').hidden = true;
    $('app-view').hidden = false;
    $('whoami').hidden = false;
    startPolling();
  }

  function startPolling() {
    stopPolling();
    const every = (fn, ms) => {
      const run = () => fn().catch((e) => e.status !== 401 && console.warn(e));
      run();
      state.timers.push(setInterval(run, ms));
    };
    every(refreshMeters, 2000);
    every(refreshStatus, 5000);
    every(refreshEvents, 4000);
    every(refreshChart, 30000);
    refreshScanInfo().catch(() => undefined);
  }
  function stopPolling() {
    state.timers.forEach(clearInterval);
    state.timers = [];
  }

  // ───── meters ─────
  function healthBadge(h) {
    if (!h) return el('span', { class: 'badge' }, 'unknown');
    const cls = h.state === 'ok' ? 'ok' : h.state === 'lost' ? 'bad' : 'warn';
    return el('span', { class: `badge ${cls}`, title: h.lastError ?? '' }, h.state === 'ok' ? 'online' : h.state === 'lost' ? 'lost' : 'waiting');
  }
  function supplyBadge(m) {
    const out = [];
    if (m.credit) out.push(el('span', { class: `badge ${m.credit.supply === 'connected' ? 'ok' : 'bad'}`, title: 'credit rules' }, m.credit.supply));
    if (m.credit?.override) out.push(' ', el('span', { class: 'badge warn', title: `held by ${m.credit.override.by}` }, `held ${m.credit.override.state === 'disconnected' ? 'open' : 'closed'} until ${fmtTime(m.credit.override.until)}`));
    if (m.relay.readback) out.push(' ', el('span', { class: `badge ${m.relay.readback === 'connected' ? 'ok' : 'bad'}`, title: 'relay readback', 'data-relay': m.relay.readback }, `relay ${m.relay.readback === 'connected' ? 'closed' : m.relay.readback === 'disconnected' ? 'open' : 'armed'}`));
    return out.length ? out : '—';
  }

  async function refreshMeters() {
    const r = await api('/api/meters');
    state.meters = r.meters;
    $('meters-ts').textContent = `updated ${fmtTime(r.ts)}`;
    const rows = r.meters.map((m) => {
      const v = m.latest?.values ?? {};
      const addr = m.address ? `addr ${m.address}` : `unit ${m.unit}`;
      const canRelay = m.relay.controllable;
      return el(
        'tr',
        { 'data-meter': m.id },
        el('td', { class: 'meter-id' }, el('strong', {}, m.id), el('br'), el('small', {}, `${m.bus} · ${addr} · ${m.profile}`)),
        el('td', { 'data-label': 'Health' }, healthBadge(m.health), el('br'), el('small', {}, m.health ? `${fmtAgo(m.health.lastSeen)}${m.health.lastLatencyMs !== null ? ` · ${m.health.lastLatencyMs} ms` : ''}` : '')),
        el('td', { class: 'num', 'data-label': 'Power' }, typeof v.power === 'number' ? `${fmtNum(v.power)} W` : '—'),
        el('td', { class: 'num', 'data-label': 'Energy' }, typeof v.energyImport === 'number' ? `${fmtNum(v.energyImport / 1000, 2)} kWh` : '—'),
        el('td', { class: 'num', 'data-label': 'Credit', title: m.credit?.customer ?? '' }, fmtCredit(m.credit), ...ratingLine(m.rating)),
        el('td', { 'data-label': 'Supply' }, supplyBadge(m)),
        el(
          'td',
          { 'data-label': 'Relay test' },
          canRelay
            ? el('div', { class: 'relay-buttons' },
                el('button', { class: 'danger', 'data-action': 'trip', onclick: () => relay(m.id, 'disconnected') }, 'Trip'),
                el('button', { 'data-action': 'restore', onclick: () => relay(m.id, 'connected') }, 'Restore'))
            : el('small', { class: 'muted' }, 'no relay control'),
        ),
      );
    });
    $('meters').tBodies[0].replaceChildren(...rows);
    fillStatementMeters(r.meters);
    const sel = $('chart-meter');
    const ids = r.meters.map((m) => m.id);
    if (sel.options.length !== ids.length) {
      sel.replaceChildren(...ids.map((id) => el('option', { value: id }, id)));
      if (!state.chartMeter && ids.length) {
        state.chartMeter = ids[0];
        refreshChart().catch(() => undefined);
      }
      sel.value = state.chartMeter ?? '';
    }
  }

  // ───── statement (GET /api/meters/:id/statement) ─────
  function statementUrl(format) {
    const q = new URLSearchParams({ from: $('statement-from').value, to: $('statement-to').value, format });
    return `/api/meters/${encodeURIComponent($('statement-meter').value)}/statement?${q}`;
  }
  function updateStatementLink() {
    const ready = $('statement-meter').value && $('statement-from').value && $('statement-to').value;
    $('statement-csv').href = ready ? statementUrl('csv') : '#';
  }
  function fillStatementMeters(meters) {
    const sel = $('statement-meter');
    const ids = meters.filter((m) => m.credit).map((m) => m.id);
    if (sel.options.length === ids.length) return;
    sel.replaceChildren(...ids.map((id) => el('option', { value: id }, id)));
    if (!$('statement-from').value) {
      const today = new Date();
      $('statement-to').value = today.toISOString().slice(0, 10);
      $('statement-from').value = new Date(today.getFullYear(), today.getMonth(), 1, 12).toISOString().slice(0, 10);
    }
    updateStatementLink();
  }
  for (const id of ['statement-meter', 'statement-from', 'statement-to']) $(id).addEventListener('change', updateStatementLink);
  $('statement-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const s = await api(statementUrl('json'));
      const rows = [['opening balance', '', '', '', s.opening], ...s.lines.map((l) => [l.kind === 'other' ? `other (${(l.kinds ?? []).join(', ')})` : l.kind, l.band ? `${l.band}${l.tier ? ` tier ${l.tier}` : ''}` : '', l.count, l.wh !== undefined ? fmtNum(l.wh / 1000, 3) : '', l.amount]), ['closing balance', '', '', '', s.closing]];
      $('statement').tBodies[0].replaceChildren(...rows.map((r) => el('tr', {}, ...r.map((c, i) => el('td', i >= 2 ? { class: 'num' } : {}, String(c))))));
      $('statement').hidden = false;
    } catch (e) {
      toast(e.message, true);
    }
  });

  function confirmDialog(title, text, okLabel) {
    const d = $('confirm');
    $('confirm-title').textContent = title;
    $('confirm-text').textContent = text;
    $('confirm-ok').textContent = okLabel;
    d.returnValue = '';
    d.showModal();
    return new Promise((resolve) => d.addEventListener('close', () => resolve(d.returnValue === 'ok'), { once: true }));
  }

  async function relay(meter, target) {
    const trip = target === 'disconnected';
    const ok = await confirmDialog(
      trip ? `Trip the relay of ${meter}?` : `Restore supply to ${meter}?`,
      trip
        ? 'This opens the relay: the customer loses supply. It stays open for 15 min or until you restore it; then the credit rules take over again. Audited in your name.'
        : 'This ends the test hold and closes the relay if the customer has credit. Audited in your name.',
      trip ? 'Trip relay' : 'Restore supply',
    );
    if (!ok) return;
    const buttons = document.querySelectorAll(`tr[data-meter="${CSS.escape(meter)}"] button`);
    buttons.forEach((b) => (b.disabled = true));
    try {
      const r = await api(`/api/meters/${encodeURIComponent(meter)}/relay`, { method: 'POST', body: { state: target, confirm: true }, allowError: true });
      if (r.status === 200 && r.body.verified) toast(`${meter}: relay ${trip ? 'open' : 'closed'} (verified by readback)`);
      else toast(`${meter}: ${r.body?.error?.message ?? 'relay command failed'}`, true);
    } finally {
      buttons.forEach((b) => (b.disabled = false));
      refreshMeters().catch(() => undefined);
      refreshEvents().catch(() => undefined);
    }
  }

  // ───── charts ─────
  $('chart-meter').addEventListener('change', (e) => {
    state.chartMeter = e.target.value;
    refreshChart().catch(() => undefined);
  });

  function chartWidth() {
    return Math.max(260, $('chart-card').clientWidth - 30);
  }

  function drawChart(key, target, label, unit, color, xs, ys) {
    const opts = {
      width: chartWidth(),
      height: window.innerWidth < 700 ? 160 : 200,
      series: [{}, { label, stroke: color, width: 2, fill: `${color}22`, value: (u, v) => (v === null || v === undefined ? '—' : `${fmtNum(v, unit === 'kWh' ? 2 : 0)} ${unit}`) }],
      // Energy moves little against a large register: uPlot's own tick labels keep the decimals needed.
      axes: [{}, unit === 'kWh' ? { size: 86 } : { size: 60, values: (u, vals) => vals.map((v) => fmtNum(v)) }],
      scales: { x: { time: true } },
      legend: { live: true },
    };
    const data = [xs, ys];
    if (state.charts[key]) state.charts[key].destroy();
    target.replaceChildren();
    state.charts[key] = new uPlot(opts, data, target);
  }

  async function refreshChart() {
    const meter = state.chartMeter;
    if (!meter || typeof uPlot === 'undefined') return;
    const h = await api(`/api/meters/${encodeURIComponent(meter)}/history?hours=6`);
    const xs = h.points.map((p) => p.t / 1000);
    $('chart-empty').hidden = h.points.length > 0;
    drawChart('power', $('chart-power'), 'Power', 'W', '#1d4ed8', xs, h.points.map((p) => p.powerW));
    drawChart('energy', $('chart-energy'), 'Energy', 'kWh', '#15803d', xs, h.points.map((p) => (p.energyWh === null ? null : p.energyWh / 1000)));
  }
  window.addEventListener('resize', () => {
    for (const c of Object.values(state.charts)) c.setSize({ width: chartWidth(), height: c.height });
  });

  // ───── outbox / uplink / buses ─────
  async function refreshStatus() {
    const s = await api('/api/status');
    const u = s.uplink;
    const badge = $('uplink-badge');
    badge.textContent = u.connected ? 'MQTT connected' : 'MQTT offline';
    badge.className = `badge ${u.connected ? 'ok' : 'bad'}`;
    const kv = [
      ['MQTT', u.connected ? `connected since ${fmtTime(u.lastConnectedAt)}` : `offline${u.lastError ? ` (${u.lastError})` : ''}${u.nextReconnectInMs !== null ? `, retry in ${Math.ceil(u.nextReconnectInMs / 1000)} s` : ''}`],
      ['In flight', u.inflight],
      ['Published', `${fmtNum(u.published.readings)} readings, ${fmtNum(u.published.events)} events`],
      ['Outbox', `${fmtNum(s.outbox.readings)} readings (${fmtBytes(s.outbox.readingBytes)}), ${fmtNum(s.outbox.events)} events`],
      ['Dropped', fmtNum(s.outbox.dropped)],
      ['Uptime', `${Math.round(s.uptimeMs / 60000)} min · v${s.version}`],
    ];
    $('uplink').replaceChildren(...kv.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
    $('buses').tBodies[0].replaceChildren(
      ...s.buses.map((b) =>
        el('tr', {},
          el('td', {}, b.bus),
          el('td', { class: 'num' }, fmtNum(b.transactions)),
          el('td', { class: 'num' }, b.queueDepth),
          el('td', { class: 'num' }, b.successRate === null ? '—' : `${(b.successRate * 100).toFixed(1)} %`),
          el('td', {}, Object.entries(b.errors).map(([k, n]) => `${k} ${n}`).join(', ') || '—'),
        ),
      ),
    );
  }

  // ───── events ─────
  $('events-routine').addEventListener('change', () => refreshEvents().catch(() => undefined));

  async function refreshEvents() {
    // Routine rows (the minute's charge, the meter's threshold rewritten) are hidden unless asked for.
    const routine = $('events-routine').checked;
    const r = await api(`/api/events?limit=80&routine=${routine}`);
    const items = [
      ...r.events.map((e) => ({ ts: e.ts, type: e.type, kind: e.kind, meter: e.meter, detail: e.data ? JSON.stringify(e.data) : '' })),
      ...r.audit.map((a) => ({ ts: a.ts, type: `audit: ${a.action}`, kind: a.kind, meter: a.meter, detail: `${a.cause}${a.detail && Object.keys(a.detail).length ? ` ${JSON.stringify(a.detail)}` : ''}` })),
    ].sort((a, b) => b.ts - a.ts).slice(0, 100);
    const key = JSON.stringify([routine, items.map((i) => [i.ts, i.type, i.meter])]);
    if (key === state.lastEventsKey) return;
    state.lastEventsKey = key;
    $('events').replaceChildren(
      ...items.map((i) =>
        el('li', { 'data-type': i.type, 'data-kind': i.kind },
          el('time', { datetime: new Date(i.ts).toISOString() }, fmtTime(i.ts)),
          el('span', { class: 'type' }, i.type),
          i.meter ? el('span', { class: 'badge' }, i.meter) : null,
          el('span', { class: 'detail' }, i.detail.length > 160 ? `${i.detail.slice(0, 160)}…` : i.detail),
        ),
      ),
    );
  }

  // ───── scan ─────
  async function refreshScanInfo() {
    const r = await api('/api/scan');
    $('busy-paths').textContent = r.busyPaths.length ? r.busyPaths.join(', ') : 'none';
    const running = r.jobs.find((j) => j.state === 'running');
    if (running) followScan(running.id);
  }

  $('scan-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const baud = $('scan-baud').value;
    const body = {
      path: $('scan-path').value.trim(),
      protocol: $('scan-protocol').value,
      baudRates: baud === 'all' ? [2400, 4800, 9600, 19200, 38400] : [Number(baud)],
      parities: [$('scan-parity').value],
      units: { from: Number($('scan-from').value), to: Number($('scan-to').value) },
    };
    const r = await api('/api/scan', { method: 'POST', body, allowError: true });
    if (r.status !== 202) {
      toast(r.body?.error?.message ?? `scan refused (${r.status})`, true);
      return;
    }
    followScan(r.body.id);
  });

  function renderScan(job) {
    $('scan-status').hidden = false;
    const p = job.progress;
    $('scan-progress').max = Math.max(1, p.total);
    $('scan-progress').value = p.done;
    $('scan-text').textContent = `${job.state === 'running' ? 'Scanning' : job.state === 'done' ? 'Done' : job.state === 'failed' ? 'Failed' : 'Cancelled'}: ${p.done}/${p.total} probes${p.current ? ` · ${p.current}` : ''} · ${p.found.length} found${job.error ? ` · ${job.error.code}: ${job.error.message}` : ''}`;
    $('scan-found').replaceChildren(
      ...p.found.map((f) => {
        const what = f.profile ? ` — ${f.profile}` : f.candidates?.length > 1 ? ` — profile unknown: one of ${f.candidates.join(', ')}` : ' — profile unknown';
        return el('li', { 'data-unit': f.unit ?? f.address }, `${f.unit !== undefined ? `unit ${f.unit}` : `address ${f.address}`} at ${f.line ?? `${f.baudRate} baud, parity ${f.parity}`}${what}${f.problem ? ` (${f.problem})` : ''}`);
      }),
    );
    $('scan-start').disabled = job.state === 'running';
  }

  function followScan(id) {
    clearInterval(state.scanTimer);
    const tick = async () => {
      const job = await api(`/api/scan/${encodeURIComponent(id)}`);
      renderScan(job);
      if (job.state !== 'running') clearInterval(state.scanTimer);
    };
    state.scanTimer = setInterval(() => tick().catch(() => clearInterval(state.scanTimer)), 500);
    tick().catch(() => undefined);
  }

  // ───── start ─────
  api('/api/session', { login: true, allowError: true }).then((r) => (r.status === 200 ? enter() : showLogin()), showLogin);
})();
