// The board's page. Every text an agent wrote (patterns, reasons, titles, bodies, ids) goes into
// the page with textContent, never as HTML; the server's Content-Security-Policy also forbids any
// inline script. Rows are keyed and updated in place, inside fixed-height panels, so the page
// does not move as events arrive.
'use strict';
(function () {
  var skew = 0; // server time minus this browser's
  var paused = false;
  var pending = null;
  var rows = new WeakMap(); // list element -> Map(key -> {el, sig})

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i++) if (arguments[i]) parent.appendChild(arguments[i]);
    return parent;
  }
  function now() { return Date.now() + skew; }
  function short(iso) {
    if (!iso) return '';
    var d = new Date(iso);
    var time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    if (d.toDateString() === new Date(now()).toDateString()) return time;
    return d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }) + ' ' + time;
  }
  function span(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + String(s % 60).padStart(2, '0') + 's';
    if (s < 86400) return Math.floor(s / 3600) + 'h ' + String(Math.floor(s % 3600 / 60)).padStart(2, '0') + 'm';
    return Math.floor(s / 86400) + 'd ' + Math.floor(s % 86400 / 3600) + 'h';
  }
  /** A countdown to `iso`, kept current by the ticker. */
  function left(iso, prefix) {
    var e = el('span', 'time');
    if (!iso) { e.textContent = 'no expiry'; return e; }
    e.dataset.expires = iso;
    e.dataset.prefix = prefix || '';
    tickOne(e);
    return e;
  }
  function tickOne(e) {
    var ms = Date.parse(e.dataset.expires) - now();
    var t = ms > 0 ? e.dataset.prefix + span(ms) + ' left' : 'expired';
    if (e.textContent !== t) e.textContent = t;
    e.classList.toggle('bad', ms <= 0);
  }
  function tick() {
    var all = document.querySelectorAll('[data-expires]');
    for (var i = 0; i < all.length; i++) tickOne(all[i]);
  }
  function ago(iso) {
    return iso ? span(now() - Date.parse(iso)) + ' ago' : 'never';
  }

  /** Renders `items` into list `ul` in order, reusing the element of each key whose data did not change. */
  function sync(ul, items, key, build) {
    var map = rows.get(ul);
    if (!map) { map = new Map(); rows.set(ul, map); }
    var keep = new Map();
    var before = ul.firstChild;
    items.forEach(function (item) {
      var k = key(item);
      var sig = JSON.stringify(item);
      var row = map.get(k);
      if (!row || row.sig !== sig) {
        var fresh = build(item);
        fresh.dataset.key = k;
        if (row) {
          if (before === row.el) before = fresh;
          ul.replaceChild(fresh, row.el);
        }
        row = { el: fresh, sig: sig };
      }
      keep.set(k, row);
      if (row.el !== before) ul.insertBefore(row.el, before);
      else before = before.nextSibling;
    });
    map.forEach(function (row, k) { if (!keep.has(k)) row.el.remove(); });
    rows.set(ul, keep);
  }
  function count(id, shown, total) {
    var t = total > shown ? shown + ' of ' + total : String(total);
    $(id).textContent = '(' + t + ')';
  }
  function empty(id, none) { $(id).hidden = !none; }

  function agentRow(a) {
    var li = el('li');
    add(li, add(el('div', 'line'),
      el('span', 'who', a.id),
      el('span', 'badge' + (a.active ? ' on' : ''), a.active ? 'active' : 'inactive'),
      a.role ? el('span', 'meta', 'role: ' + a.role) : null,
      a.task ? el('span', 'meta', 'task: ' + a.task) : null,
      el('span', 'meta', a.locks.length + (a.locks.length === 1 ? ' lock' : ' locks')),
      el('span', 'meta', 'last seen ' + (a.lastSeen ? short(a.lastSeen) : 'never'))));
    return li;
  }
  function lockRow(l) {
    var li = el('li');
    add(li, add(el('div', 'line'),
      el('span', 'pattern', l.pattern),
      el('span', 'who', l.agent),
      left(l.expiresAt),
      el('span', 'meta', 'token ' + l.token)));
    if (l.reason) add(li, el('div', 'reason', l.reason));
    return li;
  }
  function taskRow(doneIds) {
    return function (t) {
      var li = el('li');
      add(li, add(el('div', 'line'),
        el('span', 'id', t.id),
        el('span', 'badge p' + t.priority, 'p' + t.priority),
        el('span', 'title', t.title),
        t.labels.length ? el('span', 'meta', '[' + t.labels.join(', ') + ']') : null));
      var info = el('div', 'line meta');
      if (t.status === 'claimed' && t.claimedBy) {
        add(info, el('span', null, 'claimed by ' + t.claimedBy), left(t.claimExpiresAt, 'claim: '));
      }
      if (t.dependsOn.length) {
        add(info, el('span', null, 'depends on ' + t.dependsOn.map(function (d) {
          return d + (t.blockedBy.indexOf(d) >= 0 ? ' (waiting)' : ' (done)');
        }).join(', ')));
      }
      if (t.blockedBy.length && t.status !== 'done' && t.status !== 'failed') add(info, el('span', 'bad', 'blocked by ' + t.blockedBy.join(', ')));
      if (t.status === 'failed') add(info, el('span', 'bad', 'failed' + (t.claimedBy ? ' (' + t.claimedBy + ')' : '') + ': ' + (t.reason || 'no reason given')));
      if (t.status === 'done') add(info, el('span', null, 'done by ' + (t.claimedBy || '?') + ' ' + short(t.updatedAt) + (t.note ? ': ' + t.note : '')));
      if (t.locks.length) add(info, el('span', null, 'locks ' + t.locks.join(', ')));
      if (info.childNodes.length) add(li, info);
      return li;
    };
  }
  function messageView(m) {
    var box = el('div');
    var to = m.to.join(', ');
    add(box, add(el('div', 'line'),
      el('span', 'who', m.from),
      el('span', 'meta', '→ ' + to),
      m.subject ? el('strong', null, m.subject) : null,
      el('span', 'badge p' + m.priority, 'p' + m.priority),
      el('span', 'meta', short(m.sentAt)),
      el('span', 'id meta', m.id)));
    add(box, el('p', 'body', m.body));
    var names = Object.keys(m.acks);
    var acked = names.filter(function (a) { return m.acks[a]; });
    var waiting = names.filter(function (a) { return !m.acks[a]; });
    var line = (acked.length ? 'acknowledged by ' + acked.join(', ') : 'not acknowledged yet') + (waiting.length ? '; waiting for ' + waiting.join(', ') : '') + (m.ack ? ' (asked for acks)' : '');
    add(box, el('div', 'meta', line));
    return box;
  }
  function threadRow(th) {
    var li = el('li', 'thread');
    add(li, messageView(th.first));
    if (th.replies.length) {
      var ul = el('ul', 'replies');
      th.replies.forEach(function (r) { add(ul, add(el('li'), messageView(r))); });
      add(li, ul);
    }
    return li;
  }
  function historyRow(e) {
    var li = el('li');
    add(li,
      el('span', 'meta time', short(e.at)),
      el('span', 'who', e.agent),
      el('span', null, e.action + ' ' + e.subject + (e.other ? ' (' + e.other + "'s)" : '') + (e.reason ? ' — ' + e.reason : '')));
    return li;
  }

  function render(d) {
    skew = Date.parse(d.now) - Date.now();
    $('repo').textContent = d.repo + (d.view ? ' (view of ' + d.view.remote + ')' : '');
    document.title = 'git-coord board: ' + d.repo;
    sync($('agents-list'), d.agents, function (a) { return a.id; }, agentRow);
    count('n-agents', d.agents.length, d.agents.length);
    empty('agents-empty', d.agents.length === 0);
    sync($('locks-list'), d.locks, function (l) { return l.agent + '\u0000' + l.pattern; }, lockRow);
    count('n-locks', d.locks.length, d.counts.locks);
    empty('locks-empty', d.locks.length === 0);
    var byId = function (t) { return t.id; };
    ['claimed', 'ready', 'blocked', 'failed', 'done'].forEach(function (k) {
      sync($(k + '-list'), d.tasks[k], byId, taskRow());
      count('n-' + k, d.tasks[k].length, d.counts[k]);
    });
    var open = d.counts.claimed + d.counts.ready + d.counts.blocked + d.counts.failed;
    $('n-tasks').textContent = '(' + open + ' open, ' + d.counts.done + ' done)';
    // Threads: each thread's first message, then its replies, oldest first; newest thread first.
    var threads = new Map();
    d.messages.slice().reverse().forEach(function (m) {
      var th = threads.get(m.thread);
      if (!th) { th = { id: m.thread, first: m, replies: [], last: m.sentAt }; threads.set(m.thread, th); }
      else { th.replies.push(m); th.last = m.sentAt; }
    });
    var list = Array.from(threads.values()).sort(function (a, b) { return Date.parse(b.last) - Date.parse(a.last); });
    sync($('threads-list'), list, function (t) { return t.id; }, threadRow);
    count('n-messages', d.messages.length, d.counts.messages);
    empty('messages-empty', d.messages.length === 0);
    $('channels').textContent = $('channels').title = d.channels.length
      ? 'Channels: ' + d.channels.map(function (c) { return '#' + c.name + ' (' + c.members.join(', ') + ')'; }).join('; ')
      : 'No channels joined.';
    // Entries alike in every field still get rows of their own.
    var seen = new Map();
    sync($('history-list'), d.history, function (e) {
      var k = e.at + '\u0000' + e.agent + '\u0000' + e.action + '\u0000' + e.subject;
      var n = (seen.get(k) || 0) + 1;
      seen.set(k, n);
      return k + '\u0000' + n;
    }, historyRow);
    empty('history-empty', d.history.length === 0);
    $('updated').textContent = 'Last update ' + short(d.now) + '.';
    tick();
  }

  function apply(d) {
    if (paused) { pending = d; return; }
    render(d);
  }

  function connect() {
    var conn = $('conn');
    var es = new EventSource('events');
    es.addEventListener('board', function (ev) {
      conn.textContent = 'live';
      conn.className = 'conn live';
      apply(JSON.parse(ev.data));
    });
    es.onerror = function () {
      conn.textContent = 'reconnecting…';
      conn.className = 'conn down';
    };
  }

  document.addEventListener('DOMContentLoaded', function () {
    var btn = $('pause');
    btn.addEventListener('click', function () {
      paused = !paused;
      btn.setAttribute('aria-pressed', String(paused));
      btn.textContent = paused ? 'Resume updates' : 'Pause updates';
      if (!paused && pending) { render(pending); pending = null; }
    });
    connect();
    setInterval(tick, 1000);
  });
})();
