// Sort the index table by the clicked column: numbers by their data-v value, text by its content.
// Plain script, no libraries: the page works from file:// without a server or a network.
(function () {
  function key(cell, numeric) {
    var raw = cell.getAttribute("data-v");
    if (numeric) {
      var value = parseFloat(raw === null ? cell.textContent : raw);
      return isNaN(value) ? Infinity : value;
    }
    return (raw === null ? cell.textContent : raw).trim().toLowerCase();
  }
  document.querySelectorAll("table.board").forEach(function (table) {
    var headers = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(headers, function (header, column) {
      if (header.classList.contains("nosort")) { return; }
      header.tabIndex = 0;  // reachable by keyboard: Enter or Space sorts, as a click does
      header.setAttribute("aria-sort", "none");
      header.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); header.click(); }
      });
      header.addEventListener("click", function () {
        var numeric = header.getAttribute("data-type") === "num";
        var ascending = header.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
        header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var keyed = rows.map(function (row, index) { return [key(row.cells[column], numeric), index, row]; });
        keyed.sort(function (a, b) {
          if (a[0] < b[0]) { return ascending ? -1 : 1; }
          if (a[0] > b[0]) { return ascending ? 1 : -1; }
          return a[1] - b[1];
        });
        var fragment = document.createDocumentFragment();
        keyed.forEach(function (item) { fragment.appendChild(item[2]); });
        body.appendChild(fragment);
      });
    });
  });
})();
