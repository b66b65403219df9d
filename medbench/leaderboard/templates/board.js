// Draw the board's rows from the embedded JSON (the same as the JSON download).
(function () {
  var data = JSON.parse(document.getElementById("board-data").textContent);
  var spec = data.board;
  var others = spec.metrics.filter(function (name) { return name !== spec.primary; });
  var WIDTH = 160, HEIGHT = 14;

  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function fixed(value) { return value === null || value === undefined ? "–" : value.toFixed(4); }
  function dataV(value) { return value === null || value === undefined ? "" : String(value); }
  function headline(entry) { return entry.metrics[spec.primary] || entry.metrics[entry.primary]; }
  function label(entry) {
    var target = entry.provenance.model_target;
    return target.slice(target.lastIndexOf(".") + 1) + " seed=" + entry.provenance.seed;
  }

  function axisOf(rows) {
    var low = Infinity, high = -Infinity;
    rows.forEach(function (row) {
      var metric = headline(row.entry);
      low = Math.min(low, metric.ci ? metric.ci.low : metric.value);
      high = Math.max(high, metric.ci ? metric.ci.high : metric.value);
    });
    if (low === Infinity) { return [0, 1]; }
    var pad = (high - low) * 0.05 || 0.01;
    return [low - pad, high + pad];
  }

  function forest(metric, axis, baseline) {
    function x(value) { return ((value - axis[0]) / (axis[1] - axis[0]) * WIDTH).toFixed(1); }
    var mid = HEIGHT / 2;
    var svg = '<svg class="ci" width="' + WIDTH + '" height="' + HEIGHT + '" role="img" aria-label="' + fixed(metric.value) + '">';
    if (baseline !== null) {
      svg += '<line class="base" x1="' + x(baseline) + '" x2="' + x(baseline) + '" y1="0" y2="' + HEIGHT + '"/>';
    }
    if (metric.ci) {
      svg += '<line class="bar" x1="' + x(metric.ci.low) + '" x2="' + x(metric.ci.high) + '" y1="' + mid + '" y2="' + mid + '"/>';
    }
    return svg + '<circle cx="' + x(metric.value) + '" cy="' + mid + '" r="3"/></svg>';
  }

  function metricCell(name, metric) {
    return '<td data-metric="' + esc(name) + '" data-v="' + (metric ? dataV(metric.value) : "") + '">' + (metric ? fixed(metric.value) : "–") + "</td>";
  }

  function rowHtml(row, index, axis, baseline) {
    var entry = row.entry, primary = headline(entry), p = entry.provenance;
    var tier = row.tier === null ? "–" : '<span class="tier' + (row.tier % 2 ? " t-odd" : "") + '">T' + row.tier + "</span>";
    var delta = row.baseline ? "baseline" : (row.delta_baseline === null ? "–" : (row.delta_baseline >= 0 ? "+" : "") + row.delta_baseline.toFixed(4));
    var test = row.versus_baseline;
    if (test) {
      delta += ' <span class="test" title="paired ' + esc(test.method) + " test, Holm-corrected; 95% CI of the difference " +
        (test.low === null ? "–" : "[" + fixed(test.low) + ", " + fixed(test.high) + "]") + '">p=' + test.p_holm.toPrecision(2) +
        (test.p_holm < 0.05 ? " *" : "") + "</span>";
    }
    var html = '<tr data-entry="' + esc(row.entry_id) + '" data-index="' + index + '" class="' + (row.baseline ? "baseline" : "") + '">';
    html += '<td data-v="' + dataV(row.rank) + '">' + (row.rank === null ? "–" : row.rank) + "</td>";
    html += '<td data-v="' + dataV(row.tier) + '">' + tier + "</td>";
    html += '<td class="text mono" data-v="' + esc(row.entry_id) + '">' + esc(row.entry_id.slice(0, 12)) + "</td>";
    html += '<td class="text">' + esc(label(entry)) + "</td>";
    html += metricCell(spec.primary, primary);
    html += '<td data-v="' + (primary.ci ? dataV(primary.ci.high - primary.ci.low) : "") + '">' +
      (primary.ci ? "[" + fixed(primary.ci.low) + ", " + fixed(primary.ci.high) + "]" : "–") + "</td>";
    html += "<td>" + forest(primary, axis, baseline) + "</td>";
    others.forEach(function (name) { html += metricCell(name, entry.metrics[name]); });
    html += '<td data-v="' + dataV(row.delta_baseline) + '">' + delta + "</td>";
    html += '<td class="text state-' + esc(row.review) + '">' + esc(row.review) + "</td>";
    html += '<td class="text">' + esc(p.submitter) + "</td>";
    html += '<td class="text">' + esc(p.submitted_at.slice(0, 10)) + "</td>";
    html += '<td class="text prov"><details><summary>run ' + esc(p.run_id) + "</summary><dl></dl></details></td></tr>";
    return html;
  }

  function provenance(row) {
    var entry = row.entry, p = entry.provenance;
    var packages = Object.keys(p.packages).sort().filter(function (k) { return p.packages[k]; })
      .map(function (k) { return k + " " + p.packages[k]; }).join(", ");
    var splits = Object.keys(p.split_sizes).map(function (k) { return k + " " + p.split_sizes[k]; }).join(", ");
    var items = [
      ["entry", row.entry_id], ["run id", p.run_id], ["model", p.model_target], ["seed", p.seed],
      ["overrides", p.overrides.join(" ") || "none"],
      ["parameters", p.parameter_count === null ? "unknown" : p.parameter_count],
      ["checkpoint sha256", p.checkpoint_sha256 || "none"],
      ["git commit", (p.git_commit || "unknown") + (p.git_dirty ? " (dirty)" : "")],
      ["medbench", p.medbench_version], ["python / platform", p.python + " / " + p.platform], ["packages", packages],
      ["task version", entry.task_version],
      ["dataset", entry.dataset_fingerprint + " (" + p.dataset_source + "; " + splits + ")"],
      ["test samples", entry.n_samples], ["predictions sha256", p.predictions_sha256],
      ["run started", p.started_at + " (" + p.duration_s.toFixed(1) + " s)"],
      ["submitted", p.submitted_at + " by " + p.submitter]
    ];
    row.history.forEach(function (e) {
      items.push(["audit " + e[0], e[1] + " " + e[2] + " by " + e[3] + (e[4] ? ": " + e[4] : "")]);
    });
    return items.map(function (item) { return "<dt>" + esc(item[0]) + "</dt><dd>" + esc(item[1]) + "</dd>"; }).join("");
  }

  // Sort keys by column (a header's data-key); missing values sort last.
  var KEYS = {
    rank: function (row) { return row.rank; },
    tier: function (row) { return row.tier; },
    entry: function (row) { return row.entry_id; },
    model: function (row) { return label(row.entry).toLowerCase(); },
    ci: function (row) { var m = headline(row.entry); return m.ci ? m.ci.high - m.ci.low : null; },
    delta: function (row) { return row.baseline ? 0 : row.delta_baseline; },
    review: function (row) { return row.review; },
    submitter: function (row) { return row.entry.provenance.submitter.toLowerCase(); },
    submitted: function (row) { return row.entry.provenance.submitted_at; }
  };
  function metricKey(name) {
    return function (row) { var m = row.entry.metrics[name]; return m ? m.value : null; };
  }

  // A big board draws its first rows only: browsers lay out tables of 10,000 rows in seconds.
  var PAGE = 500;

  function Board(table, rows, baseline) {
    this.table = table;
    this.rows = rows;
    this.baseline = baseline;
    this.axis = axisOf(rows);
    this.limit = PAGE;
    this.more = document.querySelector('p.more[data-for="' + table.id + '"]');
    table.querySelector("span.axis").textContent = "(" + this.axis[0].toFixed(4) + " to " + this.axis[1].toFixed(4) + ")";
    var self = this;
    this.more.querySelector("button").addEventListener("click", function () { self.limit = Infinity; self.draw(); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header) {
      if (header.classList.contains("nosort")) { return; }
      header.addEventListener("click", function () { self.sortBy(header); });
    });
    table.tBodies[0].addEventListener("toggle", function (event) {
      var details = event.target, list = details.querySelector("dl");
      if (details.open && !list.childNodes.length) {
        list.innerHTML = provenance(self.rows[Number(details.closest("tr").getAttribute("data-index"))]);
      }
    }, true);
    this.draw();
  }
  Board.prototype.sortBy = function (header) {
    var name = header.getAttribute("data-key");
    var key = name === "metric" ? metricKey(header.getAttribute("data-metric")) : KEYS[name];
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(header.parentNode.cells, function (h) { h.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var keyed = this.rows.map(function (row, index) { return [key(row), index, row]; });
    keyed.sort(function (a, b) {
      if (a[0] === b[0]) { return a[1] - b[1]; }
      if (a[0] === null || a[0] === undefined) { return 1; }
      if (b[0] === null || b[0] === undefined) { return -1; }
      return (a[0] < b[0] ? -1 : 1) * (ascending ? 1 : -1);
    });
    this.rows = keyed.map(function (item) { return item[2]; });
    this.draw();
  };
  Board.prototype.draw = function () {
    var self = this, shown = this.rows.slice(0, this.limit);
    this.table.tBodies[0].innerHTML = shown.map(function (row, index) {
      return rowHtml(row, index, self.axis, self.baseline);
    }).join("");
    this.more.hidden = shown.length === this.rows.length;
    this.more.querySelector("button").textContent = "show all " + this.rows.length + " rows";
  };

  var groups = {current: data.entries.filter(function (row) { return !row.stale; }),
                stale: data.entries.filter(function (row) { return row.stale; })};
  var baselineRow = groups.current.filter(function (row) { return row.baseline; })[0];
  var baselineValue = baselineRow ? headline(baselineRow.entry).value : null;
  Object.keys(groups).forEach(function (id) {
    var table = document.getElementById(id);
    if (table) { new Board(table, groups[id], id === "current" ? baselineValue : null); }
  });
})();
