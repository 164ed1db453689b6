(function () {
  var box = document.getElementById("search"), rows = document.querySelectorAll("tr[data-search]");
  var count = document.getElementById("count");
  function norm(s) {
    s = (s || "").normalize("NFKC").toLowerCase();
    return s.replace(/[\u3041-\u3096]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) + 0x60); });
  }
  var keys = Array.prototype.map.call(rows, function (r) { return norm(r.getAttribute("data-search")); });
  function apply() {
    var q = norm(box.value).trim().split(/\s+/).filter(Boolean), shown = 0;
    rows.forEach(function (r, i) {
      var ok = q.every(function (w) { return keys[i].indexOf(w) >= 0; });
      r.hidden = !ok; if (ok) shown++;
    });
    if (count) count.textContent = shown + " / " + rows.length;
  }
  box.addEventListener("input", apply);
  if (location.hash.length > 1) { box.value = decodeURIComponent(location.hash.slice(1)); }
  apply();
})();
