/* The interactive parts of an ami-audit report: filters shared by the plan, the charts and the
   findings tables; sorting (mouse and keyboard); paging; the plan's instance lists; printing.
   Every value is written with textContent, never as markup. */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('ami-audit-data').textContent);
  var SEV = 0, RULE = 1, ACCT = 2, REGION = 3, INST = 4, INAME = 5, AMI = 6, ANAME = 7, MSG = 8, WAIVER = 9, EXPIRED = 10, DIFF = 11, CHANGE = 12, STATE = 13, TAGS = 14, PLAN = 15;
  /** Only on a finding about a resource (a launch template, SSM parameter or recipe): [label, ARN, Auto Scaling groups]. */
  var SUBJECT = 16;
  /** Sort keys of the tag columns: TAG_COL + the column's index. */
  var TAG_COL = 100;
  /** With a run history, data.hist beside data.rows: [age in days, due day, overdue 1/0, lifecycle, first-seen day]; the columns' sort keys. */
  var AGE_COL = 20, DUE_COL = 21, LIFE_COL = 22;
  var hist = data.hist || null;
  if (hist) data.rows.forEach(function (r, i) { r.h = hist[i]; });
  var PAGE = 100, PRINT_MAX = 5000, PLAN_INSTANCES = 300, TOP_ACCOUNTS = 15;
  /** The chart geometry of src/render/html.ts. */
  var LABEL_W = 178, BAR_W = 360, ROW_H = 22;
  var SVG_NS = 'http://www.w3.org/2000/svg';
  var $ = function (id) { return document.getElementById(id); };
  /** A count as the page writes it: 137,191 (src/render/html.ts: formatNumber). */
  var NUMBER = typeof Intl !== 'undefined' ? new Intl.NumberFormat('en-US') : null;
  function fmt(n) { return NUMBER ? NUMBER.format(n) : String(n); }
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };
  var tagColumns = data.tagColumns || [];
  var UNTAGGED = 'untagged';
  /** Account names and OU paths beside data.accounts (null when unknown); the OU filter's choices (paths
      for display) and, per account, the indexes of its OU and the OUs above it among them. */
  var accountNames = data.accountNames || [], accountOuPaths = data.accountOuPaths || [], accountOus = data.accountOus || [], ous = data.ous || [];
  var NO_OU = 'none';

  function blank() { return { sev: '', rule: '', account: '', ou: '', region: '', text: '', terms: [], tags: tagColumns.map(function () { return ''; }), overdue: false }; }
  var filters = blank();
  function active() {
    return filters.overdue || filters.sev !== '' || filters.rule !== '' || filters.account !== '' || filters.ou !== '' || filters.region !== '' || filters.terms.length > 0 ||
      filters.tags.some(function (t) { return t !== ''; });
  }
  /** `123456789012 (payments-prod)`, or the id alone. */
  function accountLabel(i) { return data.accounts[i] + (accountNames[i] ? ' (' + accountNames[i] + ')' : ''); }
  var labelOf = {};
  data.accounts.forEach(function (id, i) { labelOf[id] = accountLabel(i); });
  function labelOfId(id) { return Object.prototype.hasOwnProperty.call(labelOf, id) ? labelOf[id] : id; }
  /** Whether an account (the indexes of its OUs) is in the chosen OU: the OU itself or one below it; NO_OU: accounts without one. */
  function inOu(list, choice) {
    if (choice === NO_OU) return list == null;
    return list != null && list.indexOf(+choice) >= 0;
  }

  function option(select, value, label) {
    var o = document.createElement('option');
    o.value = value;
    o.textContent = label;
    select.appendChild(o);
  }
  function fill(select, values) { values.forEach(function (v, i) { option(select, String(i), v); }); }
  fill($('f-sev'), data.sev); fill($('f-rule'), data.rules); fill($('f-region'), data.regions);
  data.accounts.forEach(function (_, i) { option($('f-account'), String(i), accountLabel(i)); });
  if ($('f-ou')) {
    fill($('f-ou'), ous);
    if (data.noOu) option($('f-ou'), NO_OU, '(no OU)');
  }
  /** Above a threshold of findings (src/render/html.ts: GROUPED_ABOVE) the findings come grouped, data.rows a sample of them. */
  var G = data.grouped || null;
  var tagValues = tagColumns.map(function (_, t) {
    var seen = {}, list = [];
    var add = function (v) { if (v != null && !Object.prototype.hasOwnProperty.call(seen, v)) { seen[v] = true; list.push(v); } };
    data.rows.forEach(function (r) { add(r[TAGS] ? r[TAGS][t] : null); });
    if (G && G.tagCombos) G.tagCombos.forEach(function (c) { add(c[t]); });
    return list.sort();
  });
  each(document.querySelectorAll('select.f-tag'), function (select) {
    var t = +select.getAttribute('data-tag');
    fill(select, tagValues[t]);
    option(select, UNTAGGED, '(untagged)');
  });

  var search = data.rows.map(function (r) {
    var res = r[SUBJECT] ? [r[SUBJECT][0], r[SUBJECT][1]].concat(r[SUBJECT][2]) : [];
    return [r[INST], r[INAME], r[AMI], r[ANAME], r[MSG], data.accounts[r[ACCT]], accountNames[r[ACCT]], accountOuPaths[r[ACCT]], data.regions[r[REGION]], data.rules[r[RULE]], r[WAIVER], r[STATE]]
      .concat(r[TAGS] || []).concat(res).join('\u0001').toLowerCase();
  });
  /** A cell for the subject: a resource's ARN is its title. */
  function subjectCell(tr, r) {
    if (r[SUBJECT]) return cell(tr, r[SUBJECT][0], 'subject', r[SUBJECT][1]);
    // the instance id is never split (at its hyphen or anywhere); its name may wrap
    var td = cell(tr, '', 'inst'), id = document.createElement('span');
    id.className = 'id';
    id.textContent = r[INST] == null ? '' : String(r[INST]);
    td.appendChild(id);
    if (r[INAME]) td.appendChild(document.createTextNode(' (' + r[INAME] + ')'));
    return td;
  }

  function tagOf(r, t) { return r[TAGS] ? r[TAGS][t] : null; }
  function matches(i) {
    var r = data.rows[i];
    if (filters.sev !== '' && r[SEV] !== +filters.sev) return false;
    if (filters.rule !== '' && r[RULE] !== +filters.rule) return false;
    if (filters.account !== '' && r[ACCT] !== +filters.account) return false;
    if (filters.ou !== '' && !inOu(accountOus[r[ACCT]], filters.ou)) return false;
    if (filters.region !== '' && r[REGION] !== +filters.region) return false;
    if (filters.overdue && !(r.h && r.h[2])) return false;
    for (var t = 0; t < filters.tags.length; t++) {
      var f = filters.tags[t];
      if (f === '') continue;
      var v = tagOf(r, t);
      if (f === UNTAGGED ? v != null : v !== tagValues[t][+f]) return false;
    }
    for (var k = 0; k < filters.terms.length; k++) if (search[i].indexOf(filters.terms[k]) < 0) return false;
    return true;
  }
  /** Indexes of the rows that pass the filters, computed once per change. */
  var matching = [];

  function describe() {
    var parts = [];
    if (filters.sev !== '') parts.push('severity ' + data.sev[+filters.sev]);
    if (filters.rule !== '') parts.push('rule ' + data.rules[+filters.rule]);
    if (filters.account !== '') parts.push('account ' + accountLabel(+filters.account));
    if (filters.ou !== '') parts.push(filters.ou === NO_OU ? 'no OU' : 'OU ' + ous[+filters.ou]);
    if (filters.region !== '') parts.push('region ' + data.regions[+filters.region]);
    filters.tags.forEach(function (f, t) {
      if (f !== '') parts.push(tagColumns[t] + ' ' + (f === UNTAGGED ? '(untagged)' : tagValues[t][+f]));
    });
    if (filters.terms.length) parts.push('search "' + filters.terms.join(' ') + '"');
    if (filters.overdue) parts.push('overdue only');
    return parts.join(', ');
  }

  function cell(tr, text, cls, title) {
    var td = document.createElement('td');
    td.textContent = text == null ? '' : String(text);
    if (cls) td.className = cls;
    if (title) td.title = title;
    tr.appendChild(td);
    return td;
  }
  /** A second line in a cell, shown where its own column is hidden. */
  function sub(td, text) {
    if (text == null || text === '') return td;
    var s = document.createElement('span');
    s.className = 'sub';
    s.textContent = text;
    td.appendChild(s);
    return td;
  }
  /** An account's cell: its id, its name below it, its OU path as the title. */
  function accountCell(tr, i) {
    var td = cell(tr, data.accounts[i], 'acctcell', accountOuPaths[i] ? 'OU: ' + accountOuPaths[i] : '');
    if (accountNames[i]) {
      var name = document.createElement('span');
      name.className = 'acct-name';
      name.textContent = accountNames[i];
      td.appendChild(name);
    }
    return td;
  }

  /* ---- the findings tables ---- */
  function Table(id, pagerId, waived) {
    this.table = $(id); this.body = this.table.tBodies[0]; this.pager = $(pagerId);
    this.waived = waived; this.page = 0; this.sortCol = -1; this.sortDir = 1; this.rows = []; this.limit = PAGE;
    this.hasChange = this.table.querySelector('th[data-col="' + DIFF + '"]') !== null;
    this.hasHistory = this.table.querySelector('th[data-col="' + AGE_COL + '"]') !== null;
    var self = this;
    each(this.table.tHead.rows[0].cells, function (th) {
      var col = +th.getAttribute('data-col') + (th.hasAttribute('data-tag') ? TAG_COL : 0);
      th.addEventListener('click', function () { self.sortBy(col, th); });
      th.addEventListener('keydown', function (e) {
        if (e.key === 'Enter' || e.key === ' ' || e.key === 'Spacebar') { e.preventDefault(); self.sortBy(col, th); }
      });
    });
  }
  Table.prototype.sortBy = function (col, th) {
    // Severity sorts worst first on the first press; other columns A to Z.
    this.sortDir = this.sortCol === col ? -this.sortDir : col === SEV ? -1 : 1;
    this.sortCol = col;
    each(this.table.tHead.rows[0].cells, function (c) { c.setAttribute('aria-sort', 'none'); });
    th.setAttribute('aria-sort', this.sortDir > 0 ? 'ascending' : 'descending');
    this.update();
  };
  Table.prototype.key = function (r, col) {
    if (col === SEV) return data.sev.length - 1 - r[SEV];
    if (col === ACCT) return data.accounts[r[col]];
    if (col === REGION) return data.regions[r[col]];
    if (col === RULE) return data.rules[r[col]];
    if (col >= TAG_COL) { var v = tagOf(r, col - TAG_COL); return v == null ? '' : v; }
    if (col === INST) return r[SUBJECT] ? r[SUBJECT][0] : r[INST];
    if (col === AGE_COL) return r.h && r.h[0] != null ? r.h[0] : -1;
    if (col === DUE_COL) return r.h && r.h[1] ? r.h[1] : '9999';
    if (col === LIFE_COL) return r.h ? r.h[3] : '';
    return r[col] == null ? '' : r[col];
  };
  Table.prototype.update = function () {
    var self = this, rows = [];
    for (var n = 0; n < matching.length; n++) {
      var r = data.rows[matching[n]];
      if ((r[WAIVER] != null) === self.waived) rows.push(r);
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
    this.draw(this.page * PAGE, this.limit);
  };
  Table.prototype.draw = function (start, count) {
    var frag = document.createDocumentFragment(), end = Math.min(this.rows.length, start + count);
    for (var i = start; i < end; i++) {
      var r = this.rows[i], tr = document.createElement('tr'), sev = data.sev[r[SEV]];
      if (r[DIFF] === 'new' || r[DIFF] === 'changed') tr.className = r[DIFF];
      cell(tr, sev, 'sevcell sev-' + sev);
      // the rule's compliance controls, a second line of the rule cell
      var rc = cell(tr, data.rules[r[RULE]]), ctl = data.ruleControls ? data.ruleControls[r[RULE]] : '';
      if (ctl) { var cs = document.createElement('span'); cs.className = 'ctl'; cs.textContent = ctl; rc.appendChild(cs); }
      // the region, the state and the AMI name are columns of their own on a wide screen, and a
      // second line of the account, instance and AMI cells on a narrower one (report.css: .sub)
      sub(accountCell(tr, r[ACCT]), data.regions[r[REGION]]);
      cell(tr, data.regions[r[REGION]], 'nowrap col-region');
      sub(subjectCell(tr, r), r[STATE]);
      cell(tr, r[STATE] || '', 'col-state');
      sub(cell(tr, r[AMI] || '', 'nowrap'), r[ANAME]);
      cell(tr, r[ANAME] || '', 'aname col-aname');
      for (var t = 0; t < tagColumns.length; t++) cell(tr, tagOf(r, t));
      cell(tr, r[MSG], 'msg msg-text', r[EXPIRED] ? 'waiver ' + r[EXPIRED] + ' has expired' : '');
      if (this.hasHistory) {
        var h = r.h || [null, '', 0, '', ''];
        cell(tr, h[0], 'num', h[4] ? 'first seen ' + h[4] : '');
        cell(tr, h[1] ? h[1] + (h[2] ? ' overdue' : '') : 'no SLA', h[2] ? 'due overdue' : 'due');
        cell(tr, h[3]);
      }
      if (this.waived) {
        var w = data.waivers[r[WAIVER]] || {};
        cell(tr, r[WAIVER] + ': ' + (w.reason || '') + ' (until ' + (w.expires || '?') + (w.ticket ? ', ' + w.ticket : '') + ')', 'waiver');
      }
      if (this.hasChange) cell(tr, r[DIFF] ? r[DIFF] + (r[CHANGE] ? ': ' + r[CHANGE] : '') : '', 'change');
      frag.appendChild(tr);
    }
    this.body.textContent = '';
    this.body.appendChild(frag);
    this.drawPager(start, end);
  };
  Table.prototype.drawPager = function (start, end) {
    var self = this;
    drawPager(this.pager, this.rows.length, start, end, this.page, function (to) { self.page = to; self.draw(self.page * PAGE, PAGE); });
  };
  /** Previous, "rows a-b of n (page p of q)", Next; `go` is called with the page to show; `size` rows a page (PAGE). */
  function drawPager(el, total, start, end, page, go, size) {
    var pages = Math.max(1, Math.ceil(total / (size || PAGE)));
    el.textContent = '';
    var prev = document.createElement('button'), next = document.createElement('button'), info = document.createElement('span');
    prev.type = next.type = 'button';
    prev.textContent = 'Previous'; next.textContent = 'Next';
    prev.disabled = page === 0; next.disabled = page >= pages - 1;
    prev.addEventListener('click', function () { go(page - 1); });
    next.addEventListener('click', function () { go(page + 1); });
    info.textContent = total ? 'rows ' + fmt(start + 1) + '-' + fmt(end) + ' of ' + fmt(total) + ' (page ' + fmt(page + 1) + ' of ' + fmt(pages) + ')' : 'no rows';
    el.appendChild(prev); el.appendChild(info); el.appendChild(next);
    el.hidden = pages <= 1 && el.getAttribute('data-hide-single') === 'true';
  }

  /* ---- the grouped findings (a large report): counts per group, account and region ---- */
  // A group: [severity, rule, plan entry, resource 1/0, AMI id, AMI name, cells, sampled rows]; its cells, G.width
  // numbers each: account, region, (tag values,) open, waived, (overdue). Every filter answers from the cells.
  var GSEV = 0, GRULE = 1, GPLAN = 2, GRES = 3, GAMI = 4, GANAME = 5, GCELLS = 6;
  var groupMatch = [], groupTotals = { open: 0, waived: 0 }, matchedCells = [];
  var groupWords = G ? G.groups.map(function (g) { return [data.rules[g[GRULE]], data.sev[g[GSEV]], g[GAMI], g[GANAME]].join('\u0001').toLowerCase(); }) : [];
  var accountWords = data.accounts.map(function (id, i) { return [id, accountNames[i], accountOuPaths[i]].join('\u0001').toLowerCase(); });
  var regionWords = data.regions.map(function (r) { return r.toLowerCase(); });
  function groupRefresh() {
    groupMatch = []; matchedCells = []; groupTotals = { open: 0, waived: 0 };
    if (!G) return;
    var W = G.width, hasTag = !!G.tagCombos, o = hasTag ? 3 : 2, terms = filters.terms;
    // per term: which groups, accounts and regions hold it
    var tg = terms.map(function (t) { return groupWords.map(function (w) { return w.indexOf(t) >= 0; }); });
    var ta = terms.map(function (t) { return accountWords.map(function (w) { return w.indexOf(t) >= 0; }); });
    var tr = terms.map(function (t) { return regionWords.map(function (w) { return w.indexOf(t) >= 0; }); });
    var tagOn = hasTag && filters.tags.some(function (f) { return f !== ''; });
    for (var g = 0; g < G.groups.length; g++) {
      var grp = G.groups[g];
      if (filters.sev !== '' && grp[GSEV] !== +filters.sev) continue;
      if (filters.rule !== '' && grp[GRULE] !== +filters.rule) continue;
      var c = grp[GCELLS], m = { g: g, open: 0, waived: 0, accounts: {}, regions: {}, nAccounts: 0, nRegions: 0 };
      for (var i = 0; i < c.length; i += W) {
        var a = c[i], r = c[i + 1];
        if (filters.account !== '' && a !== +filters.account) continue;
        if (filters.ou !== '' && !inOu(accountOus[a], filters.ou)) continue;
        if (filters.region !== '' && r !== +filters.region) continue;
        if (tagOn) {
          var combo = G.tagCombos[c[i + 2]], ok = true;
          for (var t = 0; t < filters.tags.length && ok; t++) {
            var f = filters.tags[t];
            if (f !== '') ok = f === UNTAGGED ? combo[t] == null : combo[t] === tagValues[t][+f];
          }
          if (!ok) continue;
        }
        var hit = true;
        for (var k = 0; k < terms.length && hit; k++) hit = tg[k][g] || ta[k][a] || tr[k][r];
        if (!hit) continue;
        var open = filters.overdue ? c[i + o + 2] : c[i + o], waived = filters.overdue ? 0 : c[i + o + 1];
        if (!open && !waived) continue;
        m.open += open; m.waived += waived;
        if (!m.accounts[a]) { m.accounts[a] = true; m.nAccounts++; }
        if (!m.regions[r]) { m.regions[r] = true; m.nRegions++; }
        matchedCells.push([g, a, r, open, waived]);
      }
      if (m.open || m.waived) { groupMatch.push(m); groupTotals.open += m.open; groupTotals.waived += m.waived; }
    }
  }
  var groupPage = 0, groupBody = $('t-groups') ? $('t-groups').tBodies[0] : null;
  /** A few names, then how many more: "a, b, c +4". */
  function some(keys, name, n) {
    var list = Object.keys(keys).map(Number).sort(function (x, y) { return x - y; }).map(name);
    return list.length <= n ? list.join(', ') : list.slice(0, n).join(', ') + ' +' + fmt(list.length - n);
  }
  function drawGroups() {
    if (!groupBody) return;
    var frag = document.createDocumentFragment(), total = groupMatch.length;
    var pages = Math.max(1, Math.ceil(total / PAGE));
    groupPage = Math.min(groupPage, pages - 1);
    var start = printing && $('f-print').checked ? 0 : groupPage * PAGE, end = Math.min(total, printing && $('f-print').checked ? PRINT_MAX : start + PAGE);
    for (var n = start; n < end; n++) {
      var m = groupMatch[n], grp = G.groups[m.g], tr = document.createElement('tr'), sev = data.sev[grp[GSEV]];
      cell(tr, sev, 'sevcell sev-' + sev);
      var rc = cell(tr, data.rules[grp[GRULE]] + (grp[GRES] ? ' (resources)' : '')), ctl = data.ruleControls ? data.ruleControls[grp[GRULE]] : '';
      if (ctl) { var cs = document.createElement('span'); cs.className = 'ctl'; cs.textContent = ctl; rc.appendChild(cs); }
      sub(cell(tr, grp[GAMI] || '(unknown AMI)', 'nowrap'), grp[GANAME]);
      cell(tr, fmt(m.open), 'num');
      cell(tr, fmt(m.waived), 'num');
      cell(tr, fmt(m.nAccounts) + ': ' + some(m.accounts, function (a) { return data.accounts[a]; }, 3), 'ids', some(m.accounts, accountLabel, 50));
      cell(tr, fmt(m.nRegions) + ': ' + some(m.regions, function (r) { return data.regions[r]; }, 3), 'ids', some(m.regions, function (r) { return data.regions[r]; }, 50));
      frag.appendChild(tr);
    }
    groupBody.textContent = '';
    groupBody.appendChild(frag);
    drawPager($('p-groups'), total, start, end, groupPage, function (to) { groupPage = to; drawGroups(); });
  }

  /* ---- the remediation plan ---- */
  var planTable = $('t-plan'), planBody = planTable ? planTable.tBodies[0] : null;
  var planOriginal = [], planRefs = {};
  if (planBody) {
    // the rows as written, kept aside (moved, not copied: drawPlan draws copies of them)
    each(Array.prototype.slice.call(planBody.rows), function (tr) {
      // an AMI's row, and under it, when something references it, the list of what does
      if (tr.className === 'plan-refs') planRefs[+tr.getAttribute('data-plan')] = tr;
      else planOriginal.push(tr);
    });
  }
  /** AMIs a page of the plan: PAGE, and in a large report (findings grouped) PLAN_PAGE_LARGE, so that
      the plan right under the first screen stays short to lay out again on every filter. */
  var PLAN_PAGE_LARGE = 25, planSize = G ? PLAN_PAGE_LARGE : PAGE;
  var expanded = {};

  /**
   * Under a filter the plan shows its own rows (the model's, report/plan.ts: one definition of its
   * numbers) for the AMIs with a matching finding, and says how many of each AMI's findings match.
   */
  function planMatches() {
    var hits = {};
    if (G) {
      groupMatch.forEach(function (m) { var p = G.groups[m.g][GPLAN]; if (p != null) hits[p] = (hits[p] || 0) + m.open + m.waived; });
      return hits;
    }
    for (var n = 0; n < matching.length; n++) {
      var p = data.rows[matching[n]][PLAN];
      if (p != null) hits[p] = (hits[p] || 0) + 1;
    }
    return hits;
  }
  function matchedPlanRow(p, n) {
    var tr = planOriginal[p].cloneNode(true), c = tr.cells[tr.cells.length - 1], note = document.createElement('span');
    note.className = 'match';
    note.textContent = fmt(n) + ' match';
    c.appendChild(note);
    return tr;
  }
  function detailRow(p) {
    var byInst = {}, order = [], resources = 0;
    for (var n = 0; n < matching.length; n++) {
      var r = data.rows[matching[n]];
      if (r[PLAN] !== p) continue;
      // its instances, then the resources with a finding on it (keyed by ARN)
      var k = r[SUBJECT] ? '\u0001' + r[SUBJECT][1] : data.accounts[r[ACCT]] + '/' + data.regions[r[REGION]] + '/' + r[INST];
      if (r[SUBJECT] && !byInst[k]) resources++;
      if (!byInst[k]) { byInst[k] = { r: r, rules: [], sev: r[SEV] }; order.push(k); }
      byInst[k].rules.push(data.rules[r[RULE]] + (r[WAIVER] != null ? ' (waived)' : ''));
      byInst[k].sev = Math.min(byInst[k].sev, r[SEV]);
    }
    var tr = document.createElement('tr'), td = document.createElement('td');
    tr.className = 'plan-detail';
    td.colSpan = 10;
    var table = document.createElement('table'), head = document.createElement('tr');
    ['Instance', 'State', 'Account', 'Region'].concat(tagColumns).concat(['Worst', 'Rules']).forEach(function (h) {
      var th = document.createElement('th'); th.textContent = h; head.appendChild(th);
    });
    var thead = document.createElement('thead'), tbody = document.createElement('tbody');
    thead.appendChild(head); table.appendChild(thead); table.appendChild(tbody);
    var instances = order.filter(function (k) { return !byInst[k].r[SUBJECT]; });
    order = instances.concat(order.filter(function (k) { return byInst[k].r[SUBJECT]; }));
    order.slice(0, PLAN_INSTANCES).forEach(function (k) {
      var x = byInst[k], r = x.r, row = document.createElement('tr');
      subjectCell(row, r);
      cell(row, r[STATE] || '');
      accountCell(row, r[ACCT]);
      cell(row, data.regions[r[REGION]], 'nowrap');
      for (var t = 0; t < tagColumns.length; t++) cell(row, tagOf(r, t));
      cell(row, data.sev[x.sev], 'sevcell sev-' + data.sev[x.sev]);
      cell(row, x.rules.join(', '));
      tbody.appendChild(row);
    });
    var wrap = document.createElement('div');
    wrap.className = 'table-wrap';
    wrap.appendChild(table);
    var note = document.createElement('p');
    note.className = 'muted';
    var count = fmt(instances.length) + ' instance' + (instances.length === 1 ? '' : 's') + (resources ? ' and ' + fmt(resources) + ' resource' + (resources === 1 ? '' : 's') + ' that reference it' : '');
    note.textContent = G ? count + ' in the sample of the findings' + (active() ? ' matching the filter' : '') + ': the findings CSV and the JSON report have every one.' : count + (active() ? ' matching the filter' : '') +
      (order.length > PLAN_INSTANCES ? '; the first ' + PLAN_INSTANCES + ' are listed, the findings table and the CSV have them all.' : '.');
    td.appendChild(note); td.appendChild(wrap); tr.appendChild(td);
    return tr;
  }
  var planPage = 0, planPager = $('p-plan');
  function drawPlan() {
    if (!planBody) return;
    var on = active(), hits = on ? planMatches() : null, frag = document.createDocumentFragment(), shown = [];
    for (var p = 0; p < planOriginal.length; p++) if (!on || hits[p]) shown.push(p);
    // paged as the findings are (planSize AMIs a page), every one when printing
    var pages = Math.max(1, Math.ceil(shown.length / planSize));
    planPage = Math.min(planPage, pages - 1);
    var start = printing ? 0 : planPage * planSize, end = printing ? shown.length : Math.min(shown.length, start + planSize);
    for (var k = start; k < end; k++) {
      var i = shown[k], tr = on ? matchedPlanRow(i, hits[i]) : planOriginal[i].cloneNode(true);
      var b = tr.querySelector('button.expand');
      if (b) b.setAttribute('aria-expanded', expanded[i] ? 'true' : 'false');
      frag.appendChild(tr);
      if (planRefs[i]) frag.appendChild(planRefs[i].cloneNode(true));
      if (expanded[i]) frag.appendChild(detailRow(i));
    }
    planBody.textContent = '';
    planBody.appendChild(frag);
    $('plan-filter').textContent = on ? 'Filtered to ' + describe() + ': ' + fmt(shown.length) + ' of ' + fmt(planOriginal.length) + ' AMIs have matching findings. Their numbers are the whole run\'s; "match" is how many of their findings match.' : '';
    if (planPager) drawPager(planPager, shown.length, start, end, planPage, function (to) { planPage = to; drawPlan(); }, planSize);
  }
  if (planBody) {
    planBody.addEventListener('click', function (e) {
      var b = e.target.closest ? e.target.closest('button.expand') : null;
      if (!b) return;
      var p = +b.parentNode.parentNode.getAttribute('data-plan');
      expanded[p] = !expanded[p];
      drawPlan();
      var again = planBody.querySelector('tr[data-plan="' + p + '"] button.expand');
      if (again) again.focus();
    });
  }

  /* ---- the charts ---- */
  function svg(name, attrs, text) {
    var el = document.createElementNS(SVG_NS, name);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) el.setAttribute(k, String(attrs[k]));
    if (text != null) el.textContent = String(text);
    return el;
  }
  var ruleOrder = [];
  each(document.querySelectorAll('#chart-rule g.barg'), function (g) { ruleOrder.push({ key: g.getAttribute('data-key'), cls: g.getAttribute('class') }); });
  function drawBars(el, kind, entries) {
    if (!el) return;
    var max = 1;
    entries.forEach(function (e) { max = Math.max(max, e.total); });
    el.textContent = '';
    var height = Math.max(ROW_H, entries.length * ROW_H);
    el.setAttribute('height', height); el.setAttribute('viewBox', '0 0 620 ' + height);
    if (!entries.length) el.appendChild(svg('text', { x: 10, y: 15 }, 'No open findings match.'));
    var current = kind === 'rule' ? (filters.rule !== '' ? data.rules[+filters.rule] : null) : (filters.account !== '' ? data.accounts[+filters.account] : null);
    entries.forEach(function (e, i) {
      var g = svg('g', { transform: 'translate(0,' + i * ROW_H + ')', 'class': (e.cls || 'barg') + (e.key === current ? ' active' : ''), 'data-kind': kind, 'data-key': e.key, tabindex: 0, role: 'button' });
      g.appendChild(svg('title', {}, (kind === 'account' ? labelOfId(e.key) : e.key) + ': ' + fmt(e.total)));
      g.appendChild(svg('text', { x: 170, y: 15, 'text-anchor': 'end' }, e.key));
      var x = 0;
      e.bySev.forEach(function (n, s) {
        if (!n) return;
        var w = Math.max(2, Math.round(n / max * BAR_W));
        g.appendChild(svg('rect', { x: LABEL_W + x, y: 3, width: w, height: 15, 'class': 'seg fill-' + data.sev[s] }));
        x += w;
      });
      g.appendChild(svg('text', { x: LABEL_W + x + 6, y: 15 }, fmt(e.total)));
      el.appendChild(g);
    });
  }
  function drawCharts() {
    var byRule = {}, byAcct = {}, zero = function () { return data.sev.map(function () { return 0; }); };
    if (G) {
      matchedCells.forEach(function (c) {
        if (!c[3]) return;
        var grp = G.groups[c[0]], rk = data.rules[grp[GRULE]], ak = data.accounts[c[1]];
        (byRule[rk] || (byRule[rk] = zero()))[grp[GSEV]] += c[3];
        (byAcct[ak] || (byAcct[ak] = zero()))[grp[GSEV]] += c[3];
      });
    }
    for (var n = 0; !G && n < matching.length; n++) {
      var r = data.rows[matching[n]];
      if (r[WAIVER] != null) continue;
      var rk = data.rules[r[RULE]], ak = data.accounts[r[ACCT]];
      (byRule[rk] || (byRule[rk] = zero()))[r[SEV]] += 1;
      (byAcct[ak] || (byAcct[ak] = zero()))[r[SEV]] += 1;
    }
    var sum = function (a) { return a.reduce(function (x, y) { return x + y; }, 0); };
    drawBars($('chart-rule'), 'rule', ruleOrder.map(function (o) { var c = byRule[o.key] || zero(); return { key: o.key, cls: o.cls, bySev: c, total: sum(c) }; }));
    var accts = Object.keys(byAcct).map(function (k) { return { key: k, bySev: byAcct[k], total: sum(byAcct[k]) }; })
      .sort(function (a, b) { return b.total - a.total || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0); });
    drawBars($('chart-account'), 'account', accts.slice(0, TOP_ACCOUNTS));
    each(document.querySelectorAll('.chart-note'), function (el) { el.textContent = active() ? '(filtered: ' + describe() + ')' : ''; });
    drawTimeline();
  }
  /* The deprecation timeline: every instance of the report unfiltered; under a filter, the
     instances of the matching findings whose AMI is deprecated in the next 90 days. */
  var weeks = Array.prototype.slice.call(document.querySelectorAll('g.tl-week'));
  var tlTotal = $('tl-total'), tlOriginal = weeks.map(function (g) {
    var rect = g.querySelector('rect'), txt = g.querySelector('text');
    return { y: rect.getAttribute('y'), h: rect.getAttribute('height'), t: txt.textContent, title: rect.firstChild ? rect.firstChild.textContent : '' };
  }), tlTotalText = tlTotal ? tlTotal.textContent : '';
  function drawTimeline() {
    if (!weeks.length) return;
    var rect, txt;
    if (!active()) {
      weeks.forEach(function (g, w) {
        rect = g.querySelector('rect'); txt = g.querySelector('text');
        rect.setAttribute('y', tlOriginal[w].y); rect.setAttribute('height', tlOriginal[w].h); txt.setAttribute('y', tlOriginal[w].y); txt.textContent = tlOriginal[w].t;
        if (rect.firstChild) rect.firstChild.textContent = tlOriginal[w].title;
      });
      if (tlTotal) tlTotal.textContent = tlTotalText;
      return;
    }
    var counts = weeks.map(function () { return 0; }), seen = {}, total = 0;
    if (G) {
      // an AMI's instances in one account and region: as many as its rule with the most matching findings there
      var most = {};
      matchedCells.forEach(function (c) {
        var grp = G.groups[c[0]], w = grp[GPLAN] == null ? null : data.planWeeks[grp[GPLAN]];
        if (w == null || grp[GRES]) return;
        var key = grp[GPLAN] + '/' + c[1] + '/' + c[2], n = c[3] + c[4];
        if (!most[key] || most[key].n < n) most[key] = { w: w, n: n };
      });
      Object.keys(most).forEach(function (k) { counts[most[k].w] += most[k].n; total += most[k].n; });
    }
    for (var n = 0; !G && n < matching.length; n++) {
      var r = data.rows[matching[n]], w = r[PLAN] == null ? null : data.planWeeks[r[PLAN]];
      if (w == null || r[SUBJECT]) continue; // instances only
      var id = r[ACCT] + '/' + r[REGION] + '/' + r[INST];
      if (Object.prototype.hasOwnProperty.call(seen, id)) continue;
      seen[id] = true; counts[w] += 1; total += 1;
    }
    var max = Math.max.apply(null, [1].concat(counts)), top = data.timelineMax + 20;
    weeks.forEach(function (g, w) {
      var h = Math.round(counts[w] / max * data.timelineMax);
      rect = g.querySelector('rect'); txt = g.querySelector('text');
      rect.setAttribute('y', top - h); rect.setAttribute('height', h); txt.setAttribute('y', top - h); txt.textContent = counts[w] ? fmt(counts[w]) : '';
      if (rect.firstChild) rect.firstChild.textContent = tlOriginal[w].title.replace(/: [\d,]+$/, ': ' + fmt(counts[w]));
    });
    if (tlTotal) tlTotal.textContent = fmt(total) + ' instances with matching findings';
  }
  function chartPick(target) {
    var g = target.closest ? target.closest('g.barg') : null;
    if (!g) return;
    var kind = g.getAttribute('data-kind'), key = g.getAttribute('data-key');
    var list = kind === 'rule' ? data.rules : data.accounts, i = list.indexOf(key);
    if (i < 0) return;
    var name = kind === 'rule' ? 'rule' : 'account';
    setFilter(name, filters[name] === String(i) ? '' : String(i));
    var again = document.querySelector('g.barg[data-kind="' + kind + '"][data-key="' + key.replace(/["\\]/g, '\\$&') + '"]');
    if (again && again.focus) again.focus();
  }
  each(document.querySelectorAll('#chart-rule, #chart-account'), function (el) {
    el.addEventListener('click', function (e) { chartPick(e.target); });
    el.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' || e.key === ' ' || e.key === 'Spacebar') { e.preventDefault(); chartPick(e.target); }
    });
  });

  /* ---- the coverage matrix and its failures, under the OU filter ---- */
  var coverageRows = document.querySelectorAll('#coverage table.matrix tbody tr, #gap-details > li[data-account]');
  var coverageOu = '';
  function drawCoverage() {
    var note = $('coverage-filter');
    // the matrix follows the OU filter only: redrawn when it changes
    if (!note || filters.ou === coverageOu) return;
    coverageOu = filters.ou;
    var shown = {}, all = {};
    each(coverageRows, function (el) {
      var ou = el.getAttribute('data-ou'), id = el.getAttribute('data-account');
      var on = filters.ou === '' || inOu(ou ? ou.split(' ').map(Number) : null, filters.ou);
      el.hidden = !on;
      if (el.tagName === 'TR') { all[id] = true; if (on) shown[id] = true; }
    });
    note.textContent = filters.ou === '' ? '' : 'Filtered to ' + (filters.ou === NO_OU ? 'accounts without an OU' : 'OU ' + ous[+filters.ou]) + ': ' +
      fmt(Object.keys(shown).length) + ' of ' + fmt(Object.keys(all).length) + ' accounts.';
  }

  /* ---- filters ---- */
  var open = new Table('t-open', 'p-open', false), waived = new Table('t-waived', 'p-waived', true);
  var SELECTS = { sev: 'f-sev', rule: 'f-rule', account: 'f-account', region: 'f-region' };
  if ($('f-ou')) SELECTS.ou = 'f-ou';
  function setFilter(name, value) {
    filters[name] = value;
    $(SELECTS[name]).value = value;
    refresh();
  }
  function refresh() {
    matching = [];
    for (var i = 0; i < data.rows.length; i++) if (matches(i)) matching.push(i);
    open.page = 0; waived.page = 0; planPage = 0; groupPage = 0;
    open.update(); waived.update();
    if (G) {
      groupRefresh();
      drawGroups();
      $('f-count').textContent = fmt(groupTotals.open) + ' open and ' + fmt(groupTotals.waived) + ' waived findings match (' + fmt(G.findings) + ' in the report), in ' + fmt(groupMatch.length) + ' group' + (groupMatch.length === 1 ? '' : 's') +
        '; of the sample below, ' + fmt(open.rows.length) + ' open and ' + fmt(waived.rows.length) + ' waived.' +
        (!G.tagCombos && filters.tags.some(function (f) { return f !== ''; }) ? ' The tag filters narrow the sample only: the tags have too many values to count the groups by.' : '');
    } else $('f-count').textContent = fmt(open.rows.length) + ' open and ' + fmt(waived.rows.length) + ' waived findings match (' + fmt(data.rows.length) + ' in the report).';
    var d = describe();
    $('f-active').textContent = d ? 'Filter: ' + d + '.' : '';
    each(document.querySelectorAll('button.card[data-sev]'), function (b) { b.setAttribute('aria-pressed', filters.sev === b.getAttribute('data-sev') ? 'true' : 'false'); });
    drawPlan();
    drawCharts();
    drawCoverage();
    if (printing) drawForPrint();
    // A large page's address is written once the filters rest (history.replaceState costs Chromium
    // some 20 ms a call on a page of that size): the answer is drawn first, and typing writes it once.
    if (G) { clearTimeout(hashTimer); hashTimer = setTimeout(writeHash, HASH_DELAY); } else writeHash();
  }
  Object.keys(SELECTS).forEach(function (name) {
    $(SELECTS[name]).addEventListener('change', function (e) { filters[name] = e.target.value; refresh(); });
  });
  each(document.querySelectorAll('select.f-tag'), function (select) {
    select.addEventListener('change', function () { filters.tags[+select.getAttribute('data-tag')] = select.value; refresh(); });
  });
  $('filters').addEventListener('submit', function (e) { e.preventDefault(); });
  if ($('f-overdue')) $('f-overdue').addEventListener('change', function (e) { filters.overdue = e.target.checked; refresh(); });
  $('f-text').addEventListener('input', function (e) {
    filters.text = e.target.value;
    filters.terms = e.target.value.toLowerCase().split(/\s+/).filter(function (t) { return t.length > 0; });
    refresh();
  });
  $('f-reset').addEventListener('click', function () {
    filters = blank();
    ['f-sev', 'f-rule', 'f-account', 'f-ou', 'f-region', 'f-text'].forEach(function (id) { if ($(id)) $(id).value = ''; });
    each(document.querySelectorAll('select.f-tag'), function (s) { s.value = ''; });
    if ($('f-overdue')) $('f-overdue').checked = false;
    refresh();
  });
  each(document.querySelectorAll('button.card[data-sev]'), function (b) {
    b.addEventListener('click', function () {
      var v = b.getAttribute('data-sev');
      setFilter('sev', filters.sev === v ? '' : v);
      var plan = $('plan');
      if (plan && plan.scrollIntoView && filters.sev !== '') plan.scrollIntoView();
    });
  });
  $('f-print').addEventListener('change', function (e) {
    document.body.classList.toggle('print-findings', e.target.checked);
    if (printing) drawForPrint();
  });

  /* ---- printing ---- */
  // Printing opens every closed <details> (the diff's lists, the evidence) and, when "Print this
  // table too" is ticked, draws up to PRINT_MAX rows of the findings tables as filtered; afterwards
  // the pages and the details are as they were. Both the print events and the print media query
  // start it, so print preview, "Save as PDF" and emulated print media all get it.
  var printing = false, reopened = [];
  function drawForPrint() {
    var all = $('f-print').checked;
    [open, waived].forEach(function (t) { t.draw(all ? 0 : t.page * PAGE, all ? PRINT_MAX : PAGE); });
    drawGroups();
    if (all) {
      var d = describe(), cut = open.rows.length > PRINT_MAX || waived.rows.length > PRINT_MAX;
      $('f-active').textContent = (d ? 'Filter: ' + d + '. ' : 'No filter: every finding. ') + fmt(open.rows.length) + ' open and ' + fmt(waived.rows.length) + ' waived findings' +
        (cut ? '; the first ' + fmt(PRINT_MAX) + ' of each are printed, the CSV report has them all.' : '.');
    }
  }
  function setPrinting(on) {
    if (on === printing) return;
    printing = on;
    drawPlan();
    if (on) {
      drawForPrint();
      reopened = Array.prototype.filter.call(document.querySelectorAll('details'), function (d) { return !d.open; });
      reopened.forEach(function (d) { d.open = true; });
    } else {
      open.draw(open.page * PAGE, PAGE); waived.draw(waived.page * PAGE, PAGE);
      drawGroups();
      var d = describe();
      $('f-active').textContent = d ? 'Filter: ' + d + '.' : '';
      reopened.forEach(function (d) { d.open = false; });
      reopened = [];
    }
  }
  window.addEventListener('beforeprint', function () { setPrinting(true); });
  window.addEventListener('afterprint', function () { setPrinting(false); });
  var printMedia = window.matchMedia ? window.matchMedia('print') : null;
  if (printMedia && printMedia.addEventListener) printMedia.addEventListener('change', function (e) { setPrinting(e.matches); });

  /* ---- the filters in the URL fragment ---- */
  // `#filter?sev=high&rule=deprecated-ami&account=123456789012&ou=<OU ids>&region=eu-west-1&tag.team=payments&q=words`:
  // values by name (an empty tag value: untagged), so a filtered view can be linked from a ticket and
  // opens filtered. Only the fragment changes (history.replaceState): no request, no new history entry.
  var HASH = '#filter?', ouKeys = data.ouKeys || [], HASH_DELAY = 250, hashTimer = null;
  function hashOf() {
    var q = [], add = function (k, v) { q.push(encodeURIComponent(k) + '=' + encodeURIComponent(v)); };
    if (filters.sev !== '') add('sev', data.sev[+filters.sev]);
    if (filters.rule !== '') add('rule', data.rules[+filters.rule]);
    if (filters.account !== '') add('account', data.accounts[+filters.account]);
    if (filters.ou !== '') add('ou', filters.ou === NO_OU ? NO_OU : ouKeys[+filters.ou]);
    if (filters.region !== '') add('region', data.regions[+filters.region]);
    filters.tags.forEach(function (f, t) { if (f !== '') add('tag.' + tagColumns[t], f === UNTAGGED ? '' : tagValues[t][+f]); });
    if (filters.text.trim() !== '') add('q', filters.text);
    return q.length ? HASH + q.join('&') : '';
  }
  function writeHash() {
    var want = hashOf(), now = location.hash;
    if (want === now || (!want && now.indexOf(HASH) !== 0)) return;
    var url = location.href.replace(/#.*$/, '') + want;
    try { history.replaceState(null, '', url); } catch { if (want) location.replace(want); }
  }
  /** Sets the filters from a `#filter?` fragment; a value the report does not hold is ignored. */
  function readHash() {
    var h = location.hash;
    if (h.indexOf(HASH) !== 0) return false;
    var next = blank();
    h.slice(HASH.length).split('&').forEach(function (pair) {
      var i = pair.indexOf('='), k, v;
      try { k = decodeURIComponent(pair.slice(0, i < 0 ? pair.length : i)); v = i < 0 ? '' : decodeURIComponent(pair.slice(i + 1).replace(/\+/g, ' ')); } catch { return; }
      var at = function (list) { var n = list.indexOf(v); return n < 0 ? '' : String(n); };
      if (k === 'sev') next.sev = at(data.sev);
      else if (k === 'rule') next.rule = at(data.rules);
      else if (k === 'account') next.account = at(data.accounts);
      else if (k === 'region') next.region = at(data.regions);
      else if (k === 'ou') next.ou = v === NO_OU && $('f-ou') ? NO_OU : $('f-ou') ? at(ouKeys) : '';
      else if (k === 'q') { next.text = v; next.terms = v.toLowerCase().split(/\s+/).filter(function (t) { return t.length > 0; }); }
      else if (k.indexOf('tag.') === 0) {
        var t = tagColumns.indexOf(k.slice(4));
        if (t >= 0) next.tags[t] = v === '' ? UNTAGGED : at(tagValues[t]);
      }
    });
    filters = next;
    Object.keys(SELECTS).forEach(function (name) { $(SELECTS[name]).value = filters[name]; });
    $('f-text').value = filters.text;
    each(document.querySelectorAll('select.f-tag'), function (sel) { sel.value = filters.tags[+sel.getAttribute('data-tag')]; });
    return true;
  }
  window.addEventListener('hashchange', function () { if (readHash()) refresh(); });
  // the navigation's links scroll to their section and keep a filter's fragment in the address
  each(document.querySelectorAll('#toc a[href^="#"]'), function (a) {
    a.addEventListener('click', function (e) {
      var target = $(a.getAttribute('href').slice(1));
      if (!target || location.hash.indexOf(HASH) !== 0) return;
      e.preventDefault();
      target.scrollIntoView();
    });
  });

  readHash();
  refresh();
  if (printMedia && printMedia.matches) setPrinting(true);
  document.documentElement.setAttribute('data-ready', 'true');
})();
