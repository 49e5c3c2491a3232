// Small page helpers; no inline scripts (CSP): data arrives through json_script blocks.
(function () {
  "use strict";
  document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });

  // Russian month names and number format for the axes plotly.js draws itself (hover texts
  // arrive formatted from the server).
  function registerRussian() {
    window.Plotly.register({
      moduleType: "locale",
      name: "ru",
      dictionary: {
        "Autoscale": "Автомасштаб", "Box Select": "Выделить", "Download plot as a PNG": "Скачать PNG",
        "Download plot": "Скачать", "Pan": "Сдвиг", "Reset axes": "Сбросить оси", "Zoom": "Увеличение",
        "Zoom in": "Приблизить", "Zoom out": "Отдалить", "Reset view": "Сбросить вид",
        "Show closest data on hover": "Ближайшая точка", "Compare data on hover": "Сравнение при наведении"
      },
      format: {
        days: ["воскресенье", "понедельник", "вторник", "среда", "четверг", "пятница", "суббота"],
        shortDays: ["вс", "пн", "вт", "ср", "чт", "пт", "сб"],
        months: ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь",
          "октябрь", "ноябрь", "декабрь"],
        shortMonths: ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"],
        date: "%d.%m.%Y", decimal: ",", thousands: "\u00a0"
      }
    });
  }

  // Charts: <div data-chart="id-of-json-script"> gets the Plotly figure stored in that script.
  function drawCharts() {
    if (!window.Plotly) { return; }
    registerRussian();
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.dataset.chart);
      if (!source) { return; }
      var figure = JSON.parse(source.textContent);
      var config = Object.assign({ responsive: true, displaylogo: false, locale: document.documentElement.lang }, figure.config || {});
      window.Plotly.newPlot(el, figure.data, figure.layout, config);
      if (el.hasAttribute("data-chart-links")) { openLinkOnClick(el); }
    });
  }

  // A chart marked data-chart-links opens the page whose address a point carries first in its
  // customdata (the tile map: a click on a square opens its region). Same-site paths only.
  function openLinkOnClick(el) {
    el.on("plotly_click", function (event) {
      var point = event && event.points && event.points[0];
      var url = point && point.customdata && point.customdata[0];
      if (typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/") {
        window.location.assign(url);
      }
    });
  }
  drawCharts();

  // Printing narrows the page: charts take the printed width, then the screen's again.
  function resizeCharts() {
    if (!window.Plotly) { return; }
    document.querySelectorAll("[data-chart].js-plotly-plot").forEach(function (el) { window.Plotly.Plots.resize(el); });
  }
  window.addEventListener("beforeprint", resizeCharts);
  window.addEventListener("afterprint", resizeCharts);

  // Quick filter of a table's rows by text: <input data-filter-table="table-id">.
  document.querySelectorAll("input[data-filter-table]").forEach(function (input) {
    var table = document.getElementById(input.dataset.filterTable);
    if (!table) { return; }
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        row.hidden = needle !== "" && row.textContent.toLowerCase().indexOf(needle) < 0;
      });
    });
  });

  // Client-side sorting of tables marked sortable (numbers by data-value when present).
  document.querySelectorAll("table.sortable th[data-sort]").forEach(function (th) {
    th.tabIndex = 0;
    th.addEventListener("click", function () { sortBy(th); });
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sortBy(th); } });
  });
  function sortBy(th) {
    var table = th.closest("table"), body = table.tBodies[0];
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var asc = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th[aria-sort]").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellKey(a.cells[index]), y = cellKey(b.cells[index]);
      if (x === y) { return 0; }
      if (x === null) { return 1; }
      if (y === null) { return -1; }
      return (x < y ? -1 : 1) * (asc ? 1 : -1);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  function cellKey(cell) {
    if (!cell) { return null; }
    var v = cell.dataset.value;
    if (v === undefined) { return cell.textContent.trim().toLowerCase(); }
    if (v === "") { return null; }
    var n = parseFloat(v);
    return isNaN(n) ? v : n;
  }

  // A table in a box that hides some of its rows (or its right part) says so under the box, and
  // the note goes once the box is scrolled through. The sentences come translated from the page
  // (<body data-scroll-cue="… {shown} … {total} …" data-scroll-cue-x="…">).
  var cueText = document.body.dataset.scrollCue, cueTextX = document.body.dataset.scrollCueX;
  function updateCue(box, cue) {
    var table = box.querySelector("table");
    var rows = table && table.tBodies[0] ? Array.prototype.filter.call(table.tBodies[0].rows, function (r) { return !r.hidden; }) : [];
    var down = box.scrollHeight > box.clientHeight + 2 && box.scrollTop + box.clientHeight < box.scrollHeight - 2;
    var side = box.scrollWidth > box.clientWidth + 2 && box.scrollLeft + box.clientWidth < box.scrollWidth - 2;
    var parts = [];
    if (down && rows.length) {
      var bottom = box.getBoundingClientRect().bottom + 1;
      var shown = rows.filter(function (r) { return r.getBoundingClientRect().bottom <= bottom; }).length;
      parts.push(cueText.replace("{shown}", shown).replace("{total}", rows.length));
    }
    if (side) { parts.push(cueTextX); }
    cue.textContent = parts.join(" · ");
    cue.hidden = parts.length === 0;
    box.classList.toggle("has-more", parts.length > 0);
  }
  if (cueText) {
    document.querySelectorAll(".table-wrap").forEach(function (box) {
      var cue = document.createElement("p");
      cue.className = "scroll-cue";
      cue.setAttribute("aria-live", "polite");
      box.insertAdjacentElement("afterend", cue);
      var pending = false;
      function later() {
        if (pending) { return; }
        pending = true;
        window.requestAnimationFrame(function () { pending = false; updateCue(box, cue); });
      }
      box.addEventListener("scroll", later, { passive: true });
      window.addEventListener("resize", later);
      box.addEventListener("input", later);
      document.addEventListener("input", later);
      updateCue(box, cue);
    });
  }

  // Upload progress: poll the upload's API resource until it ends, then reload.
  var progress = document.querySelector("[data-upload-poll]");
  if (progress) {
    var url = progress.dataset.uploadPoll;
    var bar = progress.querySelector("progress"), label = progress.querySelector("[data-progress-label]");
    var timer = setInterval(function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (u) {
          bar.value = u.progress;
          if (label) { label.textContent = u.progress + "%"; }
          if (["succeeded", "failed", "superseded"].indexOf(u.status) >= 0) {
            clearInterval(timer);
            window.location.reload();
          }
        })
        .catch(function () { /* keep polling: the job survives a page or network hiccup */ });
    }, 1000);
  }
})();
