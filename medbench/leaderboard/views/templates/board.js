// The board page, drawn from the embedded JSON (the same as the JSON download). Plain script, no
// libraries: the page works from file:// without a server or a network. Every outside string goes
// through esc(); every number cell carries its exact value in data-v for sorting and tests.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("board-data").textContent);
  var spec = data.board, primary = spec.protocol.primary, metrics = spec.protocol.metrics, scales = data.scales;
  var others = metrics.filter(function (m) { return m !== primary; });
  var byId = {};
  data.entries.forEach(function (row) { byId[row.entry_id] = row; });
  var baselineRow = spec.baseline && byId[spec.baseline] && byId[spec.baseline].section === "ranked" ? byId[spec.baseline] : null;
  var levelText = data.level.length ? data.level.map(function (l) { return Math.round(l * 100) + "%"; }).join(" / ") : "";
  var PAGE = 500;  // a big board draws its first groups only: browsers lay out 10,000 rows in seconds
  var narrow = window.matchMedia("(max-width: 640px)");

  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function has(v) { return v !== null && v !== undefined; }
  // A partner's predictions file reports no seed: show none rather than an invented one.
  function seedText(entry, after, open, close) {
    var seed = entry.provenance.seed;
    return has(seed) ? (open || "") + "seed " + esc(seed) + (close || "") + after : "";
  }
  function fixed(v) { return has(v) ? v.toFixed(4) : "–"; }
  function signed(v) { return has(v) ? (v >= 0 ? "+" : "") + v.toFixed(4) : "–"; }
  function pText(p) { return has(p) ? (p < 0.0001 ? p.toExponential(1) : p.toPrecision(2)) : "–"; }
  function dv(v) { return has(v) ? ' data-v="' + String(v) + '"' : ' data-v=""'; }
  // Each metric's scale as its family registered it: direction (maximize, minimize, or a target to
  // get close to), the values it can take (null: unbounded, the axis follows the data), its unit.
  function arrow(metric) {
    var s = scales[metric];
    return {maximize: "↑", minimize: "↓"}[s.direction] || "→" + (+s.target.toFixed(4)) + "←";
  }
  function better(metric) { return scales[metric].better + " is better" + (scales[metric].unit ? " (" + scales[metric].unit + ")" : ""); }
  function unitText(metric) { var u = scales[metric].unit; return u === "%" ? " (%)" : ""; }
  function metricOf(row, m) { return row.entry.metrics[m] || null; }
  function short(id) { return id.slice(0, 12); }
  function interval(metric) {
    if (metric && metric.ci) { return "[" + fixed(metric.ci.low) + ", " + fixed(metric.ci.high) + "]" + (metric.ci.method === "clopper-pearson" ? " exact" : ""); }
    return metric && metric.warning && metric.warning.indexOf("n too small") === 0 ? '<span class="warn">n too small</span>' : "";
  }
  // A metric the record warns about (a test class under 5 samples, no interval possible): ⚠ with the reason.
  function warnMark(metric) { return metric && metric.warning ? ' <span class="warn" title="' + esc(metric.warning) + '">⚠</span>' : ""; }

  // ---- columns: which exist, which are shown (the chooser), how each cell reads ----
  var COLUMNS = [{key: "rank", label: "#", num: true}, {key: "tier", label: "tier", num: true, optional: true},
    {key: "name", label: "configuration"}, {key: "m:" + primary, label: primary, metric: primary, num: true}];
  if (baselineRow) { COLUMNS.push({key: "delta", label: "Δ baseline", num: true, optional: true}); }
  others.forEach(function (m) { COLUMNS.push({key: "m:" + m, label: m, metric: m, num: true, optional: true}); });
  COLUMNS.push({key: "who", label: "submitter / team", optional: true}, {key: "review", label: "review", optional: true}, {key: "actions", label: ""});
  var shown = {};
  COLUMNS.forEach(function (c) {
    var wide = (window.innerWidth >= 1000 || narrow.matches) && others.length <= 6;  // a phone's cards stack them
    shown[c.key] = !c.optional || (c.metric ? wide : !narrow.matches || c.key !== "tier");
  });
  function visible() { return COLUMNS.filter(function (c) { return shown[c.key]; }); }

  function header(c) {
    var title = c.metric ? ' title="' + esc(c.metric + ": " + better(c.metric)) + '"' : "";
    var label = c.metric ? esc(c.label + unitText(c.metric)) + ' <span class="dir">' + esc(arrow(c.metric)) + "</span>" : esc(c.label);
    if (c.metric === primary && levelText) { label += ' <span class="sub">[' + levelText + " CI]</span>"; }
    var sortable = c.key !== "actions" && c.key !== "name" && c.key !== "who";
    if (sortable) { label = '<button type="button" class="sort" aria-label="' + esc("sort by " + (c.label || c.key)) + '">' + label + "</button>"; }
    return "<th" + (c.num ? ' class="num"' : "") + (sortable ? ' data-key="' + esc(c.key) + '" aria-sort="none"' : "") + title + ' scope="col">' + label + "</th>";
  }

  // ---- cells of a group row (several seeds) and of an entry row ----
  function groupCell(c, group, section) {
    var rows = group.entries.map(function (id) { return byId[id]; });
    var label = ' data-label="' + esc(c.label) + '"';
    if (c.key === "rank") { return "<td" + label + dv(group.rank) + ">" + (has(group.rank) ? group.rank : "–") + "</td>"; }
    if (c.key === "tier") {
      var tiers = rows.map(function (r) { return r.tier; }).filter(has);
      var low = Math.min.apply(null, tiers), high = Math.max.apply(null, tiers);
      return "<td" + label + dv(tiers.length ? low : null) + ">" + (tiers.length ? tierBadge(low) + (high > low ? "–" + tierBadge(high) : "") : "–") + "</td>";
    }
    if (c.key === "name") {
      return '<td class="name"' + label + '><button type="button" class="expand" aria-expanded="false" aria-label="' + esc("show each seed of " + group.name) + '" title="show each seed">▸</button> ' +
        nameHtml(group) + ' <span class="seeds">' + rows.length + " seeds" +
        (group.rejected && group.rejected.length ? ", " + group.rejected.length + " rejected" : "") + "</span>" + badges(rows) + "</td>";
    }
    if (c.metric) {
      var s = group.pooled[c.metric];
      if (!s) { return "<td" + label + ' data-v="">–</td>'; }
      var text = fixed(s.value) + (c.metric === primary && has(s.low) ? '<br><span class="sub pooled-ci">[' + fixed(s.low) + ", " + fixed(s.high) + "]</span>" : "");
      if (c.metric === primary && has(s.sd)) { text += '<br><span class="sub sd" title="standard deviation over the seeds">sd ' + s.sd.toFixed(4) + " over " + s.seeds + " seeds</span>"; }
      return '<td class="num mean"' + label + ' data-metric="' + esc(c.metric) + '"' + dv(s.value) + ' data-low="' + (has(s.low) ? s.low : "") + '" data-high="' + (has(s.high) ? s.high : "") + '">' + text + "</td>";
    }
    if (c.key === "delta") {
      if (group.entries.indexOf(spec.baseline) >= 0) { return '<td class="num delta"' + label + ' data-v="0">holds the baseline</td>'; }
      var d = section === "ranked" ? group.delta : null;
      return '<td class="num delta"' + label + dv(d ? d.value : null) + ">" + (d ? pooledDeltaHtml(d) : "–") + "</td>";
    }
    if (c.key === "review") {
      var counts = {};
      rows.forEach(function (r) { counts[r.review] = (counts[r.review] || 0) + 1; });
      return "<td" + label + ">" + Object.keys(counts).sort().map(function (k) {
        return '<span class="state-' + esc(k) + '">' + counts[k] + " " + esc(k) + "</span>";
      }).join(" · ") + "</td>";
    }
    if (c.key === "who") {
      var who = {};
      rows.forEach(function (r) { who[whoText(r)] = true; });
      return '<td class="who"' + label + ">" + esc(Object.keys(who).sort().join(", ")) + "</td>";
    }
    return "<td></td>";
  }

  function entryCell(c, row, seedRow, group) {
    var label = ' data-label="' + esc(c.label) + '"';
    if (c.key === "rank") {
      // A config of one entry shows its group's rank, as the forest plot does: table and plot share one sequence.
      // Seeds are placed within their group (2.1, 2.2), so table and plot share one sequence of ranks.
      var rank = !seedRow && group && has(group.rank) ? group.rank : row.rank;
      var text = seedRow ? row.place : (has(rank) ? rank : null);
      return "<td" + label + dv(rank) + (seedRow ? ' data-place="' + esc(row.place || "") + '"' : "") + ">" + (has(text) ? (seedRow ? '<span class="sub">' + esc(text) + "</span>" : text) : "–") + "</td>";
    }
    if (c.key === "tier") { return "<td" + label + dv(row.tier) + ">" + (has(row.tier) ? tierBadge(row.tier) : "–") + "</td>"; }
    if (c.key === "name") {
      var id = '<span class="mono" title="' + esc(row.entry_id) + '">' + esc(short(row.entry_id)) + "</span>";
      var who = seedText(row.entry, " · ") + id + (row.baseline ? ' <b class="base-tag">baseline</b>' : "");
      return '<td class="name"' + label + ">" + (seedRow ? '<span class="seed-of">' + who + "</span>" : nameHtml({name: row.name}) + '<br><span class="sub">' + who + "</span>") + badges([row]) + rejection(row) + "</td>";
    }
    if (c.metric) {
      var metric = metricOf(row, c.metric);
      var extra = c.metric === primary && interval(metric) ? '<br><span class="sub">' + interval(metric) + "</span>" : "";
      return '<td class="num"' + label + ' data-metric="' + esc(c.metric) + '"' + dv(metric ? metric.value : null) + ">" + fixed(metric ? metric.value : null) + warnMark(metric) + extra + "</td>";
    }
    if (c.key === "delta") { return '<td class="num"' + label + dv(row.baseline ? 0 : row.delta_baseline) + ">" + deltaHtml(row) + "</td>"; }
    if (c.key === "review") { return "<td" + label + ' class="state-' + esc(row.review) + '">' + esc(row.review) + "</td>"; }
    if (c.key === "who") { return '<td class="who"' + label + ">" + esc(whoText(row)) + "</td>"; }
    return '<td class="actions"><button type="button" class="open" aria-expanded="false" aria-label="' + esc("details of " + row.name + " seed " + row.entry.provenance.seed) + '">details</button> ' +
      '<label class="pick"><input type="checkbox" class="compare" aria-label="' + esc("compare " + row.name + " seed " + row.entry.provenance.seed) + '" value="' + esc(row.entry_id) + '"' +
      (picked.indexOf(row.entry_id) >= 0 ? " checked" : "") + "> compare</label></td>";
  }

  function whoText(row) {
    var who = row.entry.provenance.submitter;  // a committee entry's submitter already names its team
    return who + (row.team && who.indexOf("(" + row.team + ")") < 0 ? " (" + row.team + ")" : "");
  }
  // An entry scored on a data file that is not the benchmark's official release says so on its row.
  function badges(rows) {
    var unofficial = rows.filter(function (r) { return r.entry.provenance.official_release === false; }).length;
    return unofficial ? ' <span class="badge nonofficial" title="scored on a data file that is not the benchmark\'s official release: not comparable with published numbers">non-official data</span>' : "";
  }
  // A rejected entry shows the committee's reason (the note of its reject event).
  function rejection(row) {
    if (row.review !== "rejected") { return ""; }
    var events = row.history.filter(function (e) { return e[2] === "review" || e[2] === "reject"; });
    var last = events.length ? events[events.length - 1] : null;
    return '<br><span class="reason">rejected' + (last ? " by " + esc(last[3]) + (last[4] ? ": " + esc(last[4]) : "") : "") + "</span>";
  }
  function pooledDeltaHtml(d) {
    var html = signed(d.value);
    if (has(d.low)) {
      html += '<br><span class="sub">[' + signed(d.low) + ", " + signed(d.high) + "]</span>" +
        '<br><span class="sub p" title="' + esc(data.group_method + "; p is the normal p-value this interval inverts") + '">p=' + pText(d.p_value) + "</span>";
    }
    return html;
  }
  function tierBadge(tier) { return '<span class="tier' + (tier % 2 ? " t-odd" : "") + '">T' + tier + "</span>"; }
  function nameHtml(group) {
    var parts = group.name.split(" · ");
    return '<span class="title">' + esc(parts[0]) + "</span>" + parts.slice(1).map(function (p) { return ' <span class="detail-tag">' + esc(p) + "</span>"; }).join("");
  }
  function deltaHtml(row) {
    if (row.baseline) { return "baseline"; }
    if (!has(row.delta_baseline)) { return "–"; }
    var t = row.versus_baseline, html = signed(row.delta_baseline);
    if (t) {
      html += '<br><span class="sub" title="' + esc((t.procedure || "paired " + t.method + " test") + " (as medbench compare); " + (has(t.level) ? Math.round(t.level * 100) + "% " : "") +
        "interval of the difference [" + fixed(t.low) + ", " + fixed(t.high) + "]; Holm-corrected across every entry compared with the baseline") +
        '">p=' + pText(t.p_value) + " · Holm " + pText(t.p_holm) + (t.p_holm < 0.05 ? " *" : "") + "</span>";
    }
    return html;
  }

  // ---- a table of groups: one row per config, its seeds and details below it ----
  function Table(section) {
    this.section = section;
    this.table = document.getElementById(section);
    this.groups = (data.groups[section] || []).slice();
    this.limit = PAGE;
    this.open = {};
    this.expanded = {};
    if (!this.table) { return; }
    var self = this;
    this.table.addEventListener("click", function (event) { self.click(event); });
    this.table.addEventListener("change", function (event) {
      if (event.target.classList.contains("compare")) { pick(event.target.value, event.target.checked); }
    });
    var more = document.querySelector('p.more[data-for="' + section + '"]');
    if (more) { more.querySelector("button").addEventListener("click", function () { self.limit = Infinity; self.draw(); }); }
    this.more = more;
  }
  Table.prototype.matching = function () {
    return this.groups.filter(function (g) { return matches(g); });
  };
  Table.prototype.draw = function () {
    if (!this.table) { return; }
    var cols = visible(), self = this, section = this.section;
    var groups = this.matching(), drawn = groups.slice(0, this.limit);
    var html = "<thead><tr>" + cols.map(header).join("") + "</tr></thead>";
    drawn.forEach(function (group) {
      var single = group.entries.length === 1;
      html += '<tbody class="group" data-group="' + esc(group.group) + '">';
      if (single) {
        html += entryRow(byId[group.entries[0]], cols, false, false, group);
      } else {
        var open = !!self.expanded[group.group];
        html += '<tr class="group-row' + (group.entries.indexOf(spec.baseline) >= 0 ? " baseline" : "") + '" data-group="' + esc(group.group) + '">' +
          cols.map(function (c) { return groupCell(c, group, section); }).join("") + "</tr>";
        group.entries.forEach(function (id) { html += entryRow(byId[id], cols, true, !open); });
      }
      html += "</tbody>";
    });
    if (!drawn.length) { html += '<tbody><tr><td colspan="' + cols.length + '" class="empty">no entry matches the filter</td></tr></tbody>'; }
    this.table.innerHTML = html;
    Object.keys(this.expanded).forEach(function (key) {
      var button = self.table.querySelector('tr.group-row[data-group="' + key + '"] button.expand');
      if (button) { button.setAttribute("aria-expanded", "true"); button.textContent = "▾"; }
    });
    Object.keys(this.open).forEach(function (id) { self.showDetails(id, true); });
    if (this.more) {
      this.more.hidden = drawn.length === groups.length;
      this.more.querySelector("button").textContent = "show all " + groups.length + " rows";
    }
  };
  function entryRow(row, cols, seedRow, hidden, group) {
    return '<tr class="entry' + (seedRow ? " seed" : "") + (row.baseline ? " baseline" : "") + '" data-entry="' + esc(row.entry_id) + '"' +
      (hidden ? " hidden" : "") + ">" + cols.map(function (c) { return entryCell(c, row, seedRow, group); }).join("") + "</tr>";
  }
  Table.prototype.click = function (event) {
    var target = event.target;
    if (target.classList.contains("expand")) {
      var key = target.closest("tr").getAttribute("data-group");
      var open = !this.expanded[key];
      if (open) { this.expanded[key] = true; } else { delete this.expanded[key]; }
      target.setAttribute("aria-expanded", String(open));
      target.textContent = open ? "▾" : "▸";
      this.table.querySelectorAll('tbody[data-group="' + key + '"] tr.seed').forEach(function (tr) { tr.hidden = !open; });
    } else if (target.classList.contains("open")) {
      var id = target.closest("tr").getAttribute("data-entry");
      this.showDetails(id, !this.open[id]);
    } else if (target.tagName === "TH" || target.closest("th")) {
      this.sortBy(target.closest("th"));
    }
  };
  Table.prototype.showDetails = function (id, open) {
    var tr = this.table.querySelector('tr[data-entry="' + id + '"]');
    if (!tr) { return; }
    var next = tr.nextElementSibling;
    if (next && next.classList.contains("detail")) { next.remove(); }
    var button = tr.querySelector("button.open");
    if (open) {
      this.open[id] = true;
      tr.hidden = false;
      tr.insertAdjacentHTML("afterend", '<tr class="detail" data-for="' + esc(id) + '"><td colspan="' + visible().length + '">' + detailsHtml(byId[id]) + "</td></tr>");
    } else {
      delete this.open[id];
    }
    if (button) { button.setAttribute("aria-expanded", String(open)); button.textContent = open ? "close" : "details"; }
  };
  Table.prototype.sortBy = function (th) {
    if (!th || !th.hasAttribute("data-key")) { return; }
    var key = th.getAttribute("data-key"), ascending = th.getAttribute("aria-sort") !== "ascending";
    function value(group) {
      var rows = group.entries.map(function (id) { return byId[id]; });
      if (key === "rank") { return has(group.rank) ? group.rank : rows[0].rank; }
      if (key === "tier") { return Math.min.apply(null, rows.map(function (r) { return has(r.tier) ? r.tier : Infinity; })); }
      if (key === "review") { return rows[0].review; }
      if (key === "delta") { return group.delta ? group.delta.value : null; }
      var s = group.pooled[key.slice(2)];
      return s ? s.value : null;
    }
    this.groups = this.groups.map(function (g, i) { return [value(g), i, g]; }).sort(function (a, b) {
      if (a[0] === b[0]) { return a[1] - b[1]; }
      if (!has(a[0])) { return 1; }
      if (!has(b[0])) { return -1; }
      return (a[0] < b[0] ? -1 : 1) * (ascending ? 1 : -1);
    }).map(function (item) { return item[2]; });
    this.draw();
    var again = this.table.querySelector('th[data-key="' + key + '"]');
    if (again) { again.setAttribute("aria-sort", ascending ? "ascending" : "descending"); }
  };

  // ---- details under a row: provenance, subgroups, audit history, permalink ----
  function detailsHtml(row) {
    var entry = row.entry, p = entry.provenance;
    var settings = Object.keys(p.settings || {}).sort().map(function (k) { return k + "=" + p.settings[k]; });
    var choices = Object.keys(p.choices || {}).sort().map(function (k) { return k + "=" + p.choices[k]; });
    var packages = Object.keys(p.packages).sort().filter(function (k) { return p.packages[k]; }).map(function (k) { return k + " " + p.packages[k]; });
    var splits = Object.keys(p.split_sizes).map(function (k) { return k + " " + p.split_sizes[k]; }).join(", ");
    var items = [
      ["entry", row.entry_id], ["name", row.name], ["run id", p.run_id], ["options", choices.join(" ") || "not recorded"],
      ["run name / tags", (p.name || "–") + " / " + ((p.tags || []).join(", ") || "–")], ["model", p.model_target], ["seed", p.seed == null ? "– (not reported)" : p.seed],
      ["overrides", p.overrides.join(" ") || "none"], ["settings", settings.join(" ") || "not recorded"],
      ["parameters", has(p.parameter_count) ? p.parameter_count : "unknown"], ["checkpoint sha256", p.checkpoint_sha256 || "none"],
      ["git commit", (p.git_commit || "unknown") + (p.git_dirty ? " (dirty)" : "")], ["medbench", p.medbench_version],
      ["python / platform", p.python + " / " + p.platform], ["packages", packages.join(", ")], ["task version", entry.protocol.version],
      ["dataset", entry.dataset_fingerprint + " (" + p.dataset_source + "; " + splits + ")"], ["test samples", entry.n_samples],
      ["intervals", Math.round(entry.protocol.confidence.level * 100) + "% " + entry.protocol.confidence.method + ", " + entry.protocol.confidence.n_resamples + " resamples"],
      ["predictions sha256", p.predictions_sha256], ["run started", p.started_at + " (" + p.duration_s.toFixed(1) + " s)"],
      ["submitted", p.submitted_at + " by " + p.submitter]
    ];
    var html = '<div class="details"><div><h3>Provenance</h3><dl class="prov">' + items.map(function (item) {
      return "<dt>" + esc(item[0]) + "</dt><dd>" + esc(item[1]) + "</dd>";
    }).join("") + "</dl>";
    html += '<p><a class="permalink" href="#entry=' + esc(row.entry_id) + '">permalink to this entry</a></p></div>';
    html += "<div>" + (data.curves[row.entry_id] ? "<h3>ROC and calibration</h3>" + curvesHtml(data.curves[row.entry_id]) : "") + "<h3>Subgroups</h3>" + subgroupsHtml(row) + "<h3>Audit history</h3><ol class=\"history\">" + row.history.map(function (e) {
      return "<li>" + esc(e[1] + " " + e[2] + " by " + e[3] + (e[4] ? ": " + e[4] : "")) + "</li>";
    }).join("") + "</ol></div></div>";
    return html;
  }
  function subgroupsHtml(row) {
    var groups = row.entry.subgroups || {}, columns = Object.keys(groups);
    if (!columns.length) { return '<p class="sub">no subgroups in this task\'s protocol</p>'; }
    var metrics = [primary].concat(others);
    return columns.map(function (column) {
      var sizes = (data.subgroup_n || {})[column] || {};
      var html = '<div class="scroll"><table class="subgroups" data-column="' + esc(column) + '"><thead><tr><th scope="col">' + esc(column) + '</th><th class="num" scope="col" title="test samples in the subgroup (under 5: not shown)">n</th>' +
        metrics.map(function (m) { return '<th class="num" scope="col" title="' + esc(better(m)) + '">' + esc(m) + " " + arrow(m) + "</th>"; }).join("") + "</tr></thead><tbody>";
      Object.keys(groups[column]).forEach(function (level) {
        var n = sizes[level];
        html += '<tr data-level="' + esc(level) + '"><th scope="row">' + esc(level) + '</th><td class="num n"' + dv(has(n) ? n : null) + ">" +
          (has(n) ? n : (level in sizes ? "&lt; 5" : "–")) + "</td>" + metrics.map(function (m) {
          var metric = groups[column][level][m];
          return '<td class="num" data-metric="' + esc(m) + '"' + dv(metric ? metric.value : null) + ">" + fixed(metric ? metric.value : null) + warnMark(metric) +
            (interval(metric) ? '<br><span class="sub">' + interval(metric) + "</span>" : "") + "</td>";
        }).join("") + "</tr>";
      });
      return html + "</tbody></table></div>";
    }).join("");
  }

  // ---- ROC and calibration of a binary entry, from aggregated points with their counts ----
  function curvesHtml(c) {
    var size = 180, pad = 26;
    function px(v) { return (pad + v * (size - pad - 6)).toFixed(1); }
    function py(v) { return (size - pad - v * (size - pad - 6)).toFixed(1); }
    function frame(label, xLabel, yLabel) {
      return '<line class="frame" x1="' + px(0) + '" y1="' + py(0) + '" x2="' + px(1) + '" y2="' + py(0) + '"/>' +
        '<line class="frame" x1="' + px(0) + '" y1="' + py(0) + '" x2="' + px(0) + '" y2="' + py(1) + '"/>' +
        '<line class="chance" x1="' + px(0) + '" y1="' + py(0) + '" x2="' + px(1) + '" y2="' + py(1) + '"/>' +
        '<text x="' + px(0.5) + '" y="' + (size - 4) + '" text-anchor="middle">' + xLabel + "</text>" +
        '<text x="10" y="' + py(0.5) + '" text-anchor="middle" transform="rotate(-90 10 ' + py(0.5) + ')">' + yLabel + "</text>" +
        "<title>" + esc(label) + "</title>";
    }
    var roc = '<svg class="curve roc" width="' + size + '" height="' + size + '" role="img" aria-label="' + esc("ROC curve at " + (c.roc.length - 2) + " thresholds") + '">' +
      frame("ROC", "false-positive rate", "true-positive rate") + '<polyline points="' + c.roc.map(function (q) { return px(q[0]) + "," + py(q[1]); }).join(" ") + '"/></svg>';
    var cal = '<svg class="curve calibration" width="' + size + '" height="' + size + '" role="img" aria-label="calibration in ' + c.calibration.length + ' bins">' +
      frame("calibration", "predicted", "observed") + c.calibration.map(function (b) {
        return '<circle cx="' + px(b[2]) + '" cy="' + py(b[3]) + '" r="' + (2 + Math.min(5, Math.sqrt(b[4]) / 3)).toFixed(1) + '"><title>' + esc("n=" + b[4]) + "</title></circle>";
      }).join("") + "</svg>";
    var table = '<table class="calibration-bins"><thead><tr><th scope="col">predicted</th><th class="num" scope="col">mean predicted</th><th class="num" scope="col">observed</th><th class="num" scope="col">n</th></tr></thead><tbody>' +
      c.calibration.map(function (b) {
        return "<tr><th scope=\"row\">" + b[0].toFixed(1) + "–" + b[1].toFixed(1) + '</th><td class="num">' + b[2].toFixed(3) + '</td><td class="num">' + b[3].toFixed(3) + '</td><td class="num n" data-v="' + b[4] + '">' + b[4] + "</td></tr>";
      }).join("") + "</tbody></table>";
    return '<div class="curves">' + roc + (c.probabilities ? cal : "") + '</div><p class="sub curve-counts">ROC at ' + (c.roc.length - 2) + " thresholds over " + c.positives + " positives and " + c.negatives +
      " negatives" + (c.probabilities ? "; calibration in bins of the predicted probability, n per bin" + (c.suppressed_bins ? ", " + c.suppressed_bins + " bin(s) under 5 samples not shown" : "") : "; scores are not probabilities, so no calibration") + ".</p>" +
      (c.probabilities ? '<div class="scroll">' + table + "</div>" : "");
  }
  function drawCurves() {
    var section = document.getElementById("curves"), ids = Object.keys(data.curves || {});
    if (!section || !ids.length) { return; }
    var ranked = ids.filter(function (id) { return byId[id]; }).sort(function (a, b) { return (byId[a].rank || 0) - (byId[b].rank || 0); });
    var chosen = section.getAttribute("data-entry") || ranked[0];
    section.hidden = false;
    section.innerHTML = "<h2>ROC and calibration</h2>" + '<label for="curves-entry">entry</label> <select id="curves-entry">' + ranked.map(function (id) {
      return "<option" + (id === chosen ? " selected" : "") + ' value="' + esc(id) + '">' + esc((byId[id].place || byId[id].rank) + ". " + byId[id].name + " seed " + byId[id].entry.provenance.seed) + "</option>";
    }).join("") + "</select>" + curvesHtml(data.curves[chosen]);
    document.getElementById("curves-entry").addEventListener("change", function (event) { section.setAttribute("data-entry", event.target.value); drawCurves(); });
  }

  // ---- two entries side by side ----
  var picked = [];
  function pick(id, on) {
    picked = picked.filter(function (p) { return p !== id; });
    if (on) { picked.push(id); }
    if (picked.length > 2) { picked = picked.slice(-2); }
    document.querySelectorAll("input.compare").forEach(function (box) { box.checked = picked.indexOf(box.value) >= 0; });
    if (picked.length === 2) { location.hash = "compare=" + picked[0] + "," + picked[1]; } else { showSide(); }
  }
  function pairOf(a, b) {
    var direct = data.pairs[a + ":" + b];
    if (direct) { return {tests: direct, flipped: false}; }
    var reverse = data.pairs[b + ":" + a];
    return reverse ? {tests: reverse, flipped: true} : null;
  }
  function showSide() {
    var side = document.getElementById("side");
    if (picked.length !== 2) { side.hidden = true; side.innerHTML = ""; return; }
    var a = byId[picked[0]], b = byId[picked[1]], pair = pairOf(a.entry_id, b.entry_id);
    var html = '<h2>Side by side</h2><p class="lead"><b>A</b> ' + esc(a.name) + ' <span class="mono">' + esc(short(a.entry_id)) + "</span>" + seedText(a.entry, "", " (", ")") +
      " &nbsp; vs &nbsp; <b>B</b> " + esc(b.name) + ' <span class="mono">' + esc(short(b.entry_id)) + "</span>" + seedText(b.entry, "", " (", ")") + "</p>";
    html += '<div class="scroll"><table class="pair" id="pair"><thead><tr><th scope="col">metric</th><th class="num" scope="col">A</th><th class="num" scope="col">B</th>' +
      '<th class="num" scope="col">Δ A − B' + (levelText ? " [" + levelText + " CI]" : "") + '</th><th class="num" scope="col">p (paired test)</th></tr></thead><tbody>';
    metrics.forEach(function (m) {
      var ma = metricOf(a, m), mb = metricOf(b, m), t = pair ? pair.tests[m] : null, sign = pair && pair.flipped ? -1 : 1;
      var diff = t ? sign * t.difference : (ma && mb ? ma.value - mb.value : null);
      var low = t && has(t.low) ? (sign > 0 ? t.low : -t.high) : null, high = t && has(t.high) ? (sign > 0 ? t.high : -t.low) : null;
      html += '<tr data-metric="' + esc(m) + '"><th scope="row" title="' + esc(better(m)) + '">' + esc(m) + " " + arrow(m) + "</th>" +
        '<td class="num a"' + dv(ma ? ma.value : null) + ">" + fixed(ma ? ma.value : null) + warnMark(ma) + '<br><span class="sub">' + interval(ma) + "</span></td>" +
        '<td class="num b"' + dv(mb ? mb.value : null) + ">" + fixed(mb ? mb.value : null) + warnMark(mb) + '<br><span class="sub">' + interval(mb) + "</span></td>" +
        '<td class="num diff"' + dv(diff) + ' data-low="' + (has(low) ? low : "") + '" data-high="' + (has(high) ? high : "") + '">' + signed(diff) +
        (has(low) ? '<br><span class="sub">[' + signed(low) + ", " + signed(high) + "]</span>" : (t ? '<br><span class="sub warn">n too small</span>' : "")) + "</td>" +
        '<td class="num p"' + dv(t ? t.p_value : null) + (t ? ' title="' + esc(t.procedure) + '"' : "") + ">" +
        (t ? pText(t.p_value) + ' <span class="sub">' + esc(t.method) + "</span>" : "–") + "</td></tr>";
    });
    html += "</tbody></table></div>";
    var procedures = pair ? metrics.map(function (m) { return pair.tests[m] ? m + ": " + pair.tests[m].procedure : null; }).filter(has) : [];
    if (procedures.length) {
      html += '<p class="note procedure">Each Δ interval and its p-value come from one procedure, so the interval excludes 0 exactly when p &lt; ' +
        esc(levelText ? (100 - parseFloat(levelText)) / 100 : 0.05) + ". " + procedures.map(esc).join("; ") + ".</p>";
    }
    if (!pair) {
      html += '<p class="note">The paired tests are precomputed for each entry against the baseline and the leader; for this pair run ' +
        "<code>medbench compare RUN_A RUN_B</code> on the two run records (runs " + esc(a.entry.provenance.run_id) + " and " + esc(b.entry.provenance.run_id) + ").</p>";
    }
    html += sideSubgroups(a, b);
    html += '<p><a class="permalink" href="#compare=' + esc(a.entry_id) + "," + esc(b.entry_id) + '">permalink to this comparison</a> · ' +
      '<button type="button" id="side-close">close</button></p>';
    side.innerHTML = html;
    side.hidden = false;
    document.getElementById("side-close").addEventListener("click", function () { picked = []; history.replaceState(null, "", location.pathname); pick("", false); });
  }
  function sideSubgroups(a, b) {
    var ga = a.entry.subgroups || {}, gb = b.entry.subgroups || {};
    var columns = Object.keys(ga).filter(function (c) { return gb[c]; });
    if (!columns.length) { return ""; }
    var html = "<h3>" + esc(primary) + " by subgroup</h3>" + '<div class="scroll"><table class="pair-subgroups"><thead><tr><th scope="col">subgroup</th><th class="num" scope="col">A</th><th class="num" scope="col">B</th><th class="num" scope="col">Δ A − B</th></tr></thead><tbody>';
    columns.forEach(function (column) {
      Object.keys(ga[column]).forEach(function (level) {
        var ma = ga[column][level][primary], mb = (gb[column][level] || {})[primary];
        html += '<tr data-column="' + esc(column) + '" data-level="' + esc(level) + '"><th scope="row">' + esc(column + " = " + level) + "</th>" +
          '<td class="num a"' + dv(ma ? ma.value : null) + ">" + fixed(ma ? ma.value : null) + '<br><span class="sub">' + interval(ma) + "</span></td>" +
          '<td class="num b"' + dv(mb ? mb.value : null) + ">" + fixed(mb ? mb.value : null) + '<br><span class="sub">' + interval(mb) + "</span></td>" +
          '<td class="num diff"' + dv(ma && mb ? ma.value - mb.value : null) + ">" + signed(ma && mb ? ma.value - mb.value : null) + "</td></tr>";
      });
    });
    return html + "</tbody></table></div>";
  }

  // ---- the forest plot: one row per ranked group, an axis with ticks, clipped to the metric's range ----
  var forest = document.getElementById("forest"), forestMetric = primary, FOREST_ROWS = 40;
  function niceTicks(low, high) {
    var span = high - low, step = Math.pow(10, Math.floor(Math.log10(span / 5)));
    [1, 2, 2.5, 5, 10].some(function (f) { if (span / (step * f) <= 6) { step *= f; return true; } return false; });
    var ticks = [];
    for (var t = Math.ceil(low / step) * step; t <= high + step * 1e-9; t += step) { ticks.push(+t.toFixed(10)); }
    return ticks;
  }
  function drawForest() {
    var m = forestMetric, scale = scales[m], groups = tables.ranked.matching().slice(0, FOREST_ROWS);
    var rows = groups.map(function (g) {
      var members = g.entries.map(function (id) { return metricOf(byId[id], m); }).filter(has);
      return {group: g, values: members.map(function (x) { return x.value; }),
        low: g.pooled[m] && has(g.pooled[m].low) ? g.pooled[m].low : Math.min.apply(null, members.map(function (x) { return x.value; })),
        high: g.pooled[m] && has(g.pooled[m].high) ? g.pooled[m].high : Math.max.apply(null, members.map(function (x) { return x.value; })),
        mean: g.pooled[m] ? g.pooled[m].value : null};
    }).filter(function (r) { return r.values.length; });
    var select = '<label>metric <select id="forest-metric">' + metrics.map(function (name) {
      return "<option" + (name === m ? " selected" : "") + ' value="' + esc(name) + '">' + esc(name + " (" + better(name) + ")") + "</option>";
    }).join("") + "</select></label>";
    var caption = "<figcaption>Forest plot of " + esc(m) + " (" + better(m) + "): dot = value (a group's: pooled over its seeds), bar = " + esc(levelText || "no") +
      " confidence interval (a group's: pooled, with the seeds' spread; thick: the range of the seeds' values)" + (baselineRow ? "; dashed line = the baseline" : "") + ". " + select + "</figcaption>";
    if (!rows.length) { forest.innerHTML = caption + '<p class="empty">no ranked entry matches the filter</p>'; bindForest(); return; }
    // The axis follows the data (and reaches the target of a target metric), clipped to the values the metric can take.
    var ends = has(scale.target) ? [scale.target] : [];
    var low = Math.min.apply(null, rows.map(function (r) { return r.low; }).concat(ends)), high = Math.max.apply(null, rows.map(function (r) { return r.high; }).concat(ends));
    var pad = (high - low) * 0.08 || 0.01;
    low = has(scale.low) ? Math.max(scale.low, low - pad) : low - pad;
    high = has(scale.high) ? Math.min(scale.high, high + pad) : high + pad;
    var width = Math.max(160, (narrow.matches ? forest.clientWidth : forest.clientWidth * 0.62) - 24);
    function x(v) { return (12 + (Math.min(Math.max(v, low), high) - low) / (high - low) * (width - 24)).toFixed(1); }
    var ticks = niceTicks(low, high), base = baselineRow ? metricOf(baselineRow, m) : null;
    function grid(h) {
      return ticks.map(function (t) { return '<line class="grid" x1="' + x(t) + '" x2="' + x(t) + '" y1="0" y2="' + h + '"/>'; }).join("") +
        (base ? '<line class="base" x1="' + x(base.value) + '" x2="' + x(base.value) + '" y1="0" y2="' + h + '"/>' : "") +
        (has(scale.target) ? '<line class="target" x1="' + x(scale.target) + '" x2="' + x(scale.target) + '" y1="0" y2="' + h + '"/>' : "");
    }
    var html = caption + '<div class="forest">';
    rows.forEach(function (r) {
      var g = r.group, several = r.values.length > 1;
      var svg = '<svg width="' + width + '" height="20" role="img" aria-label="' + esc(g.name + ": " + fixed(r.mean)) + '">' + grid(20) +
        '<line class="ci" x1="' + x(r.low) + '" x2="' + x(r.high) + '" y1="10" y2="10"/>' +
        (several ? '<line class="seedrange" x1="' + x(Math.min.apply(null, r.values)) + '" x2="' + x(Math.max.apply(null, r.values)) + '" y1="10" y2="10"/>' : "") +
        '<circle cx="' + x(r.mean) + '" cy="10" r="4"/></svg>';
      html += '<div class="frow" data-group="' + esc(g.group) + '"><div class="flabel">' + (has(g.rank) ? g.rank + ". " : "") + esc(g.name) +
        (several ? ' <span class="sub">(' + r.values.length + " seeds)</span>" : "") + '</div><div class="fbar">' + svg + "</div></div>";
    });
    var axis = '<svg width="' + width + '" height="34" class="axis" role="img" aria-label="' + esc("axis of " + m + " from " + fixed(low) + " to " + fixed(high)) + '">' +
      '<line class="axisline" x1="12" x2="' + (width - 12) + '" y1="1" y2="1"/>' + ticks.map(function (t) {
        return '<line class="tick" x1="' + x(t) + '" x2="' + x(t) + '" y1="1" y2="6"/><text x="' + x(t) + '" y="18" text-anchor="middle">' + esc(+t.toFixed(4)) + "</text>";
      }).join("") + betterMark(scale, width) + "</svg>";
    html += '<div class="frow axis-row"><div class="flabel"></div><div class="fbar">' + axis + "</div></div></div>";
    var hidden = tables.ranked.matching().length - rows.length;
    if (hidden > 0) { html += '<p class="sub">' + hidden + " more rows in the table below</p>"; }
    forest.innerHTML = html;
    bindForest();
  }
  function betterMark(scale, width) {
    var at = {maximize: [width - 12, "end", "higher is better →"], minimize: [12, "start", "← lower is better"]}[scale.direction] ||
      [width / 2, "middle", "→ " + scale.better + " is better ←"];
    return '<text class="better" x="' + at[0] + '" y="31" text-anchor="' + at[1] + '">' + at[2] + "</text>";
  }
  function bindForest() {
    document.getElementById("forest-metric").addEventListener("change", function (event) { forestMetric = event.target.value; drawForest(); });
  }

  // ---- filter, column chooser, permalinks ----
  var filterText = "";
  function matches(group) {
    if (!filterText) { return true; }
    var hay = [group.name].concat(group.entries.map(function (id) {
      var r = byId[id];
      return [id, r.review, r.entry.provenance.submitter, r.entry.provenance.run_id, seedText(r.entry, "")].join(" ");
    })).join(" ").toLowerCase();
    return filterText.split(/\s+/).every(function (word) { return hay.indexOf(word) >= 0; });
  }
  function drawAll() {
    Object.keys(tables).forEach(function (k) { tables[k].draw(); });
    drawForest();
    drawCurves();
  }
  var tables = {ranked: new Table("ranked"), rejected: new Table("rejected"), stale: new Table("stale")};
  var typing = null;  // redraw once typing pauses: a big board takes a moment per redraw
  document.getElementById("filter").addEventListener("input", function (event) {
    clearTimeout(typing);
    typing = setTimeout(function () { filterText = event.target.value.trim().toLowerCase(); drawAll(); }, 120);
  });
  document.getElementById("column-chooser").innerHTML = COLUMNS.filter(function (c) { return c.optional; }).map(function (c) {
    return '<label><input type="checkbox" value="' + esc(c.key) + '"' + (shown[c.key] ? " checked" : "") + "> " + esc(c.label) + "</label>";
  }).join("");
  document.getElementById("column-chooser").addEventListener("change", function (event) {
    shown[event.target.value] = event.target.checked;
    Object.keys(tables).forEach(function (k) { tables[k].draw(); });
  });
  function resolve(prefix) {
    var found = data.entries.filter(function (r) { return r.entry_id.indexOf(prefix) === 0; });
    return found.length === 1 ? found[0].entry_id : null;
  }
  function followHash() {
    var hash = decodeURIComponent(location.hash.slice(1));
    if (hash.indexOf("compare=") === 0) {
      var ids = hash.slice(8).split(",").map(resolve).filter(has);
      picked = ids.length === 2 ? ids : [];
      document.querySelectorAll("input.compare").forEach(function (box) { box.checked = picked.indexOf(box.value) >= 0; });
      showSide();
      if (picked.length === 2) { document.getElementById("side").scrollIntoView(); }
    } else if (hash.indexOf("entry=") === 0) {
      var id = resolve(hash.slice(6));
      if (!id) { return; }
      var table = tables[byId[id].section];
      var group = byId[id].group;
      table.expanded[group] = true;
      table.open[id] = true;
      table.draw();
      var tr = table.table.querySelector('tr[data-entry="' + id + '"]');
      if (tr) { tr.scrollIntoView(); }
    }
  }
  window.addEventListener("hashchange", followHash);
  var resizing = null;
  window.addEventListener("resize", function () { clearTimeout(resizing); resizing = setTimeout(drawForest, 100); });
  drawAll();
  followHash();
})();
