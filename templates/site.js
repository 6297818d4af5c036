// The site's behaviour, in plain JavaScript so that it works from file:// and offline: the navbar
// toggle on narrow screens, the Segments menu, tabsets, and charts drawn when they come into view.
// Without JavaScript every tab panel is shown one after the other and the navbar stays expanded.
(function () {
  "use strict";

  // ---- charts: each chart's Plotly.newPlot script waits (type application/x-plotly-deferred)
  // until its chart is near the viewport and visible, so a page with many charts, or a 3-D one
  // in a closed tab, opens as fast as one with a single chart.
  var queue = [];
  var draining = false;

  function run(script) {
    if (script.getAttribute("data-drawn")) return;
    script.setAttribute("data-drawn", "1");
    new Function(script.textContent)();  // the page's own script, as Plotly wrote it
  }

  function drain() {  // one chart per task, so that the page stays responsive while they draw
    var script = queue.shift();
    if (!script) { draining = false; return; }
    run(script);
    setTimeout(drain, 0);
  }

  function later(script) {
    queue.push(script);
    if (!draining) { draining = true; setTimeout(drain, 0); }
  }

  function charts() {
    var scripts = document.querySelectorAll('script[type="application/x-plotly-deferred"]');
    if (!window.Plotly) return;
    if (!("IntersectionObserver" in window)) { Array.prototype.forEach.call(scripts, run); return; }
    var seen = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        if (!e.isIntersecting) return;
        seen.unobserve(e.target);
        later(e.target.chartScript);
      });
    }, { rootMargin: "400px 0px" });
    Array.prototype.forEach.call(scripts, function (s) {
      var div = document.getElementById(s.getAttribute("data-chart"));
      if (!div) return;
      div.chartScript = s;
      seen.observe(div);
    });
  }

  // Draws every chart now (before printing, or for a test that needs them all).
  window.segmentsDrawAll = function () {
    Array.prototype.forEach.call(document.querySelectorAll('script[type="application/x-plotly-deferred"]'), run);
  };
  window.addEventListener("beforeprint", window.segmentsDrawAll);

  // ---- tabsets (Quarto's ::: {.panel-tabset}): the filter writes one .tab-pane per heading.
  var tabsets = 0;

  function tabset(set) {
    var panes = Array.prototype.filter.call(set.children, function (c) { return c.classList.contains("tab-pane"); });
    if (!panes.length) return;
    tabsets += 1;
    var nav = document.createElement("div");
    nav.className = "nav nav-tabs";
    nav.setAttribute("role", "tablist");
    var buttons = panes.map(function (pane, i) {
      var title = pane.querySelector(".tab-title");
      var b = document.createElement("button");
      b.type = "button";
      b.className = "nav-link";
      b.id = "tab-" + tabsets + "-" + (i + 1);
      b.textContent = title ? title.textContent.replace(/\s+/g, " ").trim() : "Tab " + (i + 1);
      b.setAttribute("role", "tab");
      if (!pane.id) pane.id = b.id + "-panel";
      b.setAttribute("aria-controls", pane.id);
      pane.setAttribute("role", "tabpanel");
      pane.setAttribute("aria-labelledby", b.id);
      b.addEventListener("click", function () { select(i, false); });
      b.addEventListener("keydown", function (e) {
        var step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
        if (step) { e.preventDefault(); select((i + step + panes.length) % panes.length, true); }
      });
      nav.appendChild(b);
      return b;
    });
    function select(n, focus) {
      panes.forEach(function (pane, i) {
        var on = i === n;
        pane.hidden = !on;
        buttons[i].classList.toggle("active", on);
        buttons[i].setAttribute("aria-selected", on ? "true" : "false");
        buttons[i].tabIndex = on ? 0 : -1;
      });
      if (focus) buttons[n].focus();
      // Charts drawn while their panel was hidden take the panel's width once shown.
      Array.prototype.forEach.call(panes[n].querySelectorAll(".js-plotly-plot"), function (d) {
        window.Plotly.Plots.resize(d);
      });
    }
    set.insertBefore(nav, set.firstChild);
    set.classList.add("tabset-ready");
    select(0, false);
  }

  // ---- navbar: the toggle button on narrow screens; the Segments menu closes like a menu.
  function navbar() {
    var toggle = document.querySelector(".navbar-toggler");
    var menu = document.getElementById("site-nav");
    if (toggle && menu) {
      toggle.addEventListener("click", function () {
        var open = menu.classList.toggle("show");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
    var menus = document.querySelectorAll("details.nav-menu");
    document.addEventListener("click", function (e) {
      Array.prototype.forEach.call(menus, function (d) { if (d.open && !d.contains(e.target)) d.open = false; });
    });
    document.addEventListener("keydown", function (e) {
      if (e.key !== "Escape") return;
      Array.prototype.forEach.call(menus, function (d) { d.open = false; });
    });
    // The page's contents start folded on narrow screens, where they would push the page down.
    var toc = document.querySelector("details.toc");
    var narrow = window.matchMedia("(max-width: 991.98px)");
    if (toc) {
      toc.open = !narrow.matches;
      narrow.addEventListener("change", function () { toc.open = !narrow.matches; });
    }
  }

  // ---- wide tables: a table wider than the screen scrolls sideways inside its box; while more of
  // it lies to the right, the box's right edge fades (class "scrolls-right"), a cue to scroll.
  function scrollCues() {
    var boxes = document.querySelectorAll(".table-responsive");
    function mark(box) {
      box.classList.toggle("scrolls-right", box.scrollWidth - box.scrollLeft - box.clientWidth > 2);
    }
    Array.prototype.forEach.call(boxes, function (box) {
      mark(box);
      box.addEventListener("scroll", function () { mark(box); }, { passive: true });
    });
    window.addEventListener("resize", function () { Array.prototype.forEach.call(boxes, mark); });
  }

  // ---- sortable tables (inside a .sortable block): a click on a column's heading sorts the rows
  // by that column, numbers as numbers ("$1,256", "33%", "729 (33%)" by their first number);
  // a second click reverses the order.
  function number(text) {
    var m = text.replace(/,/g, "").match(/[-\u2212]?\d+(\.\d+)?/);
    return m ? parseFloat(m[0].replace("\u2212", "-")) : NaN;
  }
  function sortable(table) {
    var heads = table.querySelectorAll("thead th");
    Array.prototype.forEach.call(heads, function (th, col) {
      th.setAttribute("role", "button");
      th.setAttribute("tabindex", "0");
      th.title = "Sort by this column";
      function sort() {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var up = th.getAttribute("aria-sort") !== "ascending";
        rows.sort(function (a, b) {
          var x = a.cells[col].textContent.trim(), y = b.cells[col].textContent.trim();
          var nx = number(x), ny = number(y);
          var c = !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y);
          return up ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", up ? "ascending" : "descending");
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".sortable table"), sortable);
    navbar();
    Array.prototype.forEach.call(document.querySelectorAll(".panel-tabset"), tabset);
    scrollCues();
    charts();
  });
})();
