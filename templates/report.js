/* The findings tables of an ami-audit report: filter, sort and page the embedded data.
   Every value is written with textContent, never as markup. */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('ami-audit-data').textContent);
  var SEV = 0, RULE = 1, ACCT = 2, REGION = 3, INST = 4, INAME = 5, AMI = 6, ANAME = 7, MSG = 8, WAIVER = 9, EXPIRED = 10, DIFF = 11, CHANGE = 12;
  var PAGE = 100, PRINT_MAX = 20000;
  var $ = function (id) { return document.getElementById(id); };
  var filters = { sev: '', rule: '', account: '', region: '', text: '' };

  function fill(select, values, labels) {
    values.forEach(function (v, i) {
      var o = document.createElement('option');
      o.value = String(i);
      o.textContent = labels ? labels[i] : v;
      select.appendChild(o);
    });
  }
  fill($('f-sev'), data.sev); fill($('f-rule'), data.rules); fill($('f-account'), data.accounts); fill($('f-region'), data.regions);

  var search = data.rows.map(function (r) {
    return [r[INST], r[INAME], r[AMI], r[ANAME], r[MSG], data.accounts[r[ACCT]], data.regions[r[REGION]], data.rules[r[RULE]], r[WAIVER]].join('\u0001').toLowerCase();
  });

  function matches(i) {
    var r = data.rows[i];
    if (filters.sev !== '' && r[SEV] !== +filters.sev) return false;
    if (filters.rule !== '' && r[RULE] !== +filters.rule) return false;
    if (filters.account !== '' && r[ACCT] !== +filters.account) return false;
    if (filters.region !== '' && r[REGION] !== +filters.region) return false;
    if (filters.text && search[i].indexOf(filters.text) < 0) return false;
    return true;
  }

  function cell(tr, text, cls, title) {
    var td = document.createElement('td');
    td.textContent = text == null ? '' : String(text);
    if (cls) td.className = cls;
    if (title) td.title = title;
    tr.appendChild(td);
    return td;
  }

  function Table(id, pagerId, waived) {
    this.table = $(id); this.body = this.table.tBodies[0]; this.pager = $(pagerId);
    this.waived = waived; this.page = 0; this.sortCol = -1; this.sortDir = 1; this.rows = [];
    this.hasChange = this.table.querySelector('th[data-col="' + DIFF + '"]') !== null;
    var self = this;
    Array.prototype.forEach.call(this.table.tHead.rows[0].cells, function (th) {
      th.addEventListener('click', function () { self.sortBy(+th.getAttribute('data-col'), th); });
    });
  }
  Table.prototype.sortBy = function (col, th) {
    this.sortDir = this.sortCol === col ? -this.sortDir : 1;
    this.sortCol = col;
    Array.prototype.forEach.call(this.table.tHead.rows[0].cells, function (c) { c.setAttribute('aria-sort', 'none'); });
    th.setAttribute('aria-sort', this.sortDir > 0 ? 'ascending' : 'descending');
    this.update();
  };
  Table.prototype.key = function (r, col) {
    if (col === ACCT) return data.accounts[r[col]];
    if (col === REGION) return data.regions[r[col]];
    if (col === RULE) return data.rules[r[col]];
    return r[col] == null ? '' : r[col];
  };
  Table.prototype.update = function () {
    var self = this, rows = [];
    for (var i = 0; i < data.rows.length; i++) {
      if ((data.rows[i][WAIVER] != null) === self.waived && matches(i)) rows.push(data.rows[i]);
    }
    if (this.sortCol >= 0) {
      var col = this.sortCol, dir = this.sortDir;
      rows.sort(function (a, b) {
        var x = self.key(a, col), y = self.key(b, col);
        return (x < y ? -1 : x > y ? 1 : 0) * dir;
      });
    }
    this.rows = rows;
    this.page = Math.min(this.page, Math.max(0, Math.ceil(rows.length / PAGE) - 1));
    this.draw(this.page * PAGE, PAGE);
  };
  Table.prototype.draw = function (start, count) {
    var frag = document.createDocumentFragment(), end = Math.min(this.rows.length, start + count);
    for (var i = start; i < end; i++) {
      var r = this.rows[i], tr = document.createElement('tr'), sev = data.sev[r[SEV]];
      if (r[DIFF] === 'new' || r[DIFF] === 'changed') tr.className = r[DIFF];
      cell(tr, sev, 'sevcell sev-' + sev);
      cell(tr, data.rules[r[RULE]]);
      cell(tr, data.accounts[r[ACCT]]);
      cell(tr, data.regions[r[REGION]]);
      cell(tr, r[INST] + (r[INAME] ? ' (' + r[INAME] + ')' : ''));
      cell(tr, r[AMI] || '', '', r[ANAME] || '');
      cell(tr, r[MSG], 'msg', r[EXPIRED] ? 'waiver ' + r[EXPIRED] + ' has expired' : '');
      if (this.waived) {
        var w = data.waivers[r[WAIVER]] || {};
        cell(tr, r[WAIVER] + ': ' + (w.reason || '') + ' (until ' + (w.expires || '?') + (w.ticket ? ', ' + w.ticket : '') + ')');
      }
      if (this.hasChange) cell(tr, r[DIFF] ? r[DIFF] + (r[CHANGE] ? ': ' + r[CHANGE] : '') : '', 'change');
      frag.appendChild(tr);
    }
    this.body.textContent = '';
    this.body.appendChild(frag);
    this.drawPager(start, end);
  };
  Table.prototype.drawPager = function (start, end) {
    var self = this, pages = Math.max(1, Math.ceil(this.rows.length / PAGE));
    this.pager.textContent = '';
    var prev = document.createElement('button'), next = document.createElement('button'), info = document.createElement('span');
    prev.type = next.type = 'button';
    prev.textContent = 'Previous'; next.textContent = 'Next';
    prev.disabled = this.page === 0; next.disabled = this.page >= pages - 1;
    prev.addEventListener('click', function () { self.page -= 1; self.draw(self.page * PAGE, PAGE); });
    next.addEventListener('click', function () { self.page += 1; self.draw(self.page * PAGE, PAGE); });
    info.textContent = this.rows.length ? 'rows ' + (start + 1) + '-' + end + ' of ' + this.rows.length + ' (page ' + (this.page + 1) + ' of ' + pages + ')' : 'no rows';
    this.pager.appendChild(prev); this.pager.appendChild(info); this.pager.appendChild(next);
  };

  var open = new Table('t-open', 'p-open', false), waived = new Table('t-waived', 'p-waived', true);
  function refresh() {
    open.page = 0; waived.page = 0;
    open.update(); waived.update();
    $('f-count').textContent = open.rows.length + ' open and ' + waived.rows.length + ' waived findings match (' + data.rows.length + ' in the report).';
  }
  [['f-sev', 'sev'], ['f-rule', 'rule'], ['f-account', 'account'], ['f-region', 'region']].forEach(function (p) {
    $(p[0]).addEventListener('change', function (e) { filters[p[1]] = e.target.value; refresh(); });
  });
  $('filters').addEventListener('submit', function (e) { e.preventDefault(); });
  $('f-text').addEventListener('input', function (e) { filters.text = e.target.value.trim().toLowerCase(); refresh(); });
  $('f-reset').addEventListener('click', function () {
    filters = { sev: '', rule: '', account: '', region: '', text: '' };
    ['f-sev', 'f-rule', 'f-account', 'f-region', 'f-text'].forEach(function (id) { $(id).value = ''; });
    refresh();
  });
  // Printing shows every row (up to PRINT_MAX) and opens every closed <details> (the diff's lists);
  // afterwards the pages and the details are as they were. Both the print events and the print
  // media query start it, so print preview, "Save as PDF" and emulated print media all get it.
  var printing = false, reopened = [];
  function setPrinting(on) {
    if (on === printing) return;
    printing = on;
    if (on) {
      open.draw(0, PRINT_MAX); waived.draw(0, PRINT_MAX);
      reopened = Array.prototype.filter.call(document.querySelectorAll('details'), function (d) { return !d.open; });
      reopened.forEach(function (d) { d.open = true; });
    } else {
      open.draw(open.page * PAGE, PAGE); waived.draw(waived.page * PAGE, PAGE);
      reopened.forEach(function (d) { d.open = false; });
      reopened = [];
    }
  }
  window.addEventListener('beforeprint', function () { setPrinting(true); });
  window.addEventListener('afterprint', function () { setPrinting(false); });
  var printMedia = window.matchMedia ? window.matchMedia('print') : null;
  if (printMedia && printMedia.addEventListener) printMedia.addEventListener('change', function (e) { setPrinting(e.matches); });
  refresh();
  if (printMedia && printMedia.matches) setPrinting(true);
  document.documentElement.setAttribute('data-ready', 'true');
})();
