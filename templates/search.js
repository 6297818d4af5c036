// Full-text search over the report's pages. The index is a script (search-index.js), not a
// fetched file, so that search also works when the site is opened from file://.
(function () {
  function words(s) { return s.toLowerCase().split(/\s+/).filter(Boolean); }
  function snippet(text, word) {
    var i = text.toLowerCase().indexOf(word);
    var start = Math.max(0, i - 60);
    return (start > 0 ? "…" : "") + text.slice(start, start + 160) + "…";
  }
  function search(query) {
    var q = words(query);
    if (!q.length || !window.SEARCH_INDEX) return [];
    return window.SEARCH_INDEX.filter(function (p) {
      var hay = (p.title + " " + p.text).toLowerCase();
      return q.every(function (w) { return hay.indexOf(w) >= 0; });
    }).map(function (p) {
      // Pages whose title holds the words come first, then those that mention them most.
      var title = p.title.toLowerCase(), text = p.text.toLowerCase();
      var inTitle = q.every(function (w) { return title.indexOf(w) >= 0; }) ? 1 : 0;
      var hits = q.reduce(function (n, w) { return n + text.split(w).length - 1; }, 0);
      return { url: p.url, title: p.title, snippet: snippet(p.text, q[0]), score: inTitle * 1e6 + hits };
    }).sort(function (a, b) { return b.score - a.score; });
  }
  function show(box, results, query) {
    box.innerHTML = "";
    if (!query.trim()) { box.hidden = true; return; }
    if (!results.length) {
      var none = document.createElement("p");
      none.textContent = "No page mentions " + query;
      box.appendChild(none);
    }
    results.forEach(function (r) {
      var a = document.createElement("a");
      a.href = r.url;
      var t = document.createElement("strong");
      t.textContent = r.title;
      var s = document.createElement("span");
      s.textContent = r.snippet;
      a.appendChild(t); a.appendChild(s);
      box.appendChild(a);
    });
    box.hidden = false;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var input = document.getElementById("search-input");
    var box = document.getElementById("search-results");
    if (!input || !box) return;
    input.addEventListener("input", function () { show(box, search(input.value), input.value); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { input.value = ""; show(box, [], ""); }
    });
  });
  window.segmentsSearch = search;
})();
